package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.ingress.GrpcEdgeClient.Bidi;
import io.tenantgate.ingress.GrpcEdgeClient.Outcome;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md section 2 for gRPC, end to end: a vertx-grpc client presenting a component certificate
 * over TLS (ALPN h2) to the edge listener, the gateway relaying to {@link GrpcStubCore} over h2c.
 * Covers identity metadata, all four call kinds, status and trailers, flow control, idle limits,
 * refusals (trailers-only, core sees nothing) and core failing before or during a call.
 */
class GrpcIT {
  private static final String ROUTE = "core-grpc";
  private static Vertx vertx;
  private static GrpcStubCore stub;
  private static GatewayFixture gw;
  private static TestPki pki;
  private static ClientCert agent;
  private final List<Runnable> cleanup = new ArrayList<>();

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    stub = GrpcStubCore.start(vertx);
    gw = GatewayFixture.start(vertx, cfg -> GatewayFixture.addRoute(cfg, grpcRoute(stub)));
    pki = gw.pki;
    agent = pki.component(pki.acmeCa, "agent-001", "acme");
  }

  @AfterAll
  static void stop() {
    gw.close();
    stub.stop();
    Await.result(vertx.close());
  }

  @BeforeEach
  void clearCores() {
    stub.clear();
    gw.core.clear();
  }

  @AfterEach
  void closeAll() {
    Collections.reverse(cleanup);
    RuntimeException first = null;
    for (Runnable r : cleanup) {
      try {
        r.run();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  // --- identity and the four call kinds ---------------------------------------------------------

  @Test
  void unaryCallCarriesTheCertificatesIdentityAndNotTheClientsClaims() {
    Outcome out = Await.result(client(gw, agent).unary(GrpcStubCore.UNARY, Buffer.buffer("hello core"),
        Map.of("x-tenant-slug", "globex", "x-tenant-id", TestPki.GLOBEX_ID.toString(),
            "x-forwarded-client-cert", "evil", "x-component-id", "admin")));

    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(List.of("hello core"), out.texts());
    GrpcStubCore.Call call = single(stub.calls());
    assertEquals(GrpcStubCore.UNARY, call.method());
    String sha = Fingerprints.sha256Hex(agent.certAndKey().certificate());
    String xfcc = "Hash=" + sha + ";Subject=\"CN=agent-001.acme.serviceradar\";"
        + "URI=spiffe://serviceradar.local/agent/acme/default/agent-001";
    assertEquals(List.of("acme"), call.metadata().getAll("x-tenant-slug"));
    assertEquals(List.of(TestPki.ACME_ID.toString()), call.metadata().getAll("x-tenant-id"));
    assertEquals(List.of("agent-001"), call.metadata().getAll("x-component-id"));
    assertEquals("agent", call.header("x-component-type"));
    assertEquals("default", call.header("x-partition-id"));
    assertTrue(sha.matches("[0-9a-f]{64}"), sha);
    assertEquals(sha, call.header("x-client-cert-sha256"));
    assertEquals(List.of(xfcc), call.metadata().getAll("x-forwarded-client-cert"));
    assertTrue(call.header("x-tenant-assertion").matches("[\\w-]+\\.[\\w-]+\\.[\\w-]+"), "a compact JWS");
    assertEquals("trailers", call.header("te"));
    assertTrue(call.header("content-type").startsWith("application/grpc"), call.header("content-type"));
    assertTrue(call.header("traceparent").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"), call.header("traceparent"));
    // what core saw came back through the gateway as response trailers
    assertEquals("acme", out.trailers().get("seen-x-tenant-slug"));
    assertEquals(TestPki.ACME_ID.toString(), out.trailers().get("seen-x-tenant-id"));
    assertEquals(xfcc, out.trailers().get("seen-x-forwarded-client-cert"));
    assertEquals(call.header("x-request-id"), out.headers().get("x-request-id"));
    assertEquals(0, gw.core.count(), "the plain-HTTP core must not see gRPC calls");
  }

  @Test
  void coreErrorStatusReachesTheClientWithItsMessageAndTrailers() {
    GrpcEdgeClient c = client(gw, agent);
    Outcome afterMessage = Await.result(c.unary(GrpcStubCore.FAIL, Buffer.buffer("one message first"), Map.of()));
    assertEquals(GrpcStatus.NOT_FOUND, afterMessage.status(), afterMessage.toString());
    assertEquals(GrpcStubCore.FAIL_MESSAGE, afterMessage.statusMessage());
    assertEquals(List.of("partial"), afterMessage.texts());
    assertEquals("widget-store", afterMessage.trailers().get("x-detail"));
    assertEquals("5", afterMessage.trailers().get("grpc-status"));

    Outcome trailersOnly = Await.result(c.unary(GrpcStubCore.FAIL, Buffer.buffer("trailers-only"), Map.of()));
    assertEquals(GrpcStatus.NOT_FOUND, trailersOnly.status(), trailersOnly.toString());
    assertEquals(GrpcStubCore.FAIL_MESSAGE, trailersOnly.statusMessage());
    assertEquals(List.of(), trailersOnly.texts());
    assertEquals("widget-store", trailersOnly.headers().get("x-detail"));
    assertNull(trailersOnly.headers().get("tenantgate-reason"), "core's own error, not the gateway's");
    assertEquals(2, stub.callCount());
  }

  @Test
  void serverStreamingDeliversEveryMessageInOrder() {
    Outcome out = Await.result(client(gw, agent).unary(GrpcStubCore.SERVER_STREAM, Buffer.buffer("100"), Map.of()));
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(numbers(100), out.texts());
  }

  @Test
  void clientStreamingDeliversEveryMessage() {
    Outcome out = Await.result(client(gw, agent).stream(GrpcStubCore.CLIENT_STREAM, 100,
        i -> Buffer.buffer("m" + i)));
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(List.of("100"), out.texts());
    assertEquals("acme", single(stub.calls()).header("x-tenant-slug"));
  }

  @Test
  void bidiStreamEchoesAThousandMessagesInOrder() {
    Outcome out = Await.result(client(gw, agent).stream(GrpcStubCore.BIDI, 1_000,
        i -> Buffer.buffer(Integer.toString(i))));
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(numbers(1_000), out.texts());
    assertEquals("completed", Await.result(single(stub.calls()).ended()));
  }

  @Test
  void bidiStreamCarriesTwentyMegabytesUnderFlowControl() {
    int size = 64 * 1024;
    int count = 20 * 1024 * 1024 / size;
    Outcome out = Await.result(client(gw, agent).stream(GrpcStubCore.BIDI, count, i -> {
      Buffer b = Buffer.buffer(size);
      b.appendInt(i);
      b.appendBytes(new byte[size - 4]);
      return b;
    }), Duration.ofSeconds(30));
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(count, out.messages().size());
    for (int i = 0; i < count; i++) {
      assertEquals(size, out.messages().get(i).length());
      assertEquals(i, out.messages().get(i).getInt(0), "message order");
    }
  }

  @Test
  void concurrentUnaryCallsOnOneConnectionAllCarryAcmesIdentity() {
    GrpcEdgeClient c = client(gw, agent);
    Set<HttpConnection> connections = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    List<Future<Outcome>> all = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Buffer msg = Buffer.buffer("call-" + i);
      all.add(c.request(GrpcStubCore.UNARY).compose(req -> {
        connections.add(req.connection());
        req.headers().add("x-tenant-slug", "globex");
        return GrpcEdgeClient.collect(req.send(msg));
      }));
    }
    Await.result(Future.all(all));
    for (int i = 0; i < 200; i++) {
      Outcome out = all.get(i).result();
      assertEquals(GrpcStatus.OK, out.status(), out.toString());
      assertEquals(List.of("call-" + i), out.texts());
      assertEquals("acme", out.trailers().get("seen-x-tenant-slug"));
    }
    assertEquals(1, connections.size(), "all calls multiplexed on one HTTP/2 connection");
    List<GrpcStubCore.Call> calls = stub.calls();
    assertEquals(200, calls.size());
    assertTrue(calls.stream().allMatch(call -> call.metadata().getAll("x-tenant-slug").equals(List.of("acme"))
        && TestPki.ACME_ID.toString().equals(call.header("x-tenant-id"))
        && "agent-001".equals(call.header("x-component-id"))));
    assertEquals(200, calls.stream().map(call -> call.header("x-request-id")).distinct().count(),
        "every call gets its own request id");
  }

  // --- idle limits --------------------------------------------------------------------------------

  @Test
  void silentBidiStreamOutlivesTheConnectionIdleTimeout() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> GatewayFixture.limit(cfg, "idleTimeout", "1s"));
    // control: a connection with no open stream is closed by the same idle timeout
    Promise<Void> idleClosed = Promise.promise();
    GrpcEdgeClient control = client(fx, agent);
    Outcome warmup = Await.result(control.request(GrpcStubCore.UNARY).compose(req -> {
      req.connection().closeHandler(v -> idleClosed.tryComplete());
      return GrpcEdgeClient.collect(req.send(Buffer.buffer("warm-up")));
    }));
    assertEquals(GrpcStatus.OK, warmup.status(), warmup.toString());

    Bidi bidi = client(fx, agent).bidi(GrpcStubCore.BIDI);
    assertEquals("before", echo(bidi.exchange(Buffer.buffer("before"))));
    Await.result(vertx.timer(3_000));
    assertTrue(idleClosed.future().isComplete(), "the idle control connection should have been closed");
    assertFalse(bidi.outcome().isComplete(), "the silent stream was ended: " + bidi.outcome());
    assertEquals("after", echo(bidi.exchange(Buffer.buffer("after"))));
    bidi.end();
    Outcome out = Await.result(bidi.outcome());
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    assertEquals(List.of("before", "after"), out.texts());
    assertEquals(2, core.callCount());
  }

  @Test
  void streamIdleTimeoutEndsACallCoreNeverAnswers() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> GatewayFixture.limit(cfg, "streamIdleTimeout", "1s"));
    GrpcEdgeClient c = client(fx, agent);
    long start = System.nanoTime();
    // client streaming: core reads and stays silent until the client ends, which it never does
    Outcome out = Await.result(c.request(GrpcStubCore.CLIENT_STREAM).compose(req -> {
      req.write(Buffer.buffer("one"));
      return GrpcEdgeClient.collect(req.response());
    }), Duration.ofSeconds(5));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(GrpcStatus.UNAVAILABLE, out.status(), out.toString());
    assertEquals("upstream_timeout", out.reason(), out.toString());
    assertTrue(out.trailers().isEmpty(), "nothing came from core, so the reply is trailers-only: " + out);
    assertTrue(millis >= 900 && millis < 3_000, "ended after " + millis + " ms");
    String coreEnd = Await.result(single(core.calls()).ended());
    assertTrue(coreEnd.startsWith("error"), "core's half of the call must be cancelled too: " + coreEnd);
  }

  @Test
  void theCallersGrpcTimeoutIsEnforcedEvenWithoutAStreamIdleTimeout() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> { });
    GrpcEdgeClient c = client(fx, agent);
    long start = System.nanoTime();
    Outcome out = Await.result(c.request(GrpcStubCore.CLIENT_STREAM).compose(req -> {
      req.headers().set("grpc-timeout", "700m");
      req.write(Buffer.buffer("one"));
      return GrpcEdgeClient.collect(req.response());
    }), Duration.ofSeconds(5));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(GrpcStatus.DEADLINE_EXCEEDED, out.status(), out.toString());
    assertEquals("deadline_exceeded", out.reason(), out.toString());
    assertTrue(millis >= 600 && millis < 3_000, "ended after " + millis + " ms");
  }

  @Test
  void successfulCallsAreCountedAsSuccesses() {
    Outcome out = Await.result(client(gw, agent).unary(GrpcStubCore.UNARY, Buffer.buffer("ok"), Map.of()));
    assertEquals(GrpcStatus.OK, out.status(), out.toString());
    Await.until(() -> gw.gateway.metrics().count("tenantgate.requests", "route", ROUTE, "protocol", "grpc",
        "status_class", "2xx", "tenant", "acme") >= 1, Duration.ofSeconds(5), "grpc 2xx counted");
    assertEquals(0.0, gw.gateway.metrics().count("tenantgate.requests", "route", ROUTE, "protocol", "grpc",
        "status_class", "4xx", "tenant", "acme"), "no successful call counted as a client error");
  }

  @Test
  void streamIdleTimeoutEndsABidiStreamThatFellSilentAfterCoreAnswered() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> GatewayFixture.limit(cfg, "streamIdleTimeout", "1s"));
    Bidi bidi = client(fx, agent).bidi(GrpcStubCore.BIDI);
    assertEquals("ping", echo(bidi.exchange(Buffer.buffer("ping"))));
    long silentFrom = System.nanoTime();
    Outcome out = Await.result(bidi.outcome(), Duration.ofSeconds(5));
    long silentMillis = (System.nanoTime() - silentFrom) / 1_000_000;
    assertEquals(GrpcStatus.UNAVAILABLE, out.status(), out.toString());
    assertEquals("upstream_timeout", out.reason(), out.toString());
    assertTrue(out.statusMessage().startsWith("upstream_timeout: "), out.toString());
    assertEquals(List.of("ping"), out.texts());
    assertTrue(silentMillis >= 900 && silentMillis < 3_000, "ended after " + silentMillis + " ms");
    String coreEnd = Await.result(single(core.calls()).ended());
    assertTrue(coreEnd.startsWith("error"), "core's half of the stream must be cancelled too: " + coreEnd);
  }

  // --- refusals -------------------------------------------------------------------------------------

  @Test
  void suspendedTenantIsRefusedWithPermissionDenied() {
    assertRefused(pki.component(pki.initechCa, "agent-001", "initech"), GrpcStatus.PERMISSION_DENIED,
        "tenant_suspended");
  }

  @Test
  void leafNamingAnotherTenantIsRefusedWithPermissionDenied() {
    assertRefused(pki.custom(pki.acmeLegacyCa, b -> TestPki.leafBuilder(b, "agent-001.globex.serviceradar")),
        GrpcStatus.PERMISSION_DENIED, "tenant_mismatch");
  }

  @Test
  void badCnIsRefusedWithUnauthenticated() {
    assertRefused(pki.custom(pki.acmeLegacyCa, b -> TestPki.leafBuilder(b, "not-a-component")),
        GrpcStatus.UNAUTHENTICATED, "bad_cn");
  }

  @Test
  void revokedCertificateIsRefusedWithUnauthenticated() {
    ClientCert revoked = pki.component(pki.acmeCa, "agent-revoked", "acme");
    gw.writeRegistry(pki.registry().revoke(revoked.serialHex(), "test", Instant.now()));
    try {
      Await.until(() -> gw.gateway.registry().snapshot().isRevoked(revoked.serialHex()), Duration.ofSeconds(5),
          "revocation");
      assertRefused(revoked, GrpcStatus.UNAUTHENTICATED, "revoked");
    } finally {
      gw.writeRegistry(pki.registry());
      Await.until(() -> !gw.gateway.registry().snapshot().isRevoked(revoked.serialHex()), Duration.ofSeconds(5),
          "registry reset");
    }
  }

  // --- core failing -----------------------------------------------------------------------------------

  @Test
  void stoppedCoreGivesUnavailablePromptly() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> { });
    GrpcEdgeClient c = client(fx, agent);
    // core is up: an unknown method is answered by core itself, and the gateway now holds a pooled connection
    Outcome up = Await.result(c.unary(GrpcStubCore.SERVICE + "/Nope", Buffer.buffer("up"), Map.of()));
    assertEquals(GrpcStatus.UNIMPLEMENTED, up.status(), up.toString());
    assertNull(up.reason(), "core's answer, not the gateway's: " + up);
    core.stop();

    long start = System.nanoTime();
    Outcome out = Await.result(c.unary(GrpcStubCore.UNARY, Buffer.buffer("down"), Map.of()), Duration.ofSeconds(5));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(GrpcStatus.UNAVAILABLE, out.status(), out.toString());
    assertTrue(Set.of("upstream_unavailable", "upstream_reset").contains(out.reason()), out.toString());
    assertTrue(out.trailers().isEmpty(), "trailers-only: " + out);
    assertTrue(millis < 1_500, "took " + millis + " ms");
    assertEquals(1, core.callCount(), "only the call made while core was up");
    assertEquals(0, fx.core.count());
  }

  @Test
  void coreDyingMidBidiStreamEndsTheStreamWithUnavailable() {
    GrpcStubCore core = startStub();
    GatewayFixture fx = startGateway(core, cfg -> { });
    Bidi bidi = client(fx, agent).bidi(GrpcStubCore.BIDI);
    for (int i = 0; i < 3; i++) {
      assertEquals("m" + i, echo(bidi.exchange(Buffer.buffer("m" + i))));
    }
    core.stop();
    long start = System.nanoTime();
    Outcome out = Await.result(bidi.outcome(), Duration.ofSeconds(5));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(GrpcStatus.UNAVAILABLE, out.status(), out.toString());
    assertEquals("upstream_reset", out.reason(), out.toString());
    assertTrue(out.statusMessage().startsWith("upstream_reset: "), out.toString());
    assertEquals(List.of("m0", "m1", "m2"), out.texts());
    assertTrue(millis < 1_500, "took " + millis + " ms");
  }

  // --- helpers -------------------------------------------------------------------------------------

  private static Map<String, Object> grpcRoute(GrpcStubCore core) {
    return Map.of("name", ROUTE, "grpcService", "*", "upstream", core.url());
  }

  private GrpcStubCore startStub() {
    GrpcStubCore core = GrpcStubCore.start(vertx);
    cleanup.add(core::stop);
    return core;
  }

  private GatewayFixture startGateway(GrpcStubCore core, Consumer<Map<String, Object>> limits) {
    GatewayFixture fx = GatewayFixture.start(vertx, cfg -> {
      GatewayFixture.addRoute(cfg, grpcRoute(core));
      limits.accept(cfg);
    });
    cleanup.add(fx::close);
    return fx;
  }

  /** A gRPC client for {@code fx}'s edge presenting {@code cert}; closed after the test. */
  private GrpcEdgeClient client(GatewayFixture fx, ClientCert cert) {
    GrpcEdgeClient c = GrpcEdgeClient.connect(vertx, fx, cert);
    cleanup.add(c::close);
    return c;
  }

  private void assertRefused(ClientCert cert, GrpcStatus status, String reason) {
    Outcome out = Await.result(client(gw, cert).unary(GrpcStubCore.UNARY, Buffer.buffer("let me in"),
        Map.of("x-tenant-slug", "acme")));
    assertEquals(status, out.status(), out.toString());
    assertEquals(reason, out.reason(), out.toString());
    assertEquals(Integer.toString(status.code), out.headers().get("grpc-status"), "trailers-only: status in headers");
    assertTrue(out.statusMessage().startsWith(reason + ": "), out.statusMessage());
    assertTrue(out.trailers().isEmpty(), "trailers-only response: " + out);
    assertEquals(List.of(), out.messages());
    assertEquals(0, stub.callCount(), "gRPC core must see nothing");
    assertEquals(0, gw.core.count(), "HTTP core must see nothing");
    assertTrue(gw.refusals(reason) >= 1, "refusal counted");
  }

  /** The echo of one bidi message, within 5 s. */
  private static String echo(Future<Buffer> reply) {
    return Await.result(reply, Duration.ofSeconds(5)).toString();
  }

  private static List<String> numbers(int n) {
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Integer.toString(i));
    }
    return out;
  }

  private static <T> T single(List<T> list) {
    assertEquals(1, list.size(), "exactly one: " + list);
    return list.get(0);
  }
}
