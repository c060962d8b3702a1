package io.tenantgate.tenant;

import java.util.Locale;

/** Lifecycle of a tenant or a tenant CA. Only ACTIVE ones are served. */
public enum TenantStatus {
  ACTIVE, SUSPENDED, DISABLED;

  public static TenantStatus parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT));
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
