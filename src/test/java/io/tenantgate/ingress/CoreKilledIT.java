package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.ingress.GrpcEdgeClient.Bidi;
import io.tenantgate.ingress.GrpcEdgeClient.Outcome;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Core as a real process killed with SIGKILL (a crash: no GOAWAY, no trailers, the kernel closes its
 * sockets) while agents hold bidi gRPC streams through the gateway: every stream ends promptly with
 * UNAVAILABLE and what was echoed before, none is left hanging, a new call is refused UNAVAILABLE at once,
 * and the gateway goes on serving its other routes.
 */
class CoreKilledIT {

  @Test
  void coreKilledMidBidiStreamsEndsEveryStreamWithUnavailablePromptly() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (CoreProcess core = CoreProcess.start();
        GatewayFixture gw = GatewayFixture.start(vertx, cfg -> GatewayFixture.addRoute(cfg,
            Map.of("name", "core-grpc", "grpcService", "*", "upstream", core.grpcUrl)))) {
      ClientCert agent = gw.pki.component(gw.pki.acmeCa, "agent-killed", "acme");
      GrpcEdgeClient grpc = GrpcEdgeClient.connect(vertx, gw, agent);
      try {
        Await.until(() -> Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("warm"), Map.of())).status()
            == GrpcStatus.OK, Duration.ofSeconds(30), "gRPC core warm");
        List<Bidi> streams = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
          Bidi bidi = grpc.bidi(GrpcStubCore.BIDI);
          for (int i = 0; i < 3; i++) {
            assertEquals(s + "-" + i, Await.result(bidi.exchange(Buffer.buffer(s + "-" + i)), Duration.ofSeconds(10))
                .toString());
          }
          streams.add(bidi);
        }

        core.kill();
        long start = System.nanoTime();
        for (int s = 0; s < streams.size(); s++) {
          Outcome out = Await.result(streams.get(s).outcome(), Duration.ofSeconds(10));
          assertEquals(GrpcStatus.UNAVAILABLE, out.status(), out.toString());
          assertTrue(Set.of("upstream_reset", "upstream_unavailable").contains(out.reason()), out.toString());
          assertEquals(List.of(s + "-0", s + "-1", s + "-2"), out.texts());
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        // the kernel closes a killed process's sockets at once; the bound only says "not hanging"
        assertTrue(ms < 3_000, "streams ended " + ms + " ms after the kill");

        long t0 = System.nanoTime();
        Outcome after = Await.result(grpc.unary(GrpcStubCore.UNARY, Buffer.buffer("after"), Map.of()),
            Duration.ofSeconds(10));
        assertEquals(GrpcStatus.UNAVAILABLE, after.status(), after.toString());
        assertEquals("upstream_unavailable", after.reason(), after.toString());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 3_000, "refused at once");
        assertEquals(200, get(gw.h1(agent), "/still-served").status(), "the other routes are served");
        assertTrue(gw.refusals("upstream_reset") + gw.refusals("upstream_unavailable") >= streams.size() + 1,
            "each ended stream and the refused call counted");
      } finally {
        grpc.close();
      }
    } finally {
      Await.result(vertx.close());
    }
  }
}
