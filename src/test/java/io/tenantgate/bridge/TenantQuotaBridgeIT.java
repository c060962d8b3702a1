package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.quota.Limit;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NATS bridge's share of the per-tenant quotas, set per tenant in the registry and applied by the
 * running gateway: publishes per second (the bridge's rate limiter, now the tenant's), publish bytes
 * per second and WebSocket subscriptions over all of a tenant's sockets. Refused messages never reach
 * NATS, and the other tenant is untouched.
 */
class TenantQuotaBridgeIT {
  private static Vertx vertx;
  private static BridgeFixture fx;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    fx = BridgeFixture.start(vertx);
    fx.awaitConnected();
  }

  @AfterAll
  static void stop() {
    fx.close();
    Await.result(vertx.close());
  }

  private static TenantLimits limits(String json) {
    return TenantLimits.parse(new JsonObject(json), "test");
  }

  @Test
  void aTenantsOwnPublishRateAppliesToTheRunningBridgeAndTheExcessNeverReachesNats() {
    fx.setLimits(fx.a, limits("{\"nats_publishes_per_second\": 2}"));
    try {
      var heardA = fx.spy(fx.a + ".>");
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      HttpClient b = fx.gw.h1(fx.cert(fx.bCa, fx.b, "collector-001"));
      double before = fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "over_rate", "tenant", fx.a);
      int accepted = 0;
      int limited = 0;
      for (int i = 0; i < 12; i++) {
        Http.Response r = BridgeFixture.post(a, "/v1/nats/publish/logs.rate", "m" + i);
        if (r.status() == 202) {
          accepted++;
        } else {
          assertEquals(429, r.status(), r.body().toString());
          assertEquals("over_rate", r.json().getString("reason"));
          assertNotNull(r.header("retry-after"));
          limited++;
        }
      }
      assertTrue(accepted >= 2 && accepted <= 5, "burst of 2 plus the refill: " + accepted);
      assertEquals(accepted, BridgeFixture.drain(heardA, Duration.ofMillis(500)).size(), "NATS got the accepted only");
      assertEquals(limited, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "over_rate",
          "tenant", fx.a) - before, 1e-9);
      for (int i = 0; i < 12; i++) {
        assertEquals(202, BridgeFixture.post(b, "/v1/nats/publish/logs.rate", "b" + i).status(), "b has no limit");
      }
    } finally {
      fx.setLimits(fx.a, TenantLimits.NONE);
    }
  }

  @Test
  void aTenantOverItsPublishBytesGets429OverBandwidthUntilTheDebtIsPaid() {
    fx.setLimits(fx.a, limits("{\"nats_bytes_per_second\": 1024}"));
    try {
      var heardA = fx.spy(fx.a + ".>");
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      String big = "x".repeat(3 * 1024);
      assertEquals(202, BridgeFixture.post(a, "/v1/nats/publish/logs.bytes", big).status(),
          "a message larger than the bucket passes once: the debt slows what follows");
      Http.Response refused = BridgeFixture.post(a, "/v1/nats/publish/logs.bytes", "small");
      assertEquals(429, refused.status());
      assertEquals("over_bandwidth", refused.json().getString("reason"));
      assertTrue(Integer.parseInt(refused.header("retry-after")) >= 1, refused.header("retry-after"));
      assertEquals(1, BridgeFixture.drain(heardA, Duration.ofMillis(300)).size());
      assertEquals(202, BridgeFixture.post(fx.gw.h1(fx.cert(fx.bCa, fx.b, "collector-001")),
          "/v1/nats/publish/logs.bytes", big).status(), "b has its own bucket");
    } finally {
      fx.setLimits(fx.a, TenantLimits.NONE);
    }
  }

  @Test
  void webSocketSubscriptionsAreCappedOverAllOfATenantsSocketsAndComeBackWhenReleased() {
    fx.setLimits(fx.a, limits("{\"ws_subscriptions\": 3}"));
    try {
      BridgeFixture.Ws one = fx.ws(fx.cert(fx.aCa, fx.a, "agent-s1"));
      BridgeFixture.Ws two = fx.ws(fx.cert(fx.aCa, fx.a, "agent-s2"));
      assertEquals("ok", sub(one, "a", "jobs.agent-s1.a").getString("op"));
      assertEquals("ok", sub(one, "b", "jobs.agent-s1.b").getString("op"));
      assertEquals("ok", sub(two, "a", "jobs.agent-s2.a").getString("op"));
      JsonObject err = sub(two, "b", "jobs.agent-s2.b");
      assertEquals("tenant_subscriptions_limited", err.getString("reason"), err.encode());
      assertEquals(429, err.getInteger("status"));
      assertTrue(err.getLong("retry_after_ms") >= 1, err.encode());
      assertEquals("ok", fx.ws(fx.cert(fx.bCa, fx.b, "agent-s1")).call(new JsonObject().put("op", "sub")
          .put("sid", "x").put("subject", "jobs.agent-s1.x")).getString("op"), "b is not a's");

      assertEquals("ok", one.call(new JsonObject().put("op", "unsub").put("sid", "a")).getString("op"));
      assertEquals("ok", sub(two, "b", "jobs.agent-s2.b").getString("op"), "an unsubscribe frees a slot");
      Await.result(one.socket.close());
      var quota = fx.gw.gateway.quotas().of(fx.aId);
      Await.until(() -> quota.held(Limit.WS_SUBSCRIPTIONS) == 2, Duration.ofSeconds(5), "closing frees its slots");
      assertEquals("ok", sub(two, "c", "jobs.agent-s2.c").getString("op"));
    } finally {
      fx.setLimits(fx.a, TenantLimits.NONE);
    }
  }

  private static JsonObject sub(BridgeFixture.Ws ws, String sid, String subject) {
    return ws.call(new JsonObject().put("op", "sub").put("sid", sid).put("subject", subject));
  }
}
