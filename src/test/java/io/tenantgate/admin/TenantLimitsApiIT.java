package io.tenantgate.admin;

import static io.tenantgate.testing.AdminFixture.call;
import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.Pem;
import io.tenantgate.testing.AdminFixture;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET/PUT /api/v1/tenants/<slug>/limits} on the real Postgres store: field-level validation,
 * the audit row, and the change reaching the running gateway's edge through NOTIFY without a restart.
 */
class TenantLimitsApiIT {
  private static Vertx vertx;
  private static PostgresFixture pg;
  private static GatewayFixture gw;
  private static HttpClient admin;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertx);
    AdminFixture adm = AdminFixture.get();
    gw = GatewayFixture.start(vertx, cfg -> adm.enable(cfg, pg, PostgresFixture.URL));
    admin = adm.adminClient(vertx, gw.gateway.adminPort(), adm.adminCert, adm.adminKey);
  }

  @AfterAll
  static void stop() {
    gw.close();
    pg.close();
    Await.result(vertx.close());
  }

  private static long count(String sql, Object... params) {
    return Await.result(pg.db.pool().preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  private static String tenantWithAgent() {
    String slug = "q-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    assertEquals(201, call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", slug)).status());
    return slug;
  }

  private static ClientCert issue(String slug) throws Exception {
    JsonObject j = call(admin, HttpMethod.POST, "/api/v1/certificates", new JsonObject().put("tenant", slug)
        .put("component_id", "agent-001")).json();
    Path dir = Files.createTempDirectory("tenantgate-limits");
    var leaf = Pem.readCertificates(j.getString("certificate")).get(0);
    var key = Pem.readPrivateKey(j.getString("private_key"));
    Pem.write(dir.resolve("cert.pem"), Pem.certificates(leaf), false);
    Pem.write(dir.resolve("key.pem"), Pem.privateKey(key), true);
    Pem.write(dir.resolve("chain.pem"), j.getString("chain"), false);
    return new ClientCert(new CertAndKey(leaf, key), dir.resolve("cert.pem"), dir.resolve("key.pem"),
        dir.resolve("chain.pem"), Fingerprints.serialHex(leaf.getSerialNumber()));
  }

  @Test
  void putLimitsIsAuditedAndTheRunningGatewayAppliesItWithinASecond() throws Exception {
    String slug = tenantWithAgent();
    ClientCert agent = issue(slug);
    Await.until(() -> gw.gateway.registry().snapshot().tenantBySlug(slug) != null, Duration.ofSeconds(2), "tenant");
    UUID id = gw.gateway.registry().snapshot().tenantBySlug(slug).id();
    HttpClient edge = gw.h1(agent);
    for (int i = 0; i < 5; i++) {
      assertEquals(200, get(edge, "/before/" + i).status());
    }

    Response shown = call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug + "/limits", null);
    assertEquals(200, shown.status());
    assertEquals(new JsonObject(), shown.json().getJsonObject("overrides"));
    assertEquals(shown.json().getJsonObject("defaults"), shown.json().getJsonObject("limits"));
    assertEquals(10_000, shown.json().getJsonObject("limits").getLong("connections"));

    Response put = call(admin, HttpMethod.PUT, "/api/v1/tenants/" + slug + "/limits",
        new JsonObject().put("rps", 1).put("burst", 1).put("grpc_streams", 4));
    assertEquals(200, put.status(), put.body().toString());
    assertEquals(slug, put.json().getString("tenant"));
    assertEquals(1, put.json().getJsonObject("limits").getLong("rps"));
    assertEquals(4, put.json().getJsonObject("limits").getLong("grpc_streams"));
    assertEquals(new JsonObject().put("rps", 1).put("burst", 1).put("grpc_streams", 4),
        put.json().getJsonObject("overrides"));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'tenant.limits' AND tenant_id = $1"
        + " AND actor = $2 AND detail->'after'->>'rps' = '1'", id, "admin:" + AdminFixture.ADMIN_CN));

    Await.until(() -> gw.gateway.quotas().of(id).limits().rps() == 1, Duration.ofSeconds(1), "applied via NOTIFY");
    int limited = 0;
    for (int i = 0; i < 4; i++) {
      Response r = get(edge, "/after/" + i);
      if (r.status() == 429) {
        assertEquals("tenant_rate_limited", r.json().getString("reason"));
        limited++;
      }
    }
    assertTrue(limited >= 2, "the open connection is limited now: " + limited);

    assertEquals(200, call(admin, HttpMethod.PUT, "/api/v1/tenants/" + slug + "/limits", new JsonObject()).status());
    Await.until(() -> gw.gateway.quotas().of(id).limits().rps() == 0, Duration.ofSeconds(1), "cleared");
    Await.until(() -> get(edge, "/probe").status() == 200, Duration.ofSeconds(3), "refilled");
    for (int i = 0; i < 5; i++) {
      assertEquals(200, get(edge, "/cleared/" + i).status());
    }
    assertEquals(new JsonObject(), call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug + "/limits", null).json()
        .getJsonObject("overrides"));
    assertEquals(2, count("SELECT count(*) FROM audit_log WHERE action = 'tenant.limits' AND tenant_id = $1", id));
  }

  @Test
  void getTenantShowsTheLimitsInForceAndWhereEachComesFrom() {
    String slug = tenantWithAgent();
    JsonObject plain = call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug, null).json().getJsonObject("limits");
    assertEquals(plain.getJsonObject("defaults"), plain.getJsonObject("limits"), "no overrides: the defaults");
    assertEquals(new JsonObject(), plain.getJsonObject("overrides"));
    plain.getJsonObject("sources").forEach(e -> assertEquals("default", e.getValue(), e.getKey()));

    assertEquals(200, call(admin, HttpMethod.PUT, "/api/v1/tenants/" + slug + "/limits",
        new JsonObject().put("rps", 20).put("connections", 0)).status());
    Response shown = call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug, null);
    assertEquals(200, shown.status(), shown.body().toString());
    assertEquals(slug, shown.json().getString("slug"));
    JsonObject l = shown.json().getJsonObject("limits");
    assertEquals(20, l.getJsonObject("limits").getLong("rps"));
    assertEquals(0, l.getJsonObject("limits").getLong("connections"), "0 = unlimited, overriding 10000");
    assertEquals(10_000, l.getJsonObject("defaults").getLong("connections"));
    assertEquals(new JsonObject().put("connections", 0).put("rps", 20), l.getJsonObject("overrides"));
    JsonObject sources = l.getJsonObject("sources");
    assertEquals("override", sources.getString("rps"));
    assertEquals("override", sources.getString("connections"));
    assertEquals("derived", sources.getString("burst"));
    assertEquals("default", sources.getString("grpc_streams"));
    JsonObject viaLimits = call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug + "/limits", null).json();
    viaLimits.remove("tenant");
    assertEquals(viaLimits, l, "the same view as .../limits");
  }

  @Test
  void badFieldsAreEachNamedAndNothingIsWritten() {
    String slug = tenantWithAgent();
    long audit = count("SELECT count(*) FROM audit_log");
    Response bad = call(admin, HttpMethod.PUT, "/api/v1/tenants/" + slug + "/limits", new JsonObject()
        .put("rps", -1).put("burst", "lots").put("bytes_per_second", 1.5).put("speed", 3));
    assertEquals(400, bad.status(), bad.body().toString());
    assertEquals("invalid_request", bad.json().getString("reason"));
    Set<String> fields = new TreeSet<>();
    JsonArray errors = bad.json().getJsonArray("errors");
    errors.forEach(e -> fields.add(((JsonObject) e).getString("field")));
    assertEquals(Set.of("rps", "burst", "bytes_per_second", "speed"), fields);
    assertEquals(audit, count("SELECT count(*) FROM audit_log"), "nothing written");
    assertEquals(new JsonObject(), call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug + "/limits", null).json()
        .getJsonObject("overrides"));

    Response notJson = call(admin, HttpMethod.PUT, "/api/v1/tenants/" + slug + "/limits", null);
    assertEquals(200, notJson.status(), "an empty body is an empty object: every limit back to the default");
    Response unknown = call(admin, HttpMethod.PUT, "/api/v1/tenants/no-such-tenant/limits",
        new JsonObject().put("rps", 5));
    assertEquals(404, unknown.status());
    assertEquals(404, call(admin, HttpMethod.GET, "/api/v1/tenants/no-such-tenant/limits", null).status());
    assertTrue(gw.gateway.metrics().count("tenantgate.admin.requests", "operation", "tenant.limits", "status", "400",
        "outcome", "invalid_request") >= 1);
  }
}
