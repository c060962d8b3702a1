package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static io.tenantgate.testing.Http.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.RecordingCore;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.tenantgate.tenant.TenantStatus;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.VertxExtension;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** DESIGN.md section 2 end to end: what core receives, limits, upstream failures, WebSocket, live registry changes. */
@ExtendWith(VertxExtension.class)
class ForwardingIT {
  private static Vertx vertx;
  private static GatewayFixture gw;
  private static TestPki pki;
  private static ClientCert agent;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    gw = GatewayFixture.start(vertx, cfg -> {
      GatewayFixture.limit(cfg, "maxBodySize", "64KiB");
      GatewayFixture.limit(cfg, "upstreamTimeout", "500ms");
    });
    pki = gw.pki;
    agent = pki.component(pki.acmeCa, "agent-fwd", "acme");
  }

  @AfterAll
  static void stop() {
    gw.close();
    Await.result(vertx.close());
  }

  @BeforeEach
  void clearCore() {
    gw.core.clear();
  }

  @Test
  void bodilessHttp2GetReachesHttp1CoreWithoutChunkedEncoding() {
    Response r = get(gw.h2(agent), "/h2get");
    assertEquals(200, r.status());
    assertEquals("h2", r.version());
    RecordingCore.Seen seen = gw.core.last();
    assertNull(seen.header("transfer-encoding"));
    assertEquals(0, seen.bodyBytes());
  }

  @Test
  void requestBodiesPassThroughOverBothProtocols() {
    Buffer body = Buffer.buffer(new byte[40_000]);
    for (HttpClient c : new HttpClient[] {gw.h1(agent), gw.h2(agent)}) {
      Response r = send(c, new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload"), body);
      assertEquals(200, r.status());
      assertEquals(40_000, r.json().getInteger("body_bytes"));
    }
    assertEquals(2, gw.core.count());
  }

  @Test
  void chunkedUploadWithoutLengthIsStreamed() {
    Response r = Await.result(gw.h1(agent).request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload"))
        .compose(req -> {
          req.setChunked(true);
          for (int i = 0; i < 10; i++) {
            req.write(Buffer.buffer(new byte[1000]));
          }
          return req.send(Buffer.buffer(new byte[1000]))
            .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), null, null, b, resp.headers())));
        }));
    assertEquals(200, r.status());
    assertEquals(11_000, r.json().getInteger("body_bytes"));
  }

  @Test
  void declaredBodyOverTheLimitIsRefusedBeforeCoreSeesIt() {
    Response r = send(gw.h1(agent), new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload"),
        Buffer.buffer(new byte[100_000]));
    assertEquals(413, r.status());
    assertEquals("body_too_large", r.json().getString("reason"));
    assertEquals(0, gw.core.count());
  }

  @Test
  void streamedBodyOverTheLimitIsCutWith413() {
    Response r = Await.result(gw.h2(agent).request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload"))
        .compose(req -> {
          req.setChunked(true);
          for (int i = 0; i < 9; i++) {
            req.write(Buffer.buffer(new byte[10_000]));
          }
          return req.send(Buffer.buffer(new byte[10_000]))
            .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), null, null, b, resp.headers())));
        }));
    assertEquals(413, r.status(), r.body().toString());
    assertEquals("body_too_large", r.json().getString("reason"));
  }

  @Test
  void hopByHopAndConnectionNamedHeadersAreRemoved() {
    Response r = send(gw.h1(agent), new RequestOptions().setURI("/hop").addHeader("Connection", "keep-alive, X-Private")
        .addHeader("X-Private", "secret").addHeader("Keep-Alive", "timeout=5").addHeader("Proxy-Authorization", "x")
        .addHeader("X-Ordinary", "kept").addHeader("X-Request-Id", "req-123"), null);
    assertEquals(200, r.status());
    RecordingCore.Seen seen = gw.core.last();
    assertNull(seen.header("x-private"));
    assertNull(seen.header("keep-alive"));
    assertNull(seen.header("proxy-authorization"));
    assertEquals("kept", seen.header("x-ordinary"));
    assertEquals("req-123", seen.header("x-request-id"));
  }

  @Test
  void pathsThatCoreCouldNormaliseIntoAnotherRouteAreRefused() {
    double before = gw.refusals("bad_path");
    for (String uri : new String[] {"/api/../admin", "/api/./x", "/api/%2e%2e/admin", "/api%2Fadmin", "/a/..",
        "/x%00y", "/counted/..;/admin"}) {
      Response r = get(gw.h1(agent), uri);
      assertEquals(400, r.status(), uri);
      assertEquals("bad_path", r.json().getString("reason"), uri);
    }
    assertEquals(0, gw.core.count());
    assertEquals(before + 7, gw.refusals("bad_path"), "non-identity refusals are counted too");
    assertEquals(200, get(gw.h1(agent), "/api/v1/a.b/..c/%41").status());
  }

  @Test
  void expectContinueIsAnsweredByTheGatewayAndNotForwarded() {
    long start = System.nanoTime();
    Response r = Await.result(gw.h1(agent).request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload")
            .putHeader("Expect", "100-continue").putHeader("Content-Length", "5"))
        .compose(req -> {
          Promise<Void> go = Promise.promise();
          req.continueHandler(v -> go.tryComplete());
          req.sendHead();
          return go.future().compose(v -> req.end(Buffer.buffer("hello"))).compose(v -> req.response())
            .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), null, null, b, resp.headers())));
        }));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, r.status());
    assertEquals(5, r.json().getInteger("body_bytes"));
    assertNull(gw.core.last().header("expect"));
    assertTrue(ms < 2_000, "took " + ms + " ms");
  }

  @Test
  void anAbsoluteFormTargetReachesCoreAsPathAndQueryOnly() {
    var net = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("")
        .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(pki.rootPem().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(agent.chainPem().toString())
            .setKeyPath(agent.keyPem().toString())));
    try {
      var socket = Await.result(net.connect(gw.edgePort(), "localhost"));
      Promise<String> reply = Promise.promise();
      StringBuilder got = new StringBuilder();
      socket.handler(b -> {
        got.append(b.toString());
        if (got.indexOf("\r\n\r\n") > 0) {
          reply.tryComplete(got.toString());
        }
      });
      socket.write("GET http://evil.example:9999/api/abs?q=1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      assertTrue(Await.result(reply.future()).startsWith("HTTP/1.1 200"));
      assertEquals("/api/abs?q=1", gw.core.last().uri());
    } finally {
      net.close();
    }
  }

  @Test
  void aCertificateThatExpiresWhileItsConnectionIsOpenLosesTheConnection() {
    try (GatewayFixture g = GatewayFixture.start(vertx, cfg -> GatewayFixture.limit(cfg, "idleTimeout", "1s"))) {
      java.time.Instant now = java.time.Instant.now();
      ClientCert shortLived = pki.custom(pki.acmeCa, b -> TestPki.leafBuilder(b, "agent-brief.acme.serviceradar")
          .validity(now.minusSeconds(60), now.plusSeconds(3)));
      HttpClient h2 = g.h2(shortLived);
      Promise<Void> closed = Promise.promise();
      HttpConnection conn = Await.result(h2.request(new RequestOptions().setURI("/before"))
          .compose(req -> req.send().compose(resp -> resp.body()).map(b -> req.connection())));
      conn.closeHandler(v -> closed.tryComplete());
      // keep the connection busy so only expiry, not idleness, can close it
      vertx.setPeriodic(300, id -> {
        if (closed.future().isComplete()) {
          vertx.cancelTimer(id);
        } else {
          h2.request(new RequestOptions().setURI("/keepalive")).compose(req -> req.send()).onFailure(e -> { });
        }
      });
      Await.result(closed.future(), Duration.ofSeconds(10));
      assertTrue(!java.time.Instant.now().isBefore(shortLived.certAndKey().certificate().getNotAfter().toInstant()),
          "closed only after expiry");
      assertEquals(1.0, g.refusals("expired"), "counted as expired");
    }
  }

  @Test
  void upstreamErrorStatusesPassThroughUnchanged() {
    Response r = get(gw.h1(agent), "/status/418");
    assertEquals(418, r.status());
  }

  @Test
  void slowUpstreamGetsA504WithinTheUpstreamTimeout() {
    long start = System.nanoTime();
    Response r = get(gw.h1(agent), "/slow?ms=5000");
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(504, r.status());
    assertEquals("upstream_timeout", r.json().getString("reason"));
    assertTrue(ms < 3_000, "took " + ms + " ms");
  }

  @Test
  void coreStallingAfterItsHeadIsCutAtTheUpstreamTimeout() {
    long start = System.nanoTime();
    Throwable err = Await.failure(gw.h1(agent).request(new RequestOptions().setURI("/stall"))
        .compose(req -> req.send().compose(resp -> {
          assertEquals(200, resp.statusCode());
          return resp.body();
        })));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms >= 400 && ms < 3_000, "cut after " + ms + " ms: " + err);
  }

  /**
   * A request waiting for one of the route's pooled connections to core (here one per event loop, held
   * by a slow request on the same HTTP/2 connection) longer than {@code upstreamConnectTimeout} gets 502
   * {@code upstream_unavailable} — it never reached core, so a client may retry it — not the 504
   * {@code upstream_timeout} that says core did not answer what it was sent.
   */
  @Test
  void aRequestWaitingForAPooledConnectionPastTheConnectTimeoutGets502() {
    try (GatewayFixture g = GatewayFixture.start(vertx, cfg -> {
      GatewayFixture.limit(cfg, "upstreamConnectTimeout", "300ms");
      @SuppressWarnings("unchecked")
      var routes = (java.util.List<Map<String, Object>>) cfg.get("routes");
      routes.set(0, Map.of("name", "core", "pathPrefix", "/", "upstream", routes.get(0).get("upstream"),
          "protocol", "http1", "maxConnections", 1));
    })) {
      HttpClient h2 = g.h2(agent);
      var slow = h2.request(new RequestOptions().setURI("/slow?ms=2000")).compose(req -> req.send()
          .compose(resp -> resp.body().map(b -> resp.statusCode())));
      Await.until(() -> g.core.seen().stream().anyMatch(s -> s.path().equals("/slow")), Duration.ofSeconds(5),
          "the slow request holds the pooled connection");
      double before = g.refusals("upstream_unavailable");
      long start = System.nanoTime();
      Response r = get(h2, "/waiting");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(502, r.status(), r.body().toString());
      assertEquals("upstream_unavailable", r.json().getString("reason"));
      assertTrue(ms >= 250 && ms < 1_800, "refused after " + ms + " ms");
      assertEquals(before + 1, g.refusals("upstream_unavailable"));
      assertEquals(200, Await.result(slow), "the request holding the connection is served");
      assertTrue(g.core.seen().stream().noneMatch(s -> s.path().equals("/waiting")), "core never saw it");
      assertEquals(200, get(h2, "/after").status(), "the freed connection serves the next one");
    }
  }

  @Test
  void deadUpstreamGetsA502Quickly() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    try (GatewayFixture g = GatewayFixture.start(vertx, cfg -> GatewayFixture.addRoute(cfg,
        Map.of("name", "dead", "pathPrefix", "/dead", "upstream", "http://127.0.0.1:" + dead)))) {
      long start = System.nanoTime();
      Response r = get(g.h1(agent), "/dead/x");
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertEquals(502, r.status());
      assertEquals("upstream_unavailable", r.json().getString("reason"));
      assertTrue(ms < 2_000, "took " + ms + " ms");
      assertEquals(200, get(g.h1(agent), "/alive").status(), "other routes keep working");
    }
  }

  @Test
  void requestWithoutARouteGets404() {
    try (GatewayFixture g = GatewayFixture.start(vertx, cfg -> {
      @SuppressWarnings("unchecked")
      var routes = (java.util.List<Map<String, Object>>) cfg.get("routes");
      routes.clear();
      routes.add(Map.of("name", "api", "pathPrefix", "/api", "upstream", "http://127.0.0.1:1"));
    })) {
      Response r = get(g.h1(agent), "/other");
      assertEquals(404, r.status());
      assertEquals("no_route", r.json().getString("reason"));
    }
  }

  @Test
  void webSocketUpgradePassesThroughWithIdentity() {
    var ws = webSocketClient(agent);
    try {
      var socket = Await.result(ws.connect(new WebSocketConnectOptions().setHost("localhost").setPort(gw.edgePort())
          .setURI("/ws/echo").addHeader("X-Tenant-Slug", "globex")));
      Promise<String> echoed = Promise.promise();
      socket.textMessageHandler(echoed::tryComplete);
      socket.writeTextMessage("hello through the gateway");
      assertEquals("hello through the gateway", Await.result(echoed.future()));
      Await.result(socket.close());
      RecordingCore.Seen seen = gw.core.last();
      assertTrue(seen.webSocket());
      assertEquals("acme", seen.header("x-tenant-slug"));
      assertEquals("agent-fwd", seen.header("x-component-id"));
    } finally {
      Await.result(ws.close());
    }
  }

  @Test
  void aWebSocketUpgradeCoreRefusesGetsCoresAnswerNotAGatewayError() {
    var ws = webSocketClient(agent);
    try {
      double resetsBefore = gw.gateway.metrics().count("tenantgate.refusals", "reason", "upstream_reset", "tenant",
          "acme", "stage", "upstream");
      long timedBefore = upstreamTimed();
      double fourBefore = requests("4xx");
      double fiveBefore = requests("5xx");
      for (int status : new int[] {403, 404, 503}) {
        Throwable err = Await.failure(ws.connect(new WebSocketConnectOptions().setHost("localhost")
            .setPort(gw.edgePort()).setURI("/ws/refuse/" + status)));
        assertTrue(err instanceof io.vertx.core.http.UpgradeRejectedException, String.valueOf(err));
        var rejected = (io.vertx.core.http.UpgradeRejectedException) err;
        assertEquals(status, rejected.getStatus(), "core's status reaches the client");
        assertNotNull(rejected.getHeaders().get("x-request-id"));
        assertEquals("/ws/refuse/" + status, gw.core.last().path());
        assertEquals("acme", gw.core.last().header("x-tenant-slug"));
      }
      assertEquals(resetsBefore, gw.gateway.metrics().count("tenantgate.refusals", "reason", "upstream_reset",
          "tenant", "acme", "stage", "upstream"), "core's answer is not a gateway refusal");
      assertEquals(2, requests("4xx") - fourBefore, 1e-9, "403 and 404 counted as 4xx requests");
      assertEquals(1, requests("5xx") - fiveBefore, 1e-9, "503 counted as a 5xx request");
      // core's handshake answer is timed from the moment core was asked (it was: the machine's uptime)
      assertEquals(3, upstreamTimed() - timedBefore, "each refused upgrade recorded one upstream duration");
      for (var t : gw.gateway.metrics().registry().find("tenantgate.upstream.duration").tags("tenant", "acme",
          "protocol", "h1").timers()) {
        assertTrue(t.max(java.util.concurrent.TimeUnit.SECONDS) < 10, "upstream duration " + t.getId() + ": "
            + t.max(java.util.concurrent.TimeUnit.SECONDS) + " s");
      }
    } finally {
      Await.result(ws.close());
    }
  }

  /** A WebSocket client presenting {@code cert}, trusting the test root. */
  private static io.vertx.core.http.WebSocketClient webSocketClient(ClientCert cert) {
    return vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(pki.rootPem().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.chainPem().toString())
            .setKeyPath(cert.keyPem().toString())));
  }

  /** How many upstream durations acme's HTTP/1.1 requests recorded so far, every route. */
  private static long upstreamTimed() {
    return gw.gateway.metrics().registry().find("tenantgate.upstream.duration").tags("tenant", "acme", "protocol", "h1")
        .timers().stream().mapToLong(io.micrometer.core.instrument.Timer::count).sum();
  }

  /** acme's finished requests of one status class, every route and protocol. */
  private static double requests(String statusClass) {
    return gw.gateway.metrics().registry().find("tenantgate.requests").tags("status_class", statusClass, "tenant",
        "acme").counters().stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  @Test
  void revokingACertificateClosesItsOpenConnectionAndRefusesNewOnes() {
    ClientCert victim = pki.component(pki.acmeCa, "agent-victim", "acme");
    HttpClient h2 = gw.h2(victim);
    Promise<Void> closed = Promise.promise();
    HttpConnection conn = Await.result(h2.request(new RequestOptions().setURI("/before"))
        .compose(req -> req.send().compose(resp -> resp.body()).map(b -> req.connection())));
    conn.closeHandler(v -> closed.tryComplete());
    gw.writeRegistry(pki.registry().revoke(victim.serialHex(), "key compromise", Instant.now()));
    try {
      Await.result(closed.future(), Duration.ofSeconds(3));
      int before = gw.core.count();
      Response r = get(gw.h1(victim), "/after");
      assertEquals(401, r.status());
      assertEquals("revoked", r.json().getString("reason"));
      assertEquals(before, gw.core.count());
      assertEquals(200, get(gw.h1(agent), "/others-unaffected").status());
    } finally {
      gw.writeRegistry(pki.registry());
      Await.until(() -> !gw.gateway.registry().snapshot().isRevoked(victim.serialHex()), Duration.ofSeconds(5), "reset");
    }
  }

  @Test
  void suspendingATenantClosesItsConnectionsAndResumingAdmitsThemAgain() {
    ClientCert globexAgent = pki.component(pki.globexCa, "agent-s", "globex");
    HttpClient h2 = gw.h2(globexAgent);
    Promise<Void> closed = Promise.promise();
    HttpConnection conn = Await.result(h2.request(new RequestOptions().setURI("/before"))
        .compose(req -> req.send().compose(resp -> resp.body()).map(b -> req.connection())));
    conn.closeHandler(v -> closed.tryComplete());
    var suspended = pki.registry();
    suspended.setTenantStatus("globex", TenantStatus.SUSPENDED);
    gw.writeRegistry(suspended);
    try {
      Await.result(closed.future(), Duration.ofSeconds(3));
      Response r = get(gw.h1(globexAgent), "/during");
      assertEquals(403, r.status());
      assertEquals("tenant_suspended", r.json().getString("reason"));
    } finally {
      gw.writeRegistry(pki.registry());
    }
    Await.until(() -> gw.gateway.registry().snapshot().tenantBySlug("globex").active(), Duration.ofSeconds(5), "resume");
    assertEquals(200, get(gw.h1(globexAgent), "/after").status());
  }

  @Test
  void idleConnectionsAreClosedAfterTheIdleTimeout() {
    try (GatewayFixture g = GatewayFixture.start(vertx, cfg -> GatewayFixture.limit(cfg, "idleTimeout", "1s"))) {
      Promise<Void> closed = Promise.promise();
      long start = System.nanoTime();
      HttpConnection conn = Await.result(g.h1(agent).request(new RequestOptions().setURI("/idle"))
          .compose(req -> req.send().compose(resp -> resp.body()).map(b -> req.connection())));
      conn.closeHandler(v -> closed.tryComplete());
      Await.result(closed.future(), Duration.ofSeconds(5));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms >= 900, "closed too early: " + ms + " ms");
    }
  }

}
