package io.tenantgate.config;

/**
 * The per-tenant quota defaults ({@code tenantLimits.*}): what every tenant gets unless its registry
 * entry overrides a value. Each applies per tenant and per gateway replica; 0 = unlimited. The NATS
 * publish defaults stay with the bridge's settings ({@code nats.publish.ratePerSecond}, {@code burst},
 * {@code bytesPerSecond}).
 *
 * @param connections concurrent edge connections of one tenant
 * @param requestsPerSecond requests per second relayed to core (HTTP requests, gRPC calls, WebSocket upgrades)
 * @param burst requests the bucket holds above the rate; 0 = one second's worth (max(rate, 1))
 * @param bytesPerSecond request bytes per second relayed to core (bodies, gRPC messages, WebSocket frames)
 * @param grpcStreams concurrent gRPC calls
 * @param wsSubscriptions NATS bridge WebSocket subscriptions over all of one tenant's sockets
 */
public record TenantLimitsConfig(long connections, long requestsPerSecond, long burst, long bytesPerSecond,
    long grpcStreams, long wsSubscriptions) {

  /** Defaults when the section is absent. */
  public static final TenantLimitsConfig DEFAULTS = new TenantLimitsConfig(10_000, 0, 0, 0, 10_000, 0);

  static TenantLimitsConfig parse(Node n) {
    long connections = n.integer("connections", (int) DEFAULTS.connections(), 0, 1_000_000);
    long rps = n.integer("requestsPerSecond", 0, 0, 10_000_000);
    long burst = n.integer("burst", 0, 0, 10_000_000);
    long bytes = n.bytes("bytesPerSecond", 0, 0, 4L << 30);
    long streams = n.integer("grpcStreams", (int) DEFAULTS.grpcStreams(), 0, 1_000_000);
    long subs = n.integer("wsSubscriptions", 0, 0, 1_000_000);
    n.rejectUnknownKeys();
    return new TenantLimitsConfig(connections, rps, burst, bytes, streams, subs);
  }
}
