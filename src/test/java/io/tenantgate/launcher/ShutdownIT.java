package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.Pem;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.RecordingCore;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM against the real jar: readiness false, in-flight requests finish, exit 0 within the grace. */
class ShutdownIT {
  private static final Pattern SERVING = Pattern.compile("edge https://[^:]+:(\\d+)\\s+ops http://[^:]+:(\\d+)");
  private Vertx vertx;
  private RecordingCore core;
  private Process process;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
    core = RecordingCore.start(vertx);
  }

  @AfterEach
  void stop() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    core.stop();
    Await.result(vertx.close());
  }

  @Test
  void sigtermLetsInFlightRequestsFinishAndExitsZero(@TempDir Path dir) throws Exception {
    int[] ports = startJar(dir, "5s");
    TestPki pki = TestPki.get();
    HttpClient client = client(pki, ports[0]);
    Future<Http.Response> inFlight = Http.sendAsync(client, new RequestOptions().setURI("/slow?ms=1500"), null);
    Await.until(() -> core.count() == 1, Duration.ofSeconds(10), "core received the slow request");
    long signalled = System.nanoTime();
    process.destroy();
    Await.until(() -> readiness(ports[1]) == 503 || !process.isAlive(), Duration.ofSeconds(5), "readiness false");
    Http.Response r = Await.result(inFlight);
    assertEquals(200, r.status(), "the in-flight request completes");
    assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process exits");
    long ms = (System.nanoTime() - signalled) / 1_000_000;
    assertEquals(0, process.exitValue());
    assertTrue(ms < 5_000 + 2_000, "exited after " + ms + " ms");
  }

  @Test
  void aRequestOutlastingTheGraceIsAnsweredShuttingDownAndTheProcessStillExitsZero(@TempDir Path dir)
      throws Exception {
    int[] ports = startJar(dir, "2s");
    HttpClient client = client(TestPki.get(), ports[0]);
    Future<Http.Response> inFlight = Http.sendAsync(client, new RequestOptions().setURI("/slow?ms=60000"), null);
    Await.until(() -> core.count() == 1, Duration.ofSeconds(10), "core received the request");
    long signalled = System.nanoTime();
    process.destroy();
    Http.Response r = Await.result(inFlight);
    assertEquals(503, r.status());
    assertEquals("shutting_down", r.json().getString("reason"));
    assertTrue(process.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue());
    long ms = (System.nanoTime() - signalled) / 1_000_000;
    assertTrue(ms < 2_000 + 2_000, "exited after " + ms + " ms");
  }

  private int[] startJar(Path dir, String grace) throws Exception {
    TestPki pki = TestPki.get();
    Path registry = dir.resolve("registry.json");
    Pem.write(registry, pki.registry().encode(), false);
    Path cfg = dir.resolve("tenantgate.yaml");
    Files.writeString(cfg, """
        edge:
          host: 127.0.0.1
          port: 0
          instances: 2
          tls: {certFile: %s, keyFile: %s, clientCaFile: %s}
        ops: {host: 127.0.0.1, port: 0}
        registry: {file: %s}
        nats: {enabled: false}
        shutdown: {grace: %s}
        routes:
          - {name: core, pathPrefix: /, upstream: "%s"}
        """.formatted(pki.serverPem(), pki.serverKeyPem(), pki.rootPem(), registry, grace, core.url()));
    Path jar = Path.of("target/tenantgate.jar").toAbsolutePath();
    assertTrue(Files.exists(jar), "run with mvn verify: the jar is built in the package phase");
    process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        jar.toString(), "serve", "--config", cfg.toString()).redirectErrorStream(true).start();
    CompletableFuture<int[]> ports = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            ports.complete(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
          }
        }
      } catch (java.io.IOException e) {
        ports.completeExceptionally(e);
      }
      ports.completeExceptionally(new AssertionError("gateway exited before serving"));
    }, "gateway-output");
    reader.setDaemon(true);
    reader.start();
    return ports.get(60, TimeUnit.SECONDS);
  }

  private HttpClient client(TestPki pki, int port) {
    var agent = pki.component(pki.acmeCa, "agent-shutdown", "acme");
    return vertx.createHttpClient(new HttpClientOptions().setSsl(true).setDefaultHost("localhost").setDefaultPort(port)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.rootPem().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(agent.chainPem().toString())
            .setKeyPath(agent.keyPem().toString())));
  }

  private int readiness(int opsPort) {
    var ops = vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.GET, opsPort, "127.0.0.1", "/health/ready").compose(r -> r.send())
          .map(r -> r.statusCode()).recover(e -> Future.succeededFuture(-1)));
    } finally {
      ops.close();
    }
  }
}
