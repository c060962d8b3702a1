package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tenantgate.metrics.HealthCheck.State;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthChecksTest {
  @TempDir
  Path dir;

  private Path cert(Instant notAfter) throws Exception {
    CertAndKey c = CertificateBuilder.create().subjectCn("localhost").keyAlgorithm(KeyAlgorithm.EC_P256)
        .validity(notAfter.minus(Duration.ofDays(400)), notAfter).build();
    Path p = dir.resolve("c" + notAfter.toEpochMilli() + ".pem");
    Pem.write(p, Pem.certificates(c.certificate()), false);
    return p;
  }

  @Test
  void serverCertificateFarFromExpiryIsUp() throws Exception {
    Instant now = Instant.now();
    assertEquals(State.UP, HealthChecks.certificate(cert(now.plus(Duration.ofDays(90))), now).state());
  }

  @Test
  void serverCertificateWithinFourteenDaysIsDegraded() throws Exception {
    Instant now = Instant.now();
    assertEquals(State.DEGRADED, HealthChecks.certificate(cert(now.plus(Duration.ofDays(3))), now).state());
  }

  @Test
  void expiredServerCertificateIsDown() throws Exception {
    Instant now = Instant.now();
    assertEquals(State.DOWN, HealthChecks.certificate(cert(now.minus(Duration.ofDays(1))), now).state());
  }

  @Test
  void unreadableCertificateIsDegradedWithTheReason() {
    var r = HealthChecks.certificate(dir.resolve("missing.pem"), Instant.now());
    assertEquals(State.DEGRADED, r.state());
  }
}
