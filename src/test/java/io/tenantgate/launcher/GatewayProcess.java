package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shaded jar ({@code target/tenantgate.jar}, built in the package phase before failsafe runs)
 * started as {@code tenantgate serve --config FILE} in its own process, with the ports it bound read
 * from its start-up log line. {@link #kill()} is SIGKILL: no shutdown hook runs.
 */
final class GatewayProcess implements AutoCloseable {
  private static final Pattern STARTED = Pattern.compile("op=start edge_port=(\\d+) ops_port=(\\d+) admin_port=(-?\\d+)");
  final Process process;
  final int edgePort;
  final int opsPort;
  final int adminPort;
  final List<String> output;

  private GatewayProcess(Process process, int[] ports, List<String> output) {
    this.process = process;
    this.edgePort = ports[0];
    this.opsPort = ports[1];
    this.adminPort = ports[2];
    this.output = output;
  }

  /** Starts the jar on {@code config} and waits (60 s at most) until it serves. */
  static GatewayProcess start(Path config) throws Exception {
    Path jar = Path.of("target/tenantgate.jar").toAbsolutePath();
    assertTrue(Files.exists(jar), "run with mvn verify: the jar is built in the package phase");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-jar", jar.toString(), "serve", "--config", config.toString()).redirectErrorStream(true).start();
    List<String> output = new CopyOnWriteArrayList<>();
    CompletableFuture<int[]> ports = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          output.add(line);
          Matcher m = STARTED.matcher(line);
          if (m.find()) {
            ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))});
          }
        }
      } catch (IOException e) {
        ports.completeExceptionally(e);
      }
      ports.completeExceptionally(new AssertionError("gateway exited before serving:\n" + String.join("\n", output)));
    }, "gateway-process-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new GatewayProcess(p, ports.get(60, TimeUnit.SECONDS), output);
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** SIGKILL, and wait for the process to be gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process gone after SIGKILL");
  }

  /** Runs {@code kill -SIG pid} (STOP, CONT) on the process. */
  void signal(String sig) throws Exception {
    assertTrue(new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor() == 0);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
