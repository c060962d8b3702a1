package io.tenantgate.tenant;

import io.tenantgate.config.RegistryConfig;
import io.tenantgate.db.Database;
import io.tenantgate.pki.MasterKey;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.pubsub.PgSubscriber;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Postgres registry: migrates the schema and checks the master key at start, LISTENs on
 * {@value #CHANNEL}, loads the full snapshot, and re-reads it after each change notification
 * (coalesced over {@code notifyDebounce}). When the LISTEN connection drops it keeps serving the last
 * snapshot, reports not up to date, reconnects with backoff and re-reads everything once listening
 * again, so no change made meanwhile is missed. All state changes run on the registry's context.
 */
public final class PostgresTenantRegistry implements TenantRegistry {
  public static final String CHANNEL = "tenantgate_registry";
  private static final Logger LOG = LoggerFactory.getLogger(PostgresTenantRegistry.class);
  private static final long HEARTBEAT_MILLIS = 5_000;

  private final Vertx vertx;
  private final Database db;
  private final MasterKey masterKey;
  private final long debounceMillis;
  private final long backoffMaxMillis;
  private final List<Consumer<RegistrySnapshot>> listeners = new CopyOnWriteArrayList<>();
  private volatile RegistrySnapshot snapshot = RegistrySnapshot.empty();
  private volatile String lastError = "not started";
  private Context context;
  private PgSubscriber subscriber;
  private volatile boolean listening;
  private int subscriptions;
  private long reloadTimer = -1;
  private long heartbeatTimer = -1;
  private boolean reloading;
  private boolean again;
  private int failedReads;
  private boolean closed;

  public PostgresTenantRegistry(Vertx vertx, Database db, MasterKey masterKey, Duration notifyDebounce,
      Duration reconnectBackoffMax) {
    this.vertx = vertx;
    this.db = db;
    this.masterKey = masterKey;
    this.debounceMillis = Math.max(1, notifyDebounce.toMillis());
    this.backoffMaxMillis = reconnectBackoffMax.toMillis();
  }

  /**
   * From configuration: reads the master key and the database password (blocking file reads: call at
   * start-up). A missing or malformed master key fails here with a message naming what to set.
   */
  public static PostgresTenantRegistry create(Vertx vertx, RegistryConfig config, Map<String, String> env) {
    return create(vertx, config, env, true);
  }

  /**
   * @param needsMasterKey false for an edge-only gateway (no admin API, no enrollment): it reads the
   *     registry but never opens a CA key, so it loads the master key only when one is configured, and an
   *     edge pod need not hold the key that opens every tenant CA
   */
  public static PostgresTenantRegistry create(Vertx vertx, RegistryConfig config, Map<String, String> env,
      boolean needsMasterKey) {
    boolean configured = config.masterKeyFile() != null || (env.get(MasterKey.ENV) != null
        && !env.get(MasterKey.ENV).isBlank());
    MasterKey key = needsMasterKey || configured ? MasterKey.load(config.masterKeyFile(), env) : null;
    Database db = Database.create(vertx, config.postgres(), env);
    return new PostgresTenantRegistry(vertx, db, key, config.postgres().notifyDebounce(),
        config.postgres().reconnectBackoffMax());
  }

  /** The key tenant CA keys are sealed with (the admin stores and the token signer share it); null on an edge-only gateway without one. */
  public MasterKey masterKey() {
    return masterKey;
  }

  public Database database() {
    return db;
  }

  @Override
  public RegistrySnapshot snapshot() {
    return snapshot;
  }

  @Override
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    return Future.<Void>future(p -> context.runOnContext(v -> db.migrate()
        .compose(m -> masterKey == null ? Future.<Void>succeededFuture()
            : MasterKeyCheck.verify(db.pool(), masterKey, db.schema()))
        .compose(x -> listen())
        .compose(x -> read(1))
        .map(s -> {
          swap(s);
          db.startProbe(Duration.ofSeconds(5));
          heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, id -> heartbeat());
          return (Void) null;
        })
        .onComplete(p)))
        .recover(err -> Future.failedFuture(new IllegalStateException(
            "postgres registry (schema " + db.schema() + "): " + err.getMessage(), err)));
  }

  private Future<Void> listen() {
    subscriber = PgSubscriber.subscriber(vertx, db.connectOptions());
    // called with 0 when the connection closes, then with n after n failed reconnect attempts
    subscriber.reconnectPolicy(attempt -> {
      context.runOnContext(v -> lost(attempt));
      return Math.min(backoffMaxMillis, 100L << Math.min(attempt, 10));
    });
    subscriber.channel(CHANNEL)
        .subscribeHandler(v -> context.runOnContext(x -> subscribed()))
        .handler(payload -> context.runOnContext(x -> notified(payload)));
    // connect() completes once LISTEN succeeded
    return subscriber.connect().onSuccess(v -> listening = true);
  }

  private void subscribed() {
    listening = true;
    if (++subscriptions > 1) {
      LOG.info("op=registry.listen store=postgres schema={} outcome=reconnected (re-reading the snapshot)", db.schema());
      scheduleReload(0);
    }
  }

  private void lost(int attempt) {
    if (closed) {
      return;
    }
    listening = false;
    if (attempt == 0) {
      LOG.warn("op=registry.listen store=postgres schema={} outcome=lost (serving snapshot version {})",
          db.schema(), snapshot.version());
      lastError = "LISTEN connection to postgres lost at " + Instant.now() + "; reconnecting";
    } else {
      lastError = lastError.replaceFirst(" \\(attempt \\d+\\)$", "") + " (attempt " + attempt + ")";
    }
  }

  private void notified(String payload) {
    try {
      if (!db.schema().equals(new JsonObject(payload).getString("schema"))) {
        return;
      }
    } catch (RuntimeException e) {
      // not ours to judge: a malformed payload still means "something changed"
    }
    scheduleReload(debounceMillis);
  }

  /** Schedules a full re-read of the snapshot now (admin tools, tests); listeners hear of the result. */
  public void refresh() {
    context.runOnContext(v -> scheduleReload(0));
  }

  private void scheduleReload(long delayMillis) {
    if (closed || reloadTimer >= 0) {
      return;
    }
    if (reloading) {
      again = true;
      return;
    }
    reloadTimer = vertx.setTimer(Math.max(1, delayMillis), id -> {
      reloadTimer = -1;
      reload();
    });
  }

  private void reload() {
    reloading = true;
    read(snapshot.version() + 1)
        .onSuccess(this::swap)
        .onFailure(err -> {
          failedReads++;
          lastError = "snapshot read failed: " + err.getMessage();
          LOG.warn("op=registry.load store=postgres schema={} outcome=failed reason=\"{}\" (the previous snapshot"
              + " stays in force)", db.schema(), err.getMessage());
          if (listening) {
            vertx.setTimer(Math.min(backoffMaxMillis, 100L << Math.min(failedReads, 10)), id -> scheduleReload(0));
          }
        })
        .onComplete(ar -> {
          reloading = false;
          if (again) {
            again = false;
            scheduleReload(debounceMillis);
          }
        });
  }

  /** Reads the three tables in one read-only REPEATABLE READ transaction, then builds the snapshot off the loop. */
  private Future<RegistrySnapshot> read(long version) {
    return db.pool().withTransaction(conn -> conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute()
        .compose(x -> conn.preparedQuery(TenantRows.SELECT_TENANTS).execute())
        .compose(tenants -> conn.preparedQuery(TenantRows.SELECT_CAS).execute()
            .compose(cas -> conn.preparedQuery(TenantRows.SELECT_REVOKED).execute()
                .map(revoked -> List.of(tenants, cas, revoked)))))
        .compose(sets -> vertx.executeBlocking(() -> build(sets, version), false));
  }

  private static RegistrySnapshot build(List<RowSet<Row>> sets, long version) {
    List<Tenant> tenants = new ArrayList<>(sets.get(0).size());
    sets.get(0).forEach(r -> tenants.add(TenantRows.tenant(r)));
    List<TenantCa> cas = new ArrayList<>(sets.get(1).size());
    sets.get(1).forEach(r -> cas.add(TenantRows.ca(r)));
    List<String> revoked = new ArrayList<>(sets.get(2).size());
    sets.get(2).forEach(r -> revoked.add(TenantRows.serial(r)));
    return new RegistrySnapshot(tenants, cas, revoked, Instant.now(), version);
  }

  private void swap(RegistrySnapshot s) {
    boolean wasStale = lastError != null;
    snapshot = s;
    failedReads = 0;
    if (listening) {
      lastError = null;
    }
    LOG.info("op=registry.load store=postgres schema={} version={} tenants={} cas={} revoked={}{}", db.schema(),
        s.version(), s.tenants().size(), s.cas().size(), s.revokedCount(),
        wasStale && lastError == null && s.version() > 1 ? " recovered=true" : "");
    listeners.forEach(l -> l.accept(s));
  }

  /**
   * A query on the LISTEN connection: a connection that died without a FIN (network partition) is
   * closed when no answer comes within the interval, which starts the reconnect.
   */
  private void heartbeat() {
    PgConnection conn = subscriber.actualConnection();
    if (conn == null || !listening) {
      return;
    }
    boolean[] answered = {false};
    long timeout = vertx.setTimer(HEARTBEAT_MILLIS - 500, id -> {
      if (!answered[0]) {
        conn.close();
      }
    });
    conn.query("SELECT 1").execute().onComplete(ar -> context.runOnContext(v -> {
      answered[0] = true;
      vertx.cancelTimer(timeout);
      if (ar.failed()) {
        conn.close();
      }
    }));
  }

  @Override
  public Runnable onChange(Consumer<RegistrySnapshot> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public RegistryHealth health() {
    RegistrySnapshot s = snapshot;
    long age = s.loadedAt().equals(Instant.EPOCH) ? -1 : Duration.between(s.loadedAt(), Instant.now()).toMillis();
    String err = lastError;
    String where = "postgres schema " + db.schema();
    return err == null ? new RegistryHealth(true, where + " version " + s.version() + " (listening)", age)
        : new RegistryHealth(false, where + ": " + err, age);
  }

  @Override
  public Future<Void> close() {
    if (context == null) {
      return db.close();
    }
    return Future.<Void>future(p -> context.runOnContext(v -> {
      closed = true;
      if (reloadTimer >= 0) {
        vertx.cancelTimer(reloadTimer);
      }
      if (heartbeatTimer >= 0) {
        vertx.cancelTimer(heartbeatTimer);
      }
      Future<Void> sub = subscriber == null ? Future.succeededFuture() : subscriber.close();
      sub.transform(x -> db.close()).onComplete(p);
    }));
  }
}
