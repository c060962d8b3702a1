package io.tenantgate.pki;

import static io.tenantgate.pki.CertificateBuilderTest.extension;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.Security;
import java.security.cert.CertPathValidatorException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PkiTest {

  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  private static CertAndKey root;
  private static CertAndKey acme;

  @BeforeAll
  static void createHierarchy() {
    root = Pki.createRoot("tenantgate test root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acme = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(20),
        KeyAlgorithm.EC_P256);
  }

  @Test
  void rootToTenantCaToComponentValidates() throws Exception {
    CertAndKey leaf = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "acme"));
    PKIXCertPathValidatorResult result =
        Chains.validate(root.certificate(), leaf.certificate(), acme.certificate());
    assertEquals(root.certificate(), result.getTrustAnchor().getTrustedCert());
  }

  @Test
  void issuanceNeedsNoBouncyCastleJceProvider() {
    Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "acme"));
    assertNull(Security.getProvider("BC"));
  }

  @Test
  void rsaHierarchyValidatesToo() throws Exception {
    CertAndKey rsaRoot = Pki.createRoot("rsa root", Duration.ofDays(30), KeyAlgorithm.RSA_2048);
    CertAndKey rsaCa = Pki.createTenantCa(rsaRoot, "acme", "serviceradar", Duration.ofDays(20),
        KeyAlgorithm.RSA_2048);
    CertAndKey leaf = Pki.issueComponent(rsaCa,
        ComponentCertSpec.of("poller-1", "acme").withKeyAlgorithm(KeyAlgorithm.RSA_2048));
    Chains.validate(rsaRoot.certificate(), leaf.certificate(), rsaCa.certificate());
    assertEquals("SHA256withRSA", leaf.certificate().getSigAlgName());
    assertEquals("RSA", leaf.privateKey().getAlgorithm());
    CertAndKey ecUnderRsa = Pki.issueComponent(rsaCa, ComponentCertSpec.of("agent-2", "acme"));
    Chains.validate(rsaRoot.certificate(), ecUnderRsa.certificate(), rsaCa.certificate());
  }

  @Test
  void tenantCaCannotIssueAComponentOfAnotherTenant() {
    CertAndKey foreign = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "globex"));
    CertPathValidatorException e =
        Chains.rejection(root.certificate(), foreign.certificate(), acme.certificate());
    assertEquals(PKIXReason.INVALID_NAME, e.getReason());
    assertEquals(0, e.getIndex());
  }

  @Test
  void tenantCaCannotIssueALookalikeTenantName() {
    CertAndKey lookalike = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "xacme"));
    CertPathValidatorException e =
        Chains.rejection(root.certificate(), lookalike.certificate(), acme.certificate());
    assertEquals(PKIXReason.INVALID_NAME, e.getReason());
  }

  @Test
  void pkixChecksTheCommonNameOfALeafWithoutDnsSan() {
    CertAndKey cnOnly = CertificateBuilder.create().subjectCn("agent-001.globex.serviceradar")
        .issuedBy(acme).clientAuth().build();
    CertPathValidatorException e =
        Chains.rejection(root.certificate(), cnOnly.certificate(), acme.certificate());
    assertEquals(PKIXReason.INVALID_NAME, e.getReason());
  }

  @Test
  void pkixIgnoresTheCommonNameOnceADnsSanIsPresent() throws Exception {
    // PKIX alone is not enough: identity must compare the CN's slug with the CA's tenant.
    CertAndKey mixed = CertificateBuilder.create().subjectCn("agent-001.globex.serviceradar")
        .dnsNames("agent-001.acme.serviceradar").issuedBy(acme).clientAuth().build();
    Chains.validate(root.certificate(), mixed.certificate(), acme.certificate());
  }

  @Test
  void pkixSkipsACommonNameThatIsNotAHostname() throws Exception {
    // '_' is legal in component ids but not in a hostname, so the JDK's CN fallback skips it.
    CertAndKey underscore = CertificateBuilder.create()
        .subjectCn("agent_001.globex.serviceradar").issuedBy(acme).clientAuth().build();
    Chains.validate(root.certificate(), underscore.certificate(), acme.certificate());
  }

  @Test
  void dnsNameConstraintsDoNotCoverTheSpiffeUri() throws Exception {
    CertAndKey foreignSpiffe = CertificateBuilder.create()
        .subjectCn("agent-001.acme.serviceradar").dnsNames("agent-001.acme.serviceradar")
        .uris("spiffe://serviceradar.local/agent/globex/default/agent-001")
        .issuedBy(acme).clientAuth().build();
    Chains.validate(root.certificate(), foreignSpiffe.certificate(), acme.certificate());
  }

  @Test
  void pathLengthZeroForbidsASubCaBelowATenantCa() {
    CertAndKey subCa = CertificateBuilder.create().subjectCn("sub.acme.serviceradar")
        .issuedBy(acme).ca(null).build();
    CertAndKey leaf = Pki.issueComponent(subCa, ComponentCertSpec.of("agent-001", "acme"));
    CertPathValidatorException e = Chains.rejection(root.certificate(), leaf.certificate(),
        subCa.certificate(), acme.certificate());
    assertEquals(PKIXReason.PATH_TOO_LONG, e.getReason());
  }

  @Test
  void rootIsASelfSignedCaWithoutPathLengthLimit() throws Exception {
    X509Certificate cert = root.certificate();
    cert.verify(cert.getPublicKey());
    assertEquals("CN=tenantgate test root", cert.getSubjectX500Principal().getName());
    assertEquals(Integer.MAX_VALUE, cert.getBasicConstraints());
    assertArrayEquals(caKeyUsage(), cert.getKeyUsage());
  }

  @Test
  void tenantCaIsPathLengthZeroAndConfinedToItsSlug() throws Exception {
    X509Certificate cert = acme.certificate();
    assertEquals("CN=tenant-acme.ca.serviceradar", cert.getSubjectX500Principal().getName());
    assertEquals(0, cert.getBasicConstraints());
    assertArrayEquals(caKeyUsage(), cert.getKeyUsage());
    assertTrue(cert.getCriticalExtensionOIDs().containsAll(List.of(
        Extension.basicConstraints.getId(), Extension.keyUsage.getId(),
        Extension.nameConstraints.getId())));
    NameConstraints constraints =
        NameConstraints.getInstance(extension(cert, Extension.nameConstraints));
    assertEquals(1, constraints.getPermittedSubtrees().length);
    assertEquals("2: acme.serviceradar",
        constraints.getPermittedSubtrees()[0].getBase().toString());
    assertKeyIdentifiersChain(cert, root.certificate());
  }

  @Test
  void componentCarriesLeafExtensionsAndSpiffeUri() throws Exception {
    ComponentCertSpec spec = ComponentCertSpec.of("agent-001", "acme").withPartitionId("site-1");
    X509Certificate cert = Pki.issueComponent(acme, spec).certificate();
    assertEquals("CN=agent-001.site-1.acme.serviceradar", cert.getSubjectX500Principal().getName());
    assertEquals(-1, cert.getBasicConstraints());
    assertTrue(cert.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
    assertEquals(1, countTrue(cert.getKeyUsage()));
    assertTrue(cert.getKeyUsage()[0], "digitalSignature");
    assertEquals(List.of(CLIENT_AUTH), cert.getExtendedKeyUsage());
    assertEquals(List.of(List.of(2, "agent-001.site-1.acme.serviceradar"),
        List.of(6, "spiffe://serviceradar.local/agent/acme/site-1/agent-001")),
        List.copyOf(cert.getSubjectAlternativeNames()));
    assertTrue(cert.getSerialNumber().signum() > 0);
    assertTrue(cert.getSerialNumber().bitLength() <= 128);
    assertEquals("SHA256withECDSA", cert.getSigAlgName());
    assertKeyIdentifiersChain(cert, acme.certificate());
    Chains.validate(root.certificate(), cert, acme.certificate());
  }

  @Test
  void serverAuthComponentHasBothExtendedKeyUsages() throws Exception {
    X509Certificate cert = Pki.issueComponent(acme,
        ComponentCertSpec.of("checker-1", "acme").withServerAuth(true)).certificate();
    assertEquals(List.of(CLIENT_AUTH, SERVER_AUTH), cert.getExtendedKeyUsage());
  }

  @Test
  void componentWithoutSpiffeTrustDomainHasOnlyItsDnsName() throws Exception {
    X509Certificate cert = Pki.issueComponent(acme,
        ComponentCertSpec.of("agent-9", "acme").withSpiffeTrustDomain(null)).certificate();
    assertEquals(List.of(List.of(2, "agent-9.acme.serviceradar")),
        List.copyOf(cert.getSubjectAlternativeNames()));
  }

  @Test
  void certificatesNeverOutliveTheirIssuer() {
    X509Certificate cert = Pki.issueComponent(acme,
        ComponentCertSpec.of("agent-1", "acme").withValidity(Duration.ofDays(3650))).certificate();
    assertEquals(acme.certificate().getNotAfter(), cert.getNotAfter());
  }

  @Test
  void serialsAreFreshForEveryIssuance() {
    ComponentCertSpec spec = ComponentCertSpec.of("agent-1", "acme");
    assertNotEquals(Pki.issueComponent(acme, spec).certificate().getSerialNumber(),
        Pki.issueComponent(acme, spec).certificate().getSerialNumber());
  }

  @Test
  void serverCertificateIsServerAuthWithItsNames() throws Exception {
    X509Certificate cert = Pki.issueServer(root, "gateway", List.of("gw.example", "localhost"),
        List.of("127.0.0.1"), Duration.ofDays(10), KeyAlgorithm.EC_P256).certificate();
    assertEquals(List.of(SERVER_AUTH), cert.getExtendedKeyUsage());
    assertEquals(1, countTrue(cert.getKeyUsage()));
    assertEquals(-1, cert.getBasicConstraints());
    assertEquals(List.of(List.of(2, "gw.example"), List.of(2, "localhost"),
        List.of(7, "127.0.0.1")), List.copyOf(cert.getSubjectAlternativeNames()));
    Chains.validate(root.certificate(), cert);
  }

  @Test
  void rsaServerCertificateAlsoAllowsKeyEncipherment() throws Exception {
    X509Certificate cert = Pki.issueServer(root, "gateway", List.of("gw.example"), List.of(),
        Duration.ofDays(10), KeyAlgorithm.RSA_2048).certificate();
    assertTrue(cert.getKeyUsage()[0] && cert.getKeyUsage()[2]);
    assertEquals(2, countTrue(cert.getKeyUsage()));
    Chains.validate(root.certificate(), cert);
  }

  @Test
  void refusesInvalidInputsBeforeGeneratingKeys() {
    assertThrows(IllegalArgumentException.class, () -> Pki.issueServer(root, "gateway",
        List.of(), List.of(), Duration.ofDays(1), KeyAlgorithm.EC_P256));
    assertThrows(IllegalArgumentException.class, () -> Pki.createTenantCa(root, "Acme Corp",
        "serviceradar", Duration.ofDays(1), KeyAlgorithm.EC_P256));
    assertThrows(IllegalArgumentException.class,
        () -> Pki.createRoot(" ", Duration.ofDays(1), KeyAlgorithm.EC_P256));
    assertThrows(IllegalArgumentException.class,
        () -> Pki.createRoot("root", Duration.ofDays(-1), KeyAlgorithm.EC_P256));
  }

  private static void assertKeyIdentifiersChain(X509Certificate cert, X509Certificate issuer)
      throws Exception {
    SubjectKeyIdentifier issuerSki =
        SubjectKeyIdentifier.getInstance(extension(issuer, Extension.subjectKeyIdentifier));
    AuthorityKeyIdentifier aki =
        AuthorityKeyIdentifier.getInstance(extension(cert, Extension.authorityKeyIdentifier));
    assertArrayEquals(issuerSki.getKeyIdentifier(), aki.getKeyIdentifierObject().getOctets());
    assertTrue(extension(cert, Extension.subjectKeyIdentifier) != null);
  }

  private static boolean[] caKeyUsage() {
    boolean[] bits = new boolean[9];
    bits[5] = true;
    bits[6] = true;
    return bits;
  }

  private static int countTrue(boolean[] bits) {
    int n = 0;
    for (boolean bit : bits) {
      n += bit ? 1 : 0;
    }
    return n;
  }
}
