package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tenantgate.metrics.HealthCheck.State;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.KeyAlgorithm;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HealthChecksTest {
  private java.security.cert.X509Certificate cert(Instant notAfter) {
    CertAndKey c = CertificateBuilder.create().subjectCn("localhost").keyAlgorithm(KeyAlgorithm.EC_P256)
        .validity(notAfter.minus(Duration.ofDays(400)), notAfter).build();
    return c.certificate();
  }

  @Test
  void serverCertificateFarFromExpiryIsUp() {
    Instant now = Instant.now();
    assertEquals(State.UP, HealthChecks.certificate(cert(now.plus(Duration.ofDays(90))), now).state());
  }

  @Test
  void serverCertificateWithinFourteenDaysIsDegraded() {
    Instant now = Instant.now();
    assertEquals(State.DEGRADED, HealthChecks.certificate(cert(now.plus(Duration.ofDays(3))), now).state());
  }

  @Test
  void expiredServerCertificateIsDown() {
    Instant now = Instant.now();
    assertEquals(State.DOWN, HealthChecks.certificate(cert(now.minus(Duration.ofDays(1))), now).state());
  }
}
