package io.tenantgate.config;

import java.time.Duration;

/**
 * The operations listener: metrics, health and JWKS. Plain HTTP, meant for the cluster network.
 *
 * @param tenantTagCap distinct tenants that get their own metric label; later ones share "other"
 * @param probeInterval how often each core upstream is probed (TCP connect) for readiness
 */
public record OpsConfig(String host, int port, int tenantTagCap, Duration probeInterval) {
  public static final int DEFAULT_PORT = 9090;

  static OpsConfig parse(Node n) {
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    int cap = n.integer("tenantTagCap", 500, 0, 100_000);
    Duration probe = n.duration("probeInterval", Duration.ofSeconds(10));
    if (probe.toMillis() < 100) {
      n.problem("probeInterval", "must be at least 100ms");
    }
    n.rejectUnknownKeys();
    return new OpsConfig(host, port, cap, probe);
  }
}
