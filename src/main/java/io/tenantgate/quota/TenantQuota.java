package io.tenantgate.quota;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's quota state in this gateway, shared by every event loop: the request and byte buckets,
 * the NATS publish and byte buckets, and the counts of connections, gRPC streams and WebSocket
 * subscriptions it holds. Every method is thread-safe and never blocks; the unlimited case costs a
 * volatile read. {@link #limits} is replaced in place when the registry changes, so callers may keep
 * the object for as long as they hold something of the tenant (an edge connection keeps its tenant's).
 *
 * <p>Refusals are logged here, once per burst: the first refusal of a limit logs at once, further ones
 * are counted and logged as one line at most every {@value #LOG_INTERVAL_SECONDS} s while they go on.
 */
public final class TenantQuota {
  private static final Logger LOG = LoggerFactory.getLogger(TenantQuota.class);
  static final long LOG_INTERVAL_SECONDS = 10;
  private static final long LOG_INTERVAL_NANOS = LOG_INTERVAL_SECONDS * 1_000_000_000L;

  private final UUID tenantId;
  private volatile String slug;
  private volatile EffectiveLimits limits = EffectiveLimits.UNLIMITED;
  private final RateBucket requests;
  private final RateBucket bytes;
  private final RateBucket natsPublishes;
  private final RateBucket natsBytes;
  private final Slots connections = new Slots();
  private final Slots grpcStreams = new Slots();
  private final Slots wsSubscriptions = new Slots();
  private final AtomicLong[] refused = new AtomicLong[Limit.values().length];
  private final AtomicLong[] lastLogged = new AtomicLong[Limit.values().length];

  TenantQuota(UUID tenantId, String slug, EffectiveLimits limits, long nowNanos) {
    this.tenantId = tenantId;
    this.slug = slug;
    this.requests = new RateBucket(nowNanos);
    this.bytes = new RateBucket(nowNanos);
    this.natsPublishes = new RateBucket(nowNanos);
    this.natsBytes = new RateBucket(nowNanos);
    for (int i = 0; i < refused.length; i++) {
      refused[i] = new AtomicLong();
      lastLogged[i] = new AtomicLong(Long.MIN_VALUE);
    }
    apply(slug, limits, nowNanos);
  }

  /** New limits (or slug) for this tenant: buckets resized in place, counts kept. */
  void apply(String slug, EffectiveLimits l, long now) {
    this.slug = slug;
    requests.resize(l.rps(), l.burst(), now);
    bytes.resize(l.bytesPerSecond(), l.bytesPerSecond(), now);
    natsPublishes.resize(l.natsPublishesPerSecond(), l.natsBurst(), now);
    natsBytes.resize(l.natsBytesPerSecond(), l.natsBytesPerSecond(), now);
    connections.limit(l.connections());
    grpcStreams.limit(l.grpcStreams());
    wsSubscriptions.limit(l.wsSubscriptions());
    limits = l;
  }

  public UUID tenantId() {
    return tenantId;
  }

  public String slug() {
    return slug;
  }

  public EffectiveLimits limits() {
    return limits;
  }

  /** One request to core: 0 when admitted, else nanoseconds until one would be. */
  public long admitRequest(long now) {
    return requests.tryTake(1, now);
  }

  /** Whether the tenant's request bytes are in debt: 0 when not, else nanoseconds until they are paid. */
  public long bandwidthWait(long now) {
    return bytes.waitNanos(now);
  }

  /** Request bytes that went to core; the nanoseconds the sender should now pause (0: none). */
  public long chargeBytes(long n, long now) {
    return bytes.charge(n, now);
  }

  public boolean acquireConnection() {
    return connections.tryAcquire();
  }

  public void releaseConnection() {
    connections.release();
  }

  public boolean acquireGrpcStream() {
    return grpcStreams.tryAcquire();
  }

  public void releaseGrpcStream() {
    grpcStreams.release();
  }

  public boolean acquireSubscription() {
    return wsSubscriptions.tryAcquire();
  }

  public void releaseSubscriptions(int n) {
    for (int i = 0; i < n; i++) {
      wsSubscriptions.release();
    }
  }

  /**
   * One NATS publish (or request) of {@code payload} bytes: null when admitted (one publish and the
   * bytes taken), else the limit it is over. Bytes are checked first so a refusal takes nothing.
   */
  public Limit admitNatsPublish(long payload, long now) {
    if (natsBytes.waitNanos(now) > 0) {
      return Limit.NATS_BANDWIDTH;
    }
    if (natsPublishes.tryTake(1, now) > 0) {
      return Limit.NATS_PUBLISHES;
    }
    natsBytes.charge(payload, now);
    return null;
  }

  /**
   * How long a client refused by {@code limit} should wait: until the debt is paid (bytes), one token's
   * time (rates; admitRequest already said exactly), or a second (counts: nobody knows when one frees).
   */
  public long retryAfterNanos(Limit limit, long now) {
    return switch (limit) {
      case REQUESTS -> oneToken(requests);
      case BANDWIDTH -> bytes.waitNanos(now);
      case NATS_PUBLISHES -> oneToken(natsPublishes);
      case NATS_BANDWIDTH -> natsBytes.waitNanos(now);
      default -> 1_000_000_000L;
    };
  }

  private static long oneToken(RateBucket b) {
    RateBucket.Rate r = b.rate();
    return r.unlimited() ? 0 : RateBucket.nanos(1, r.perSecond());
  }

  /** Held right now: connections, gRPC streams, subscriptions (tests and views). */
  public int held(Limit limit) {
    return switch (limit) {
      case CONNECTIONS -> connections.held();
      case GRPC_STREAMS -> grpcStreams.held();
      case WS_SUBSCRIPTIONS -> wsSubscriptions.held();
      default -> 0;
    };
  }

  /** A refusal by {@code limit}: counted, and logged if it starts a burst or a summary is due. */
  public void refused(Limit limit, long now) {
    int i = limit.ordinal();
    refused[i].incrementAndGet();
    long last = lastLogged[i].get();
    if (last != Long.MIN_VALUE && now - last < LOG_INTERVAL_NANOS) {
      return;
    }
    if (!lastLogged[i].compareAndSet(last, now)) {
      return;
    }
    // the count since the previous line: the first refusal of a burst logs alone, a flood once a window
    LOG.info("op=quota outcome=limited tenant={} reason={} limit={} value={} refused_since_last_line={}", slug,
        limit.failure().code(), limit.field(), limits.of(limit), refused[i].getAndSet(0));
  }
}
