package io.tenantgate.config;

/**
 * The operations listener: metrics, health and JWKS. Plain HTTP, meant for the cluster network.
 *
 * @param tenantTagCap distinct tenants that get their own metric label; later ones share "other"
 */
public record OpsConfig(String host, int port, int tenantTagCap) {
  public static final int DEFAULT_PORT = 9090;

  static OpsConfig parse(Node n) {
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    int cap = n.integer("tenantTagCap", 500, 0, 100_000);
    n.rejectUnknownKeys();
    return new OpsConfig(host, port, cap);
  }
}
