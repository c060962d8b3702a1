package io.tenantgate.pki;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * The product's certificate hierarchy (DESIGN.md section 1): platform root, one pathlen-0
 * intermediate per tenant whose NameConstraints confine it to {@code <slug>.<trustDomain>}, and
 * component leaves named {@code <componentId>[.<partitionId>].<slug>.<trustDomain>} with a SPIFFE
 * URI SAN. Also the gateway's own server certificate.
 *
 * <p>All methods generate keys and sign: blocking CPU work, call them off the event loop.
 * Certificates start five minutes in the past (clock skew) and never outlive their issuer.
 */
public final class Pki {

  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final int CA_KEY_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign;

  private Pki() {
  }

  /** A self-signed platform root: {@code CA:true} without a path length limit. */
  public static CertAndKey createRoot(String commonName, Duration validity, KeyAlgorithm alg) {
    requireText("root common name", commonName);
    Instant now = Instant.now();
    return CertificateBuilder.create()
        .subjectCn(commonName)
        .keyAlgorithm(alg)
        .validity(now.minus(BACKDATE), now.plus(requirePositive(validity)))
        .ca(null)
        .keyUsage(CA_KEY_USAGE)
        .build();
  }

  /**
   * A tenant intermediate CA, CN {@code tenant-<slug>.ca.<trustDomain>}, {@code pathlen:0}, whose
   * critical NameConstraints permit only DNS names at or below {@code <slug>.<trustDomain>}.
   */
  public static CertAndKey createTenantCa(CertAndKey root, String tenantSlug, String trustDomain,
      Duration validity, KeyAlgorithm alg) {
    Names.requireSlug("tenant slug", tenantSlug);
    Names.requireDomain("trust domain", trustDomain);
    Instant now = Instant.now();
    return CertificateBuilder.create()
        .subjectCn("tenant-" + tenantSlug + ".ca." + trustDomain)
        .keyAlgorithm(alg)
        .issuedBy(root)
        .validity(now.minus(BACKDATE), notAfter(root, now, validity))
        .ca(0)
        .keyUsage(CA_KEY_USAGE)
        .permittedDnsSubtrees(tenantSlug + "." + trustDomain)
        .build();
  }

  /**
   * A component leaf: {@code CA:false}, digitalSignature, EKU clientAuth (+ serverAuth when the
   * spec asks), SAN DNS = CN and, when the spec has a SPIFFE trust domain, the SPIFFE URI SAN.
   */
  public static CertAndKey issueComponent(CertAndKey tenantCa, ComponentCertSpec spec) {
    return componentBuilder(tenantCa, spec).keyAlgorithm(spec.keyAlgorithm()).build();
  }

  /**
   * The same leaf as {@link #issueComponent} but for a key the edge keeps (the CSR path: check the
   * request with {@link CsrCheck} first). The spec's key algorithm is ignored.
   */
  public static X509Certificate issueComponentForKey(CertAndKey tenantCa, ComponentCertSpec spec,
      PublicKey key) {
    Objects.requireNonNull(key, "key");
    return componentBuilder(tenantCa, spec).publicKey(key).build().certificate();
  }

  private static CertificateBuilder componentBuilder(CertAndKey tenantCa, ComponentCertSpec spec) {
    Objects.requireNonNull(spec, "spec");
    Instant now = Instant.now();
    CertificateBuilder builder = CertificateBuilder.create()
        .subjectCn(spec.commonName())
        .issuedBy(tenantCa)
        .validity(now.minus(BACKDATE), notAfter(tenantCa, now, spec.validity()))
        .keyUsage(KeyUsage.digitalSignature)
        .clientAuth()
        .dnsNames(spec.commonName());
    if (spec.serverAuth()) {
      builder.serverAuth();
    }
    if (spec.spiffeId() != null) {
      builder.uris(spec.spiffeId());
    }
    return builder;
  }

  /**
   * The gateway's own listener certificate, issued directly by the platform root: EKU serverAuth,
   * digitalSignature (+ keyEncipherment for RSA keys). At least one DNS name or IP is required,
   * because clients verify the server's name against the SAN only.
   */
  public static CertAndKey issueServer(CertAndKey root, String commonName, List<String> dnsNames,
      List<String> ipAddresses, Duration validity, KeyAlgorithm alg) {
    requireText("server common name", commonName);
    Objects.requireNonNull(alg, "alg");
    List<String> dns = List.copyOf(dnsNames);
    List<String> ips = List.copyOf(ipAddresses);
    if (dns.isEmpty() && ips.isEmpty()) {
      throw new IllegalArgumentException(
          "server certificate '" + commonName + "' needs at least one DNS name or IP address");
    }
    int usage = alg == KeyAlgorithm.EC_P256
        ? KeyUsage.digitalSignature
        : KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
    Instant now = Instant.now();
    return CertificateBuilder.create()
        .subjectCn(commonName)
        .keyAlgorithm(alg)
        .issuedBy(root)
        .validity(now.minus(BACKDATE), notAfter(root, now, validity))
        .keyUsage(usage)
        .serverAuth()
        .dnsNames(dns.toArray(new String[0]))
        .ipAddresses(ips.toArray(new String[0]))
        .build();
  }

  private static Instant notAfter(CertAndKey issuer, Instant now, Duration validity) {
    Instant wanted = now.plus(requirePositive(validity));
    X509Certificate issuerCert = issuer.certificate();
    Instant issuerEnd = issuerCert.getNotAfter().toInstant();
    return wanted.isAfter(issuerEnd) ? issuerEnd : wanted;
  }

  private static Duration requirePositive(Duration validity) {
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, was " + validity);
    }
    return validity;
  }

  private static void requireText(String what, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }
}
