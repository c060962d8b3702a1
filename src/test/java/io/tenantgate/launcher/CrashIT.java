package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.tenant.TenantStore;
import io.tenantgate.testing.AdminFixture;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.RecordingCore;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway process itself killed with SIGKILL in the middle of a burst of admin API writes, then
 * started again on the same ports: the Postgres store holds nothing half-written (every tenant has its
 * CA and its audit row, every issued or revoked certificate its audit row, and every write the API
 * acknowledged is there), the restarted gateway serves every tenant in the store, and an edge client
 * that kept its connection pool reconnects by itself.
 */
class CrashIT {
  private Vertx vertx;
  private RecordingCore core;
  private PostgresFixture pg;
  private GatewayProcess gateway;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
    core = RecordingCore.start(vertx);
    pg = PostgresFixture.create(vertx);
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    pg.close();
    core.stop();
    Await.result(vertx.close());
  }

  @Test
  void sigkillDuringAnAdminBurstLeavesNothingHalfWrittenAndEdgesReconnectAfterRestart(@TempDir Path dir)
      throws Exception {
    TestPki pki = TestPki.get();
    AdminFixture admin = AdminFixture.get();
    TenantStore store = pg.store(pki.root);
    Await.result(store.createTenant("acme", "Acme", "it"));
    ClientCert agent = PostgresFixture.files(Await.result(store.issueComponent(ComponentCertSpec.of("agent-001", "acme"), "it")));

    gateway = GatewayProcess.start(config(dir, pki, admin, 0, 0));
    int edgePort = gateway.edgePort;
    int adminPort = gateway.adminPort;
    HttpClient edge = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setProtocolVersion(HttpVersion.HTTP_2).setDefaultHost("localhost").setDefaultPort(edgePort)
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.rootPem().toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(agent.chainPem().toString())
            .setKeyPath(agent.keyPem().toString())));
    assertEquals(200, Http.get(edge, "/before-crash").status());
    HttpClient api = admin.adminClient(vertx, adminPort, admin.adminCert, admin.adminKey);

    // the burst: four lanes, each creating a tenant, issuing a certificate and revoking every third one
    Set<String> ackedTenants = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Set<String> ackedSerials = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Set<String> ackedRevocations = java.util.concurrent.ConcurrentHashMap.newKeySet();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger acked = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < 4; lane++) {
      lanes.add(lane(api, lane, 0, killed, acked, ackedTenants, ackedSerials, ackedRevocations, failures));
    }
    Await.until(() -> acked.get() >= 12, Duration.ofSeconds(60), "the burst is under way");
    killed.set(true);
    gateway.kill();
    Await.result(Future.join(lanes), Duration.ofSeconds(30));
    System.out.printf("crash: SIGKILL after %d acknowledged writes (%d tenants, %d certificates, %d revocations);"
        + " %d requests cut%n", acked.get(), ackedTenants.size(), ackedSerials.size(), ackedRevocations.size(),
        failures.size());
    assertTrue(Await.failure(Http.sendAsync(edge, new RequestOptions().setURI("/while-down"), null)) != null,
        "the edge cannot be served while the gateway is down");

    gateway = GatewayProcess.start(config(dir, pki, admin, edgePort, adminPort));
    assertEquals(200, Http.get(edge, "/after-restart").status(), "the same edge client reconnects");
    assertEquals("acme", core.last().header("x-tenant-slug"));

    assertStoreConsistent(ackedTenants, ackedSerials, ackedRevocations);
    // the restarted gateway serves every tenant in the store, and their CA keys still open: issue for each
    HttpClient api2 = admin.adminClient(vertx, gateway.adminPort, admin.adminCert, admin.adminKey);
    Set<String> inStore = tenantSlugs();
    JsonObject listed = AdminFixture.call(api2, HttpMethod.GET, "/api/v1/tenants", null).json();
    Set<String> served = new HashSet<>();
    listed.getJsonArray("tenants").forEach(t -> served.add(((JsonObject) t).getString("slug")));
    assertEquals(inStore, served);
    for (String slug : inStore) {
      Http.Response r = AdminFixture.call(api2, HttpMethod.POST, "/api/v1/certificates",
          new JsonObject().put("tenant", slug).put("component_id", "agent-after"));
      assertEquals(201, r.status(), slug + ": " + r.body());
    }
  }

  /** One lane of writes until the gateway is killed; records what the API acknowledged. */
  private Future<Void> lane(HttpClient api, int lane, int i, AtomicBoolean killed, AtomicInteger acked,
      Set<String> tenants, Set<String> serials, Set<String> revocations, ConcurrentLinkedQueue<Throwable> failures) {
    if (killed.get()) {
      return Future.succeededFuture();
    }
    String slug = "crash-" + lane + "-" + i;
    return post(api, "/api/v1/tenants", new JsonObject().put("slug", slug))
        .compose(r -> {
          if (r.status() == 201) {
            tenants.add(slug);
            acked.incrementAndGet();
          }
          return post(api, "/api/v1/certificates", new JsonObject().put("tenant", slug)
              .put("component_id", "agent-" + i));
        })
        .compose(r -> {
          if (r.status() != 201) {
            return Future.succeededFuture(r);
          }
          String serial = r.json().getString("serial");
          serials.add(serial);
          acked.incrementAndGet();
          if (i % 3 != 0) {
            return Future.succeededFuture(r);
          }
          return post(api, "/api/v1/certificates/revoke", new JsonObject().put("serial", serial).put("reason", "crash-it"))
              .map(rv -> {
                if (rv.status() == 200) {
                  revocations.add(serial);
                  acked.incrementAndGet();
                }
                return rv;
              });
        })
        .transform(ar -> {
          if (ar.failed()) {
            failures.add(ar.cause());
            return Future.succeededFuture();
          }
          return lane(api, lane, i + 1, killed, acked, tenants, serials, revocations, failures);
        });
  }

  private static Future<Http.Response> post(HttpClient api, String uri, JsonObject body) {
    return Http.sendAsync(api, new RequestOptions().setMethod(HttpMethod.POST).setURI(uri)
        .putHeader("content-type", "application/json"), Buffer.buffer(body.encode()));
  }

  private void assertStoreConsistent(Set<String> ackedTenants, Set<String> ackedSerials, Set<String> ackedRevocations) {
    Set<String> tenants = tenantSlugs();
    assertTrue(tenants.containsAll(ackedTenants), "acknowledged tenants lost: " + diff(ackedTenants, tenants));
    assertEquals(List.of(), strings(query("SELECT t.slug FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM tenant_cas c"
        + " WHERE c.tenant_id = t.id)")), "tenants without a CA");
    assertEquals(List.of(), strings(query("SELECT t.slug FROM tenants t WHERE (SELECT count(*) FROM audit_log a"
        + " WHERE a.tenant_id = t.id AND a.action = 'tenant.create') <> 1 AND t.slug LIKE 'crash-%'")),
        "tenants without exactly one tenant.create audit row");
    assertEquals(List.of(), strings(query("SELECT a.detail->>'slug' FROM audit_log a WHERE a.action = 'tenant.create'"
        + " AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = a.tenant_id)")), "audited tenants that do not exist");
    assertEquals(List.of(), strings(query("SELECT c.spki_sha256 FROM tenant_cas c WHERE c.private_key_enc IS NULL")),
        "CAs without their sealed key");

    Set<String> issued = new HashSet<>(strings(query("SELECT serial FROM issued_certificates")));
    for (String s : ackedSerials) {
      assertTrue(issued.contains(io.tenantgate.tenant.RegistrySnapshot.normalizeSerial(s)), "acknowledged certificate lost: " + s);
    }
    assertEquals(List.of(), strings(query("SELECT i.serial FROM issued_certificates i WHERE (SELECT count(*) FROM audit_log a"
        + " WHERE a.action = 'cert.issue' AND a.detail->>'serial' = i.serial) <> 1")), "certificates without one cert.issue audit row");
    assertEquals(List.of(), strings(query("SELECT a.detail->>'serial' FROM audit_log a WHERE a.action = 'cert.issue'"
        + " AND NOT EXISTS (SELECT 1 FROM issued_certificates i WHERE i.serial = a.detail->>'serial')")),
        "audited certificates that were never recorded");

    Set<String> revoked = new HashSet<>(strings(query("SELECT serial FROM revocations")));
    for (String s : ackedRevocations) {
      assertTrue(revoked.contains(io.tenantgate.tenant.RegistrySnapshot.normalizeSerial(s)), "acknowledged revocation lost: " + s);
    }
    assertEquals(List.of(), strings(query("SELECT r.serial FROM revocations r JOIN issued_certificates i ON i.serial = r.serial"
        + " WHERE i.status <> 'revoked' OR (SELECT count(*) FROM audit_log a WHERE a.action = 'cert.revoke'"
        + " AND a.detail->>'serial' = r.serial) <> 1")), "revocations half applied");
    assertEquals(List.of(), strings(query("SELECT i.serial FROM issued_certificates i WHERE i.status = 'revoked'"
        + " AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.serial = i.serial)")), "revoked status without a revocation");
    System.out.printf("crash: store consistent: %d tenants, %d certificates, %d revocations%n", tenants.size(),
        issued.size(), revoked.size());
  }

  private Set<String> tenantSlugs() {
    return new HashSet<>(strings(query("SELECT slug FROM tenants")));
  }

  private RowSet<Row> query(String sql) {
    return Await.result(pg.db.pool().preparedQuery(sql).execute(Tuple.tuple()));
  }

  private static List<String> strings(RowSet<Row> rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.getString(0)));
    return out;
  }

  private static Set<String> diff(Set<String> a, Set<String> b) {
    Set<String> d = new HashSet<>(a);
    d.removeAll(b);
    return d;
  }

  private Path config(Path dir, TestPki pki, AdminFixture admin, int edgePort, int adminPort) throws Exception {
    Path cfg = dir.resolve("tenantgate.yaml");
    Files.writeString(cfg, """
        edge:
          host: 127.0.0.1
          port: %d
          instances: 2
          tls: {certFile: %s, keyFile: %s, clientCaFile: %s}
        ops: {host: 127.0.0.1, port: 0}
        registry:
          store: postgres
          masterKeyFile: %s
          rootCaKeyFile: %s
          postgres: {url: "%s", schema: %s, poolSize: 4, notifyDebounce: 20ms, reconnectBackoffMax: 500ms}
        admin:
          enabled: true
          host: 127.0.0.1
          port: %d
          clientCaFile: %s
          allowedSubjects: [%s]
        nats: {enabled: false}
        routes:
          - {name: core, pathPrefix: /, upstream: "%s"}
        """.formatted(edgePort, pki.serverPem(), pki.serverKeyPem(), pki.rootPem(), pg.masterKeyFile, admin.rootKey,
        PostgresFixture.URL, pg.schema, adminPort, admin.adminCaPem, AdminFixture.ADMIN_CN, core.url()));
    return cfg;
  }
}
