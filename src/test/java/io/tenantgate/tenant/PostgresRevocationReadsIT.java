package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.db.Database;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Postgres registry reads only the revocations its last read could not see, on the real server:
 * a revoked serial reaches the snapshot without the tenants and CAs being read again (the CA objects
 * stay the same), a revocation whose transaction commits after a later one is still read, and every
 * other change — or a row count that does not add up — reads everything.
 */
class PostgresRevocationReadsIT {
  private static final Duration PROPAGATION = Duration.ofSeconds(2);
  private static Vertx vertx;
  private static PostgresFixture pg;
  private static TenantStore store;
  private static PostgresTenantRegistry registry;
  private static String acmeCa;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertx);
    store = pg.store(TestPki.get().root);
    Await.result(store.createTenant("acme", "Acme", "it"));
    Await.result(store.createTenant("globex", "Globex", "it"));
    Await.result(store.revokeSerial("0a01", "before start", "it"));
    registry = new PostgresTenantRegistry(vertx, Database.create(vertx, PostgresFixture.config(PostgresFixture.URL,
        pg.schema), Map.of()), pg.masterKey, Duration.ofMillis(20), Duration.ofMillis(500));
    Await.result(registry.start());
    acmeCa = Await.result(store.listCas("acme")).get(0).spkiSha256();
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      Await.result(registry.close());
    }
    if (pg != null) {
      pg.close();
    }
    Await.result(vertx.close());
  }

  private static TenantCa ca() {
    return registry.snapshot().caBySpki(acmeCa);
  }

  private static void revoked(String serial) {
    Await.until(() -> registry.snapshot().isRevoked(serial), PROPAGATION, serial + " revoked");
  }

  private static void sql(String statement, Object... params) {
    Await.result(pg.db.pool().preparedQuery(statement).execute(Tuple.wrap(params)));
  }

  @Test
  void aRevocationIsAddedWithoutReadingTenantsAndCasAgain() {
    assertTrue(registry.snapshot().isRevoked("a01"));
    TenantCa before = ca();
    long version = registry.snapshot().version();
    int count = registry.snapshot().revokedCount();

    assertTrue(Await.result(store.revokeSerial("00:B0:01", "key compromise", "it")));
    revoked("b001");

    assertSame(before, ca(), "the CAs were not read again");
    assertTrue(registry.snapshot().version() > version);
    assertEquals(count + 1, registry.snapshot().revokedCount());
    assertTrue(registry.snapshot().isRevoked("a01"));
  }

  @Test
  void aRevocationCommittedAfterALaterOneIsStillRead() {
    TenantCa before = ca();
    SqlConnection slow = Await.result(pg.db.pool().getConnection());
    try {
      Transaction tx = Await.result(slow.begin());
      Await.result(slow.preparedQuery("INSERT INTO revocations (serial, reason) VALUES ($1, 'slow')")
          .execute(Tuple.of("c001")));
      // a later transaction commits first: the registry reads past the slow one's row...
      assertTrue(Await.result(store.revokeSerial("c002", "fast", "it")));
      revoked("c002");
      assertFalse(registry.snapshot().isRevoked("c001"));
      // ...and still reads it once it commits: it was in progress at that read
      Await.result(tx.commit());
      revoked("c001");
      assertSame(before, ca(), "both were incremental reads");
    } finally {
      slow.close();
    }
  }

  @Test
  void aDeletedRevocationReadsEverything() {
    sql("INSERT INTO revocations (serial, reason) VALUES ('d001', 'it')");
    revoked("d001");
    TenantCa before = ca();

    sql("DELETE FROM revocations WHERE serial = 'd001'");

    Await.until(() -> !registry.snapshot().isRevoked("d001"), PROPAGATION, "d001 no longer revoked");
    assertNotSame(before, ca(), "a full read");
  }

  @Test
  void anyOtherChangeReadsEverything() {
    TenantCa before = ca();
    assertTrue(Await.result(store.suspend("globex", "it")));
    Await.until(() -> !registry.snapshot().tenantBySlug("globex").active(), PROPAGATION, "globex suspended");
    assertNotSame(before, ca(), "a full read");
    assertTrue(Await.result(store.resume("globex", "it")));
    Await.until(() -> registry.snapshot().tenantBySlug("globex").active(), PROPAGATION, "globex resumed");
  }

  @Test
  void aRowCountThatDoesNotAddUpReadsEverything() {
    sql("INSERT INTO revocations (serial, reason) VALUES ('e001', 'it')");
    revoked("e001");
    // a change no notification told of (triggers off, as a bulk load or a replica apply might run)
    sql("ALTER TABLE revocations DISABLE TRIGGER revocations_notify");
    try {
      sql("DELETE FROM revocations WHERE serial = 'e001'");
    } finally {
      sql("ALTER TABLE revocations ENABLE TRIGGER revocations_notify");
    }
    assertTrue(registry.snapshot().isRevoked("e001"), "nothing told the registry yet");
    TenantCa before = ca();

    assertTrue(Await.result(store.revokeSerial("e002", "next", "it")));

    Await.until(() -> registry.snapshot().isRevoked("e002") && !registry.snapshot().isRevoked("e001"), PROPAGATION,
        "the count gap noticed and everything read");
    assertNotSame(before, ca(), "a full read");
  }
}
