package io.tenantgate.tenant;

import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyIdentifiers;
import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's intermediate CA as the gateway knows it: identified by the SHA-256 of its
 * SubjectPublicKeyInfo, bound to exactly one tenant.
 *
 * <p>A registry file entry that carries the CA's SPKI hash and key identifier, as the file store writes
 * them (and as the Postgres registry keeps them in columns), is indexed by those without parsing its PEM
 * ({@link #ofPem}): with 10,000 tenants the JDK's X.509 parse, and the compiling of it, was the larger
 * part of a cold load. Such a certificate is parsed on first use (a client presenting its leaf without
 * the CA, an operator listing CAs) or by {@link #problem()}, which the file store runs for every CA off
 * the loop once a snapshot is in force; a PEM that does not parse, or whose key does not match the
 * stored hash, makes the CA unusable and is reported.
 */
public final class TenantCa {
  private static final Logger LOG = LoggerFactory.getLogger(TenantCa.class);

  private final String spkiSha256;
  private final UUID tenantId;
  private final TenantStatus status;
  private final String subjectKeyId;
  /** The registry entry's PEM when the CA came from one indexed by its stored hash; null when built from a certificate. */
  private final String pem;
  private volatile X509Certificate certificate;
  private volatile String problem;

  public TenantCa(String spkiSha256, UUID tenantId, TenantStatus status, X509Certificate certificate,
      String subjectKeyId) {
    this(spkiSha256, tenantId, status, null, Objects.requireNonNull(certificate, "certificate"), subjectKeyId);
  }

  private TenantCa(String spkiSha256, UUID tenantId, TenantStatus status, String pem, X509Certificate certificate,
      String subjectKeyId) {
    this.spkiSha256 = spkiSha256;
    this.tenantId = tenantId;
    this.status = status;
    this.pem = pem;
    this.certificate = certificate;
    this.subjectKeyId = subjectKeyId;
  }

  /**
   * A CA known by its stored SPKI hash and subject key identifier (null: the certificate has none), its
   * {@code pem} parsed when first asked for; or, when {@code before} (nullable: the same hash in the
   * snapshot this one replaces) came from the same PEM with the same key id, taking over its parse (the
   * certificate, or why it is unusable): a reload then parses only what changed, and re-resolving the
   * open connections after it parses nothing on the event loops.
   */
  static TenantCa ofPem(String spkiSha256, UUID tenantId, TenantStatus status, String pem, String subjectKeyId,
      TenantCa before) {
    TenantCa ca = new TenantCa(spkiSha256, tenantId, status, Objects.requireNonNull(pem, "pem"), null, subjectKeyId);
    if (before != null && pem.equals(before.pem) && spkiSha256.equals(before.spkiSha256)
        && Objects.equals(subjectKeyId, before.subjectKeyId)) {
      ca.certificate = before.certificate;
      ca.problem = before.problem;
    }
    return ca;
  }

  public String spkiSha256() {
    return spkiSha256;
  }

  public UUID tenantId() {
    return tenantId;
  }

  public TenantStatus status() {
    return status;
  }

  public String subjectKeyId() {
    return subjectKeyId;
  }

  public boolean active() {
    return status == TenantStatus.ACTIVE;
  }

  /**
   * The CA certificate; {@link IllegalStateException} when it is unusable ({@link #problem()}). The
   * handshake asks {@link #certificateOrNull} and refuses instead.
   */
  public X509Certificate certificate() {
    X509Certificate c = certificateOrNull();
    if (c == null) {
      throw new IllegalStateException("tenant CA " + spkiSha256 + " is unusable: " + problem);
    }
    return c;
  }

  /**
   * The CA certificate, or null (logged once) when its PEM does not parse or match the stored key. The
   * first call for a CA the file store's check has not reached yet parses it here, once (tens of µs).
   */
  public X509Certificate certificateOrNull() {
    X509Certificate c = certificate;
    return c != null || problem != null ? c : parse();
  }

  /**
   * Null when the certificate is usable, else why not. Parses a PEM not yet parsed: the file store asks
   * this of every CA off the event loop after a load, so a broken entry is reported, not found by a client.
   */
  public String problem() {
    certificateOrNull();
    return problem;
  }

  private synchronized X509Certificate parse() {
    if (certificate != null || problem != null) {
      return certificate;
    }
    String reason;
    try {
      X509Certificate c = RegistryFile.certificate(pem);
      String key = Fingerprints.spkiSha256Hex(c);
      String keyId = KeyIdentifiers.subjectKeyId(c);
      if (key.equals(spkiSha256) && Objects.equals(keyId, subjectKeyId)) {
        certificate = c;
        return c;
      }
      reason = !key.equals(spkiSha256) ? "the certificate's key hashes to " + key + ", not to the stored spki_sha256"
          : "the certificate's subject key identifier is " + keyId + ", not the stored subject_key_id";
    } catch (RuntimeException e) { // IllegalArgumentException naming the problem, or anything the JDK throws
      reason = e.getMessage() != null ? e.getMessage() : e.toString();
    }
    problem = reason;
    LOG.warn("op=registry.ca tenant_id={} ca_spki_sha256={} outcome=unusable reason=\"{}\"", tenantId, spkiSha256,
        reason);
    return null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TenantCa c && Objects.equals(spkiSha256, c.spkiSha256) && Objects.equals(tenantId, c.tenantId)
        && status == c.status && Objects.equals(subjectKeyId, c.subjectKeyId)
        && sameCertificate(c);
  }

  /** The same certificate; two unusable CAs: the same PEM text. */
  private boolean sameCertificate(TenantCa c) {
    X509Certificate mine = certificateOrNull();
    X509Certificate theirs = c.certificateOrNull();
    return mine != null || theirs != null ? Objects.equals(mine, theirs) : Objects.equals(pem, c.pem);
  }

  @Override
  public int hashCode() {
    return Objects.hash(spkiSha256, tenantId, status, subjectKeyId);
  }

  @Override
  public String toString() {
    return "TenantCa[spkiSha256=" + spkiSha256 + ", tenantId=" + tenantId + ", status=" + status + ", subjectKeyId="
        + subjectKeyId + "]";
  }
}
