package io.tenantgate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The per-tenant limit gauges: defaults plus tenants with overrides, capped, following every change. */
class TenantLimitGaugesTest {
  private static final Map<String, Long> DEFAULTS = limits(0, 10_000);

  private static Map<String, Long> limits(long rps, long connections) {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("rps", rps);
    m.put("connections", connections);
    return m;
  }

  private static Double value(SimpleMeterRegistry r, String tenant, String limit) {
    Gauge g = r.find("tenantgate.tenant.limit").tags("tenant", tenant, "limit", limit).gauge();
    return g == null ? null : g.value();
  }

  private static long series(SimpleMeterRegistry r) {
    return r.find("tenantgate.tenant.limit").gauges().size();
  }

  @Test
  void exportsTheDefaultsAndEachOverriddenTenantAndDropsTenantsThatGoBackOrLeave() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    TenantLimitGauges gauges = new TenantLimitGauges(r, 10);
    SortedMap<String, Map<String, Long>> overridden = new TreeMap<>();
    overridden.put("acme", limits(50, 10_000));
    gauges.publish(DEFAULTS, overridden);
    assertEquals(10_000.0, value(r, TenantLimitGauges.DEFAULTS, "connections"));
    assertEquals(0.0, value(r, TenantLimitGauges.DEFAULTS, "rps"));
    assertEquals(50.0, value(r, "acme", "rps"));
    assertEquals(4, series(r));

    overridden.put("acme", limits(7, 0));
    overridden.put("globex", limits(1, 1));
    gauges.publish(DEFAULTS, overridden);
    assertEquals(7.0, value(r, "acme", "rps"), "changed in place");
    assertEquals(0.0, value(r, "acme", "connections"));
    assertEquals(1.0, value(r, "globex", "rps"));

    overridden.remove("acme");
    gauges.publish(DEFAULTS, overridden);
    assertNull(value(r, "acme", "rps"), "acme has the defaults again (or left): its series are gone");
    assertEquals(4, series(r));
    assertEquals(4, gauges.size());
    System.gc();
    assertEquals(1.0, value(r, "globex", "rps"), "held strongly: still a value after a GC, not NaN");
  }

  @Test
  void tenantsBeyondTheCapAreCountedNotExported() {
    SimpleMeterRegistry r = new SimpleMeterRegistry();
    TenantLimitGauges gauges = new TenantLimitGauges(r, 2);
    SortedMap<String, Map<String, Long>> overridden = new TreeMap<>();
    for (int i = 0; i < 1_000; i++) {
      overridden.put(String.format("t%04d", i), limits(i, i));
    }
    gauges.publish(DEFAULTS, overridden);
    assertEquals((2 + 1) * 2, series(r), "(cap + defaults) x limits, whatever the registry holds");
    assertEquals(1.0, value(r, "t0001", "rps"), "the first by slug");
    assertNull(value(r, "t0002", "rps"));
    assertEquals(998.0, r.find("tenantgate.tenant.limit.unexported").gauge().value());
  }
}
