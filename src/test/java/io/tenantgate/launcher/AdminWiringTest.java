package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin CA must not be the edge root or signed by it, or a tenant certificate could reach the admin API. */
class AdminWiringTest {
  @Test
  void anAdminCaThatIsOrIsSignedByTheEdgeRootIsRefused(@TempDir Path dir) throws Exception {
    TestPki pki = TestPki.get();
    String rootAsAdmin = Pem.certificates(pki.root.certificate());
    var same = assertThrows(IllegalArgumentException.class,
        () -> AdminWiring.requireSeparateAdminCa(rootAsAdmin, pki.rootPem()));
    assertTrue(same.getMessage().contains("separate platform admin CA"), same.getMessage());
    String tenantCa = Pem.certificates(pki.acmeCa.certificate());
    assertThrows(IllegalArgumentException.class, () -> AdminWiring.requireSeparateAdminCa(tenantCa, pki.rootPem()));
    CertAndKey own = Pki.createRoot("platform-admin.ca.serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    assertDoesNotThrow(() -> AdminWiring.requireSeparateAdminCa(Pem.certificates(own.certificate()), pki.rootPem()));
  }
}
