package io.tenantgate.pki;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Decides whether a PKCS#10 request from an edge may be turned into a component certificate, for
 * the enrollment path where the private key never leaves the edge (DESIGN.md section 4).
 *
 * <p>Only the request's key is used: the certificate itself is always built from the package's
 * {@link ComponentCertSpec} by {@link Pki#issueComponentForKey}. The checks exist so that an edge
 * asking for something else (another tenant's name, a CA, a weak key) hears "no" instead of
 * silently getting a different certificate. Key checks run before the signature check, so an
 * oversized RSA key costs nothing to refuse. Thread-safe; verifying is blocking CPU work.
 */
public final class CsrCheck {

  /** Longest accepted PEM text, in characters. */
  public static final int MAX_PEM_CHARS = 16 * 1024;
  static final int MIN_RSA_BITS = 2048;
  static final int MAX_RSA_BITS = 8192;
  private static final int QUOTE_LIMIT = 80;
  /** GeneralName tag numbers 0..8 (RFC 5280), for messages. */
  private static final String[] SAN_TYPES = {"otherName", "email address", "DNS", "x400Address",
      "directoryName", "ediPartyName", "URI", "IP address", "registeredID"};

  private CsrCheck() {
  }

  /**
   * The public key of {@code csrPem} when the request is one the package {@code expected} allows.
   *
   * @throws CsrException with the first reason that applies, see {@link CsrException}
   */
  public static PublicKey check(String csrPem, ComponentCertSpec expected) {
    Objects.requireNonNull(expected, "expected");
    PKCS10CertificationRequest csr = parse(csrPem);
    try {
      SubjectPublicKeyInfo info = csr.getSubjectPublicKeyInfo();
      String algorithm = requireAcceptableKey(info);
      PublicKey key = KeyFactory.getInstance(algorithm)
          .generatePublic(new X509EncodedKeySpec(info.getEncoded()));
      requireProofOfPossession(csr, key);
      Extensions requested = requestedExtensions(csr);
      requireNoCa(requested);
      requireExpectedNames(csr.getSubject(), requested, expected);
      return key;
    } catch (CsrException e) {
      throw e;
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      // BouncyCastle parses nested ASN.1 lazily; any structural failure is the request's fault
      throw failure(CsrException.MALFORMED, "CSR is not a valid PKCS#10 request ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static PKCS10CertificationRequest parse(String pem) {
    if (pem == null || pem.isBlank()) {
      throw failure(CsrException.MALFORMED, "CSR is empty");
    }
    if (pem.length() > MAX_PEM_CHARS) {
      throw failure(CsrException.MALFORMED, "CSR PEM is " + pem.length()
          + " characters, at most " + MAX_PEM_CHARS + " (16 KiB) are accepted");
    }
    List<Object> blocks = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object block;
      while ((block = parser.readObject()) != null) {
        blocks.add(block);
      }
    } catch (IOException | RuntimeException e) {
      String detail = e.getMessage() == null ? e.getClass().getSimpleName() : quote(e.getMessage());
      throw failure(CsrException.MALFORMED, "CSR is not valid PEM: " + detail);
    }
    if (blocks.isEmpty()) {
      throw failure(CsrException.MALFORMED, "no PEM CERTIFICATE REQUEST block found");
    }
    if (blocks.size() > 1) {
      throw failure(CsrException.MALFORMED, "expected exactly one PEM CERTIFICATE REQUEST block, found "
          + blocks.size() + " PEM blocks");
    }
    if (!(blocks.get(0) instanceof PKCS10CertificationRequest)) {
      throw failure(CsrException.MALFORMED, "expected a PEM CERTIFICATE REQUEST block, found "
          + describe(blocks.get(0)));
    }
    return (PKCS10CertificationRequest) blocks.get(0);
  }

  /** The key's JCA algorithm name once it is an accepted type and size. */
  private static String requireAcceptableKey(SubjectPublicKeyInfo key) throws IOException {
    ASN1ObjectIdentifier algorithm = key.getAlgorithm().getAlgorithm();
    if (X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
      requireAcceptableEcKey(key);
      return "EC";
    } else if (PKCSObjectIdentifiers.rsaEncryption.equals(algorithm)) {
      requireAcceptableRsaKey(key);
      return "RSA";
    } else {
      throw failure(CsrException.WEAK_KEY, "CSR key algorithm " + algorithm.getId()
          + " is not accepted; use EC P-256, EC P-384 or RSA of 2048 to 8192 bits");
    }
  }

  private static void requireAcceptableEcKey(SubjectPublicKeyInfo key) {
    ASN1Encodable parameters = key.getAlgorithm().getParameters();
    if (!(parameters instanceof ASN1ObjectIdentifier)) {
      throw failure(CsrException.WEAK_KEY,
          "CSR EC key does not name its curve; use the named curve P-256 or P-384");
    }
    ASN1ObjectIdentifier curve = (ASN1ObjectIdentifier) parameters;
    if (!SECObjectIdentifiers.secp256r1.equals(curve)
        && !SECObjectIdentifiers.secp384r1.equals(curve)) {
      String name = ECNamedCurveTable.getName(curve);
      throw failure(CsrException.WEAK_KEY, "CSR EC key is on curve "
          + (name != null ? name : curve.getId()) + "; only P-256 and P-384 are accepted");
    }
    try {
      // builds ECPublicKeyParameters, which refuses a point that is not on the curve
      PublicKeyFactory.createKey(key);
    } catch (IOException | RuntimeException e) {
      throw failure(CsrException.MALFORMED, "CSR EC public key is not a valid point on its curve");
    }
  }

  private static void requireAcceptableRsaKey(SubjectPublicKeyInfo key) throws IOException {
    int bits = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus().bitLength();
    if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
      throw failure(CsrException.WEAK_KEY, "CSR RSA key has " + bits + " bits; RSA keys of "
          + MIN_RSA_BITS + " to " + MAX_RSA_BITS + " bits are accepted");
    }
    try {
      // RSAKeyParameters refuses an even modulus or one with a small prime factor
      PublicKeyFactory.createKey(key);
    } catch (IOException | RuntimeException e) {
      throw failure(CsrException.MALFORMED, "CSR RSA public key is not a valid RSA key");
    }
  }

  private static void requireProofOfPossession(PKCS10CertificationRequest csr, PublicKey key) {
    boolean valid;
    try {
      // the JDK key, not the SubjectPublicKeyInfo: without the BC provider that lookup fails for EC
      valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (OperatorCreationException | PKCSException e) {
      valid = false;
    }
    if (!valid) {
      throw failure(CsrException.BAD_SIGNATURE, "CSR signature ("
          + csr.getSignatureAlgorithm().getAlgorithm().getId()
          + ") does not verify with the request's own key: no proof of possession");
    }
  }

  /** The single extensionRequest attribute's extensions, or null when there is none. */
  private static Extensions requestedExtensions(PKCS10CertificationRequest csr) {
    Attribute[] attributes = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    if (attributes.length == 0) {
      return null;
    }
    if (attributes.length > 1 || attributes[0].getAttrValues().size() != 1) {
      throw failure(CsrException.MALFORMED, "CSR has more than one extensionRequest");
    }
    return Extensions.getInstance(attributes[0].getAttrValues().getObjectAt(0));
  }

  private static void requireNoCa(Extensions requested) {
    if (requested == null) {
      return;
    }
    BasicConstraints constraints = BasicConstraints.fromExtensions(requested);
    if (constraints != null && constraints.isCA()) {
      throw failure(CsrException.CA_REQUESTED, "CSR asks for a CA certificate (basicConstraints"
          + " CA:true); only component leaf certificates are issued");
    }
    KeyUsage usage = KeyUsage.fromExtensions(requested);
    if (usage != null
        && (usage.hasUsages(KeyUsage.keyCertSign) || usage.hasUsages(KeyUsage.cRLSign))) {
      throw failure(CsrException.CA_REQUESTED, "CSR asks for key usage keyCertSign or cRLSign;"
          + " only component leaf certificates are issued");
    }
  }

  private static void requireExpectedNames(X500Name subject, Extensions requested,
      ComponentCertSpec expected) {
    String allowedCn = expected.commonName();
    RDN[] cns = subject.getRDNs(BCStyle.CN);
    if (cns.length == 0) {
      throw failure(CsrException.NAME_MISMATCH,
          "CSR subject has no CN; this package allows only CN " + quote(allowedCn));
    }
    if (cns.length > 1 || cns[0].isMultiValued()
        || !(cns[0].getFirst().getValue() instanceof ASN1String)) {
      throw failure(CsrException.NAME_MISMATCH,
          "CSR subject must have exactly one CN; this package allows only CN " + quote(allowedCn));
    }
    String cn = ((ASN1String) cns[0].getFirst().getValue()).getString();
    if (!cn.equals(allowedCn)) {
      throw failure(CsrException.NAME_MISMATCH, "CSR asks for CN " + quote(cn)
          + " but this package allows only CN " + quote(allowedCn));
    }
    GeneralNames sans = requested == null
        ? null : GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
    if (sans != null) {
      for (GeneralName name : sans.getNames()) {
        requireAllowedSan(name, allowedCn, expected.spiffeId());
      }
    }
  }

  private static void requireAllowedSan(GeneralName name, String allowedDns, String allowedUri) {
    switch (name.getTagNo()) {
      case GeneralName.dNSName: {
        String dns = ((ASN1String) name.getName()).getString();
        if (!dns.equals(allowedDns)) {
          throw failure(CsrException.NAME_MISMATCH, "CSR asks for DNS name " + quote(dns)
              + " but this package allows only " + quote(allowedDns));
        }
        return;
      }
      case GeneralName.uniformResourceIdentifier: {
        String uri = ((ASN1String) name.getName()).getString();
        if (!uri.equals(allowedUri)) {
          throw failure(CsrException.NAME_MISMATCH, "CSR asks for URI " + quote(uri)
              + (allowedUri == null ? " but this package allows no URI"
                  : " but this package allows only " + quote(allowedUri)));
        }
        return;
      }
      case GeneralName.iPAddress:
        throw failure(CsrException.NAME_MISMATCH,
            "CSR asks for an IP address name; component certificates carry only the DNS name "
                + quote(allowedDns) + (allowedUri == null ? "" : " and URI " + quote(allowedUri)));
      case GeneralName.rfc822Name:
        throw failure(CsrException.NAME_MISMATCH,
            "CSR asks for an email address name; component certificates carry only the DNS name "
                + quote(allowedDns) + (allowedUri == null ? "" : " and URI " + quote(allowedUri)));
      default:
        throw failure(CsrException.NAME_MISMATCH, "CSR asks for a " + SAN_TYPES[name.getTagNo()]
            + " name; only the DNS name " + quote(allowedDns)
            + (allowedUri == null ? "" : " and URI " + quote(allowedUri)) + " are allowed");
    }
  }

  /** Request text in quotes, cut short and with control characters replaced: it is untrusted. */
  static String quote(String untrusted) {
    StringBuilder out = new StringBuilder("'");
    int end = Math.min(untrusted.length(), QUOTE_LIMIT);
    for (int i = 0; i < end; i++) {
      char c = untrusted.charAt(i);
      out.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return out.append(untrusted.length() > QUOTE_LIMIT ? "...'" : "'").toString();
  }

  private static String describe(Object block) {
    if (block instanceof X509CertificateHolder) {
      return "a CERTIFICATE";
    }
    if (block instanceof PrivateKeyInfo || block instanceof PEMKeyPair) {
      return "a PRIVATE KEY";
    }
    return "a " + block.getClass().getSimpleName();
  }

  private static CsrException failure(String reason, String message) {
    return new CsrException(reason, message);
  }
}
