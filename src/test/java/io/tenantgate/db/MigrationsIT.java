package io.tenantgate.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The schema on the real Postgres: created by Flyway in its own schema, idempotent, audit log append-only. */
class MigrationsIT {
  private static Vertx vertx;
  private static PostgresFixture pg;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertx);
  }

  @AfterAll
  static void stop() {
    pg.close();
    Await.result(vertx.close());
  }

  @Test
  void migrationsCreateEveryTableInTheConfiguredSchemaAndRunAgainAsANoOp() {
    Set<String> tables = new TreeSet<>();
    Await.result(pg.db.pool().preparedQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = $1")
        .execute(io.vertx.sqlclient.Tuple.of(pg.schema))).forEach(r -> tables.add(r.getString(0)));
    assertTrue(tables.containsAll(Set.of("tenants", "tenant_cas", "issued_certificates", "revocations",
        "onboarding_packages", "audit_log", "master_key_check", "tenant_ca_requests", "flyway_schema_history")), tables.toString());

    Migrations.Result again = Await.result(pg.db.migrate());
    assertEquals(0, again.applied());
    assertEquals("4", again.version());
    // a second database object on the same schema (another gateway) migrates as a no-op as well
    Database other = Database.create(vertx, PostgresFixture.config(PostgresFixture.URL, pg.schema), Map.of());
    try {
      assertEquals(0, Await.result(other.migrate()).applied());
    } finally {
      Await.result(other.close());
    }
  }

  @Test
  void theAuditLogRefusesUpdateDeleteAndTruncate() {
    var pool = pg.db.pool();
    Await.result(pool.query("INSERT INTO audit_log (actor, action, detail) VALUES ('test', 'probe', '{}')").execute());
    for (String sql : new String[] {"UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"}) {
      Throwable err = Await.failure(pool.query(sql).execute());
      assertTrue(err instanceof PgException && err.getMessage().contains("append-only"), sql + ": " + err);
    }
    Row r = Await.result(pool.query("SELECT count(*) AS n FROM audit_log WHERE action = 'probe'").execute()).iterator().next();
    assertEquals(1L, r.getLong("n"));
  }

  @Test
  void readinessReportsTheDatabaseReachable() {
    pg.db.startProbe(Duration.ofMillis(100));
    Await.until(() -> pg.db.readiness().check().state() == io.tenantgate.metrics.HealthCheck.State.UP,
        Duration.ofSeconds(5), "probe up");
  }
}
