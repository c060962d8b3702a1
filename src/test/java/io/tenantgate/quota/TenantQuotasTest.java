package io.tenantgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgate.config.NatsPublishConfig;
import io.tenantgate.config.TenantLimitsConfig;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.tenant.TenantStatus;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Limits resolution, quotas following registry snapshots, and the once-per-burst refusal log. */
class TenantQuotasTest {
  private static final UUID ACME = UUID.fromString("00000000-0000-4000-8000-000000000001");
  private static final UUID GLOBEX = UUID.fromString("00000000-0000-4000-8000-000000000002");
  private static final EffectiveLimits DEFAULTS = EffectiveLimits.defaults(
      new TenantLimitsConfig(100, 1000, 0, 1 << 20, 50, 0),
      new NatsPublishConfig(1 << 20, NatsPublishConfig.AckMode.CORE, Duration.ofSeconds(5), Duration.ofSeconds(5),
          200, 400, 0));

  private static RegistrySnapshot snapshot(long version, Tenant... tenants) {
    return new RegistrySnapshot(List.of(tenants), List.of(), List.of(), Instant.now(), version);
  }

  private static TenantLimits limits(String json) {
    return TenantLimits.parse(new JsonObject(json), "test");
  }

  @Test
  void defaultsComeFromConfigAndABurstOfZeroIsOneSecondsWorth() {
    assertEquals(new EffectiveLimits(100, 1000, 1000, 1 << 20, 50, 200, 400, 0, 0), DEFAULTS);
    assertEquals(EffectiveLimits.UNLIMITED, EffectiveLimits.defaults(new TenantLimitsConfig(0, 0, 0, 0, 0, 0),
        new NatsPublishConfig(1, NatsPublishConfig.AckMode.CORE, Duration.ofSeconds(1), Duration.ofSeconds(1), 0, 1, 0)));
  }

  @Test
  void overridesReplaceDefaultsFieldByFieldAndARateWithoutABurstGetsOneSecondsWorth() {
    assertSame(DEFAULTS, DEFAULTS.with(TenantLimits.NONE));
    EffectiveLimits l = DEFAULTS.with(limits("{\"rps\": 50, \"connections\": 0, \"nats_publishes_per_second\": 7}"));
    assertEquals(50, l.rps());
    assertEquals(50, l.burst(), "not the default rate's burst");
    assertEquals(0, l.connections(), "0 overrides to unlimited");
    assertEquals(7, l.natsPublishesPerSecond());
    assertEquals(7, l.natsBurst(), "not nats.publish.burst");
    assertEquals(DEFAULTS.grpcStreams(), l.grpcStreams());
    assertEquals(DEFAULTS.bytesPerSecond(), l.bytesPerSecond());
    assertEquals(5, DEFAULTS.with(limits("{\"rps\": 50, \"burst\": 5}")).burst());
    assertEquals(5, DEFAULTS.with(limits("{\"burst\": 5}")).burst(), "a burst alone applies to the default rate");
    assertEquals(0, DEFAULTS.with(limits("{\"rps\": 0, \"burst\": 5}")).burst(), "no bucket when unlimited");
  }

  @Test
  void describeShowsWhatIsInForceWhatTheTenantOverridesAndTheDefaults() {
    JsonObject d = DEFAULTS.describe(limits("{\"rps\": 50}"));
    assertEquals(50, d.getJsonObject("limits").getLong("rps"));
    assertEquals(100, d.getJsonObject("limits").getLong("connections"));
    assertEquals(new JsonObject().put("rps", 50), d.getJsonObject("overrides"));
    assertEquals(1000, d.getJsonObject("defaults").getLong("rps"));
    assertEquals(TenantLimits.FIELDS.keySet(), d.getJsonObject("limits").fieldNames());
    JsonObject sources = d.getJsonObject("sources");
    assertEquals(TenantLimits.FIELDS.keySet(), sources.fieldNames());
    assertEquals("override", sources.getString("rps"));
    assertEquals("derived", sources.getString("burst"), "a burst following the tenant's own rate");
    assertEquals(50, d.getJsonObject("limits").getLong("burst"));
    assertEquals("default", sources.getString("connections"));
    JsonObject both = DEFAULTS.describe(limits("{\"burst\": 7, \"connections\": 0}")).getJsonObject("sources");
    assertEquals("override", both.getString("burst"));
    assertEquals("override", both.getString("connections"), "0 (unlimited) is an override too");
    assertEquals("default", both.getString("rps"));
  }

  @Test
  void theLimitsListenerSeesTheDefaultsAndOnlyTenantsWithOverridesBySlug() {
    Tenant acme = new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE, limits("{\"rps\": 2}"));
    Tenant globex = new Tenant(GLOBEX, "globex", "Globex", TenantStatus.ACTIVE);
    TenantQuotas quotas = new TenantQuotas(DEFAULTS, () -> snapshot(1, acme, globex));
    AtomicReference<java.util.SortedMap<String, EffectiveLimits>> seen = new AtomicReference<>();
    quotas.onLimits((defaults, overridden) -> {
      assertSame(DEFAULTS, defaults);
      seen.set(overridden);
    });
    quotas.apply(snapshot(1, acme, globex));
    assertEquals(java.util.Map.of("acme", DEFAULTS.with(acme.limits())), seen.get());
    quotas.apply(snapshot(2, globex));
    assertTrue(seen.get().isEmpty(), "acme left: nothing to show for it");
  }

  @Test
  void quotasFollowTheSnapshotResizingInPlaceAndForgettingTenantsThatLeft() {
    Tenant acme = new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE, limits("{\"rps\": 2}"));
    Tenant globex = new Tenant(GLOBEX, "globex", "Globex", TenantStatus.ACTIVE);
    AtomicReference<RegistrySnapshot> current = new AtomicReference<>(snapshot(1, acme, globex));
    TenantQuotas quotas = new TenantQuotas(DEFAULTS, current::get);
    quotas.apply(current.get());
    TenantQuota a = quotas.of(ACME);
    assertEquals(2, a.limits().rps());
    assertEquals(DEFAULTS, quotas.of(GLOBEX).limits());
    long now = System.nanoTime();
    assertEquals(0, a.admitRequest(now));
    assertEquals(0, a.admitRequest(now));
    assertTrue(a.admitRequest(now) > 0, "over its two");
    assertTrue(a.acquireConnection());

    current.set(snapshot(2, acme.withLimits(limits("{\"rps\": 1000, \"connections\": 1}")), globex));
    quotas.apply(current.get());
    assertSame(a, quotas.of(ACME), "the same object: connections holding it see the new limits");
    assertEquals(1000, a.limits().rps());
    assertTrue(a.admitRequest(System.nanoTime() + 2_000_000) == 0, "the new rate refills at once");
    assertTrue(!a.acquireConnection(), "one held, limit one");
    assertEquals(1, a.held(Limit.CONNECTIONS));

    current.set(snapshot(3, globex));
    quotas.apply(current.get());
    assertEquals(1, quotas.size(), "acme left the registry: its state is dropped");
  }

  @Test
  void aTenantMetBeforeTheFirstApplyIsSizedFromTheSnapshotInForce() {
    Tenant acme = new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE, limits("{\"grpc_streams\": 1}"));
    TenantQuotas quotas = new TenantQuotas(DEFAULTS, () -> snapshot(1, acme));
    TenantQuota q = quotas.of(ACME);
    assertEquals(1, q.limits().grpcStreams());
    assertTrue(q.acquireGrpcStream());
    assertTrue(!q.acquireGrpcStream());
    q.releaseGrpcStream();
    assertTrue(q.acquireGrpcStream());
    assertEquals(DEFAULTS, quotas.of(UUID.randomUUID()).limits(), "unknown tenant: the defaults");
  }

  @Test
  void natsPublishesAreRefusedByBytesFirstSoARefusalTakesNothing() {
    Tenant acme = new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE,
        limits("{\"nats_publishes_per_second\": 1, \"nats_bytes_per_second\": 100}"));
    TenantQuotas quotas = new TenantQuotas(DEFAULTS, () -> snapshot(1, acme));
    TenantQuota q = quotas.of(ACME);
    long now = System.nanoTime() + 1_000_000_000L;
    assertNull(q.admitNatsPublish(500, now), "admitted: a message larger than the bucket still passes once");
    assertEquals(Limit.NATS_BANDWIDTH, q.admitNatsPublish(1, now), "400 bytes of debt");
    assertTrue(q.retryAfterNanos(Limit.NATS_BANDWIDTH, now) > 3_900_000_000L);
    long paid = now + 5_000_000_000L;
    assertNull(q.admitNatsPublish(1, paid));
    assertEquals(Limit.NATS_PUBLISHES, q.admitNatsPublish(1, paid), "one per second");
  }

  @Test
  void refusalsAreLoggedOncePerBurstNotPerRequest() {
    Logger log = (Logger) LoggerFactory.getLogger(TenantQuota.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    log.addAppender(lines);
    try {
      TenantQuotas quotas = new TenantQuotas(DEFAULTS, () -> snapshot(1,
          new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE)));
      TenantQuota q = quotas.of(ACME);
      long t = 0;
      for (int i = 0; i < 10_000; i++) {
        q.refused(Limit.REQUESTS, t + i * 1_000_000L);
      }
      assertEquals(1, lines.list.size(), "10,000 refusals within 10 s: one line");
      assertTrue(lines.list.get(0).getFormattedMessage().contains("reason=tenant_rate_limited"),
          lines.list.get(0).getFormattedMessage());
      q.refused(Limit.REQUESTS, 10_500_000_000L);
      assertEquals(2, lines.list.size(), "a flood goes on: one line per window");
      assertTrue(lines.list.get(1).getFormattedMessage().contains("refused_since_last_line=" + (10_000)),
          lines.list.get(1).getFormattedMessage());
      q.refused(Limit.BANDWIDTH, 10_600_000_000L);
      assertEquals(3, lines.list.size(), "each limit has its own burst");
    } finally {
      log.detachAppender(lines);
    }
  }
}
