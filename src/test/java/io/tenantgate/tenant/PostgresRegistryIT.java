package io.tenantgate.tenant;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md section 5 on the real Postgres: two gateways on two Vert.x instances follow one schema.
 * Gateway A talks to Postgres directly, gateway B through a TCP proxy the test can cut. Revocation and
 * suspension reach both within a second and close open connections; an outage leaves B serving its
 * last snapshot, DEGRADED, and B catches up with what changed meanwhile once Postgres is back.
 */
class PostgresRegistryIT {
  private static final Duration PROPAGATION = Duration.ofSeconds(1);
  private static Vertx vertxA;
  private static Vertx vertxB;
  private static PostgresFixture pg;
  private static PostgresFixture.TcpProxy proxy;
  private static TenantStore store;
  private static GatewayFixture gwA;
  private static GatewayFixture gwB;
  private static ClientCert acmeAgent;

  @BeforeAll
  static void start() {
    vertxA = GatewayFixture.testVertx();
    vertxB = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertxA);
    store = pg.store(TestPki.get().root);
    Await.result(store.createTenant("acme", "Acme", "it"));
    Await.result(store.createTenant("globex", "Globex", "it"));
    proxy = PostgresFixture.TcpProxy.start(vertxA);
    gwA = GatewayFixture.start(vertxA, cfg -> cfg.put("registry", pg.registrySection(PostgresFixture.URL)));
    gwB = GatewayFixture.start(vertxB, cfg -> cfg.put("registry", pg.registrySection(proxy.url())));
    acmeAgent = issue("agent-001", "acme");
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {gwA, gwB, proxy, pg}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        e.printStackTrace();
      }
    }
    Await.result(Future.join(vertxA.close(), vertxB.close()));
  }

  private static ClientCert issue(String componentId, String slug) {
    return PostgresFixture.files(Await.result(store.issueComponent(ComponentCertSpec.of(componentId, slug), "it")));
  }


  private static long millisSince(long start, long end) {
    return (end - start) / 1_000_000;
  }

  @Test
  void aRevokedCertificateIsRefusedByBothGatewaysWithinASecondAndItsOpenConnectionsClose() {
    ClientCert victim = issue("agent-victim", "acme");
    Promise<Long> closedA = gwA.openH2(victim);
    Promise<Long> closedB = gwB.openH2(victim);

    long start = System.nanoTime();
    assertTrue(Await.result(store.revokeSerial(victim.serialHex(), "key compromise", "it")));
    long committed = System.nanoTime();
    Await.until(() -> gwA.gateway.registry().snapshot().isRevoked(victim.serialHex())
        && gwB.gateway.registry().snapshot().isRevoked(victim.serialHex()), PROPAGATION, "revocation on both");
    long seen = System.nanoTime();
    long a = millisSince(committed, Await.result(closedA.future(), PROPAGATION));
    long b = millisSince(committed, Await.result(closedB.future(), PROPAGATION));
    System.out.printf("propagation: revoke committed in %d ms; in both snapshots %d ms after commit;"
        + " open h2 closed on A %d ms, on B %d ms after commit%n", millisSince(start, committed),
        millisSince(committed, seen), a, b);
    assertTrue(a < 1_000 && b < 1_000, "closed after " + a + " / " + b + " ms");

    for (GatewayFixture gw : List.of(gwA, gwB)) {
      int before = gw.core.count();
      Response r = get(gw.h1(victim), "/after");
      assertEquals(401, r.status());
      assertEquals("revoked", r.json().getString("reason"));
      assertEquals(before, gw.core.count(), "core saw nothing");
      assertEquals(200, get(gw.h1(acmeAgent), "/others-unaffected").status());
    }
  }

  @Test
  void suspendingATenantClosesItsConnectionsOnBothGatewaysAndResumingAdmitsThemAgain() {
    ClientCert globexAgent = issue("agent-s", "globex");
    Promise<Long> closedA = gwA.openH2(globexAgent);
    Promise<Long> closedB = gwB.openH2(globexAgent);

    assertTrue(Await.result(store.suspend("globex", "it")));
    long committed = System.nanoTime();
    long a = millisSince(committed, Await.result(closedA.future(), PROPAGATION));
    long b = millisSince(committed, Await.result(closedB.future(), PROPAGATION));
    System.out.printf("propagation: suspend -> open h2 closed on A %d ms, on B %d ms after commit%n", a, b);
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      int before = gw.core.count();
      Response r = get(gw.h1(globexAgent), "/during");
      assertEquals(403, r.status());
      assertEquals("tenant_suspended", r.json().getString("reason"));
      assertEquals(before, gw.core.count(), "core saw nothing");
      assertEquals(200, get(gw.h1(acmeAgent), "/acme-unaffected").status());
    }

    assertTrue(Await.result(store.resume("globex", "it")));
    Await.until(() -> gwA.gateway.registry().snapshot().tenantBySlug("globex").active()
        && gwB.gateway.registry().snapshot().tenantBySlug("globex").active(), PROPAGATION, "resume on both");
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      assertEquals(200, get(gw.h1(globexAgent), "/after").status());
    }
  }

  @Test
  void withPostgresAwayAGatewayServesItsLastSnapshotDegradedAndCatchesUpWhenItReturns() {
    ClientCert stays = issue("agent-stays", "acme");
    ClientCert revokedMeanwhile = issue("agent-later", "acme");
    proxy.cut();
    try {
      Await.until(() -> !gwB.gateway.registry().health().upToDate(), Duration.ofSeconds(5), "B notices the outage");
      JsonObject ready = ready(gwB);
      assertEquals("DEGRADED", ready.getJsonObject("checks").getJsonObject("registry").getString("status"));
      assertEquals("DEGRADED", ready.getString("status"));
      assertEquals(200, get(gwB.h1(stays), "/during-outage").status());

      // changes while B is away: A follows them, B cannot hear them
      assertTrue(Await.result(store.revokeSerial(revokedMeanwhile.serialHex(), "superseded", "it")));
      Await.result(store.createTenant("initech", "Initech", "it"));
      Await.until(() -> gwA.gateway.registry().snapshot().isRevoked(revokedMeanwhile.serialHex()), PROPAGATION,
          "A sees the revocation");
      assertFalse(gwB.gateway.registry().snapshot().isRevoked(revokedMeanwhile.serialHex()));
      assertEquals(200, get(gwB.h1(revokedMeanwhile), "/stale-but-serving").status());
    } finally {
      proxy.restore();
    }
    long restored = System.nanoTime();
    Await.until(() -> gwB.gateway.registry().health().upToDate()
        && gwB.gateway.registry().snapshot().isRevoked(revokedMeanwhile.serialHex())
        && gwB.gateway.registry().snapshot().tenantBySlug("initech") != null, Duration.ofSeconds(5),
        "B re-reads the snapshot after reconnecting");
    System.out.printf("recovery: B up to date %d ms after Postgres came back%n", millisSince(restored, System.nanoTime()));
    assertEquals("UP", ready(gwB).getJsonObject("checks").getJsonObject("registry").getString("status"));
    assertEquals(401, get(gwB.h1(revokedMeanwhile), "/after-outage").status());
    assertEquals(200, get(gwB.h1(stays), "/after-outage").status());
  }

  private static JsonObject ready(GatewayFixture gw) {
    HttpClient ops = gw.vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", "/health/ready")
          .compose(r -> r.send().compose(resp -> resp.body().map(b -> b.toJsonObject()))));
    } finally {
      Await.result(ops.close());
    }
  }
}
