package io.tenantgate.ingress;

import io.tenantgate.testing.RecordingCore;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Core as a real process: a {@link RecordingCore} (HTTP) and a {@link GrpcStubCore} (gRPC, h2c) in a
 * JVM of their own, so a test can freeze it with SIGSTOP (a core that is alive but answers nothing, as
 * in a long GC pause or a hung host), thaw it with SIGCONT, or kill it with SIGKILL (a crash).
 */
final class CoreProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("core ready http=(\\S+) grpc=(\\S+)");
  final Process process;
  final String httpUrl;
  final String grpcUrl;

  private CoreProcess(Process process, String httpUrl, String grpcUrl) {
    this.process = process;
    this.httpUrl = httpUrl;
    this.grpcUrl = grpcUrl;
  }

  /** The child's entry point: start both cores on port 0, print their URLs, run until killed. */
  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    RecordingCore http = RecordingCore.start(vertx);
    GrpcStubCore grpc = GrpcStubCore.start(vertx);
    System.out.println("core ready http=" + http.url() + " grpc=" + grpc.url());
    System.out.flush();
    Thread.currentThread().join();
  }

  static CoreProcess start() throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), CoreProcess.class.getName()).redirectErrorStream(true).start();
    CompletableFuture<String[]> urls = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          Matcher m = READY.matcher(line);
          if (m.find()) {
            urls.complete(new String[] {m.group(1), m.group(2)});
          }
        }
      } catch (IOException e) {
        urls.completeExceptionally(e);
      }
      urls.completeExceptionally(new AssertionError("core process exited before it was ready"));
    }, "core-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String[] u = urls.get(60, TimeUnit.SECONDS);
      return new CoreProcess(p, u[0], u[1]);
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** {@code kill -KILL}: the process dies at once, its sockets closed by the kernel; waits until it is gone. */
  void kill() throws Exception {
    signal("KILL");
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("core process still alive after SIGKILL");
    }
  }

  /** {@code kill -STOP} (freeze) or {@code kill -CONT} (thaw). */
  void signal(String sig) throws Exception {
    if (new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor() != 0) {
      throw new IllegalStateException("kill -" + sig + " failed");
    }
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      signal("CONT");
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
