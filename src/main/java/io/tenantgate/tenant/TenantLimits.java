package io.tenantgate.tenant;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A tenant's own quota overrides, as the registry stores them (the tenant's {@code limits} object in
 * the registry file, the {@code tenants.limits} jsonb column in Postgres). A null field inherits the
 * gateway's default ({@code tenantLimits.*}, {@code nats.publish.*}); 0 means unlimited. This is the
 * one place the JSON form is validated: the registry file, the Postgres row, the admin API and the CLI
 * all read it through {@link #parse}.
 *
 * @param connections concurrent edge connections
 * @param rps requests per second relayed to core (token bucket)
 * @param burst requests above the rate the bucket holds; 0 = one second's worth
 * @param bytesPerSecond request bytes per second relayed to core
 * @param grpcStreams concurrent gRPC calls
 * @param natsPublishesPerSecond NATS bridge publishes and requests per second
 * @param natsBytesPerSecond NATS bridge payload bytes per second
 * @param wsSubscriptions NATS bridge WebSocket subscriptions over all of the tenant's sockets
 */
public record TenantLimits(Long connections, Long rps, Long burst, Long bytesPerSecond, Long grpcStreams,
    Long natsPublishesPerSecond, Long natsBytesPerSecond, Long wsSubscriptions) {

  /** No overrides: every limit is the gateway's default. */
  public static final TenantLimits NONE = new TenantLimits(null, null, null, null, null, null, null, null);

  /** The JSON field names, in display order, with the largest value each accepts. */
  public static final Map<String, Long> FIELDS = fields();

  private static Map<String, Long> fields() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("connections", 1_000_000L);
    m.put("rps", 10_000_000L);
    m.put("burst", 10_000_000L);
    m.put("bytes_per_second", 4L << 30);
    m.put("grpc_streams", 1_000_000L);
    m.put("nats_publishes_per_second", 10_000_000L);
    m.put("nats_bytes_per_second", 4L << 30);
    m.put("ws_subscriptions", 1_000_000L);
    return java.util.Collections.unmodifiableMap(m);
  }

  public boolean isEmpty() {
    return equals(NONE);
  }

  /** The value of one field by its JSON name (null: inherited). */
  public Long get(String field) {
    return values().get(List.copyOf(FIELDS.keySet()).indexOf(field));
  }

  private List<Long> values() {
    return java.util.Arrays.asList(connections, rps, burst, bytesPerSecond, grpcStreams, natsPublishesPerSecond,
        natsBytesPerSecond, wsSubscriptions);
  }

  /** These overrides with {@code field} set to {@code value} (null: back to the default). */
  public TenantLimits with(String field, Long value) {
    if (!FIELDS.containsKey(field)) {
      throw new IllegalArgumentException("unknown limit '" + field + "'");
    }
    List<Long> v = new java.util.ArrayList<>(values());
    v.set(List.copyOf(FIELDS.keySet()).indexOf(field), value);
    return of(v);
  }

  private static TenantLimits of(List<Long> v) {
    return new TenantLimits(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5), v.get(6), v.get(7));
  }

  /** The overrides that are set, by JSON name (an empty object when none are). */
  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    List<Long> v = values();
    int i = 0;
    for (String k : FIELDS.keySet()) {
      if (v.get(i) != null) {
        j.put(k, v.get(i));
      }
      i++;
    }
    return j;
  }

  /**
   * Reads overrides from JSON: each field absent or null (inherit), or an integer from 0 to its maximum.
   * Every problem goes to {@code problem} as (field, message); bad fields are left unset.
   */
  public static TenantLimits parse(JsonObject json, BiConsumer<String, String> problem) {
    if (json == null) {
      return NONE;
    }
    for (String k : json.fieldNames()) {
      if (!FIELDS.containsKey(k)) {
        problem.accept(k, "unknown limit (known: " + String.join(", ", FIELDS.keySet()) + ")");
      }
    }
    List<Long> v = new java.util.ArrayList<>(FIELDS.size());
    for (Map.Entry<String, Long> f : FIELDS.entrySet()) {
      v.add(value(json.getValue(f.getKey()), f.getKey(), f.getValue(), problem));
    }
    return of(v);
  }

  /** As {@link #parse(JsonObject, BiConsumer)}, throwing IllegalArgumentException naming the first problem. */
  public static TenantLimits parse(JsonObject json, String where) {
    return parse(json, (field, message) -> {
      throw new IllegalArgumentException(where + "." + field + ": " + message);
    });
  }

  /**
   * A command-line value: a non-negative integer (byte rates may say {@code 64KiB}, {@code 10MiB},
   * {@code 1GiB}), or {@code default} (null: back to the gateway's default).
   */
  public static Long parseValue(String field, String text) {
    if (text == null || text.trim().equalsIgnoreCase("default")) {
      return null;
    }
    long max = FIELDS.getOrDefault(field, Long.MAX_VALUE);
    java.util.regex.Matcher m = SIZE.matcher(text.trim());
    if (m.matches() && (m.group(2) == null || field.endsWith("bytes_per_second"))) {
      try {
        long n = Math.multiplyExact(Long.parseLong(m.group(1)), unit(m.group(2)));
        if (n <= max) {
          return n;
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(field + ": must be an integer from 0 (unlimited) to " + max
        + (field.endsWith("bytes_per_second") ? " (or a size like 64KiB, 10MiB)" : "") + ", or 'default', got '"
        + text + "'");
  }

  private static final java.util.regex.Pattern SIZE =
      java.util.regex.Pattern.compile("(\\d{1,19})\\s*([kKmMgG](?:i?[bB])?)?");

  private static long unit(String u) {
    if (u == null) {
      return 1;
    }
    return switch (Character.toLowerCase(u.charAt(0))) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      default -> 1L << 30;
    };
  }

  private static Long value(Object raw, String field, long max, BiConsumer<String, String> problem) {
    if (raw == null) {
      return null;
    }
    if (raw instanceof Number n && (raw instanceof Integer || raw instanceof Long
        || n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue()))) {
      long l = n.longValue();
      if (l >= 0 && l <= max) {
        return l;
      }
    }
    problem.accept(field, "must be an integer from 0 (unlimited) to " + max + ", or null (the default)");
    return null;
  }
}
