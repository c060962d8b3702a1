package io.tenantgate.db;

import io.vertx.pgclient.PgConnectOptions;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned schema migrations ({@code src/main/resources/db/migration/V<n>__*.sql}) applied by Flyway
 * at start-up into the configured schema, which Flyway creates when missing. Blocking JDBC: run it on
 * a worker thread ({@link Database#migrate()}). Flyway's advisory lock makes concurrent gateways
 * apply each version once.
 */
public final class Migrations {
  private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
  public static final String LOCATION = "classpath:db/migration";

  private Migrations() {
  }

  /** What a run did: the schema version now in force and how many migrations it applied. */
  public record Result(String version, int applied) {
  }

  public static Result run(PgConnectOptions o, String schema) {
    Flyway flyway = Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(jdbcUrl(o), o.getUser(), o.getPassword())
        .jdbcProperties(Map.of("ApplicationName", Database.APPLICATION_NAME + "-migrations"))
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(true)
        .locations(LOCATION)
        .failOnMissingLocations(true)
        .load();
    MigrateResult r = flyway.migrate();
    String version = r.targetSchemaVersion != null ? r.targetSchemaVersion : r.initialSchemaVersion;
    LOG.info("op=db.migrate schema={} version={} applied={}", schema, version, r.migrationsExecuted);
    return new Result(version, r.migrationsExecuted);
  }

  static String jdbcUrl(PgConnectOptions o) {
    String host = o.getHost().contains(":") ? "[" + o.getHost() + "]" : o.getHost();
    return "jdbc:postgresql://" + host + ":" + o.getPort() + "/" + o.getDatabase();
  }
}
