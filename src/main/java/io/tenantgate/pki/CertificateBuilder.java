package io.tenantgate.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Builds one X.509 v3 certificate with exactly the extensions asked for.
 *
 * <p>Deliberately unopinionated so tests can produce both good and bad certificates (a leaf that
 * claims to be a CA, a sub-CA under a pathlen-0 CA, a name outside a tenant's namespace);
 * {@link Pki} layers the product's defaults on top. Defaults: self-signed, fresh EC P-256 key,
 * validity now-5min .. now+365d, 128-bit random positive serial, critical {@code CA:false}, no key
 * usage, no EKU, no SAN. A SubjectKeyIdentifier is always added, and an AuthorityKeyIdentifier when
 * another certificate is the issuer. The signature algorithm follows the issuer's key (EC:
 * SHA256withECDSA, RSA: SHA256withRSA). Not thread-safe; building is blocking CPU work.
 */
public final class CertificateBuilder {

  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
  private static final SecureRandom RANDOM = new SecureRandom();

  private X500Name subject;
  private PublicKey publicKey;
  private KeyAlgorithm keyAlgorithm = KeyAlgorithm.EC_P256;
  private CertAndKey issuer;
  private Instant notBefore;
  private Instant notAfter;
  private BigInteger serial;
  private boolean ca;
  private Integer pathLen;
  private Integer keyUsage;
  private final Set<KeyPurposeId> extendedKeyUsages = new LinkedHashSet<>();
  private final List<GeneralName> subjectAltNames = new ArrayList<>();
  private final List<GeneralSubtree> permittedSubtrees = new ArrayList<>();

  private CertificateBuilder() {
  }

  /** Starts a builder with the defaults described on the class. */
  public static CertificateBuilder create() {
    return new CertificateBuilder();
  }

  /** Subject DN consisting of a single CN. */
  public CertificateBuilder subjectCn(String commonName) {
    Objects.requireNonNull(commonName, "commonName");
    return subject(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build());
  }

  /** Any subject DN (an empty one makes the SAN extension critical, as RFC 5280 requires). */
  public CertificateBuilder subject(X500Name name) {
    this.subject = Objects.requireNonNull(name, "name");
    return this;
  }

  /** Certifies this key instead of generating one; {@link #build()} then has no private key. */
  public CertificateBuilder publicKey(PublicKey key) {
    this.publicKey = Objects.requireNonNull(key, "key");
    return this;
  }

  /** Type of the key generated when no public key is given (default EC P-256). */
  public CertificateBuilder keyAlgorithm(KeyAlgorithm algorithm) {
    this.keyAlgorithm = Objects.requireNonNull(algorithm, "algorithm");
    return this;
  }

  /** Signs with this certificate's key; without it the certificate is self-signed. */
  public CertificateBuilder issuedBy(CertAndKey issuingCa) {
    Objects.requireNonNull(issuingCa, "issuingCa");
    if (issuingCa.privateKey() == null) {
      throw new IllegalArgumentException("issuer "
          + issuingCa.certificate().getSubjectX500Principal().getName() + " has no private key");
    }
    this.issuer = issuingCa;
    return this;
  }

  /** Validity window; any order is accepted so tests can build nonsense on purpose. */
  public CertificateBuilder validity(Instant from, Instant until) {
    this.notBefore = Objects.requireNonNull(from, "from");
    this.notAfter = Objects.requireNonNull(until, "until");
    return this;
  }

  /** Explicit serial number instead of a random one. */
  public CertificateBuilder serial(BigInteger number) {
    this.serial = Objects.requireNonNull(number, "number");
    return this;
  }

  /** Makes this a CA (critical {@code CA:true}); a null path length means unlimited. */
  public CertificateBuilder ca(Integer maxPathLength) {
    if (maxPathLength != null && maxPathLength < 0) {
      throw new IllegalArgumentException("path length must be >= 0, was " + maxPathLength);
    }
    this.ca = true;
    this.pathLen = maxPathLength;
    return this;
  }

  /** Critical key usage, as BouncyCastle {@link KeyUsage} bits OR-ed together. */
  public CertificateBuilder keyUsage(int bcKeyUsageBits) {
    this.keyUsage = bcKeyUsageBits;
    return this;
  }

  /** Adds EKU {@code clientAuth}. */
  public CertificateBuilder clientAuth() {
    extendedKeyUsages.add(KeyPurposeId.id_kp_clientAuth);
    return this;
  }

  /** Adds EKU {@code serverAuth}. */
  public CertificateBuilder serverAuth() {
    extendedKeyUsages.add(KeyPurposeId.id_kp_serverAuth);
    return this;
  }

  /** Adds DNS subject alternative names. */
  public CertificateBuilder dnsNames(String... names) {
    for (String name : names) {
      subjectAltNames.add(new GeneralName(GeneralName.dNSName, Objects.requireNonNull(name)));
    }
    return this;
  }

  /** Adds IP address subject alternative names (IPv4 or IPv6 literals). */
  public CertificateBuilder ipAddresses(String... addresses) {
    for (String address : addresses) {
      Objects.requireNonNull(address, "address");
      try {
        subjectAltNames.add(new GeneralName(GeneralName.iPAddress, address));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not an IP address literal: '" + address + "'", e);
      }
    }
    return this;
  }

  /** Adds URI subject alternative names (e.g. SPIFFE ids). */
  public CertificateBuilder uris(String... uris) {
    for (String uri : uris) {
      subjectAltNames.add(
          new GeneralName(GeneralName.uniformResourceIdentifier, Objects.requireNonNull(uri)));
    }
    return this;
  }

  /** Adds permitted DNS subtrees to a critical NameConstraints extension. */
  public CertificateBuilder permittedDnsSubtrees(String... domains) {
    for (String domain : domains) {
      permittedSubtrees.add(
          new GeneralSubtree(new GeneralName(GeneralName.dNSName, Objects.requireNonNull(domain))));
    }
    return this;
  }

  /**
   * Builds and signs the certificate.
   *
   * @return the certificate and, when the key was generated here, its private key (else null)
   * @throws IllegalStateException when no subject was set, or a self-signed certificate was asked
   *     for a caller-supplied public key (there is no private key to sign with)
   */
  public CertAndKey build() {
    if (subject == null) {
      throw new IllegalStateException("subject is required");
    }
    PublicKey subjectKey = publicKey;
    PrivateKey generatedKey = null;
    if (subjectKey == null) {
      KeyPair pair = keyAlgorithm.generate();
      subjectKey = pair.getPublic();
      generatedKey = pair.getPrivate();
    }
    PrivateKey signingKey = issuer != null ? issuer.privateKey() : generatedKey;
    if (signingKey == null) {
      throw new IllegalStateException(
          "a self-signed certificate needs a generated key: "
              + "call issuedBy(..) or drop publicKey(..)");
    }
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          issuerName(), serialNumber(), Date.from(notBefore()), Date.from(notAfter()),
          subject, subjectKey);
      addExtensions(builder, subjectKey);
      ContentSigner signer =
          new JcaContentSignerBuilder(signatureAlgorithm(signingKey)).build(signingKey);
      X509Certificate certificate =
          new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      return new CertAndKey(certificate, generatedKey);
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build certificate for " + subject, e);
    }
  }

  private void addExtensions(X509v3CertificateBuilder builder, PublicKey subjectKey)
      throws GeneralSecurityException, CertIOException {
    JcaX509ExtensionUtils extensionUtils = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true,
        ca && pathLen != null ? new BasicConstraints(pathLen) : new BasicConstraints(ca));
    if (keyUsage != null) {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    }
    if (!extendedKeyUsages.isEmpty()) {
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(extendedKeyUsages.toArray(new KeyPurposeId[0])));
    }
    if (!subjectAltNames.isEmpty()) {
      builder.addExtension(Extension.subjectAlternativeName, subject.getRDNs().length == 0,
          new GeneralNames(subjectAltNames.toArray(new GeneralName[0])));
    }
    if (!permittedSubtrees.isEmpty()) {
      builder.addExtension(Extension.nameConstraints, true,
          new NameConstraints(permittedSubtrees.toArray(new GeneralSubtree[0]), null));
    }
    builder.addExtension(Extension.subjectKeyIdentifier, false,
        extensionUtils.createSubjectKeyIdentifier(subjectKey));
    if (issuer != null) {
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          authorityKeyIdentifier(extensionUtils));
    }
  }

  /** Uses the issuer's own SKI when it has one, so AKI and SKI match byte for byte. */
  private AuthorityKeyIdentifier authorityKeyIdentifier(JcaX509ExtensionUtils extensionUtils)
      throws CertificateException {
    X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(issuer.certificate());
    SubjectKeyIdentifier issuerSki =
        SubjectKeyIdentifier.fromExtensions(issuerHolder.getExtensions());
    if (issuerSki != null) {
      return new AuthorityKeyIdentifier(issuerSki.getKeyIdentifier());
    }
    return extensionUtils.createAuthorityKeyIdentifier(issuer.publicKey());
  }

  private X500Name issuerName() {
    if (issuer == null) {
      return subject;
    }
    return X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
  }

  private BigInteger serialNumber() {
    if (serial != null) {
      return serial;
    }
    BigInteger random;
    do {
      random = new BigInteger(128, RANDOM);
    } while (random.signum() == 0);
    return random;
  }

  private Instant notBefore() {
    return notBefore != null ? notBefore : Instant.now().minus(BACKDATE);
  }

  private Instant notAfter() {
    return notAfter != null ? notAfter : Instant.now().plus(DEFAULT_VALIDITY);
  }

  static String signatureAlgorithm(PrivateKey signingKey) {
    switch (signingKey.getAlgorithm()) {
      case "EC":
      case "ECDSA":
        return "SHA256withECDSA";
      case "RSA":
        return "SHA256withRSA";
      default:
        throw new IllegalArgumentException(
            "unsupported issuer key algorithm " + signingKey.getAlgorithm());
    }
  }
}
