package io.tenantgate.identity;

import io.tenantgate.error.Failure;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.TenantCa;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * DESIGN.md rule 1: the client chain validates to the platform root (signatures, validity,
 * basicConstraints and pathlen, name constraints) and the leaf is a client certificate. Runs in the
 * TLS handshake; a failure is a {@link Failure} with a precise reason.
 */
final class ChainVerifier {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final int DIGITAL_SIGNATURE = 0;

  private ChainVerifier() {
  }

  /** Null when the chain is valid, else the reason it is not. */
  static Failure verify(List<X509Certificate> chain, PlatformTrust trust, RegistrySnapshot snapshot, Date now) {
    return verify(chain, trust, snapshot, now, null);
  }

  /** As above; chains {@code verified} holds skip PKIX (signatures, constraints), never the time or CRL checks. */
  static Failure verify(List<X509Certificate> chain, PlatformTrust trust, RegistrySnapshot snapshot, Date now,
      VerifiedChains verified) {
    if (chain.isEmpty()) {
      return Failure.NO_CLIENT_CERT;
    }
    X509Certificate leaf = chain.get(0);
    Failure leafFailure = checkLeaf(leaf, now);
    if (leafFailure != null) {
      return leafFailure;
    }
    List<X509Certificate> mids = PeerChain.intermediates(chain, trust);
    if (!mids.isEmpty() && PeerChain.isForeignRoot(mids.get(mids.size() - 1), trust)) {
      return Failure.UNKNOWN_CA;
    }
    if (mids.size() > 1 || mids.size() == 1 && !PeerChain.issued(leaf, mids.get(0))) {
      return Failure.BAD_CHAIN;
    }
    List<X509Certificate> path = new ArrayList<>(2);
    path.add(leaf);
    if (mids.size() == 1) {
      path.add(mids.get(0));
    } else {
      TenantCa ca = PeerChain.issuingCa(chain, trust, snapshot);
      X509Certificate caCertificate = ca == null ? null : ca.certificateOrNull(); // null: unusable, logged there
      if (caCertificate == null) {
        return Failure.UNKNOWN_CA;
      }
      path.add(caCertificate);
    }
    VerifiedChains cache = verified != null && verified.isFor(trust) ? verified : null;
    if (cache == null || !cache.covers(path, now.getTime())) {
      Failure invalid = validate(path, trust, now);
      if (invalid != null) {
        return invalid;
      }
      if (cache != null) {
        cache.remember(path);
      }
    }
    return revokedByCrl(path, trust) ? Failure.REVOKED : null;
  }

  /** The tenant CA on its root's CRL, or the leaf on its tenant CA's CRL. */
  private static boolean revokedByCrl(List<X509Certificate> path, PlatformTrust trust) {
    if (trust.crls().size() == 0) {
      return false;
    }
    X509Certificate leaf = path.get(0);
    X509Certificate ca = path.get(1);
    if (trust.crls().isRevoked(leaf, ca)) {
      return true;
    }
    for (X509Certificate root : trust.roots()) {
      if (root.getSubjectX500Principal().equals(ca.getIssuerX500Principal()) && trust.crls().isRevoked(ca, root)) {
        return true;
      }
    }
    return false;
  }

  private static Failure checkLeaf(X509Certificate leaf, Date now) {
    if (leaf.getBasicConstraints() >= 0) {
      return Failure.LEAF_IS_CA;
    }
    try {
      leaf.checkValidity(now);
    } catch (CertificateExpiredException e) {
      return Failure.EXPIRED;
    } catch (CertificateNotYetValidException e) {
      return Failure.NOT_YET_VALID;
    }
    try {
      List<String> eku = leaf.getExtendedKeyUsage();
      boolean[] ku = leaf.getKeyUsage();
      if (eku == null || !eku.contains(CLIENT_AUTH) || ku != null && !ku[DIGITAL_SIGNATURE]) {
        return Failure.NOT_CLIENT_CERT;
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return Failure.NOT_CLIENT_CERT;
    }
    return null;
  }

  private static Failure validate(List<X509Certificate> path, PlatformTrust trust, Date now) {
    try {
      PKIXParameters params = new PKIXParameters(trust.anchors());
      params.setRevocationEnabled(false);
      params.setDate(now);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return null;
    } catch (CertPathValidatorException e) {
      return reasonOf(e);
    } catch (GeneralSecurityException e) {
      return Failure.BAD_CHAIN;
    }
  }

  private static Failure reasonOf(CertPathValidatorException e) {
    CertPathValidatorException.Reason r = e.getReason();
    if (r == CertPathValidatorException.BasicReason.EXPIRED) {
      return Failure.EXPIRED;
    }
    if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
      return Failure.NOT_YET_VALID;
    }
    if (r == PKIXReason.NO_TRUST_ANCHOR) {
      return Failure.UNKNOWN_CA;
    }
    if (r == PKIXReason.INVALID_NAME) {
      return Failure.TENANT_MISMATCH;
    }
    return Failure.BAD_CHAIN;
  }
}
