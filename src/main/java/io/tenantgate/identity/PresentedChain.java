package io.tenantgate.identity;

import java.util.List;

/**
 * What identity resolution reads from the chain a client presented, read once per connection by
 * {@link IdentityResolver#present}: everything that depends only on the certificates, so that
 * resolving again after a registry change ({@link IdentityResolver#resolve(PresentedChain,
 * io.tenantgate.tenant.RegistrySnapshot)}) needs no certificate and a connection holds a few strings
 * instead of the parsed chain. Immutable.
 */
public final class PresentedChain {
  static final PresentedChain NONE = new PresentedChain(false, null, null, null, null, null, null, null, false,
      null, null, Long.MIN_VALUE, Long.MAX_VALUE);

  /** False when the client sent no X.509 chain the gateway could read. */
  final boolean usable;
  /** SPKI SHA-256 of the one tenant CA the client sent, when it names itself the leaf's issuer. */
  final String caSpki;
  /** The leaf's authority key id when the client sent no CA: the registry completes the chain by it. */
  final String caKeyId;
  /** The leaf's subject (RFC 2253) and its CN parsed as a component name (null: not one). */
  final String subject;
  final ComponentName name;
  /** DNS SANs; null when the SAN extension cannot be parsed. */
  final List<String> dnsSans;
  /** The one SPIFFE ID's URI and component type, when there is exactly one and it agrees with the CN; else null. */
  final String spiffeUri;
  final String spiffeType;
  /** SPIFFE SANs present but not exactly one that parses and agrees with the CN. */
  final boolean spiffeMismatch;
  final String serialHex;
  final String sha256;
  private final long notBeforeMillis;
  private final long notAfterMillis;

  PresentedChain(boolean usable, String caSpki, String caKeyId, String subject, ComponentName name,
      List<String> dnsSans, String spiffeUri, String spiffeType, boolean spiffeMismatch, String serialHex,
      String sha256, long notBeforeMillis, long notAfterMillis) {
    this.usable = usable;
    this.caSpki = caSpki;
    this.caKeyId = caKeyId;
    this.subject = subject;
    this.name = name;
    this.dnsSans = dnsSans == null ? null : List.copyOf(dnsSans);
    this.spiffeUri = spiffeUri;
    this.spiffeType = spiffeType;
    this.spiffeMismatch = spiffeMismatch;
    this.serialHex = serialHex;
    this.sha256 = sha256;
    this.notBeforeMillis = notBeforeMillis;
    this.notAfterMillis = notAfterMillis;
  }

  /**
   * Whether every presented certificate is within its validity at {@code nowMillis}. The handshake
   * checked that; a resumed TLS session (a ticket) skips the handshake's check, so the gateway asks again.
   */
  public boolean withinValidity(long nowMillis) {
    return notBeforeMillis <= nowMillis && nowMillis <= notAfterMillis;
  }

  /** When the first certificate of the chain expires (epoch millis); {@code Long.MAX_VALUE} without one. */
  public long notAfterMillis() {
    return notAfterMillis;
  }

  boolean dnsWithin(String domain) {
    for (String d : dnsSans) {
      if (!d.endsWith("." + domain)) {
        return false;
      }
    }
    return true;
  }
}
