package io.tenantgate.config;

import java.util.List;

/**
 * The edge listener: where it binds, how many verticle instances share the port (0 = one per
 * core), its TLS material, an optional tenant pin and its limits.
 */
public record EdgeConfig(String host, int port, int instances, TlsConfig tls, List<String> tenantPin,
    LimitsConfig limits) {

  public static final int DEFAULT_PORT = 50052;

  public EdgeConfig {
    tenantPin = List.copyOf(tenantPin);
  }

  /** Instances to deploy: the configured number, or one per available core. */
  public int effectiveInstances() {
    return instances > 0 ? instances : Runtime.getRuntime().availableProcessors();
  }

  static EdgeConfig parse(Node n, GatewayConfig.Paths paths) {
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    int instances = n.integer("instances", 0, 0, 256);
    TlsConfig tls = TlsConfig.parse(n.child("tls"), paths);
    List<String> pin = n.strings("tenantPin", List.of());
    for (String slug : pin) {
      if (!io.tenantgate.pki.Names.isSlug(slug)) {
        n.problem("tenantPin", "'" + slug + "' is not a tenant slug");
      }
    }
    LimitsConfig limits = LimitsConfig.parse(n.child("limits"));
    n.rejectUnknownKeys();
    return new EdgeConfig(host, port, instances, tls, pin, limits);
  }
}
