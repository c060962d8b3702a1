package io.tenantgate.ingress;

import io.tenantgate.config.GatewayConfig;
import io.tenantgate.identity.AssertionCache;
import io.tenantgate.identity.EdgeHandler;
import io.tenantgate.identity.EdgeTrustManager;
import io.tenantgate.identity.IdentityStamp;
import io.tenantgate.identity.TlsMaterial;
import io.tenantgate.identity.IdentityResolver;
import io.tenantgate.metrics.AccessLog;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.quota.TenantQuotas;
import io.tenantgate.tenant.TenantRegistry;
import io.vertx.core.Promise;
import java.util.List;

/**
 * What the launcher hands every edge verticle instance: configuration and the shared services.
 *
 * @param tls the validated TLS material the listener starts with (hot reload replaces it later)
 * @param assertions signs X-Tenant-Assertion, one per client certificate, and prepares it with the identity's
 *     headers; null when assertions are disabled
 * @param mounts capabilities served on the edge listener itself, matched before the routes to core
 * @param boundPort completed with the port actually bound (useful with port 0)
 * @param onAccepted told the serial of every accepted connection's certificate (package activation); may do nothing
 * @param quotas every tenant's quota state, shared with the NATS bridge
 * @param tickets the session-ticket keys of the BoringSSL engine; null when tickets are off
 */
public record EdgeSettings(GatewayConfig config, TlsMaterial tls, TenantRegistry registry, EdgeTrustManager trustManager,
    IdentityResolver resolver, AssertionCache<IdentityStamp> assertions, GatewayMetrics metrics, AccessLog accessLog,
    List<EdgeHandler.Mount> mounts, Promise<Integer> boundPort, java.util.function.Consumer<String> onAccepted,
    TenantQuotas quotas, io.tenantgate.identity.SessionTickets tickets) {

  public EdgeSettings {
    mounts = List.copyOf(mounts);
  }
}
