package io.tenantgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The facade every capability records through. Tag values come from closed sets (reason codes,
 * route names, protocol names, status classes) plus the bounded tenant tag; meters are cached so
 * the hot path does one map lookup, not a registry lookup.
 */
public final class GatewayMetrics {
  /** Fixed latency buckets: 14 per timer instead of Micrometer's ~70, so per-tenant timers stay affordable. */
  private static final Duration[] BUCKETS = java.util.stream.LongStream.of(1, 2, 5, 10, 25, 50, 100, 250, 500,
      1_000, 2_500, 5_000, 10_000, 30_000).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

  private final PrometheusMeterRegistry registry;
  private final TenantTags tenants;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();

  public GatewayMetrics(int tenantTagCap) {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.tenants = new TenantTags(tenantTagCap);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    NettyAllocatorMetrics.bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public MeterRegistry meterRegistry() {
    return registry;
  }

  /** Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** An identity refusal; {@code stage} is "handshake" or "request". */
  public void refusal(String reason, String tenantSlug, String stage) {
    String t = tenants.tag(tenantSlug);
    counter("tenantgate.refusals", "reason", reason, "tenant", t, "stage", stage).increment();
  }

  /**
   * An admin API call: {@code operation} from the route table (a closed set), {@code outcome} "ok" or
   * the refusal's reason code.
   */
  public void adminCall(String operation, int status, String outcome) {
    counter("tenantgate.admin.requests", "operation", operation, "status", Integer.toString(status), "outcome",
        outcome).increment();
  }

  /** An enrollment attempt (bundle download or CSR): outcome "ok" or the refusal's reason code. */
  public void enrollment(String delivery, String outcome, String tenantSlug) {
    counter("tenantgate.enrollments", "delivery", delivery, "outcome", outcome, "tenant", tenants.tag(tenantSlug))
        .increment();
  }

  /** A finished TLS handshake; {@code outcome} is "ok" or "failed", reason "none" on success. */
  public void handshake(String outcome, String reason, String tenantSlug) {
    counter("tenantgate.handshakes", "outcome", outcome, "reason", reason, "tenant", tenants.tag(tenantSlug))
        .increment();
  }

  /**
   * How late an event loop ran a timer that was due: the best single signal that something blocks
   * a loop or the loops are saturated.
   */
  public void eventLoopDelay(long nanos) {
    timer("tenantgate.event.loop.delay").record(Duration.ofNanos(Math.max(0, nanos)));
  }

  /** A TLS hot reload attempt: "applied" or "rejected". */
  public void tlsReload(String outcome) {
    counter("tenantgate.tls.reloads", "outcome", outcome).increment();
  }

  /** The session-ticket keys moved to a new epoch ({@code scheduled}) or new TLS material ({@code tls_reload}). */
  public void tlsTicketKeyRotation(String reason) {
    counter("tenantgate.tls.ticket.key.rotations", "reason", reason).increment();
  }

  /** A tenant assertion was signed (once per connection and per refresh, never per request). */
  public void assertionSigned(String tenantSlug) {
    counter("tenantgate.assertions.signed", "tenant", tenants.tag(tenantSlug)).increment();
  }

  public void connectionOpened(String tenantSlug) {
    gauge("tenantgate.connections.active", tenants.tag(tenantSlug)).incrementAndGet();
  }

  public void connectionClosed(String tenantSlug) {
    gauge("tenantgate.connections.active", tenants.tag(tenantSlug)).decrementAndGet();
  }

  /** A message the NATS bridge handed to NATS; {@code mode} is core, jetstream, request or reply. */
  public void natsPublished(String tenantSlug, String mode) {
    counter("tenantgate.nats.publishes", "mode", mode, "tenant", tenants.tag(tenantSlug)).increment();
  }

  /** A JetStream acknowledgement passed to the client ({@code duplicate}: the stream already had the Nats-Msg-Id). */
  public void natsAcked(String tenantSlug, boolean duplicate) {
    counter("tenantgate.nats.acks", "duplicate", Boolean.toString(duplicate), "tenant", tenants.tag(tenantSlug))
        .increment();
  }

  /** A bridge operation that failed; {@code reason} from the bridge's closed set (nats_unavailable, stream_full, ...). */
  public void natsError(String tenantSlug, String reason) {
    counter("tenantgate.nats.errors", "reason", reason, "tenant", tenants.tag(tenantSlug)).increment();
  }

  /** A subject refused by the bridge's validator or allow-list; {@code reason} from its closed set. */
  public void natsDenied(String tenantSlug, String reason) {
    counter("tenantgate.nats.denials", "reason", reason, "tenant", tenants.tag(tenantSlug)).increment();
  }

  /** Whether the bridge's NATS connection is up (1) or not (0). */
  public void natsConnected(boolean up) {
    gauges.computeIfAbsent("tenantgate.nats.connected|", k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder("tenantgate.nats.connected", v, AtomicLong::doubleValue).register(registry);
      return v;
    }).set(up ? 1 : 0);
  }

  public void natsWebSocketOpened(String tenantSlug) {
    gauge("tenantgate.nats.websockets.active", tenants.tag(tenantSlug)).incrementAndGet();
  }

  public void natsWebSocketClosed(String tenantSlug) {
    gauge("tenantgate.nats.websockets.active", tenants.tag(tenantSlug)).decrementAndGet();
  }

  /**
   * A finished request or stream.
   *
   * @param upstreamNanos time from the upstream request being sent to its response head; negative when
   *     the request never reached core
   * @param gatewayNanos time the gateway itself added before core was asked (identity is per connection,
   *     so this is routing, header work, pool wait and any assertion signing)
   */
  public void request(String route, String protocol, int status, String tenantSlug, long durationNanos,
      long upstreamNanos, long gatewayNanos, long bytesIn, long bytesOut) {
    String t = tenants.tag(tenantSlug);
    String cls = (status / 100) + "xx";
    counter("tenantgate.requests", "route", route, "protocol", protocol, "status_class", cls, "tenant", t).increment();
    timer("tenantgate.request.duration", "route", route, "protocol", protocol, "tenant", t)
        .record(Duration.ofNanos(durationNanos));
    if (upstreamNanos >= 0) {
      timer("tenantgate.upstream.duration", "route", route, "protocol", protocol, "tenant", t)
          .record(Duration.ofNanos(upstreamNanos));
      timer("tenantgate.gateway.duration", "route", route, "protocol", protocol, "tenant", t)
          .record(Duration.ofNanos(gatewayNanos));
    }
    if (bytesIn > 0) {
      counter("tenantgate.bytes.in", "tenant", t).increment(bytesIn);
    }
    if (bytesOut > 0) {
      counter("tenantgate.bytes.out", "tenant", t).increment(bytesOut);
    }
  }

  /** A gRPC stream opened (+1) or ended (-1). */
  public void grpcStream(String tenantSlug, int delta) {
    gauge("tenantgate.grpc.streams.active", tenants.tag(tenantSlug)).addAndGet(delta);
  }

  /** Exposes a value read at scrape time (snapshot age, registry sizes). */
  public void gaugeOf(String name, String description, java.util.function.Supplier<Number> value) {
    // strong: Micrometer holds gauge state weakly by default, and a lambda nobody else references is
    // collected at the next GC, after which the gauge reads NaN
    Gauge.builder(name, value, v -> v.get().doubleValue()).description(description).strongReference(true)
        .register(registry);
  }

  /**
   * A counter whose running total {@code read} takes from {@code source} (monotonic), with one tag.
   * Micrometer holds {@code source} weakly: pass an object the gateway keeps, not a fresh lambda.
   */
  public <T> void counterOf(String name, String description, String tagKey, String tagValue, T source,
      java.util.function.ToDoubleFunction<T> read) {
    io.micrometer.core.instrument.FunctionCounter.builder(name, source, read)
        .description(description).tag(tagKey, tagValue).register(registry);
  }

  /** Count of a counter with exactly these tags, for tests and health views. */
  public double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private Counter counter(String name, String... tags) {
    return counters.computeIfAbsent(key(name, tags), k -> Counter.builder(name).tags(tags).register(registry));
  }

  private Timer timer(String name, String... tags) {
    return timers.computeIfAbsent(key(name, tags), k -> Timer.builder(name).tags(tags)
        .serviceLevelObjectives(BUCKETS).register(registry));
  }

  private AtomicLong gauge(String name, String tenant) {
    return gauges.computeIfAbsent(name + "|" + tenant, k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(name, v, AtomicLong::doubleValue).tag("tenant", tenant).register(registry);
      return v;
    });
  }

  private static String key(String name, String... tags) {
    return name + "|" + String.join("|", tags);
  }
}
