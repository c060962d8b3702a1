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
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collector;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Postgres registry: migrates the schema and checks the master key at start, LISTENs on
 * {@value #CHANNEL}, loads the full snapshot, and re-reads it after each change notification
 * (coalesced over {@code notifyDebounce}). When every notification of a burst is an insert into
 * {@code revocations}, only the revocations the last read could not see are read (by the MVCC snapshot
 * it read at, see V4__revocation_reads.sql) and added to a copy of the revoked set, so revoking one
 * certificate among a million does not re-read a million rows; any other change, a row count that
 * does not add up or a snapshot that went backwards (another database) reads everything. When the
 * LISTEN connection drops it keeps serving the last snapshot, reports not up to date, reconnects with
 * backoff and re-reads everything once listening again, so no change made meanwhile is missed. All
 * state changes run on the registry's context.
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
  /** The next read must read everything: any change but a revocation insert sets it (readAt null does too). */
  private boolean fullPending;
  /** The MVCC snapshot ({@code pg_snapshot} text) the snapshot in force was read at; null before the first read. */
  private String readAt;
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
        .compose(x -> readAll(1))
        .map(r -> {
          apply(r);
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
      fullPending = true;
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
    boolean revocationAdded = false;
    try {
      JsonObject change = new JsonObject(payload);
      if (!db.schema().equals(change.getString("schema"))) {
        return;
      }
      revocationAdded = "revocations".equals(change.getString("table")) && "INSERT".equals(change.getString("op"));
    } catch (RuntimeException e) {
      // not ours to judge: a malformed payload still means "something changed"
    }
    fullPending |= !revocationAdded;
    scheduleReload(debounceMillis);
  }

  /** Schedules a full re-read of the snapshot now (admin tools, tests); listeners hear of the result. */
  public void refresh() {
    context.runOnContext(v -> {
      fullPending = true;
      scheduleReload(0);
    });
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
    boolean full = fullPending || readAt == null;
    fullPending = false;
    RegistrySnapshot base = snapshot;
    (full ? readAll(base.version() + 1) : readAdded(base))
        .onSuccess(this::apply)
        .onFailure(err -> {
          failedReads++;
          fullPending |= full;
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

  /** What one read produced: a new snapshot (null when nothing changed) and the MVCC snapshot it saw. */
  private record Read(RegistrySnapshot snapshot, String at, String mode) {
  }

  /**
   * Reads the three tables in one read-only REPEATABLE READ transaction, noting its MVCC snapshot.
   * On the loop the revoked serials are only collected as the driver decodes them (no row set kept);
   * parsing them into the new set, and building the rest, happens off the loop.
   */
  private Future<Read> readAll(long version) {
    List<String> serials = new ArrayList<>(Math.max(16, snapshot.revokedCount()));
    Collector<Row, ?, Integer> into = Collector.of(() -> serials, (l, row) -> l.add(TenantRows.serial(row)),
        (a, b) -> a, l -> 0);
    return db.pool().withTransaction(conn -> readOnly(conn)
        .compose(at -> conn.preparedQuery(TenantRows.SELECT_TENANTS).execute()
            .compose(tenants -> conn.preparedQuery(TenantRows.SELECT_CAS).execute()
                .compose(cas -> conn.preparedQuery(TenantRows.SELECT_REVOKED).collecting(into).execute()
                    .map(x -> new Rows(at, tenants, cas))))))
        .compose(rows -> vertx.executeBlocking(() -> {
          RevokedSerials.Builder revoked = new RevokedSerials.Builder(serials.size());
          for (String serial : serials) {
            revoked.add(serial);
          }
          serials.clear();
          return new Read(build(rows, revoked, version), rows.at, "full");
        }, false));
  }

  private record Rows(String at, RowSet<Row> tenants, RowSet<Row> cas) {
  }

  /**
   * Reads the revocations {@code base} was not read with, and the row count, in one transaction; adds
   * them to a copy of its revoked set off the loop. A count that does not add up, or an MVCC snapshot
   * older than the last one (a restored or other database), falls back to {@link #readAll}.
   */
  private Future<Read> readAdded(RegistrySnapshot base) {
    String since = readAt;
    long version = base.version() + 1;
    return db.pool().withTransaction(conn -> readOnly(conn)
        .compose(at -> conn.preparedQuery(TenantRows.SELECT_REVOKED_AFTER)
            .collecting(Collectors.mapping(TenantRows::serial, Collectors.toList())).execute(Tuple.of(since))
            .compose(added -> conn.preparedQuery(TenantRows.COUNT_REVOKED).execute()
                .map(count -> new Added(at, added.value(), count.iterator().next().getLong(0))))))
        .compose(a -> {
          if (xmax(a.at) < xmax(since)) {
            return gap(version, "the database's snapshot went back from " + since + " to " + a.at);
          }
          if (a.serials.isEmpty() && a.rows == base.revokedCount()) {
            return Future.succeededFuture(new Read(null, a.at, "incremental"));
          }
          return vertx.executeBlocking(() -> base.withRevoked(a.serials, Instant.now(), version), false)
              .compose(s -> s.revokedCount() == a.rows ? Future.succeededFuture(new Read(s, a.at, "incremental"))
                  : gap(version, a.rows + " revocations in the table, " + s.revokedCount() + " after adding "
                      + a.serials.size()));
        });
  }

  private record Added(String at, List<String> serials, long rows) {
  }

  private Future<Read> gap(long version, String why) {
    LOG.info("op=registry.load store=postgres schema={} read=incremental outcome=gap reason=\"{}\""
        + " (reading everything)", db.schema(), why);
    return readAll(version);
  }

  /** Starts the read-only REPEATABLE READ transaction and returns its MVCC snapshot (the first statement takes it). */
  private static Future<String> readOnly(SqlConnection conn) {
    return conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute()
        .compose(x -> conn.query(TenantRows.SELECT_READ_AT).execute())
        .map(rows -> rows.iterator().next().getString(0));
  }

  /** The xmax of a {@code pg_snapshot} text ({@code xmin:xmax:xip,...}): the first transaction id not assigned. */
  static long xmax(String pgSnapshot) {
    int a = pgSnapshot.indexOf(':');
    return Long.parseLong(pgSnapshot.substring(a + 1, pgSnapshot.indexOf(':', a + 1)));
  }

  private static RegistrySnapshot build(Rows rows, RevokedSerials.Builder revoked, long version) {
    List<Tenant> tenants = new ArrayList<>(rows.tenants.size());
    rows.tenants.forEach(r -> tenants.add(TenantRows.tenant(r)));
    List<TenantCa> cas = new ArrayList<>(rows.cas.size());
    rows.cas.forEach(r -> cas.add(TenantRows.ca(r)));
    return new RegistrySnapshot(tenants, cas, revoked.build(), Instant.now(), version);
  }

  private void apply(Read r) {
    readAt = r.at();
    if (r.snapshot() != null) {
      swap(r.snapshot(), r.mode());
      return;
    }
    failedReads = 0; // nothing this gateway serves changed (e.g. a revocation that was there already)
    if (listening) {
      lastError = null;
    }
  }

  private void swap(RegistrySnapshot s, String mode) {
    boolean wasStale = lastError != null;
    snapshot = s;
    failedReads = 0;
    if (listening) {
      lastError = null;
    }
    LOG.info("op=registry.load store=postgres schema={} read={} version={} tenants={} cas={} revoked={}{}",
        db.schema(), mode, s.version(), s.tenants().size(), s.cas().size(), s.revokedCount(),
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
