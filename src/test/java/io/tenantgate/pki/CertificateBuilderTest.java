package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateBuilderTest {

  private static CertAndKey ecCa;

  @BeforeAll
  static void createIssuer() {
    ecCa = CertificateBuilder.create().subjectCn("test ca").ca(null)
        .keyUsage(KeyUsage.keyCertSign).build();
  }

  @Test
  void buildsASelfSignedLeafWithAGeneratedKeyByDefault() throws Exception {
    CertAndKey built = CertificateBuilder.create().subjectCn("alone").build();
    X509Certificate cert = built.certificate();
    cert.verify(cert.getPublicKey());
    assertNotNull(built.privateKey());
    assertEquals("EC", built.publicKey().getAlgorithm());
    assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
    assertEquals(-1, cert.getBasicConstraints());
    assertTrue(cert.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
    assertNull(cert.getKeyUsage());
    assertNull(cert.getExtendedKeyUsage());
    assertNull(cert.getSubjectAlternativeNames());
    assertNotNull(extension(cert, Extension.subjectKeyIdentifier));
    assertNull(extension(cert, Extension.authorityKeyIdentifier));
    Instant now = Instant.now();
    assertTrue(cert.getNotBefore().toInstant().isBefore(now.minus(Duration.ofMinutes(4))));
    assertTrue(cert.getNotAfter().toInstant().isAfter(now.plus(Duration.ofDays(364))));
    assertTrue(cert.getSerialNumber().signum() > 0);
    assertTrue(cert.getSerialNumber().bitLength() <= 128);
  }

  @Test
  void certifiesACallerSuppliedPublicKeyWithoutReturningAPrivateKey() {
    var pair = KeyAlgorithm.EC_P256.generate();
    CertAndKey built = CertificateBuilder.create().subjectCn("from csr")
        .publicKey(pair.getPublic()).issuedBy(ecCa).build();
    assertNull(built.privateKey());
    assertEquals(pair.getPublic(), built.publicKey());
  }

  @Test
  void refusesToSelfSignACallerSuppliedPublicKey() {
    var builder = CertificateBuilder.create().subjectCn("x")
        .publicKey(KeyAlgorithm.EC_P256.generate().getPublic());
    assertThrows(IllegalStateException.class, builder::build);
  }

  @Test
  void refusesAnIssuerWithoutPrivateKeyAndABuilderWithoutSubject() {
    CertAndKey keyless = new CertAndKey(ecCa.certificate(), null);
    assertThrows(IllegalArgumentException.class,
        () -> CertificateBuilder.create().issuedBy(keyless));
    assertThrows(IllegalStateException.class, () -> CertificateBuilder.create().build());
  }

  @Test
  void derivesTheSignatureAlgorithmFromTheIssuerKey() throws Exception {
    CertAndKey rsaCa = CertificateBuilder.create().subjectCn("rsa ca").ca(null)
        .keyAlgorithm(KeyAlgorithm.RSA_2048).build();
    assertEquals("SHA256withRSA", rsaCa.certificate().getSigAlgName());
    CertAndKey ecUnderRsa =
        CertificateBuilder.create().subjectCn("ec leaf").issuedBy(rsaCa).build();
    assertEquals("SHA256withRSA", ecUnderRsa.certificate().getSigAlgName());
    ecUnderRsa.certificate().verify(rsaCa.publicKey());
    CertAndKey rsaUnderEc = CertificateBuilder.create().subjectCn("rsa leaf")
        .publicKey(rsaCa.publicKey()).issuedBy(ecCa).build();
    assertEquals("SHA256withECDSA", rsaUnderEc.certificate().getSigAlgName());
    rsaUnderEc.certificate().verify(ecCa.publicKey());
  }

  @Test
  void authorityKeyIdentifierRepeatsTheIssuersSubjectKeyIdentifier() throws Exception {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("leaf").issuedBy(ecCa).build()
        .certificate();
    SubjectKeyIdentifier issuerSki = SubjectKeyIdentifier.getInstance(
        extension(ecCa.certificate(), Extension.subjectKeyIdentifier));
    AuthorityKeyIdentifier aki =
        AuthorityKeyIdentifier.getInstance(extension(leaf, Extension.authorityKeyIdentifier));
    assertArrayEquals(issuerSki.getKeyIdentifier(), aki.getKeyIdentifierObject().getOctets());
    assertEquals(ecCa.certificate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
  }

  @Test
  void accumulatesExtendedKeyUsagesInCallOrder() throws Exception {
    X509Certificate cert = CertificateBuilder.create().subjectCn("both")
        .serverAuth().clientAuth().serverAuth().build().certificate();
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), cert.getExtendedKeyUsage());
  }

  @Test
  void writesDnsIpAndUriSubjectAlternativeNames() throws Exception {
    X509Certificate cert = CertificateBuilder.create().subjectCn("names")
        .dnsNames("a.example", "b.example").ipAddresses("10.1.2.3", "::1")
        .uris("spiffe://td/x").build().certificate();
    assertEquals(List.of(List.of(2, "a.example"), List.of(2, "b.example"),
        List.of(7, "10.1.2.3"), List.of(7, "0:0:0:0:0:0:0:1"), List.of(6, "spiffe://td/x")),
        List.copyOf(cert.getSubjectAlternativeNames()));
    assertTrue(
        cert.getNonCriticalExtensionOIDs().contains(Extension.subjectAlternativeName.getId()));
  }

  @Test
  void makesTheSubjectAlternativeNameCriticalWhenTheSubjectIsEmpty() {
    X509Certificate cert = CertificateBuilder.create().subject(new X500Name(""))
        .dnsNames("only.example").issuedBy(ecCa).build().certificate();
    assertTrue(cert.getCriticalExtensionOIDs().contains(Extension.subjectAlternativeName.getId()));
  }

  @Test
  void rejectsAnInvalidIpAddressNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CertificateBuilder.create().ipAddresses("10.0.0.300"));
    assertTrue(e.getMessage().contains("10.0.0.300"), e.getMessage());
  }

  @Test
  void usesTheExplicitSerialAndValidity() {
    Instant from = Instant.parse("2030-01-01T00:00:00Z");
    Instant until = Instant.parse("2031-06-30T12:34:56Z");
    X509Certificate cert = CertificateBuilder.create().subjectCn("fixed")
        .serial(BigInteger.valueOf(4242)).validity(from, until).build().certificate();
    assertEquals(BigInteger.valueOf(4242), cert.getSerialNumber());
    assertEquals(from, cert.getNotBefore().toInstant());
    assertEquals(until, cert.getNotAfter().toInstant());
  }

  @Test
  void marksKeyUsageCritical() {
    X509Certificate cert = CertificateBuilder.create().subjectCn("ku")
        .keyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment).build().certificate();
    assertTrue(cert.getCriticalExtensionOIDs().contains(Extension.keyUsage.getId()));
    boolean[] bits = cert.getKeyUsage();
    assertTrue(bits[0] && bits[2]);
    assertEquals(2, count(bits));
  }

  @Test
  void encodesCaPathLengthAndRejectsNegativeOnes() {
    assertEquals(Integer.MAX_VALUE, ecCa.certificate().getBasicConstraints());
    assertEquals(3, CertificateBuilder.create().subjectCn("ca3").ca(3).build().certificate()
        .getBasicConstraints());
    assertThrows(IllegalArgumentException.class, () -> CertificateBuilder.create().ca(-1));
  }

  @Test
  void writesPermittedDnsSubtreesAsACriticalNameConstraint() throws Exception {
    X509Certificate cert = CertificateBuilder.create().subjectCn("nc").ca(0)
        .permittedDnsSubtrees("a.example", "b.example").build().certificate();
    assertTrue(cert.getCriticalExtensionOIDs().contains(Extension.nameConstraints.getId()));
    NameConstraints constraints =
        NameConstraints.getInstance(extension(cert, Extension.nameConstraints));
    assertEquals(2, constraints.getPermittedSubtrees().length);
    assertEquals("a.example", constraints.getPermittedSubtrees()[0].getBase().getName().toString());
    assertNull(constraints.getExcludedSubtrees());
  }

  @Test
  void anExpiredLeafIsRefusedByPkix() {
    Instant past = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);
    X509Certificate expired = CertificateBuilder.create().subjectCn("old").issuedBy(ecCa)
        .validity(past.minus(Duration.ofDays(1)), past).build().certificate();
    CertPathValidatorException e = Chains.rejection(ecCa.certificate(), expired);
    assertEquals(CertPathValidatorException.BasicReason.EXPIRED, e.getReason());
  }

  static Object extension(X509Certificate cert, org.bouncycastle.asn1.ASN1ObjectIdentifier oid)
      throws Exception {
    Extension ext = new JcaX509CertificateHolder(cert).getExtension(oid);
    return ext == null ? null : ext.getParsedValue();
  }

  private static int count(boolean[] bits) {
    int n = 0;
    for (boolean bit : bits) {
      n += bit ? 1 : 0;
    }
    return n;
  }
}
