package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FingerprintsTest {

  @Test
  void spkiFingerprintIsSha256OfTheEncodedPublicKeyInLowercaseHex() throws Exception {
    CertAndKey cert = CertificateBuilder.create().subjectCn("ca").ca(0).build();
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(cert.publicKey().getEncoded()));
    String actual = Fingerprints.spkiSha256Hex(cert.certificate());
    assertEquals(expected, actual);
    assertTrue(actual.matches("[0-9a-f]{64}"), actual);
    assertEquals(actual, Fingerprints.spkiSha256Hex(cert.publicKey()));
  }

  @Test
  void spkiFingerprintSurvivesReissuanceWithTheSameKeyButCertificateFingerprintDoesNot() {
    CertAndKey first = CertificateBuilder.create().subjectCn("ca").ca(0).build();
    CertAndKey again = CertificateBuilder.create().subjectCn("ca").ca(0)
        .publicKey(first.publicKey()).issuedBy(first).build();
    assertEquals(Fingerprints.spkiSha256Hex(first.certificate()),
        Fingerprints.spkiSha256Hex(again.certificate()));
    assertNotEquals(Fingerprints.sha256Hex(first.certificate()),
        Fingerprints.sha256Hex(again.certificate()));
  }

  @Test
  void certificateFingerprintIsSha256OfTheDer() throws Exception {
    CertAndKey cert = CertificateBuilder.create().subjectCn("leaf").build();
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
        .digest(cert.certificate().getEncoded())), Fingerprints.sha256Hex(cert.certificate()));
  }

  @Test
  void serialHexIsLowercaseWithoutPaddingOrSeparators() {
    assertEquals("ff", Fingerprints.serialHex(BigInteger.valueOf(255)));
    assertEquals("100", Fingerprints.serialHex(BigInteger.valueOf(256)));
    assertEquals("1", Fingerprints.serialHex(BigInteger.ONE));
    assertEquals("80000000000000000000000000000000",
        Fingerprints.serialHex(BigInteger.ONE.shiftLeft(127)));
  }
}
