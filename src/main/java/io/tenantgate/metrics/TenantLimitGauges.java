package io.tenantgate.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The per-tenant quota limits in force, as {@code tenantgate_tenant_limit{tenant,limit}} (0 = unlimited),
 * with bounded cardinality: one series per limit for the configured defaults ({@code tenant="_default"};
 * a slug never starts with {@code _}) and one per limit for each tenant with overrides of its own, at most
 * {@code cap} such tenants (by slug order; the rest are counted by
 * {@code tenantgate_tenant_limit_unexported}). A tenant without overrides has the defaults; a tenant whose
 * overrides are removed, or that leaves the registry, loses its series at the next {@link #publish}. So
 * the gauge count is at most (cap + 1) × limits, whatever the registry holds.
 */
public final class TenantLimitGauges {
  /** The {@code tenant} tag of the defaults' series. */
  public static final String DEFAULTS = "_default";
  static final String NAME = "tenantgate.tenant.limit";

  private final MeterRegistry registry;
  private final int cap;
  private final Map<String, Entry> series = new HashMap<>();
  private final AtomicLong unexported = new AtomicLong();

  private record Entry(Gauge gauge, AtomicLong value) {
  }

  public TenantLimitGauges(MeterRegistry registry, int cap) {
    this.registry = registry;
    this.cap = cap;
    Gauge.builder(NAME + ".unexported", unexported, AtomicLong::doubleValue)
        .description("Tenants with limit overrides beyond ops.tenantTagCap, not exported as tenantgate_tenant_limit")
        .strongReference(true).register(registry);
  }

  /**
   * Replaces every series: {@code defaults} by limit name, and the limits in force of each tenant with
   * overrides, by slug then limit name. Values are read once here (a limit changes with the registry).
   */
  public synchronized void publish(Map<String, Long> defaults, SortedMap<String, Map<String, Long>> overridden) {
    Set<String> keep = new HashSet<>();
    defaults.forEach((limit, v) -> keep.add(set(DEFAULTS, limit, v)));
    int n = 0;
    for (Map.Entry<String, Map<String, Long>> t : overridden.entrySet()) {
      if (n++ >= cap) {
        break;
      }
      t.getValue().forEach((limit, v) -> keep.add(set(t.getKey(), limit, v)));
    }
    unexported.set(Math.max(0, overridden.size() - cap));
    series.entrySet().removeIf(e -> {
      if (keep.contains(e.getKey())) {
        return false;
      }
      registry.remove(e.getValue().gauge());
      return true;
    });
  }

  /** Series currently exported (tests: bounded). */
  public synchronized int size() {
    return series.size();
  }

  private String set(String tenant, String limit, long value) {
    String key = tenant + "|" + limit;
    series.computeIfAbsent(key, k -> {
      AtomicLong v = new AtomicLong();
      Gauge g = Gauge.builder(NAME, v, AtomicLong::doubleValue).tag("tenant", tenant).tag("limit", limit)
          .description("A tenant's quota limit in force on this replica (0 = unlimited); _default: the configured default")
          .strongReference(true).register(registry);
      return new Entry(g, v);
    }).value().set(value);
    return key;
  }
}
