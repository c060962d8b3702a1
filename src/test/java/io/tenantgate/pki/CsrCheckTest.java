package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CsrCheckTest {

  private static final ComponentCertSpec SPEC = ComponentCertSpec.of("agent-001", "acme");
  private static final String CN = "agent-001.acme.serviceradar";
  private static final String SPIFFE = "spiffe://serviceradar.local/agent/acme/default/agent-001";

  private static CertAndKey root;
  private static CertAndKey acme;
  private static KeyPair p256;

  @BeforeAll
  static void createHierarchy() throws Exception {
    root = Pki.createRoot("tenantgate test root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acme = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(20),
        KeyAlgorithm.EC_P256);
    p256 = ec("secp256r1");
  }

  @Test
  void aGoodEcP256RequestPassesAndItsCertificateChainsToTheRoot() throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, CN),
        new GeneralName(GeneralName.uniformResourceIdentifier, SPIFFE)}));
    ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    ext.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    PublicKey key = CsrCheck.check(pem(csr(p256, subject(CN), ext)), SPEC);
    assertArrayEquals(p256.getPublic().getEncoded(), key.getEncoded());

    X509Certificate cert = Pki.issueComponentForKey(acme, SPEC, key);
    assertArrayEquals(p256.getPublic().getEncoded(), cert.getPublicKey().getEncoded());
    Chains.validate(root.certificate(), cert, acme.certificate());
  }

  @Test
  void aRequestWithOnlyTheCommonNamePasses() throws Exception {
    PublicKey key = CsrCheck.check(pem(csr(p256, subject(CN), null)), SPEC);
    assertArrayEquals(p256.getPublic().getEncoded(), key.getEncoded());
  }

  @Test
  void aGoodEcP384RequestPassesAndItsCertificateVerifies() throws Exception {
    KeyPair p384 = ec("secp384r1");
    PublicKey key = CsrCheck.check(pem(csr(p384, subject(CN), null, "SHA384withECDSA")), SPEC);
    X509Certificate cert = Pki.issueComponentForKey(acme, SPEC, key);
    assertArrayEquals(p384.getPublic().getEncoded(), cert.getPublicKey().getEncoded());
    Chains.validate(root.certificate(), cert, acme.certificate());
  }

  @Test
  void aGoodRsa2048RequestPassesAndItsCertificateVerifies() throws Exception {
    KeyPair rsa = rsa(2048);
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, CN)));
    PublicKey key = CsrCheck.check(pem(csr(rsa, subject(CN), ext)), SPEC);
    assertEquals("RSA", key.getAlgorithm());
    X509Certificate cert = Pki.issueComponentForKey(acme, SPEC, key);
    assertArrayEquals(rsa.getPublic().getEncoded(), cert.getPublicKey().getEncoded());
    Chains.validate(root.certificate(), cert, acme.certificate());
  }

  @Test
  void aFourPartNameWithPartitionIsCheckedAgainstThatName() throws Exception {
    ComponentCertSpec site = SPEC.withPartitionId("site-1");
    assertEquals("agent-001.site-1.acme.serviceradar", site.commonName());
    CsrCheck.check(pem(csr(p256, subject(site.commonName()), null)), site);
    assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, subject(CN), null)), site);
  }

  @Test
  void theCertificateForAKeyIsTheSameLeafIssueComponentMakes() throws Exception {
    ComponentCertSpec spec = SPEC.withServerAuth(true);
    X509Certificate generated = Pki.issueComponent(acme, spec).certificate();
    X509Certificate forKey = Pki.issueComponentForKey(acme, spec, p256.getPublic());
    assertEquals(generated.getSubjectX500Principal(), forKey.getSubjectX500Principal());
    assertEquals(generated.getIssuerX500Principal(), forKey.getIssuerX500Principal());
    assertEquals(generated.getCriticalExtensionOIDs(), forKey.getCriticalExtensionOIDs());
    assertEquals(generated.getNonCriticalExtensionOIDs(), forKey.getNonCriticalExtensionOIDs());
    assertEquals(generated.getBasicConstraints(), forKey.getBasicConstraints());
    assertArrayEquals(generated.getKeyUsage(), forKey.getKeyUsage());
    assertEquals(generated.getExtendedKeyUsage(), forKey.getExtendedKeyUsage());
    assertEquals(List.copyOf(generated.getSubjectAlternativeNames()),
        List.copyOf(forKey.getSubjectAlternativeNames()));
    assertArrayEquals(generated.getExtensionValue(Extension.authorityKeyIdentifier.getId()),
        forKey.getExtensionValue(Extension.authorityKeyIdentifier.getId()));
    long skew = Math.abs(generated.getNotAfter().getTime() - forKey.getNotAfter().getTime());
    assertTrue(skew < 60_000, "same validity, " + skew + " ms apart");
    assertThrows(NullPointerException.class, () -> Pki.issueComponentForKey(acme, SPEC, null));
  }

  @Test
  void aRequestForAnotherTenantsNameIsANameMismatchSayingBothNames() throws Exception {
    String foreign = "agent-001.globex.serviceradar";
    CsrException e = assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, subject(foreign),
        null)), SPEC);
    assertTrue(e.getMessage().contains(foreign) && e.getMessage().contains(CN), e.getMessage());
  }

  @Test
  void aMissingOrDoubledCommonNameIsANameMismatch() throws Exception {
    X500Name noCn = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "acme").build();
    CsrException e = assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, noCn, null)), SPEC);
    assertTrue(e.getMessage().contains("no CN") && e.getMessage().contains(CN), e.getMessage());
    X500Name twoCns = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, CN).addRDN(BCStyle.CN, "agent-001.globex.serviceradar").build();
    assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, twoCns, null)), SPEC);
    assertReason(CsrException.NAME_MISMATCH,
        pem(csr(p256, subject("AGENT-001.acme.serviceradar"), null)), SPEC);
  }

  @Test
  void subjectAlternativeNamesBeyondTheCommonNameAndSpiffeIdAreNameMismatches() throws Exception {
    List<GeneralName> refused = List.of(
        new GeneralName(GeneralName.dNSName, "agent-002.acme.serviceradar"),
        new GeneralName(GeneralName.dNSName, "*.acme.serviceradar"),
        new GeneralName(GeneralName.uniformResourceIdentifier,
            "spiffe://serviceradar.local/agent/globex/default/agent-001"),
        new GeneralName(GeneralName.uniformResourceIdentifier, "https://evil.example"),
        new GeneralName(GeneralName.iPAddress, "10.0.0.1"),
        new GeneralName(GeneralName.rfc822Name, "ops@acme.example"),
        new GeneralName(new X500Name("CN=" + CN)));
    for (GeneralName name : refused) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, CN), name}));
      CsrException e =
          assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, subject(CN), ext)), SPEC);
      System.out.println("refused " + name + ": " + e.getMessage());
    }
  }

  @Test
  void aSpiffeUriIsRefusedWhenThePackageHasNone() throws Exception {
    ComponentCertSpec noSpiffe = SPEC.withSpiffeTrustDomain(null);
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, SPIFFE)));
    CsrException e =
        assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, subject(CN), ext)), noSpiffe);
    assertTrue(e.getMessage().contains("allows no URI"), e.getMessage());
  }

  @Test
  void aRequestForCaTrueIsRefused() throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    CsrException e =
        assertReason(CsrException.CA_REQUESTED, pem(csr(p256, subject(CN), ext)), SPEC);
    assertTrue(e.getMessage().contains("CA:true"), e.getMessage());
  }

  @Test
  void aRequestForCertificateOrCrlSigningIsRefused() throws Exception {
    for (int usage : new int[] {KeyUsage.keyCertSign, KeyUsage.cRLSign,
        KeyUsage.digitalSignature | KeyUsage.keyCertSign}) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      assertReason(CsrException.CA_REQUESTED, pem(csr(p256, subject(CN), ext)), SPEC);
    }
  }

  @Test
  void rsa1024IsAWeakKey() throws Exception {
    CsrException e =
        assertReason(CsrException.WEAK_KEY, pem(csr(rsa(1024), subject(CN), null)), SPEC);
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
  }

  @Test
  void otherCurvesAndAlgorithmsAreWeakKeys() throws Exception {
    assertReason(CsrException.WEAK_KEY,
        pem(csr(ec("secp521r1"), subject(CN), null, "SHA512withECDSA")), SPEC);
    KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
    assertReason(CsrException.WEAK_KEY,
        pem(csr(ed.generateKeyPair(), subject(CN), null, "Ed25519")), SPEC);
  }

  @Test
  void anOversizedRsaKeyIsRefusedBeforeItsSignatureIsChecked() throws Exception {
    BigInteger modulus = new BigInteger(9000, new SecureRandom()).setBit(8999).setBit(0);
    SubjectPublicKeyInfo key = new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
        new RSAPublicKey(modulus, BigInteger.valueOf(65537)));
    CertificationRequest request = new CertificationRequest(
        new CertificationRequestInfo(subject(CN), key, new DERSet()),
        new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption),
        new DERBitString(new byte[1125]));
    CsrException e = assertReason(CsrException.WEAK_KEY,
        pem(new PKCS10CertificationRequest(request)), SPEC);
    assertTrue(e.getMessage().contains("9000"), e.getMessage());
  }

  @Test
  void aRequestWhoseSignatureBytesWereTamperedHasABadSignature() throws Exception {
    CertificationRequest original = csr(p256, subject(CN), null).toASN1Structure();
    byte[] signature = original.getSignature().getBytes();
    signature[signature.length - 5] ^= 0x01;
    CertificationRequest tampered = new CertificationRequest(original.getCertificationRequestInfo(),
        original.getSignatureAlgorithm(), new DERBitString(signature));
    assertReason(CsrException.BAD_SIGNATURE, pem(new PKCS10CertificationRequest(tampered)), SPEC);
  }

  @Test
  void aRequestSignedByAnotherKeyHasABadSignature() throws Exception {
    KeyPair other = ec("secp256r1");
    PKCS10CertificationRequest request =
        new JcaPKCS10CertificationRequestBuilder(subject(CN), p256.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate()));
    assertReason(CsrException.BAD_SIGNATURE, pem(request), SPEC);
  }

  @Test
  void aRequestWhoseNameWasChangedAfterSigningHasABadSignature() throws Exception {
    CertificationRequest original = csr(p256, subject("agent-001.globex.serviceradar"), null)
        .toASN1Structure();
    CertificationRequestInfo info = original.getCertificationRequestInfo();
    CertificationRequest renamed = new CertificationRequest(
        new CertificationRequestInfo(subject(CN), info.getSubjectPublicKeyInfo(),
            info.getAttributes()),
        original.getSignatureAlgorithm(), original.getSignature());
    assertReason(CsrException.BAD_SIGNATURE, pem(new PKCS10CertificationRequest(renamed)), SPEC);
  }

  @Test
  void garbageAndAnythingButOneCertificateRequestAreMalformed() throws Exception {
    String good = pem(csr(p256, subject(CN), null));
    String body = good.substring(good.indexOf('\n') + 1, good.indexOf("-----END"));
    List<String> malformed = new ArrayList<>(List.of(
        "",
        "   \n",
        "hello, this is not PEM",
        "-----BEGIN CERTIFICATE REQUEST-----\n!!!! not base64 !!!!\n"
            + "-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\n"
            + Base64.getMimeEncoder().encodeToString("not DER at all".getBytes()) + "\n"
            + "-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\n" + body.substring(0, body.length() / 2)
            + "\n-----END CERTIFICATE REQUEST-----\n",
        "-----BEGIN CERTIFICATE REQUEST-----\n" + body,
        good + good,
        good + Pem.certificates(acme.certificate()),
        Pem.certificates(acme.certificate()),
        Pem.privateKey(p256.getPrivate()),
        "-----BEGIN FOO-----\n" + body + "-----END FOO-----\n",
        "#".repeat(CsrCheck.MAX_PEM_CHARS) + "\n" + good));
    malformed.add(null);
    for (String text : malformed) {
      CsrException e = assertReason(CsrException.MALFORMED, text, SPEC);
      System.out.println("malformed: " + e.getMessage());
    }
  }

  @Test
  void textAroundTheSingleRequestIsIgnored() throws Exception {
    String text = "Here is my request:\n" + pem(csr(p256, subject(CN), null)) + "\nthanks\n";
    assertArrayEquals(p256.getPublic().getEncoded(), CsrCheck.check(text, SPEC).getEncoded());
  }

  @Test
  void untrustedNamesAreQuotedShortAndWithoutControlCharacters() throws Exception {
    String hostileCn = "evil\n\u001b[2Jname.acme.serviceradar";
    CsrException e = assertReason(CsrException.NAME_MISMATCH,
        pem(csr(p256, subject(hostileCn), null)), SPEC);
    assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u001b"), e.getMessage());
    assertTrue(e.getMessage().contains("'evil??[2Jname.acme.serviceradar'"), e.getMessage());

    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(new GeneralName(GeneralName.dNSName, "x".repeat(300) + ".example")));
    e = assertReason(CsrException.NAME_MISMATCH, pem(csr(p256, subject(CN), ext)), SPEC);
    assertFalse(e.getMessage().contains("x".repeat(81)), e.getMessage());
    assertTrue(e.getMessage().contains("x".repeat(80) + "...'"), e.getMessage());
    assertEquals("'a?b'", CsrCheck.quote("a\tb"));
  }

  private static CsrException assertReason(String reason, String pem, ComponentCertSpec spec) {
    CsrException e = assertThrows(CsrException.class, () -> CsrCheck.check(pem, spec));
    assertEquals(reason, e.reason(), e.getMessage());
    assertFalse(e.getMessage().isBlank());
    return e;
  }

  private static PKCS10CertificationRequest csr(KeyPair pair, X500Name subject,
      ExtensionsGenerator extensions) throws Exception {
    String algorithm = "EC".equals(pair.getPublic().getAlgorithm())
        ? "SHA256withECDSA" : "SHA256withRSA";
    return csr(pair, subject, extensions, algorithm);
  }

  private static PKCS10CertificationRequest csr(KeyPair pair, X500Name subject,
      ExtensionsGenerator extensions, String signatureAlgorithm) throws Exception {
    PKCS10CertificationRequestBuilder builder =
        new JcaPKCS10CertificationRequestBuilder(subject, pair.getPublic());
    if (extensions != null) {
      builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
          extensions.generate());
    }
    return builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(pair.getPrivate()));
  }

  private static X500Name subject(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static String pem(PKCS10CertificationRequest request) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(request);
    }
    return out.toString();
  }

  private static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec(curve));
    return generator.generateKeyPair();
  }

  private static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(bits);
    return generator.generateKeyPair();
  }
}
