package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** Where tenants, tenant CAs and revocations come from. */
public record RegistryConfig(StoreType store, Path file, Duration pollInterval) {

  /** The store behind the tenant registry. */
  public enum StoreType {
    FILE;

    static StoreType parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  static RegistryConfig parse(Node n, GatewayConfig.Paths paths) {
    StoreType store = n.enumValue("store", StoreType.FILE, StoreType.class, StoreType::parse);
    Path file = paths.resolve(n.requiredString("file"));
    Duration poll = n.duration("pollInterval", Duration.ofSeconds(1));
    if (poll.toMillis() < 50) {
      n.problem("pollInterval", "must be at least 50ms");
    }
    n.rejectUnknownKeys();
    return new RegistryConfig(store, file, poll);
  }
}
