package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pki;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlatformTrustTest {

  private static final Duration VALIDITY = Duration.ofDays(30);

  @Test
  void rootsBecomeTrustAnchorsAndSpkiHashes() {
    CertAndKey a = Pki.createRoot("root a", VALIDITY, KeyAlgorithm.EC_P256);
    CertAndKey b = Pki.createRoot("root b", VALIDITY, KeyAlgorithm.EC_P256);

    PlatformTrust trust = PlatformTrust.of(List.of(a.certificate(), b.certificate()));

    assertEquals(List.of(a.certificate(), b.certificate()), trust.roots());
    assertEquals(2, trust.anchors().size());
    assertEquals(Set.of(Fingerprints.spkiSha256Hex(a.certificate()), Fingerprints.spkiSha256Hex(b.certificate())),
        trust.rootSpkis());
    assertTrue(trust.isRoot(a.certificate()));
    assertTrue(trust.isRoot(b.certificate()));
  }

  @Test
  void tenantCasAndLeavesAreNotRoots() {
    CertAndKey root = Pki.createRoot("root", VALIDITY, KeyAlgorithm.EC_P256);
    CertAndKey ca = Pki.createTenantCa(root, "acme", "serviceradar", VALIDITY, KeyAlgorithm.EC_P256);
    CertAndKey leaf = Pki.issueComponent(ca, ComponentCertSpec.of("agent-1", "acme"));
    PlatformTrust trust = PlatformTrust.of(List.of(root.certificate()));

    assertFalse(trust.isRoot(ca.certificate()));
    assertFalse(trust.isRoot(leaf.certificate()));
    assertFalse(trust.isRoot(Pki.createRoot("root", VALIDITY, KeyAlgorithm.EC_P256).certificate()));
  }

  @Test
  void noRootIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PlatformTrust.of(List.of()));
    assertEquals("no platform root certificate given", e.getMessage());
  }

  @Test
  void aRootThatIsNotACaIsRefused() {
    CertAndKey notCa = CertificateBuilder.create().subjectCn("not a ca").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PlatformTrust.of(List.of(notCa.certificate())));
    assertTrue(e.getMessage().contains("is not a CA"), e.getMessage());
  }
}
