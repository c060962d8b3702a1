package io.tenantgate.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Readiness with per-dependency detail, as a load balancer and an operator read it. */
class HealthIT {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  @Test
  void readyListsEveryDependencyAndLiveIsAlwaysUp() {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      Reply r = get(gw, "/health/ready");
      assertEquals(200, r.status());
      assertEquals("UP", r.body().getString("status"), r.body().encode());
      JsonObject checks = r.body().getJsonObject("checks");
      for (String dep : new String[] {"edge", "registry", "core", "server_certificate"}) {
        assertEquals("UP", checks.getJsonObject(dep).getString("status"), dep + ": " + checks);
      }
      assertTrue(checks.getJsonObject("server_certificate").getString("detail").startsWith("expires "));
      assertEquals(200, get(gw, "/health/live").status());
    }
  }

  @Test
  void coreUnreachableIsDegradedButStillReady() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> ops(cfg).put("probeInterval", "100ms"))) {
      gw.core.stop();
      Await.until(() -> "DEGRADED".equals(get(gw, "/health/ready").body().getJsonObject("checks")
          .getJsonObject("core").getString("status")), Duration.ofSeconds(5), "core probe degraded");
      Reply r = get(gw, "/health/ready");
      assertEquals(200, r.status());
      assertEquals("DEGRADED", r.body().getString("status"));
      assertTrue(r.body().getJsonObject("checks").getJsonObject("core").getString("detail").contains("unreachable"));
    }
  }

  @Test
  void aBrokenRegistryFileKeepsTheLastSnapshotAndReportsDegraded() throws Exception {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      Files.writeString(gw.registryFile, "{ this is not json");
      Await.until(() -> !gw.gateway.registry().health().upToDate(), Duration.ofSeconds(5), "registry error seen");
      Reply r = get(gw, "/health/ready");
      assertEquals(200, r.status());
      assertEquals("DEGRADED", r.body().getJsonObject("checks").getJsonObject("registry").getString("status"));
      assertEquals(3, gw.gateway.registry().snapshot().tenants().size(), "last good snapshot still served");
    }
  }

  @Test
  void aRegistryCaWhosePemDoesNotMatchItsStoredHashIsReportedWhileTheRestIsServed() throws Exception {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      long before = gw.gateway.registry().snapshot().version();
      JsonObject doc = new JsonObject(gw.pki.registry().encode());
      // globex's entry keeps its stored hash, with initech's certificate beside it
      JsonObject globex = doc.getJsonArray("cas").getJsonObject(3);
      globex.put("certificate", doc.getJsonArray("cas").getJsonObject(4).getString("certificate"));
      Files.writeString(gw.registryFile, doc.encodePrettily());
      Await.until(() -> "DEGRADED".equals(registryCheck(gw).getString("status")), Duration.ofSeconds(5),
          "unusable CA reported");
      String detail = registryCheck(gw).getString("detail");
      assertTrue(detail.contains("1 CA(s) unusable") && detail.contains(globex.getString("spki_sha256")), detail);
      assertTrue(gw.gateway.registry().snapshot().version() > before, "the new file is in force");
      assertEquals(200, get(gw, "/health/ready").status());
      // globex's client, sending its own CA, is bound to nobody: refused, counted, and core sees nothing
      double refusedBefore = gw.refusals("unknown_ca");
      io.tenantgate.testing.Http.Response r = io.tenantgate.testing.Http.get(
          gw.h1(gw.pki.component(gw.pki.globexCa, "agent-001", "globex")), "/broken-ca");
      assertEquals(401, r.status());
      assertEquals("unknown_ca", r.json().getString("reason"));
      assertEquals(0, gw.core.count(), "core must see nothing");
      assertEquals(refusedBefore + 1, gw.refusals("unknown_ca"));

      gw.writeRegistry(gw.pki.registry());
      Await.until(() -> "UP".equals(registryCheck(gw).getString("status")), Duration.ofSeconds(5),
          "a good file clears it");
    }
  }

  private JsonObject registryCheck(GatewayFixture gw) {
    return get(gw, "/health/ready").body().getJsonObject("checks").getJsonObject("registry");
  }

  record Reply(int status, JsonObject body) {
  }

  private Reply get(GatewayFixture gw, String path) {
    var ops = vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", path)
          .compose(r -> r.send().compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toJsonObject())))));
    } finally {
      ops.close();
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> ops(Map<String, Object> cfg) {
    return (Map<String, Object>) cfg.get("ops");
  }
}
