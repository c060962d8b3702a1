package io.tenantgate.config;

/** The operations listener: metrics, health and (later) JWKS. Plain HTTP, meant for the cluster network. */
public record OpsConfig(String host, int port) {
  public static final int DEFAULT_PORT = 9090;

  static OpsConfig parse(Node n) {
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    n.rejectUnknownKeys();
    return new OpsConfig(host, port);
  }
}
