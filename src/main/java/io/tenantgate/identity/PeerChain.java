package io.tenantgate.identity;

import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.TenantCa;
import java.io.ByteArrayInputStream;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a chain as the client sent it (leaf first). The platform has exactly one CA level below the
 * root, so a usable chain is the leaf, optionally its tenant CA, optionally the root. A client that
 * sends only its leaf gets its tenant CA completed from the registry by key identifier.
 */
final class PeerChain {
  private static final ThreadLocal<CertificateFactory> FACTORY = ThreadLocal.withInitial(() -> {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("X.509 is missing from this JDK", e);
    }
  });

  private PeerChain() {
  }

  static List<X509Certificate> x509(List<? extends Certificate> chain) {
    List<X509Certificate> out = new ArrayList<>(chain.size());
    for (Certificate c : chain) {
      if (!(c instanceof X509Certificate x)) {
        return List.of();
      }
      out.add(x);
    }
    return out;
  }

  /**
   * The chain as fresh X.509 objects parsed from each certificate's encoding; empty when one is not
   * X.509 or does not parse. The JDK's certificate factory shares the parsed object among equal
   * encodings it saw recently, and a TLS engine's own lazily parsed copies stay unparsed (OpenSSL's
   * session keeps them, with whatever they parsed, for as long as the connection lives).
   */
  static List<X509Certificate> parsed(List<? extends Certificate> chain) {
    List<X509Certificate> out = new ArrayList<>(chain.size());
    try {
      CertificateFactory factory = FACTORY.get();
      for (Certificate c : chain) {
        if (!(c instanceof X509Certificate)) {
          return List.of();
        }
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(c.getEncoded())));
      }
    } catch (CertificateException | RuntimeException e) {
      return List.of();
    }
    return out;
  }

  /** The certificates between the leaf and the root: the client's, minus any root it included. */
  static List<X509Certificate> intermediates(List<X509Certificate> chain, PlatformTrust trust) {
    List<X509Certificate> out = new ArrayList<>(2);
    for (int i = 1; i < chain.size(); i++) {
      if (!trust.isRoot(chain.get(i))) {
        out.add(chain.get(i));
      }
    }
    return out;
  }

  /**
   * Whether {@code ca} names itself as {@code leaf}'s issuer: subject equals issuer and, when both carry
   * them, the key identifiers agree. No signature check: PKIX does that once, in the handshake.
   */
  static boolean issued(X509Certificate leaf, X509Certificate ca) {
    if (!leaf.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    String aki = KeyIdentifiers.authorityKeyId(leaf);
    String ski = KeyIdentifiers.subjectKeyId(ca);
    return aki == null || ski == null || aki.equals(ski);
  }

  /** True for a self-issued certificate (a root) that is not one of the platform roots. */
  static boolean isForeignRoot(X509Certificate cert, PlatformTrust trust) {
    return cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) && !trust.isRoot(cert);
  }

  /**
   * The registered tenant CA that issued the leaf, or null. With an intermediate sent, it is that
   * certificate (by SPKI hash); without, the registry CA whose key id the leaf's AKI names.
   */
  static TenantCa issuingCa(List<X509Certificate> chain, PlatformTrust trust, RegistrySnapshot snapshot) {
    List<X509Certificate> mids = intermediates(chain, trust);
    if (mids.size() == 1) {
      return issued(chain.get(0), mids.get(0)) ? snapshot.caBySpki(Fingerprints.spkiSha256Hex(mids.get(0))) : null;
    }
    if (mids.isEmpty()) {
      String aki = KeyIdentifiers.authorityKeyId(chain.get(0));
      return aki == null ? null : snapshot.caByKeyId(aki);
    }
    return null;
  }
}
