package io.tenantgate.pki;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A certificate together with its private key, the unit every issuer and every TLS listener
 * needs.
 *
 * @param certificate the certificate, never null
 * @param privateKey the matching private key, or null when the key lives elsewhere (a certificate
 *     issued for a caller-supplied public key, e.g. from a CSR)
 */
public record CertAndKey(X509Certificate certificate, PrivateKey privateKey) {

  public CertAndKey {
    Objects.requireNonNull(certificate, "certificate");
  }

  /** The certificate's public key. */
  public PublicKey publicKey() {
    return certificate.getPublicKey();
  }
}
