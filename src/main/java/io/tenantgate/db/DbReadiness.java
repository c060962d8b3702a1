package io.tenantgate.db;

import io.tenantgate.metrics.HealthCheck;
import io.tenantgate.metrics.HealthCheck.Result;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;

/**
 * Readiness of the database: a {@code SELECT 1} through the pool on its own schedule, so a readiness
 * request only reads the last verdict. Postgres being away makes the gateway DEGRADED, never DOWN: it
 * serves from its last registry snapshot.
 */
public final class DbReadiness implements HealthCheck {
  private final Vertx vertx;
  private final Pool pool;
  private final String schema;
  private volatile Result last = Result.degraded("not probed yet");
  private volatile Instant downSince;
  private long timerId = -1;

  DbReadiness(Vertx vertx, Pool pool, String schema) {
    this.vertx = vertx;
    this.pool = pool;
    this.schema = schema;
  }

  void start(Duration interval) {
    probe();
    timerId = vertx.setPeriodic(interval.toMillis(), id -> probe());
  }

  void stop() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  private void probe() {
    pool.query("SELECT 1").execute().onComplete(ar -> {
      if (ar.succeeded()) {
        downSince = null;
        last = Result.up("postgres reachable (schema " + schema + ")");
      } else {
        if (downSince == null) {
          downSince = Instant.now();
        }
        last = Result.degraded("postgres unreachable since " + downSince + ": " + ar.cause().getMessage());
      }
    });
  }

  @Override
  public String name() {
    return "postgres";
  }

  @Override
  public Result check() {
    return last;
  }
}
