package io.tenantgate.launcher;

import io.tenantgate.quota.EffectiveLimits;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantLimits;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tenantgate tenant limits}: shows a tenant's quota limits in force, or changes its overrides
 * (each flag sets one; {@code default} removes it; {@code --clear} removes all first). Running
 * gateways apply a change within a second (file poll or Postgres NOTIFY), without a restart.
 */
@Command(name = "limits", mixinStandardHelpOptions = true,
    description = {"Show or set a tenant's quota limits (per gateway replica; 0 = unlimited, 'default' = the"
        + " gateway's default).", "Without setting flags it only shows the limits in force."})
final class TenantLimitsCommand extends AdminCommand {
  @Option(names = "--slug", required = true, description = "The tenant.") String slug;
  @Option(names = "--connections", paramLabel = "N", description = "Concurrent edge connections.") String connections;
  @Option(names = "--rps", paramLabel = "N", description = "Requests per second to core.") String rps;
  @Option(names = "--burst", paramLabel = "N", description = "Requests above the rate at once (0: one second's worth).")
  String burst;
  @Option(names = "--bytes-per-second", paramLabel = "BYTES", description = "Request bytes per second to core (e.g. 1MiB).")
  String bytesPerSecond;
  @Option(names = "--grpc-streams", paramLabel = "N", description = "Concurrent gRPC calls.") String grpcStreams;
  @Option(names = "--nats-publishes-per-second", paramLabel = "N", description = "NATS bridge publishes per second.")
  String natsPublishes;
  @Option(names = "--nats-bytes-per-second", paramLabel = "BYTES", description = "NATS bridge payload bytes per second.")
  String natsBytes;
  @Option(names = "--ws-subscriptions", paramLabel = "N", description = "NATS WebSocket subscriptions, all sockets.")
  String wsSubscriptions;
  @Option(names = "--clear", description = "Remove every override first (the tenant gets the defaults).") boolean clear;


  /** The flags given, by limit field name (a null value: back to the default). */
  private Map<String, String> given() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("connections", connections);
    m.put("rps", rps);
    m.put("burst", burst);
    m.put("bytes_per_second", bytesPerSecond);
    m.put("grpc_streams", grpcStreams);
    m.put("nats_publishes_per_second", natsPublishes);
    m.put("nats_bytes_per_second", natsBytes);
    m.put("ws_subscriptions", wsSubscriptions);
    m.values().removeIf(java.util.Objects::isNull);
    return m;
  }

  @Override
  Future<Result> run(RegistryAdmin admin, String actor) {
    Map<String, String> flags = given();
    // parse every flag before touching the store: a bad value changes nothing
    Map<String, Long> values = new LinkedHashMap<>();
    flags.forEach((field, text) -> values.put(field, TenantLimits.parseValue(field, text)));
    EffectiveLimits defaults = store.limitDefaults();
    if (!clear && flags.isEmpty()) {
      return admin.tenant(slug).map(t -> result(t, defaults, admin, false));
    }
    return admin.tenant(slug).compose(t -> {
      TenantLimits next = clear ? TenantLimits.NONE : t.limits();
      for (Map.Entry<String, Long> e : values.entrySet()) {
        next = next.with(e.getKey(), e.getValue());
      }
      boolean changed = !next.equals(t.limits());
      return admin.setLimits(slug, next, actor).map(after -> result(after, defaults, admin, changed));
    });
  }

  private static Result result(Tenant t, EffectiveLimits defaults, RegistryAdmin admin, boolean changed) {
    JsonObject json = defaults.describe(t.limits()).put("tenant", t.slug()).put("changed", changed);
    StringBuilder text = new StringBuilder();
    text.append(changed ? "changed" : "limits of").append(' ').append(t.slug()).append(" in ").append(admin.describe())
        .append(changed ? "; running gateways apply it within a second" : "").append('\n')
        .append(table(json));
    return Result.of(json, text.toString().stripTrailing());
  }

  /** The limits in force of an {@link EffectiveLimits#describe} view, a line per field with its source. */
  static String table(JsonObject described) {
    JsonObject in = described.getJsonObject("limits");
    JsonObject sources = described.getJsonObject("sources");
    StringBuilder text = new StringBuilder("limits in force (per gateway replica; 0 = unlimited):\n");
    for (String field : TenantLimits.FIELDS.keySet()) {
      text.append(String.format("  %-27s %-12s %s%n", field, in.getValue(field), sources.getString(field)));
    }
    return text.toString();
  }
}
