package io.tenantgate.identity;

import io.tenantgate.pki.Fingerprints;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The platform root(s) every client chain must validate to, and the CRLs in force. Immutable;
 * replaced whole on reload.
 */
public record PlatformTrust(List<X509Certificate> roots, Set<TrustAnchor> anchors, Set<String> rootSpkis,
    Crls crls) {

  public static PlatformTrust of(List<X509Certificate> roots) {
    return of(roots, Crls.none());
  }

  public static PlatformTrust of(List<X509Certificate> roots, Crls crls) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no platform root certificate given");
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    Set<String> spkis = new HashSet<>();
    for (X509Certificate r : roots) {
      if (r.getBasicConstraints() < 0) {
        throw new IllegalArgumentException("platform root " + r.getSubjectX500Principal() + " is not a CA");
      }
      anchors.add(new TrustAnchor(r, null));
      spkis.add(Fingerprints.spkiSha256Hex(r));
    }
    return new PlatformTrust(List.copyOf(roots), Set.copyOf(anchors), Set.copyOf(spkis), crls);
  }

  public boolean isRoot(X509Certificate cert) {
    return rootSpkis.contains(Fingerprints.spkiSha256Hex(cert)) && roots.contains(cert);
  }
}
