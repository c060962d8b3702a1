package io.tenantgate.bridge;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A private nats-server with JetStream (the Debian package's binary) on a free port with its own
 * store directory, for tests that stop and restart NATS. Never the shared server on 4222.
 */
final class NatsServerProcess implements AutoCloseable {
  private static final String BINARY = "/usr/sbin/nats-server";
  final int port;
  final Path storeDir;
  private Process process;

  NatsServerProcess() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    storeDir = Files.createTempDirectory("tenantgate-nats");
  }

  String url() {
    return "nats://127.0.0.1:" + port;
  }

  NatsServerProcess start() throws IOException {
    process = new ProcessBuilder(BINARY, "-a", "127.0.0.1", "-p", Integer.toString(port), "-js", "-sd",
        storeDir.toString()).redirectErrorStream(true)
        .redirectOutput(storeDir.resolve("server.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!listening()) {
      if (System.nanoTime() - deadline > 0 || !process.isAlive()) {
        throw new IOException("nats-server did not come up on " + port + ": "
            + Files.readString(storeDir.resolve("server.log")));
      }
      LockSupport.parkNanos(20_000_000L);
    }
    return this;
  }

  /** Graceful stop (SIGTERM): the server flushes its store, as in a rolling restart. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  private boolean listening() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
