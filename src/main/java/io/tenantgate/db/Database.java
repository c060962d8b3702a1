package io.tenantgate.db;

import io.tenantgate.config.PostgresConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

/**
 * The Postgres side of the gateway: connection settings resolved once from config (URL, user,
 * password from a file or the environment, the schema as every session's {@code search_path}), the
 * pool, the migrations and the readiness probe. Features keep their SQL beside them and use
 * {@link #pool()}.
 */
public final class Database {
  /** {@code application_name} of the gateway's sessions (visible in {@code pg_stat_activity}). */
  public static final String APPLICATION_NAME = "tenantgate";

  private final Vertx vertx;
  private final PgConnectOptions connectOptions;
  private final String schema;
  private final Pool pool;
  private final DbReadiness readiness;

  private Database(Vertx vertx, PgConnectOptions connectOptions, String schema, int poolSize) {
    this.vertx = vertx;
    this.connectOptions = connectOptions;
    this.schema = schema;
    this.pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(poolSize).setName("tenantgate-" + schema))
        .connectingTo(connectOptions).using(vertx).build();
    this.readiness = new DbReadiness(vertx, pool, schema);
  }

  /**
   * Resolves the settings and creates the pool (no connection is made yet). Reads the password file:
   * call it at start-up, not on an event loop.
   *
   * @throws IllegalArgumentException when the password file cannot be read
   */
  public static Database create(Vertx vertx, PostgresConfig config, Map<String, String> env) {
    return new Database(vertx, connectOptions(config, env), config.schema(), config.poolSize());
  }

  static PgConnectOptions connectOptions(PostgresConfig config, Map<String, String> env) {
    PgConnectOptions o = PgConnectOptions.fromUri(config.url());
    String userInfo = URI.create(config.url()).getRawUserInfo();
    if (config.user() != null) {
      o.setUser(config.user());
    } else if (userInfo == null || userInfo.isEmpty()) {
      o.setUser("postgres");
    }
    if (config.passwordFile() != null) {
      try {
        o.setPassword(Files.readString(config.passwordFile(), StandardCharsets.UTF_8).strip());
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read registry.postgres.passwordFile " + config.passwordFile()
            + ": " + e.getMessage());
      }
    } else if (env.get(PostgresConfig.PASSWORD_ENV) != null) {
      o.setPassword(env.get(PostgresConfig.PASSWORD_ENV));
    }
    o.addProperty("search_path", config.schema());
    o.addProperty("application_name", APPLICATION_NAME);
    o.setReconnectAttempts(0);
    return o;
  }

  /** Runs the schema migrations (Flyway over JDBC) on a worker thread. */
  public Future<Migrations.Result> migrate() {
    return vertx.executeBlocking(() -> Migrations.run(connectOptions, schema), false);
  }

  /** Starts the readiness probe. */
  public void startProbe(Duration interval) {
    readiness.start(interval);
  }

  public Pool pool() {
    return pool;
  }

  /** A copy of the connection settings (for the LISTEN connection, which is not from the pool). */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions(connectOptions);
  }

  public String schema() {
    return schema;
  }

  public DbReadiness readiness() {
    return readiness;
  }

  public Future<Void> close() {
    readiness.stop();
    return pool.close();
  }
}
