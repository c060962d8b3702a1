package io.tenantgate.quota;

import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantRegistry;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's {@link TenantQuota} in this gateway, exact per tenant: a map keyed by tenant id that
 * follows the registry (no cache that could forget a tenant under pressure). Each new snapshot resizes
 * the quotas of tenants whose limits changed in place — running connections keep their object and see
 * the new limits at once — adds new tenants and drops those that left the registry, so the map is
 * bounded by the registry. Limits are per replica: N replicas admit up to N times a limit.
 */
public final class TenantQuotas {
  private static final Logger LOG = LoggerFactory.getLogger(TenantQuotas.class);

  private final EffectiveLimits defaults;
  private final Supplier<RegistrySnapshot> snapshots;
  private final Map<UUID, TenantQuota> quotas = new ConcurrentHashMap<>();
  private volatile BiConsumer<EffectiveLimits, SortedMap<String, EffectiveLimits>> limitsListener = (d, o) -> { };

  /** @param snapshots the snapshot in force, to size a tenant met before its first {@link #apply} */
  public TenantQuotas(EffectiveLimits defaults, Supplier<RegistrySnapshot> snapshots) {
    this.defaults = defaults;
    this.snapshots = snapshots;
  }

  /** Applies the registry's snapshot now and after every change; returns what stops following it. */
  public Runnable follow(TenantRegistry registry) {
    apply(registry.snapshot());
    return registry.onChange(this::apply);
  }

  public EffectiveLimits defaults() {
    return defaults;
  }

  /** Brings the quotas in line with {@code snapshot}. */
  public synchronized void apply(RegistrySnapshot snapshot) {
    long now = System.nanoTime();
    for (Tenant t : snapshot.tenants()) {
      EffectiveLimits l = defaults.with(t.limits());
      TenantQuota q = quotas.get(t.id());
      if (q == null) {
        quotas.put(t.id(), new TenantQuota(t.id(), t.slug(), l, now));
      } else if (!l.equals(q.limits()) || !t.slug().equals(q.slug())) {
        q.apply(t.slug(), l, now);
        LOG.info("op=quota.apply tenant={} limits={} registry_version={}", t.slug(), l.toJson().encode(),
            snapshot.version());
      }
    }
    quotas.keySet().removeIf(id -> snapshot.tenant(id) == null);
    SortedMap<String, EffectiveLimits> overridden = new TreeMap<>();
    for (Tenant t : snapshot.tenants()) {
      if (!t.limits().isEmpty()) {
        overridden.put(t.slug(), defaults.with(t.limits()));
      }
    }
    limitsListener.accept(defaults, overridden);
  }

  /**
   * Told at the end of every {@link #apply} (set it before {@link #follow}): the defaults and the limits in
   * force of every tenant with overrides, by slug. The metrics' limit gauges follow the registry this way.
   */
  public synchronized void onLimits(BiConsumer<EffectiveLimits, SortedMap<String, EffectiveLimits>> listener) {
    this.limitsListener = listener;
  }

  /** The tenant's quota (created from the snapshot in force if this is the first time it is asked for). */
  public TenantQuota of(UUID tenantId) {
    TenantQuota q = quotas.get(tenantId);
    if (q != null) {
      return q;
    }
    return quotas.computeIfAbsent(tenantId, id -> {
      Tenant t = snapshots.get().tenant(id);
      return new TenantQuota(id, t == null ? "unknown" : t.slug(), t == null ? defaults : defaults.with(t.limits()),
          System.nanoTime());
    });
  }

  /** Tenants with quota state (tests: the map is bounded by the registry). */
  public int size() {
    return quotas.size();
  }
}
