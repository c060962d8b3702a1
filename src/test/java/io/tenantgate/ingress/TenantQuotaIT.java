package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.error.ErrorReplies;
import io.tenantgate.ingress.GrpcEdgeClient.Bidi;
import io.tenantgate.ingress.GrpcEdgeClient.Outcome;
import io.tenantgate.quota.Limit;
import io.tenantgate.quota.TenantQuota;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Per-tenant quotas on a running gateway (issue 8 item 1), each set the way an operator does: in the
 * tenant's registry entry, picked up by the running gateway without a restart. Every refusal is a 429
 * with Retry-After (or RESOURCE_EXHAUSTED for gRPC), counted per tenant and reason, and core sees only
 * what was admitted; the other tenant is never affected.
 */
class TenantQuotaIT extends StubbedGrpcGatewayBase {
  private final List<Runnable> cleanup = new ArrayList<>();

  @BeforeEach
  void clear() {
    gw.core.clear();
    stub.clear();
  }

  @AfterEach
  void reset() {
    for (Runnable r : cleanup) {
      r.run();
    }
    setLimits("acme", "{}");
  }

  /** Writes acme's (or another tenant's) overrides into the registry file and waits for the gateway to apply them. */
  static void setLimits(String slug, String json) {
    TenantLimits limits = TenantLimits.parse(new JsonObject(json), "test");
    RegistryFile file = gw.pki.registry();
    file.setTenantLimits(slug, limits);
    gw.writeRegistry(file);
    java.util.UUID id = gw.gateway.registry().snapshot().tenantBySlug(slug).id();
    Await.until(() -> gw.gateway.quotas().of(id).limits()
        .equals(gw.gateway.quotas().defaults().with(limits)), Duration.ofSeconds(5), slug + " limits " + json);
  }

  private static TenantQuota quota(String slug) {
    return gw.gateway.quotas().of(gw.gateway.registry().snapshot().tenantBySlug(slug).id());
  }

  private static double refusals(String reason, String tenant, String stage) {
    return gw.gateway.metrics().count("tenantgate.refusals", "reason", reason, "tenant", tenant, "stage", stage);
  }

  private static long coreSaw(String slug) {
    return gw.core.seen().stream().filter(s -> slug.equals(s.header("x-tenant-slug"))).count();
  }

  private HttpClient h1(ClientCert cert) {
    return gw.h1(cert);
  }

  @Test
  void requestsOverTheRateGet429WithRetryAfterAndCoreSeesOnlyTheAdmittedOnes() {
    setLimits("acme", "{\"rps\": 5, \"burst\": 5}");
    double before = refusals("tenant_rate_limited", "acme", "request");
    HttpClient a = h1(acme);
    HttpClient g = h1(globex);
    int ok = 0;
    int limited = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 30; i++) {
      Http.Response r = get(a, "/rate/" + i);
      if (r.status() == 200) {
        ok++;
        continue;
      }
      assertEquals(429, r.status(), r.body().toString());
      assertEquals(ErrorReplies.PROBLEM_JSON, r.contentType());
      assertEquals("tenant_rate_limited", r.json().getString("reason"));
      assertNotNull(r.header("retry-after"), "Retry-After on every 429");
      assertTrue(Integer.parseInt(r.header("retry-after")) >= 1, r.header("retry-after"));
      limited++;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(ok >= 5 && ok <= 5 + (int) Math.ceil(seconds * 5) + 1, "burst of 5 plus the refill: " + ok
        + " in " + seconds + " s");
    assertTrue(limited > 0);
    assertEquals(ok, coreSaw("acme"), "core saw exactly the admitted requests");
    assertEquals(limited, refusals("tenant_rate_limited", "acme", "request") - before, 1e-9, "each 429 counted");
    for (int i = 0; i < 30; i++) {
      assertEquals(200, get(g, "/globex/" + i).status(), "globex has no limit of its own and is not acme");
    }
    // a refused request's unread body does not poison the keep-alive connection
    int admittedWithBody = 0;
    Http.Response withBody = Http.post(a, "/rate/body", 64 * 1024);
    while (withBody.status() == 200 && admittedWithBody < 20) {
      admittedWithBody++;
      withBody = Http.post(a, "/rate/body", 64 * 1024);
    }
    assertEquals(429, withBody.status());
    Await.until(() -> get(a, "/rate/after-body").status() == 200, Duration.ofSeconds(3), "same client, refilled");
    assertEquals(ok + admittedWithBody + 1, coreSaw("acme"));
  }

  @Test
  void theConnectionCapClosesTheNextConnectionRightAfterTheHandshakeAndCoreSeesNothingOfIt() {
    setLimits("acme", "{\"connections\": 2}");
    double before = refusals("tenant_connections_limited", "acme", "connection");
    HttpClient first = h1(acme);
    HttpClient second = gw.h2(acme);
    assertEquals(200, get(first, "/one").status());
    assertEquals(200, get(second, "/two").status());
    Await.until(() -> quota("acme").held(Limit.CONNECTIONS) == 2, Duration.ofSeconds(5), "two held");

    Throwable refused = Await.failure(Http.sendAsync(h1(acme), new RequestOptions().setURI("/three"), null));
    assertNotNull(refused);
    java.util.Queue<Long> goAways = new java.util.concurrent.ConcurrentLinkedQueue<>();
    HttpClient h2 = vertx.httpClientBuilder().with(gw.baseOptions(io.vertx.core.http.HttpVersion.HTTP_2)
            .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(acme.chainPem().toString())
                .setKeyPath(acme.keyPem().toString())))
        .withConnectHandler(conn -> conn.goAwayHandler(g -> goAways.add(g.getErrorCode()))).build();
    cleanup.add(() -> Await.result(h2.close()));
    assertNotNull(Await.failure(Http.sendAsync(h2, new RequestOptions().setURI("/four"), null)));
    Await.until(() -> goAways.contains(0xbL), Duration.ofSeconds(5), "GOAWAY ENHANCE_YOUR_CALM on HTTP/2");
    assertEquals(2, coreSaw("acme"), "the refused connections reached nothing");
    assertEquals(2, refusals("tenant_connections_limited", "acme", "connection") - before, 1e-9);
    assertEquals(2, quota("acme").held(Limit.CONNECTIONS), "refused connections hold no slot");
    assertEquals(200, get(h1(globex), "/globex").status(), "another tenant connects as usual");

    Await.result(first.close());
    Await.until(() -> quota("acme").held(Limit.CONNECTIONS) == 1, Duration.ofSeconds(5), "slot released on close");
    assertEquals(200, get(h1(acme), "/after-close").status());
  }

  @Test
  void grpcCallsOverTheStreamCapGetResourceExhaustedTrailersOnlyAndCoreSeesNothingOfThem() {
    setLimits("acme", "{\"grpc_streams\": 2}");
    GrpcEdgeClient client = GrpcEdgeClient.connect(vertx, gw, acme);
    cleanup.add(client::close);
    Bidi one = client.bidi(GrpcStubCore.BIDI);
    Bidi two = client.bidi(GrpcStubCore.BIDI);
    assertEquals("1", Await.result(one.exchange(Buffer.buffer("1"))).toString());
    assertEquals("2", Await.result(two.exchange(Buffer.buffer("2"))).toString());
    double before = refusals("tenant_streams_limited", "acme", "request");

    Outcome third = Await.result(client.unary(GrpcStubCore.UNARY, Buffer.buffer("three"), Map.of()));
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, third.status(), third.toString());
    assertEquals("tenant_streams_limited", third.reason());
    assertEquals("8", third.headers().get("grpc-status"), "trailers-only: the status is in the headers");
    assertNotNull(third.headers().get("grpc-retry-pushback-ms"), third.toString());
    assertTrue(third.trailers().isEmpty(), third.toString());
    assertEquals(2, stub.callCount(), "core saw the two streams only");
    assertEquals(1, refusals("tenant_streams_limited", "acme", "request") - before, 1e-9);
    Outcome otherTenant = Await.result(GrpcEdgeClient.connect(vertx, gw, globex).unary(GrpcStubCore.UNARY,
        Buffer.buffer("globex"), Map.of()));
    assertEquals(GrpcStatus.OK, otherTenant.status(), otherTenant.toString());

    one.end();
    assertEquals(GrpcStatus.OK, Await.result(one.outcome()).status());
    Await.until(() -> quota("acme").held(Limit.GRPC_STREAMS) == 1, Duration.ofSeconds(5), "stream slot released");
    Outcome again = Await.result(client.unary(GrpcStubCore.UNARY, Buffer.buffer("again"), Map.of()));
    assertEquals(GrpcStatus.OK, again.status(), again.toString());
    two.end();
    Await.result(two.outcome());
  }

  @Test
  void bytesPerSecondSlowsAnUploadAndRefusesNewRequestsWhileTheTenantIsOver() {
    setLimits("acme", "{\"bytes_per_second\": 32768}");
    HttpClient a = h1(acme);
    int size = 128 * 1024;
    long start = System.nanoTime();
    Future<Http.Response> upload = Http.sendAsync(h1(acme), new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/upload"), Buffer.buffer(new byte[size]));
    Http.Response limited = null;
    while (limited == null && !upload.isComplete()) {
      Http.Response r = get(a, "/while-uploading");
      if (r.status() == 429) {
        limited = r;
      } else {
        assertEquals(200, r.status());
      }
    }
    assertNotNull(limited, "a request while the upload keeps the tenant over its byte rate is refused");
    assertEquals("tenant_bandwidth_limited", limited.json().getString("reason"));
    assertTrue(Integer.parseInt(limited.header("retry-after")) >= 1);
    assertEquals(200, get(h1(globex), "/globex").status(), "globex is not slowed");

    Http.Response done = Await.result(upload);
    double seconds = (System.nanoTime() - start) / 1e9;
    assertEquals(200, done.status(), done.body().toString());
    assertEquals(size, done.json().getInteger("body_bytes"), "the whole body reached core, just slowly");
    // 128 KiB through a bucket of 32 KiB refilling at 32 KiB/s: at least 3 s (2 s allows for chunking)
    assertTrue(seconds >= 2.0, "shaped to the tenant's rate: took " + seconds + " s");
    assertTrue(refusals("tenant_bandwidth_limited", "acme", "request") >= 1);
  }

  @Test
  void aLimitChangedInTheRegistryAppliesToOpenConnectionsWithoutARestart() {
    HttpClient a = h1(acme);
    for (int i = 0; i < 10; i++) {
      assertEquals(200, get(a, "/unlimited/" + i).status());
    }
    TenantQuota before = quota("acme");
    setLimits("acme", "{\"rps\": 1, \"burst\": 1}");
    assertTrue(before == quota("acme"), "resized in place: the open connection's quota is the same object");
    int limited = 0;
    for (int i = 0; i < 5; i++) {
      if (get(a, "/limited/" + i).status() == 429) {
        limited++;
      }
    }
    assertTrue(limited >= 3, "the same keep-alive connection is now limited: " + limited);
    setLimits("acme", "{}");
    Await.until(() -> get(a, "/probe").status() == 200, Duration.ofSeconds(3), "refilled");
    for (int i = 0; i < 10; i++) {
      assertEquals(200, get(a, "/unlimited-again/" + i).status());
    }
  }

  @Test
  void aWebSocketUpgradeToCoreCountsAsARequestAndItsFramesAsRequestBytes() {
    setLimits("acme", "{\"rps\": 1, \"burst\": 1}");
    var ws = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setSsl(true)
        .setVerifyHost(true).setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(gw.pki.rootPem()
            .toString())).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
            .setCertPath(acme.chainPem().toString()).setKeyPath(acme.keyPem().toString())));
    cleanup.add(() -> Await.result(ws.close()));
    var open = Await.result(ws.connect(gw.edgePort(), "localhost", "/ws-one"));
    Throwable second = Await.failure(ws.connect(gw.edgePort(), "localhost", "/ws-two"));
    assertTrue(String.valueOf(second.getMessage()).contains("429"), String.valueOf(second));
    assertEquals(1, gw.core.seen().stream().filter(s -> s.webSocket()).count(), "core saw one upgrade");
    Await.result(open.close());
  }

  /**
   * A WebSocket replaces Vert.x's HTTP/1.1 connection handler, whose closeHandler then never fires: a
   * closed WebSocket must still give back its tenant's connection slot and leave the gauge. Before the
   * fix each closed WebSocket kept both for good (the soak's gauge climbed ~8 a minute), and a tenant
   * with a connection cap was locked out after that many WebSockets.
   */
  @Test
  void aClosedWebSocketGivesItsConnectionSlotBack() {
    int others = quota("acme").held(Limit.CONNECTIONS); // other tests' keep-alive connections of acme
    setLimits("acme", "{\"connections\": " + (others + 1) + "}");
    var ws = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setSsl(true)
        .setVerifyHost(true).setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(gw.pki.rootPem()
            .toString())).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
            .setCertPath(acme.chainPem().toString()).setKeyPath(acme.keyPem().toString())));
    cleanup.add(() -> Await.result(ws.close()));
    double before = AbuseIT.openConnections(gw);
    for (int i = 0; i < 3; i++) {
      var open = Await.result(ws.connect(gw.edgePort(), "localhost", "/ws-cycle-" + i));
      Await.result(open.close());
      Await.until(() -> quota("acme").held(Limit.CONNECTIONS) == others, Duration.ofSeconds(5),
          "the closed WebSocket's slot is given back (round " + i + ")");
    }
    Await.until(() -> AbuseIT.openConnections(gw) <= before, Duration.ofSeconds(5), "the connection gauge is back");
  }
}
