package io.tenantgate.quota;

import io.tenantgate.config.NatsPublishConfig;
import io.tenantgate.config.TenantLimitsConfig;
import io.tenantgate.tenant.TenantLimits;
import io.vertx.core.json.JsonObject;

/**
 * The limits in force for one tenant: its overrides over the gateway's defaults, every value resolved
 * (0 = unlimited). A burst inherits the default only together with its rate: a tenant whose rate is
 * overridden without a burst gets one second's worth.
 *
 * @param burst the request bucket's capacity (0 with an unlimited rate)
 * @param natsBurst the NATS publish bucket's capacity (0 with an unlimited rate)
 */
public record EffectiveLimits(long connections, long rps, long burst, long bytesPerSecond, long grpcStreams,
    long natsPublishesPerSecond, long natsBurst, long natsBytesPerSecond, long wsSubscriptions) {

  /** Unlimited everything. */
  public static final EffectiveLimits UNLIMITED = new EffectiveLimits(0, 0, 0, 0, 0, 0, 0, 0, 0);

  /** The gateway's defaults from configuration: {@code tenantLimits.*} and {@code nats.publish.*}. */
  public static EffectiveLimits defaults(TenantLimitsConfig t, NatsPublishConfig nats) {
    return new EffectiveLimits(t.connections(), t.requestsPerSecond(), capacity(t.requestsPerSecond(), t.burst()),
        t.bytesPerSecond(), t.grpcStreams(), nats.ratePerSecond(), capacity(nats.ratePerSecond(), nats.burst()),
        nats.bytesPerSecond(), t.wsSubscriptions());
  }

  private static long capacity(long rate, long burst) {
    return rate <= 0 ? 0 : burst > 0 ? burst : Math.max(rate, 1);
  }

  /** These limits (the defaults) under a tenant's overrides. */
  public EffectiveLimits with(TenantLimits o) {
    if (o.isEmpty()) {
      return this;
    }
    long r = pick(o.rps(), rps);
    long b = o.rps() == null && o.burst() == null ? burst : capacity(r, o.burst() == null ? 0 : o.burst());
    long nr = pick(o.natsPublishesPerSecond(), natsPublishesPerSecond);
    long nb = o.natsPublishesPerSecond() == null ? natsBurst : capacity(nr, 0);
    return new EffectiveLimits(pick(o.connections(), connections), r, capacity(r, b), pick(o.bytesPerSecond(),
        bytesPerSecond), pick(o.grpcStreams(), grpcStreams), nr, nb, pick(o.natsBytesPerSecond(), natsBytesPerSecond),
        pick(o.wsSubscriptions(), wsSubscriptions));
  }

  private static long pick(Long override, long def) {
    return override != null ? override : def;
  }

  /** The value of {@code limit}. */
  public long of(Limit limit) {
    return switch (limit) {
      case CONNECTIONS -> connections;
      case REQUESTS -> rps;
      case BANDWIDTH -> bytesPerSecond;
      case GRPC_STREAMS -> grpcStreams;
      case NATS_PUBLISHES -> natsPublishesPerSecond;
      case NATS_BANDWIDTH -> natsBytesPerSecond;
      case WS_SUBSCRIPTIONS -> wsSubscriptions;
    };
  }

  /**
   * What the admin API and the CLI show for a tenant, with these limits as the defaults:
   * {@code limits} (in force), {@code overrides} (the tenant's own), {@code defaults}, and
   * {@code sources}: per field where the value in force comes from — {@code override}, {@code default},
   * or {@code derived} for a burst the tenant did not set that follows its overridden rate.
   */
  public JsonObject describe(TenantLimits overrides) {
    return new JsonObject().put("limits", with(overrides).toJson()).put("overrides", overrides.toJson())
        .put("defaults", toJson()).put("sources", sources(overrides));
  }

  private static JsonObject sources(TenantLimits overrides) {
    JsonObject s = new JsonObject();
    for (String field : TenantLimits.FIELDS.keySet()) {
      boolean own = overrides.get(field) != null;
      boolean derivedBurst = field.equals("burst") && !own && overrides.rps() != null;
      s.put(field, own ? "override" : derivedBurst ? "derived" : "default");
    }
    return s;
  }

  /** By the field names of {@link TenantLimits} (0 = unlimited; {@code burst} is the bucket's capacity). */
  public JsonObject toJson() {
    return new JsonObject().put("connections", connections).put("rps", rps).put("burst", burst)
        .put("bytes_per_second", bytesPerSecond).put("grpc_streams", grpcStreams)
        .put("nats_publishes_per_second", natsPublishesPerSecond).put("nats_bytes_per_second", natsBytesPerSecond)
        .put("ws_subscriptions", wsSubscriptions);
  }
}
