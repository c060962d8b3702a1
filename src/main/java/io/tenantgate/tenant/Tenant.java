package io.tenantgate.tenant;

import java.util.UUID;

/**
 * A tenant of the platform.
 *
 * @param limits its own quota overrides; {@link TenantLimits#NONE} when it has the gateway's defaults
 */
public record Tenant(UUID id, String slug, String name, TenantStatus status, TenantLimits limits) {
  public Tenant {
    limits = limits == null ? TenantLimits.NONE : limits;
  }

  /** A tenant with the gateway's default limits. */
  public Tenant(UUID id, String slug, String name, TenantStatus status) {
    this(id, slug, name, status, TenantLimits.NONE);
  }

  public boolean active() {
    return status == TenantStatus.ACTIVE;
  }

  public Tenant withLimits(TenantLimits l) {
    return new Tenant(id, slug, name, status, l);
  }
}
