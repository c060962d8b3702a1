package io.tenantgate.tenant;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves onboarding packages from {@code delivered} to {@code activated} when their certificate first
 * connects. The edge reports every accepted serial ({@link #seen}); serials already reported are
 * remembered (bounded), new ones are written in one batched UPDATE per interval, so a busy edge costs
 * at most one small query per interval and nothing per request. Serials that match no delivered
 * package (most of them) are simply not updated. Thread-safe: called from every event loop.
 */
public final class PackageActivations {
  private static final Logger LOG = LoggerFactory.getLogger(PackageActivations.class);
  private static final String ACTIVATE = "UPDATE onboarding_packages SET state = 'activated', activated_at = now()"
      + " WHERE state = 'delivered' AND certificate_serial = ANY($1) RETURNING id, tenant_id, certificate_serial";
  private static final int MAX_BATCH = 1_000;

  private final Vertx vertx;
  private final Pool pool;
  private final long intervalMillis;
  private final Map<String, Boolean> known;
  private final List<String> pending = new ArrayList<>();
  private Context context;
  private long timer = -1;
  private boolean flushing;

  /** @param remember how many serials to remember as already reported */
  public PackageActivations(Vertx vertx, Pool pool, long intervalMillis, int remember) {
    this.vertx = vertx;
    this.pool = pool;
    this.intervalMillis = intervalMillis;
    this.known = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > remember;
      }
    };
  }

  public void start() {
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> timer = vertx.setPeriodic(intervalMillis, id -> flush()));
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** An accepted connection presented the certificate with this serial (normalised hex). */
  public void seen(String serialHex) {
    synchronized (this) {
      if (pending.size() >= MAX_BATCH || known.put(serialHex, Boolean.TRUE) != null) {
        // a full batch: not remembered, so the next connection with this serial reports it again
        return;
      }
      pending.add(serialHex);
    }
  }

  /** Writes what is pending now (tests; the timer does it every interval). */
  public Future<Integer> flush() {
    List<String> batch;
    synchronized (this) {
      if (flushing || pending.isEmpty()) {
        return Future.succeededFuture(0);
      }
      flushing = true;
      batch = List.copyOf(pending);
      pending.clear();
    }
    return pool.withTransaction(conn -> conn.preparedQuery(ACTIVATE).execute(Tuple.of(batch.toArray(new String[0])))
        .compose(rows -> {
          List<Future<Void>> audits = new ArrayList<>();
          rows.forEach(r -> audits.add(AuditLog.append(conn, "gateway", "package.activate", r.getUUID("tenant_id"),
              new JsonObject().put("package_id", r.getUUID("id").toString())
                  .put("serial", r.getString("certificate_serial")))));
          return Future.all(audits).map(x -> rows.rowCount());
        }))
        .onComplete(ar -> {
          synchronized (this) {
            flushing = false;
            if (ar.failed()) {
              // forget them so the next connection reports them again
              batch.forEach(known::remove);
            }
          }
          if (ar.failed()) {
            LOG.warn("op=package.activate outcome=failed serials={} cause={}", batch.size(), ar.cause().toString());
          } else if (ar.result() > 0) {
            LOG.info("op=package.activate outcome=ok packages={}", ar.result());
          }
        });
  }
}
