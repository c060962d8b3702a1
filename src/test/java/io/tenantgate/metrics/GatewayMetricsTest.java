package io.tenantgate.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The request meters keep the names and tags docs/operations.md documents, however they are cached. */
class GatewayMetricsTest {
  private static final long MS = 1_000_000L;

  @Test
  void aRequestIsCountedUnderItsRouteProtocolStatusClassAndTenant() {
    GatewayMetrics m = new GatewayMetrics(10);
    m.request("core", "h1", 200, "acme", 5 * MS, 3 * MS, 1 * MS, 100, 64);
    m.request("core", "h1", 204, "acme", 7 * MS, 4 * MS, 2 * MS, 0, 0);
    m.request("core", "h1", 503, "acme", 9 * MS, -1, -1, 10, 0);
    m.request("core", "h2", 200, "acme", 1 * MS, 1 * MS, 0, 0, 0);
    m.request("grpc", "grpc", 200, "globex", 1 * MS, 1 * MS, 0, 0, 0);

    assertEquals(2, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "2xx",
        "tenant", "acme"));
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "5xx",
        "tenant", "acme"));
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h2", "status_class", "2xx",
        "tenant", "acme"));
    assertEquals(1, m.count("tenantgate.requests", "route", "grpc", "protocol", "grpc", "status_class", "2xx",
        "tenant", "globex"));
    Timer duration = timer(m, "tenantgate.request.duration", "core", "h1", "acme");
    assertEquals(3, duration.count());
    assertEquals(21, duration.totalTime(TimeUnit.MILLISECONDS), 0.001);
    // the request that never reached core records no upstream or gateway time
    assertEquals(2, timer(m, "tenantgate.upstream.duration", "core", "h1", "acme").count());
    assertEquals(7, timer(m, "tenantgate.upstream.duration", "core", "h1", "acme").totalTime(TimeUnit.MILLISECONDS),
        0.001);
    assertEquals(3, timer(m, "tenantgate.gateway.duration", "core", "h1", "acme").totalTime(TimeUnit.MILLISECONDS),
        0.001);
    assertEquals(110, m.count("tenantgate.bytes.in", "tenant", "acme"));
    assertEquals(64, m.count("tenantgate.bytes.out", "tenant", "acme"));
    assertNull(m.registry().find("tenantgate.bytes.in").tags("tenant", "globex").counter(), "no bytes, no counter");
  }

  @Test
  void everyGatewayMeterIsScrapedWithAHelpText() {
    GatewayMetrics m = new GatewayMetrics(10);
    m.refusal("tenant_rate_limited", "acme", "request");
    m.adminCall("tenants.list", 200, "ok");
    m.enrollment("bundle", "ok", "acme");
    m.handshake("ok", "none", "acme");
    m.eventLoopDelay(MS);
    m.tlsReload("applied");
    m.tlsTicketKeyRotation("scheduled");
    m.assertionSigned("acme");
    m.connectionOpened("acme");
    m.connectionClosedByGateway("idle", "acme");
    m.natsPublished("acme", "core");
    m.natsAcked("acme", false);
    m.natsError("acme", "nats_unavailable");
    m.natsDenied("acme", "bad_subject");
    m.natsConnected(true);
    m.natsWebSocketOpened("acme");
    m.grpcStream("acme", 1);
    m.request("core", "h1", 200, "acme", 5 * MS, 3 * MS, 1 * MS, 100, 64);

    m.natsWebSocketClosed("acme");
    m.connectionClosed("acme");
    m.gaugeOf("tenantgate.test.gauge", "A gauge registered through gaugeOf", () -> 1);

    // every meter in the registry that is ours carries a description (Prometheus' HELP)...
    java.util.Set<String> registered = new java.util.TreeSet<>();
    for (io.micrometer.core.instrument.Meter meter : m.registry().getMeters()) {
      String name = meter.getId().getName();
      if (name.startsWith("tenantgate.")) {
        registered.add(name);
        String d = meter.getId().getDescription();
        assertEquals(false, d == null || d.isBlank(), "no description for " + meter.getId());
      }
    }
    // ...every name in the HELP table was registered by the calls above (no stale or untested entry)...
    for (String name : GatewayMetrics.helpNames()) {
      assertEquals(true, registered.contains(name), name + " has a HELP text but was not registered here");
    }
    // ...and the scrape carries a non-empty HELP line for each family
    String scrape = m.scrape();
    for (String line : scrape.split("\n")) {
      if (line.startsWith("# HELP tenantgate_")) {
        String[] parts = line.split(" ", 4);
        assertEquals(true, parts.length == 4 && !parts[3].isBlank(), "empty HELP line: " + line);
      }
    }
    assertEquals(true, scrape.contains("# HELP tenantgate_refusals_total Requests and connections refused"), scrape);
  }

  @Test
  void statusesOutsideTheFiveClassesAreStillCountedByTheirClass() {
    GatewayMetrics m = new GatewayMetrics(10);
    m.request("core", "h1", 0, "acme", MS, -1, -1, 0, 0);
    m.request("core", "h1", 999, "acme", MS, -1, -1, 0, 0);
    m.request("core", "h1", 101, "acme", MS, -1, -1, 0, 0);
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "0xx",
        "tenant", "acme"));
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "9xx",
        "tenant", "acme"));
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "1xx",
        "tenant", "acme"));
  }

  @Test
  void tenantsBeyondTheTagCapShareTheOtherMetersAndNoTenantIsNone() {
    GatewayMetrics m = new GatewayMetrics(1);
    m.request("core", "h1", 200, "acme", MS, MS, 0, 1, 0);
    m.request("core", "h1", 200, "globex", MS, MS, 0, 2, 0);
    m.request("core", "h1", 200, "initech", MS, MS, 0, 3, 0);
    m.request("core", "h1", 401, null, MS, -1, -1, 0, 0);
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "2xx",
        "tenant", "acme"));
    assertEquals(2, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "2xx",
        "tenant", TenantTags.OTHER));
    assertEquals(5, m.count("tenantgate.bytes.in", "tenant", TenantTags.OTHER));
    assertEquals(1, m.count("tenantgate.requests", "route", "core", "protocol", "h1", "status_class", "4xx",
        "tenant", TenantTags.NONE));
    assertNull(m.registry().find("tenantgate.requests").tags("tenant", "globex").counter());
  }

  @Test
  void theRequestCounterIsTheOneOtherCallersOfTheSameTagsSee() {
    GatewayMetrics m = new GatewayMetrics(10);
    m.request("core", "h1", 200, "acme", MS, MS, 0, 0, 0);
    Counter c = m.registry().find("tenantgate.requests").tags("route", "core", "protocol", "h1", "status_class", "2xx",
        "tenant", "acme").counter();
    assertNotNull(c);
    m.request("core", "h1", 200, "acme", MS, MS, 0, 0, 0);
    assertSame(c, m.registry().find("tenantgate.requests").tags("status_class", "2xx").counter());
    assertEquals(2, c.count());
    assertEquals(1, m.registry().find("tenantgate.requests").counters().size());
  }

  @Test
  void aCountKeptElsewhereIsScrapedAsACounter() {
    GatewayMetrics m = new GatewayMetrics(10);
    AtomicLong hits = new AtomicLong(3);
    m.counterOf("tenantgate.assertions.cache", "test", hits, AtomicLong::doubleValue, "result", "hit");
    hits.addAndGet(2);
    assertEquals(5, m.registry().find("tenantgate.assertions.cache").tags("result", "hit").functionCounter().count());
    assertEquals(true, m.scrape().contains("tenantgate_assertions_cache_total{result=\"hit\"} 5.0"), m.scrape());
  }

  private static Timer timer(GatewayMetrics m, String name, String route, String protocol, String tenant) {
    Timer t = m.registry().find(name).tags("route", route, "protocol", protocol, "tenant", tenant).timer();
    assertNotNull(t, name);
    return t;
  }
}
