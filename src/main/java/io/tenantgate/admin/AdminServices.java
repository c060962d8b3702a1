package io.tenantgate.admin;

import io.tenantgate.tenant.CertStore;
import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the admin API and the enrollment listener work on, handed over by the launcher.
 *
 * @param connections the edge listener's open connections (one JSON object each, with "tenant")
 * @param limitDefaults the tenant limits this gateway applies where a tenant has no override
 */
public record AdminServices(TenantStore tenants, CertStore certs, PackageStore packages,
    Supplier<Future<List<JsonObject>>> connections, String trustDomain, String spiffeTrustDomain,
    io.tenantgate.quota.EffectiveLimits limitDefaults) {
}
