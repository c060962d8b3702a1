package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

/** Runs the JDK's own PKIX validator (revocation off) so tests judge certificates like TLS does. */
final class Chains {

  private Chains() {
  }

  /** Validates {@code leafFirst} up to {@code root}; the root itself is not part of the path. */
  static PKIXCertPathValidatorResult validate(X509Certificate root, X509Certificate... leafFirst)
      throws Exception {
    CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leafFirst));
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    parameters.setRevocationEnabled(false);
    return (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
        .validate(path, parameters);
  }

  /** The validator's refusal of the chain, printed so a failing run shows why. */
  static CertPathValidatorException rejection(X509Certificate root, X509Certificate... leafFirst) {
    CertPathValidatorException e =
        assertThrows(CertPathValidatorException.class, () -> validate(root, leafFirst));
    System.out.println("PKIX refused: reason=" + e.getReason() + " index=" + e.getIndex()
        + " message=" + e.getMessage());
    return e;
  }
}
