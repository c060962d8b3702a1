package io.tenantgate.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The facade every capability records through. Tag values come from closed sets (reason codes,
 * route names, protocol names, status classes) plus the bounded tenant tag; meters are cached so
 * the hot path does map lookups, not registry lookups, and a finished request finds its meters by
 * strings that already exist (route, protocol, tenant tag) without building a key.
 */
public final class GatewayMetrics {
  /** Fixed latency buckets: 14 per timer instead of Micrometer's ~70, so per-tenant timers stay affordable. */
  private static final Duration[] BUCKETS = java.util.stream.LongStream.of(1, 2, 5, 10, 25, 50, 100, 250, 500,
      1_000, 2_500, 5_000, 10_000, 30_000).mapToObj(Duration::ofMillis).toArray(Duration[]::new);

  /** The HELP line of every meter this class registers: what it counts and what its tags mean. */
  private static final Map<String, String> HELP = Map.ofEntries(
      Map.entry("tenantgate.refusals", "Requests and connections refused, by reason code, tenant and stage"
          + " (handshake, connection, request, upstream, revalidation)"),
      Map.entry("tenantgate.admin.requests", "Admin API calls by operation, HTTP status and outcome"),
      Map.entry("tenantgate.enrollments", "Enrollment attempts (bundle download or CSR) by delivery, outcome and tenant"),
      Map.entry("tenantgate.handshakes", "Finished edge TLS handshakes by outcome, reason and tenant"),
      Map.entry("tenantgate.event.loop.delay", "How late an event loop ran a timer that was due"),
      Map.entry("tenantgate.tls.reloads", "Edge TLS hot reloads by outcome (applied or rejected)"),
      Map.entry("tenantgate.tls.ticket.key.rotations", "TLS session-ticket key rotations by reason"),
      Map.entry("tenantgate.assertions.signed", "Tenant assertions signed (once per client certificate and refresh)"),
      Map.entry("tenantgate.connections.active", "Open edge connections by tenant"),
      Map.entry("tenantgate.connection.closes", "Edge connections the gateway closed on its own initiative, by reason"
          + " (idle, header_timeout, expired, h2_flood) and tenant"),
      Map.entry("tenantgate.nats.publishes", "Messages the NATS bridge handed to NATS, by mode and tenant"),
      Map.entry("tenantgate.nats.acks", "JetStream acknowledgements passed to clients, by duplicate and tenant"),
      Map.entry("tenantgate.nats.errors", "NATS bridge operations that failed, by reason and tenant"),
      Map.entry("tenantgate.nats.denials", "Subjects refused by the NATS bridge, by reason and tenant"),
      Map.entry("tenantgate.nats.connected", "Whether the bridge's NATS connection is up (1) or not (0)"),
      Map.entry("tenantgate.nats.websockets.active", "Open NATS WebSocket sessions by tenant"),
      Map.entry("tenantgate.grpc.streams.active", "Open gRPC streams by tenant"),
      Map.entry("tenantgate.request.duration", "Edge request duration, first byte in to last byte out"),
      Map.entry("tenantgate.upstream.duration", "Time from the upstream request sent to its response head"),
      Map.entry("tenantgate.gateway.duration", "Time the gateway added before core was asked"),
      Map.entry("tenantgate.requests", "Finished edge requests by route, protocol, status class and tenant"),
      Map.entry("tenantgate.bytes.in", "Request body bytes received from edge clients, by tenant"),
      Map.entry("tenantgate.bytes.out", "Response body bytes sent to edge clients, by tenant"));

  private final PrometheusMeterRegistry registry;
  private final TenantTags tenants;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gauges = new ConcurrentHashMap<>();
  /** route -> protocol -> tenant tag -> meters: three lookups by strings that already exist, no key built. */
  private final Map<String, Map<String, Map<String, RequestMeters>>> requestMeters = new ConcurrentHashMap<>();
  /** reason -> stage -> tenant tag -> the refusals counter. */
  private final Map<String, Map<String, Map<String, Counter>>> refusalCounters = new ConcurrentHashMap<>();

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

  /** A refusal; {@code stage} is "handshake", "connection", "request", "upstream" or "revalidation". */
  public void refusal(String reason, String tenantSlug, String stage) {
    String t = tenants.tag(tenantSlug);
    // a flood is counted here thousands of times a second: three lookups by existing strings, no key built
    Map<String, Counter> byTenant = level(level(refusalCounters, reason), stage);
    Counter c = byTenant.get(t);
    if (c == null) {
      c = byTenant.computeIfAbsent(t, tt -> counter("tenantgate.refusals", "reason", reason, "tenant", tt, "stage", stage));
    }
    c.increment();
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

  /** A tenant assertion was signed (once per client certificate and per refresh, never per request). */
  public void assertionSigned(String tenantSlug) {
    counter("tenantgate.assertions.signed", "tenant", tenants.tag(tenantSlug)).increment();
  }

  public void connectionOpened(String tenantSlug) {
    gauge("tenantgate.connections.active", tenants.tag(tenantSlug)).incrementAndGet();
  }

  public void connectionClosed(String tenantSlug) {
    gauge("tenantgate.connections.active", tenants.tag(tenantSlug)).decrementAndGet();
  }

  /**
   * An edge connection the gateway closed on its own initiative: {@code reason} {@code idle} (idle
   * timeout), {@code header_timeout} (slowloris), {@code expired} (the certificate expired while open),
   * {@code h2_flood} (an HTTP/2 flood guard: rapid reset, or control frames a client does not read).
   */
  public void connectionClosedByGateway(String reason, String tenantSlug) {
    counter("tenantgate.connection.closes", "reason", reason, "tenant", tenants.tag(tenantSlug)).increment();
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
      Gauge.builder("tenantgate.nats.connected", v, AtomicLong::doubleValue).description(help("tenantgate.nats.connected"))
          .register(registry);
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
    requestMeters(route, protocol, tenants.tag(tenantSlug)).record(status, durationNanos, upstreamNanos, gatewayNanos,
        bytesIn, bytesOut);
  }

  /** The meters of one (route, protocol, tenant tag), created once: recording a request builds no key. */
  private RequestMeters requestMeters(String route, String protocol, String tenantTag) {
    Map<String, RequestMeters> byTenant = level(level(requestMeters, route), protocol);
    RequestMeters m = byTenant.get(tenantTag);
    return m != null ? m : byTenant.computeIfAbsent(tenantTag, t -> new RequestMeters(route, protocol, t));
  }

  /** {@code map.get(key)}, created when missing: a plain read on the hot path, never a lock. */
  private static <V> Map<String, V> level(Map<String, Map<String, V>> map, String key) {
    Map<String, V> m = map.get(key);
    return m != null ? m : map.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
  }

  /**
   * One (route, protocol, tenant) holder: a request counter per status class, the timers, the byte
   * counters. Each meter is registered on first use, as before the holder existed (a tenant with no
   * bytes has no byte series); two loops racing on a first use get the same registered meter.
   */
  private final class RequestMeters {
    private final String route;
    private final String protocol;
    private final String tenant;
    /** Index = status / 100 for 1xx..5xx. */
    private final AtomicReferenceArray<Counter> byClass = new AtomicReferenceArray<>(6);
    private final Timer duration;
    private volatile Timer upstream;
    private volatile Timer gateway;
    private volatile Counter bytesIn;
    private volatile Counter bytesOut;

    RequestMeters(String route, String protocol, String tenant) {
      this.route = route;
      this.protocol = protocol;
      this.tenant = tenant;
      duration = timer("tenantgate.request.duration", "route", route, "protocol", protocol, "tenant", tenant);
    }

    void record(int status, long durationNanos, long upstreamNanos, long gatewayNanos, long in, long out) {
      requests(status).increment();
      duration.record(durationNanos, TimeUnit.NANOSECONDS);
      if (upstreamNanos >= 0) {
        Timer u = upstream;
        if (u == null) {
          u = timer("tenantgate.upstream.duration", "route", route, "protocol", protocol, "tenant", tenant);
          upstream = u;
        }
        u.record(upstreamNanos, TimeUnit.NANOSECONDS);
        Timer g = gateway;
        if (g == null) {
          g = timer("tenantgate.gateway.duration", "route", route, "protocol", protocol, "tenant", tenant);
          gateway = g;
        }
        g.record(gatewayNanos, TimeUnit.NANOSECONDS);
      }
      if (in > 0) {
        Counter c = bytesIn;
        if (c == null) {
          c = counter("tenantgate.bytes.in", "tenant", tenant);
          bytesIn = c;
        }
        c.increment(in);
      }
      if (out > 0) {
        Counter c = bytesOut;
        if (c == null) {
          c = counter("tenantgate.bytes.out", "tenant", tenant);
          bytesOut = c;
        }
        c.increment(out);
      }
    }

    private Counter requests(int status) {
      int cls = status / 100;
      if (cls < 1 || cls >= byClass.length()) {
        return requestCounter(cls);
      }
      Counter c = byClass.get(cls);
      if (c == null) {
        c = requestCounter(cls);
        byClass.set(cls, c);
      }
      return c;
    }

    private Counter requestCounter(int cls) {
      return counter("tenantgate.requests", "route", route, "protocol", protocol, "status_class", cls + "xx",
          "tenant", tenant);
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
   * Exposes a count {@code owner} keeps (read at scrape time) as a counter with these tags. Micrometer
   * holds {@code owner} weakly: pass an object that lives as long as the gateway, not a lambda.
   */
  public <T> void counterOf(String name, String description, T owner, java.util.function.ToDoubleFunction<T> count,
      String... tags) {
    FunctionCounter.builder(name, owner, count).description(description).tags(tags).register(registry);
  }

  /** Count of a counter with exactly these tags, for tests and health views. */
  public double count(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  private Counter counter(String name, String... tags) {
    return counters.computeIfAbsent(key(name, tags), k -> Counter.builder(name).description(help(name)).tags(tags)
        .register(registry));
  }

  private Timer timer(String name, String... tags) {
    return timers.computeIfAbsent(key(name, tags), k -> Timer.builder(name).description(help(name)).tags(tags)
        .serviceLevelObjectives(BUCKETS).register(registry));
  }

  private AtomicLong gauge(String name, String tenant) {
    return gauges.computeIfAbsent(name + "|" + tenant, k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(name, v, AtomicLong::doubleValue).description(help(name)).tag("tenant", tenant).register(registry);
      return v;
    });
  }

  /** A meter's HELP text; a name missing from {@link #HELP} still registers (GatewayMetricsTest catches it). */
  static String help(String name) {
    return HELP.getOrDefault(name, "");
  }

  /** The meter names that have a HELP text, for the test that checks each is registered and scraped with it. */
  static java.util.Set<String> helpNames() {
    return HELP.keySet();
  }

  private static String key(String name, String... tags) {
    return name + "|" + String.join("|", tags);
  }
}
