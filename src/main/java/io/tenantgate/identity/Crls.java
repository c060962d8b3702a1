package io.tenantgate.identity;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Certificate revocation lists from disk (edge.tls.crlFiles): a platform root's CRL revokes tenant
 * CAs, a tenant CA's CRL revokes its leaves. A CRL counts only once its signature verifies with the
 * key of the CA that issued the certificate in question; the verdict is cached per CRL and key, so a
 * handshake pays a map lookup, not a signature check. (The registry's revoked serials remain the
 * primary, instant mechanism; CRLs serve PKIs that already publish them.)
 */
public final class Crls {
  private static final Crls NONE = new Crls(List.of());
  private final List<X509CRL> crls;
  private final Map<String, Boolean> verified = new ConcurrentHashMap<>();

  private Crls(List<X509CRL> crls) {
    this.crls = List.copyOf(crls);
  }

  public static Crls none() {
    return NONE;
  }

  public static Crls of(List<X509CRL> crls) {
    return crls.isEmpty() ? NONE : new Crls(crls);
  }

  public int size() {
    return crls.size();
  }

  /** True when {@code cert}, issued by {@code issuer}, is on a CRL that {@code issuer} signed. */
  boolean isRevoked(X509Certificate cert, X509Certificate issuer) {
    for (int i = 0; i < crls.size(); i++) {
      X509CRL crl = crls.get(i);
      if (crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && crl.isRevoked(cert)
          && signedBy(i, crl, issuer.getPublicKey())) {
        return true;
      }
    }
    return false;
  }

  private boolean signedBy(int index, X509CRL crl, PublicKey key) {
    return verified.computeIfAbsent(index + "|" + java.util.Arrays.hashCode(key.getEncoded()), k -> {
      try {
        crl.verify(key);
        return true;
      } catch (GeneralSecurityException e) {
        return false;
      }
    });
  }
}
