package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.ingress.GrpcEdgeClient.Outcome;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Core alive but not answering, as a real process frozen with SIGSTOP: plain HTTP gets 504 at
 * {@code edge.limits.upstreamTimeout}, a gRPC call ends at the caller's {@code grpc-timeout}
 * (DEADLINE_EXCEEDED) or at {@code streamIdleTimeout} (UNAVAILABLE), routes to other upstreams keep
 * working, and once core is thawed (SIGCONT) the same gateway serves through it again.
 */
class SlowCoreIT {
  private static Vertx vertx;
  private static CoreProcess core;
  private static GatewayFixture gw;
  private static ClientCert agent;

  @BeforeAll
  static void start() throws Exception {
    vertx = GatewayFixture.testVertx();
    core = CoreProcess.start();
    gw = GatewayFixture.start(vertx, cfg -> {
      GatewayFixture.addRoute(cfg, Map.of("name", "frozen", "pathPrefix", "/frozen", "upstream", core.httpUrl));
      GatewayFixture.addRoute(cfg, Map.of("name", "frozen-grpc", "grpcService", "*", "upstream", core.grpcUrl));
      GatewayFixture.limit(cfg, "upstreamTimeout", "1s");
      GatewayFixture.limit(cfg, "streamIdleTimeout", "1500ms");
    });
    TestPki pki = gw.pki;
    agent = pki.component(pki.acmeCa, "agent-slowcore", "acme");
  }

  @AfterAll
  static void stop() throws Exception {
    gw.close();
    core.close();
    Await.result(vertx.close());
  }

  @Test
  void aFrozenCoreCostsCallersNoMoreThanTheirTimeoutsAndServesAgainOnceThawed() throws Exception {
    GrpcEdgeClient grpc = GrpcEdgeClient.connect(vertx, gw, agent);
    try {
      // a fresh JVM can take longer than the 1 s upstream timeout for its very first answers
      Await.until(() -> get(gw.h1(agent), "/frozen/warm-up").status() == 200, Duration.ofSeconds(30), "core warm");
      Await.until(() -> Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("warm"), Map.of())).status()
          == GrpcStatus.OK, Duration.ofSeconds(30), "gRPC core warm");

      core.signal("STOP");
      try {
        long t0 = System.nanoTime();
        Response r = get(gw.h1(agent), "/frozen/http");
        long ms = millisSince(t0);
        assertEquals(504, r.status(), r.body().toString());
        assertEquals("upstream_timeout", r.json().getString("reason"));
        assertTrue(ms >= 900 && ms < 4_000, "HTTP answered after " + ms + " ms");

        t0 = System.nanoTime();
        Outcome deadline = Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("d"),
            Map.of("grpc-timeout", "800m")), Duration.ofSeconds(10));
        long deadlineMs = millisSince(t0);
        assertEquals(GrpcStatus.DEADLINE_EXCEEDED, deadline.status(), deadline.toString());
        assertTrue(deadlineMs >= 700 && deadlineMs < 4_000, "deadline after " + deadlineMs + " ms");

        t0 = System.nanoTime();
        Outcome idle = Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("i"), Map.of()), Duration.ofSeconds(10));
        long idleMs = millisSince(t0);
        assertEquals(GrpcStatus.UNAVAILABLE, idle.status(), idle.toString());
        assertEquals("upstream_timeout", idle.reason(), idle.toString());
        assertTrue(idleMs >= 1_400 && idleMs < 5_000, "stream idle after " + idleMs + " ms");

        assertEquals(200, get(gw.h1(agent), "/other-upstream").status(), "routes to other upstreams keep working");
        System.out.printf("frozen core: HTTP 504 after %d ms, gRPC DEADLINE_EXCEEDED after %d ms, UNAVAILABLE after %d ms%n",
            ms, deadlineMs, idleMs);
      } finally {
        core.signal("CONT");
      }
      long thawed = System.nanoTime();
      Await.until(() -> get(gw.h1(agent), "/frozen/after").status() == 200, Duration.ofSeconds(10), "served after SIGCONT");
      Outcome after = Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("after"), Map.of()));
      assertEquals(GrpcStatus.OK, after.status(), after.toString());
      System.out.printf("frozen core: served again %d ms after SIGCONT%n", millisSince(thawed));
    } finally {
      grpc.close();
    }
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
