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
 * store directory, for tests that stop and restart NATS or must not leave streams on the shared server
 * (DevIT). Never the shared server on 4222.
 */
public final class NatsServerProcess implements AutoCloseable {
  private static final String BINARY = "/usr/sbin/nats-server";
  final int port;
  final Path storeDir;
  private Process process;

  public NatsServerProcess() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    storeDir = Files.createTempDirectory("tenantgate-nats");
  }

  public String url() {
    return "nats://127.0.0.1:" + port;
  }

  public NatsServerProcess start() throws IOException {
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

  /** SIGKILL: the process dies at once, mid-write, without flushing anything; the store stays on disk. */
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor();
    }
  }

  /** SIGSTOP: the server keeps its connections open but answers nothing (a hung server). Returns once stopped. */
  void freeze() throws IOException, InterruptedException {
    signal("-STOP");
    awaitStopped(true);
  }

  /** SIGCONT after {@link #freeze}: the server goes on with what its sockets hold. Returns once running. */
  void thaw() throws IOException, InterruptedException {
    signal("-CONT");
    awaitStopped(false);
  }

  /** The signal is only sent when kill returns: wait until every thread's /proc state says so. */
  private void awaitStopped(boolean stopped) throws IOException {
    if (process == null || !process.isAlive()) {
      return;
    }
    Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (allStopped(tasks) != stopped) {
      if (System.nanoTime() - deadline > 0) {
        throw new IOException("nats-server " + process.pid() + " did not " + (stopped ? "stop" : "continue"));
      }
      LockSupport.parkNanos(1_000_000L);
    }
  }

  /** Whether every thread is stopped: field 3 of its stat, after the parenthesised name, is T. */
  private static boolean allStopped(Path tasks) throws IOException {
    try (var threads = Files.list(tasks)) {
      for (Path t : threads.toList()) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (java.nio.file.NoSuchFileException gone) {
          continue;
        }
        if (stat.charAt(stat.lastIndexOf(')') + 2) != 'T') {
          return false;
        }
      }
      return true;
    }
  }

  private void signal(String sig) throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      int rc = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start().waitFor();
      if (rc != 0) {
        throw new IOException("kill " + sig + " " + process.pid() + " exited " + rc);
      }
    }
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
    try {
      thaw();
    } catch (IOException e) {
      // not frozen, or already gone: the stop below handles both
    }
    stop();
    try (var files = Files.walk(storeDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
