package io.tenantgate.tenant;

import java.security.cert.X509Certificate;
import java.util.UUID;

/**
 * A tenant's intermediate CA as the gateway knows it: identified by the SHA-256 of its
 * SubjectPublicKeyInfo, bound to exactly one tenant.
 */
public record TenantCa(String spkiSha256, UUID tenantId, TenantStatus status, X509Certificate certificate,
    String subjectKeyId) {
  public boolean active() {
    return status == TenantStatus.ACTIVE;
  }
}
