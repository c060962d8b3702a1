package io.tenantgate.tenant;

import java.util.UUID;

/** A tenant of the platform. */
public record Tenant(UUID id, String slug, String name, TenantStatus status) {
  public boolean active() {
    return status == TenantStatus.ACTIVE;
  }
}
