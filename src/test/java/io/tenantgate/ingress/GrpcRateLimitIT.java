package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.ingress.GrpcEdgeClient.Outcome;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.testing.Await;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC side of the per-tenant request rate (issue 8 item 1; the HTTP side is {@link TenantQuotaIT}):
 * a tenant over its {@code rps} gets RESOURCE_EXHAUSTED as a trailers-only reply carrying the refusal
 * reason and a retry pushback, each refusal counted per tenant and reason, core sees only the admitted
 * calls, and another tenant's calls all pass.
 */
class GrpcRateLimitIT extends StubbedGrpcGatewayBase {

  @AfterEach
  void reset() {
    setLimits("acme", "{}");
    Await.until(() -> !gw.gateway.metrics().scrape().contains("tenant_limit{limit=\"rps\",tenant=\"acme\"}"),
        Duration.ofSeconds(5), "acme's limit series removed with its overrides");
  }

  private static void setLimits(String slug, String json) {
    TenantLimits limits = TenantLimits.parse(new JsonObject(json), "test");
    RegistryFile file = gw.pki.registry();
    file.setTenantLimits(slug, limits);
    gw.writeRegistry(file);
    UUID id = gw.gateway.registry().snapshot().tenantBySlug(slug).id();
    Await.until(() -> gw.gateway.quotas().of(id).limits().equals(gw.gateway.quotas().defaults().with(limits)),
        Duration.ofSeconds(5), slug + " limits " + json);
  }

  private static double refusals(String tenant) {
    return gw.gateway.metrics().count("tenantgate.refusals", "reason", "tenant_rate_limited", "tenant", tenant,
        "stage", "request");
  }

  private static long coreSaw(String slug) {
    return stub.calls().stream().filter(c -> slug.equals(c.header("x-tenant-slug"))).count();
  }

  @Test
  void callsOverTheTenantsRateGetResourceExhaustedTrailersOnlyCountedPerTenantAndReason() {
    setLimits("acme", "{\"rps\": 2, \"burst\": 3}");
    stub.clear();
    String scrape = gw.gateway.metrics().scrape();
    assertTrue(scrape.contains("tenantgate_tenant_limit{limit=\"rps\",tenant=\"acme\"} 2.0"), "acme's limit is a gauge");
    assertTrue(scrape.contains("tenantgate_tenant_limit{limit=\"rps\",tenant=\"_default\"} 0.0"), "and the default");
    assertTrue(!scrape.contains("tenant_limit{limit=\"rps\",tenant=\"globex\"}"), "no series for a tenant on defaults");
    double acmeBefore = refusals("acme");
    double globexBefore = refusals("globex");
    GrpcEdgeClient a = GrpcEdgeClient.connect(vertx, gw, acme);
    GrpcEdgeClient g = GrpcEdgeClient.connect(vertx, gw, globex);
    try {
      int ok = 0;
      int limited = 0;
      long start = System.nanoTime();
      for (int i = 0; i < 25; i++) {
        Outcome o = Await.result(a.unary(GrpcStubCore.UNARY, Buffer.buffer("acme-" + i), Map.of()));
        if (o.status() == GrpcStatus.OK) {
          assertEquals("acme-" + i, o.texts().get(0));
          ok++;
          continue;
        }
        assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, o.status(), o.toString());
        assertEquals("tenant_rate_limited", o.reason(), o.toString());
        assertEquals("8", o.headers().get("grpc-status"), "trailers-only: the status is in the headers");
        assertTrue(o.trailers().isEmpty(), "trailers-only: no trailers frame: " + o);
        assertTrue(o.messages().isEmpty(), o.toString());
        assertNotNull(o.statusMessage(), o.toString());
        String pushback = o.headers().get("grpc-retry-pushback-ms");
        assertNotNull(pushback, o.toString());
        // one token at 2 per second: 500 ms
        assertTrue(Long.parseLong(pushback) >= 1 && Long.parseLong(pushback) <= 1_000, pushback);
        limited++;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(ok >= 3 && ok <= 3 + (int) Math.ceil(seconds * 2) + 1,
          "a burst of 3 plus 2 per second: " + ok + " admitted in " + seconds + " s");
      assertTrue(limited >= 25 - ok && limited > 0, "refused: " + limited);
      assertEquals(ok, coreSaw("acme"), "core saw exactly the admitted calls");
      assertEquals(limited, refusals("acme") - acmeBefore, 1e-9, "each refusal counted for acme, tenant_rate_limited");

      for (int i = 0; i < 25; i++) {
        Outcome o = Await.result(g.unary(GrpcStubCore.UNARY, Buffer.buffer("globex-" + i), Map.of()));
        assertEquals(GrpcStatus.OK, o.status(), "globex is unaffected by acme's rate: " + o);
      }
      assertEquals(25, coreSaw("globex"));
      assertEquals(0, refusals("globex") - globexBefore, 1e-9, "nothing counted against globex");

      // the refusals held no gRPC stream slot and the bucket refills: acme is served again
      Await.until(() -> Await.result(a.unary(GrpcStubCore.UNARY, Buffer.buffer("later"), Map.of())).status()
          == GrpcStatus.OK, Duration.ofSeconds(3), "acme admitted again after the refill");
      assertEquals(0, gw.gateway.quotas().of(gw.gateway.registry().snapshot().tenantBySlug("acme").id())
          .held(io.tenantgate.quota.Limit.GRPC_STREAMS), "refused and finished calls gave their stream slot back");
    } finally {
      a.close();
      g.close();
    }
  }
}
