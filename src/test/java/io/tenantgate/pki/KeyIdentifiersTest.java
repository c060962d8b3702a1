package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeyIdentifiersTest {

  @Test
  void leafAuthorityKeyIdEqualsItsIssuersSubjectKeyId() {
    CertAndKey root = Pki.createRoot("root", Duration.ofDays(2), KeyAlgorithm.EC_P256);
    CertAndKey ca = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(1),
        KeyAlgorithm.EC_P256);
    CertAndKey leaf = Pki.issueComponent(ca, ComponentCertSpec.of("agent-1", "acme"));
    String caKeyId = KeyIdentifiers.subjectKeyId(ca.certificate());
    assertTrue(caKeyId.matches("[0-9a-f]{40}"), caKeyId);
    assertEquals(caKeyId, KeyIdentifiers.authorityKeyId(leaf.certificate()));
    assertEquals(KeyIdentifiers.subjectKeyId(root.certificate()),
        KeyIdentifiers.authorityKeyId(ca.certificate()));
    assertNull(KeyIdentifiers.authorityKeyId(root.certificate()));
  }
}
