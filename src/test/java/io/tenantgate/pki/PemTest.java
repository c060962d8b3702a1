package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class PemTest {

  private static CertAndKey ec;
  private static CertAndKey rsa;

  @BeforeAll
  static void createCertificates() {
    ec = CertificateBuilder.create().subjectCn("ec").build();
    rsa = CertificateBuilder.create().subjectCn("rsa").keyAlgorithm(KeyAlgorithm.RSA_2048).build();
  }

  @Test
  void ecCertificateAndPkcs8KeyRoundTrip() throws Exception {
    String keyPem = Pem.privateKey(ec.privateKey());
    assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"), keyPem);
    assertSameKey(ec, Pem.readPrivateKey(keyPem));
    assertEquals(List.of(ec.certificate()),
        Pem.readCertificates(Pem.certificates(ec.certificate())));
  }

  @Test
  void rsaCertificateAndPkcs8KeyRoundTrip() throws Exception {
    String keyPem = Pem.privateKey(rsa.privateKey());
    assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"));
    assertSameKey(rsa, Pem.readPrivateKey(keyPem));
    assertEquals(List.of(rsa.certificate()),
        Pem.readCertificates(Pem.certificates(List.of(rsa.certificate()))));
  }

  @Test
  void readsTraditionalSec1AndPkcs1Keys() throws Exception {
    String sec1 = traditional(ec.privateKey());
    assertTrue(sec1.startsWith("-----BEGIN EC PRIVATE KEY-----"), sec1.lines().findFirst().get());
    assertSameKey(ec, Pem.readPrivateKey(sec1));
    String pkcs1 = traditional(rsa.privateKey());
    assertTrue(pkcs1.startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    assertSameKey(rsa, Pem.readPrivateKey(pkcs1));
  }

  @Test
  void skipsEcParametersAndCertificatesNextToTheKey() throws Exception {
    String params = pem(new PemObject("EC PARAMETERS",
        new ASN1ObjectIdentifier("1.2.840.10045.3.1.7").getEncoded()));
    String combined = Pem.certificates(ec.certificate()) + params + traditional(ec.privateKey());
    assertSameKey(ec, Pem.readPrivateKey(combined));
  }

  @Test
  void multiCertificatePemKeepsItsOrderAndIgnoresSurroundingText() {
    String pem = "chain for tests\n" + Pem.certificates(ec.certificate(), rsa.certificate())
        + "trailing words\n";
    assertEquals(List.of(ec.certificate(), rsa.certificate()), Pem.readCertificates(pem));
  }

  @Test
  void malformedCertificatePemGivesAClearError() {
    String good = Pem.certificates(ec.certificate());
    String body = good.lines().skip(1).findFirst().orElseThrow();
    assertRefused("PEM text is empty", () -> Pem.readCertificates(" \n"));
    assertRefused("no CERTIFICATE block", () -> Pem.readCertificates("hello world"));
    String badBase64 = good.replace(body, body.substring(0, 20) + "!!!!" + body.substring(24));
    assertRefused("malformed certificate PEM", () -> Pem.readCertificates(badBase64));
    assertRefused("malformed certificate PEM",
        () -> Pem.readCertificates(good.replace("-----END CERTIFICATE-----", "")));
    assertRefused("malformed certificate PEM", () -> Pem.readCertificates(pem(
        new PemObject("CERTIFICATE", new byte[] {0x30, 0x03, 0x02, 0x01}))));
    assertRefused("found a private key",
        () -> Pem.readCertificates(good + Pem.privateKey(ec.privateKey())));
  }

  @Test
  void malformedKeyPemGivesAClearErrorWithoutKeyMaterial() throws Exception {
    String good = Pem.privateKey(rsa.privateKey());
    String body = good.lines().skip(3).findFirst().orElseThrow();
    String broken = good.replace(body, body.substring(0, 30) + "%%%%" + body.substring(34));
    String message = assertRefused("malformed private key PEM", () -> Pem.readPrivateKey(broken));
    assertFalse(message.contains(body.substring(0, 16)), message);
    byte[] der = rsa.privateKey().getEncoded();
    String truncated = pem(new PemObject("PRIVATE KEY", Arrays.copyOf(der, der.length - 9)));
    String secondMessage = assertRefused("private key", () -> Pem.readPrivateKey(truncated));
    assertFalse(secondMessage.contains(Base64.getEncoder().encodeToString(der).substring(40, 60)));
    org.bouncycastle.asn1.sec.ECPrivateKey curveless = new org.bouncycastle.asn1.sec.ECPrivateKey(
        256, ((ECPrivateKey) ec.privateKey()).getS());
    assertRefused("does not name its curve", () -> Pem.readPrivateKey(
        pem(new PemObject("EC PRIVATE KEY", curveless.getEncoded()))));
    assertRefused("no PRIVATE KEY block",
        () -> Pem.readPrivateKey(Pem.certificates(ec.certificate())));
    assertRefused("more than one private key",
        () -> Pem.readPrivateKey(good + Pem.privateKey(ec.privateKey())));
  }

  @Test
  void refusesEncryptedKeys() throws Exception {
    EncryptedPrivateKeyInfo encrypted = new EncryptedPrivateKeyInfo(
        new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2), new byte[32]);
    assertRefused("encrypted private keys are not supported", () -> Pem.readPrivateKey(
        pem(new PemObject("ENCRYPTED PRIVATE KEY", encrypted.getEncoded()))));
  }

  @Test
  void readingAFileNamesItInErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("chain.pem");
    Files.writeString(file, Pem.certificates(ec.certificate()));
    assertEquals(List.of(ec.certificate()), Pem.readCertificates(file));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Pem.readPrivateKey(file));
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
  }

  @Test
  void writeReplacesFilesAtomicallyWithSecretPermissions(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("nested/component-key.pem");
    Path cert = dir.resolve("nested/component.pem");
    Pem.write(key, "old", true);
    Pem.write(key, Pem.privateKey(ec.privateKey()), true);
    Pem.write(cert, Pem.certificates(ec.certificate()), false);
    assertSameKey(ec, Pem.readPrivateKey(key));
    assertEquals(List.of(ec.certificate()), Pem.readCertificates(cert));
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
      assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(cert)));
    }
    try (Stream<Path> files = Files.list(key.getParent())) {
      assertEquals(List.of("component-key.pem", "component.pem"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  private static String assertRefused(String expectedFragment, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    System.out.println("refused: " + e.getMessage());
    assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    return e.getMessage();
  }

  /** Same key = what the read key signs, the certificate's public key verifies. */
  private static void assertSameKey(CertAndKey expected, PrivateKey actual) throws Exception {
    assertEquals(expected.privateKey().getAlgorithm(), actual.getAlgorithm());
    String algorithm = CertificateBuilder.signatureAlgorithm(actual);
    byte[] probe = "probe".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(actual);
    signer.update(probe);
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(expected.publicKey());
    verifier.update(probe);
    assertTrue(verifier.verify(signer.sign()), "read key does not match the certificate");
  }

  /** OpenSSL's traditional encoding: SEC1 naming its curve, or PKCS#1. */
  private static String traditional(PrivateKey key) throws Exception {
    if (key instanceof ECPrivateKey) {
      org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
          256, ((ECPrivateKey) key).getS(), new X962Parameters(SECObjectIdentifiers.secp256r1));
      return pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
    }
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(key);
    }
    return out.toString();
  }

  private static String pem(PemObject object) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }
}
