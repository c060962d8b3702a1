package io.tenantgate.launcher;

import io.tenantgate.bridge.NatsBridge;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.metrics.HealthCheck;
import io.tenantgate.metrics.HealthCheck.Result;
import io.tenantgate.tenant.PostgresTenantRegistry;
import io.tenantgate.tenant.TenantRegistry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The readiness checks the launcher can see: registry, NATS bridge, the edge's server certificate. */
final class HealthChecks {
  /** A server certificate closer than this to expiry makes the gateway DEGRADED. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(14);

  private HealthChecks() {
  }

  static List<HealthCheck> of(GatewayConfig config, TenantRegistry registry, NatsBridge bridge,
      java.util.function.Supplier<X509Certificate> serving) {
    List<HealthCheck> checks = new ArrayList<>();
    checks.add(HealthCheck.of("registry", () -> {
      TenantRegistry.RegistryHealth h = registry.health();
      if (h.snapshotAgeMillis() < 0) {
        return Result.down("no snapshot loaded: " + h.detail());
      }
      return h.upToDate() ? Result.up(h.detail()) : Result.degraded(h.detail() + " (serving the last good snapshot)");
    }));
    if (registry instanceof PostgresTenantRegistry pg) {
      checks.add(pg.database().readiness());
    }
    if (bridge != null) {
      checks.add(HealthCheck.of("nats", () -> {
        NatsBridge.Health h = bridge.health();
        return h.up() ? Result.up(h.state() + ": " + h.detail()) : Result.degraded(h.state() + ": " + h.detail());
      }));
    }
    checks.add(HealthCheck.of("server_certificate", () -> certificate(serving.get(), Instant.now())));
    return checks;
  }

  /** The certificate being served (after reloads), not whatever is on disk. */
  static Result certificate(X509Certificate cert, Instant now) {
    Instant notAfter = cert.getNotAfter().toInstant();
    String detail = "expires " + notAfter;
    if (notAfter.isBefore(now)) {
      return Result.down("expired " + notAfter);
    }
    return notAfter.isBefore(now.plus(EXPIRY_WARNING)) ? Result.degraded(detail + " (within 14 days)")
        : Result.up(detail);
  }
}
