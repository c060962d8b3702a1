package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tenantgate.error.Failure;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantCa;
import io.tenantgate.tenant.TenantStatus;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** DESIGN.md section 1, rule 1: the chain validates to the platform root and the leaf is a client cert. */
class ChainVerifierTest {

  private static final Duration VALIDITY = Duration.ofDays(30);
  private static final KeyAlgorithm EC = KeyAlgorithm.EC_P256;
  private static final int CA_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign;

  private static CertAndKey root;
  private static CertAndKey acmeCa;
  private static CertAndKey globexCa;
  private static CertAndKey otherRoot;
  private static CertAndKey otherCa;
  private static CertAndKey acmeLeaf;
  private static PlatformTrust trust;
  private static RegistrySnapshot snapshot;

  @BeforeAll
  static void createPki() {
    root = Pki.createRoot("tenantgate test root", VALIDITY, EC);
    acmeCa = Pki.createTenantCa(root, "acme", "serviceradar", VALIDITY, EC);
    globexCa = Pki.createTenantCa(root, "globex", "serviceradar", VALIDITY, EC);
    otherRoot = Pki.createRoot("some other root", VALIDITY, EC);
    otherCa = Pki.createTenantCa(otherRoot, "acme", "serviceradar", VALIDITY, EC);
    acmeLeaf = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-001", "acme"));
    trust = PlatformTrust.of(List.of(root.certificate()));
    Tenant acme = new Tenant(UUID.randomUUID(), "acme", "Acme", TenantStatus.ACTIVE);
    Tenant globex = new Tenant(UUID.randomUUID(), "globex", "Globex", TenantStatus.ACTIVE);
    snapshot = new RegistrySnapshot(List.of(acme, globex),
        List.of(ca(acmeCa, acme), ca(globexCa, globex)), List.of(), Instant.now(), 1);
  }

  private static TenantCa ca(CertAndKey ca, Tenant tenant) {
    X509Certificate c = ca.certificate();
    return new TenantCa(Fingerprints.spkiSha256Hex(c), tenant.id(), TenantStatus.ACTIVE, c,
        KeyIdentifiers.subjectKeyId(c));
  }

  private static Failure verify(X509Certificate... chain) {
    return verifyAt(new Date(), chain);
  }

  private static Failure verifyAt(Date now, X509Certificate... chain) {
    return ChainVerifier.verify(List.of(chain), trust, snapshot, now);
  }

  /** A client leaf shaped like the product's (digitalSignature, clientAuth, SAN DNS = CN). */
  private static CertificateBuilder leaf(CertAndKey issuer, String cn) {
    return CertificateBuilder.create().subjectCn(cn).issuedBy(issuer).keyUsage(KeyUsage.digitalSignature)
        .clientAuth().dnsNames(cn);
  }

  private static Date inDays(long days) {
    return Date.from(Instant.now().plus(Duration.ofDays(days)));
  }

  // ---- valid -----------------------------------------------------------------------------

  @Test
  void leafAndTenantCaValidate() {
    assertNull(verify(acmeLeaf.certificate(), acmeCa.certificate()));
  }

  @Test
  void chainIncludingTheRootAtTheEndIsFine() {
    assertNull(verify(acmeLeaf.certificate(), acmeCa.certificate(), root.certificate()));
  }

  @Test
  void leafOnlyChainIsCompletedFromTheRegistry() {
    assertNull(verify(acmeLeaf.certificate()));
    assertNull(verify(acmeLeaf.certificate(), root.certificate()));
  }

  @Test
  void leafWithClientAndServerAuthIsAClientCert() {
    CertAndKey both = Pki.issueComponent(acmeCa, ComponentCertSpec.of("gateway-1", "acme").withServerAuth(true));
    assertNull(verify(both.certificate(), acmeCa.certificate()));
  }

  @Test
  void leafWithoutKeyUsageButWithClientAuthIsAClientCert() {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("agent-2.acme.serviceradar").issuedBy(acmeCa)
        .clientAuth().dnsNames("agent-2.acme.serviceradar").build().certificate();
    assertNull(verify(leaf, acmeCa.certificate()));
  }

  @Test
  void validityIsJudgedAtTheGivenInstant() {
    assertNull(verifyAt(inDays(20), acmeLeaf.certificate(), acmeCa.certificate()));
  }

  @Test
  void unregisteredIntermediateUnderTheRootStillPassesRuleOne() {
    // registration is rule 2, checked by IdentityResolver after the handshake
    CertAndKey initech = Pki.createTenantCa(root, "initech", "serviceradar", VALIDITY, EC);
    CertAndKey leaf = Pki.issueComponent(initech, ComponentCertSpec.of("agent-1", "initech"));
    assertNull(verify(leaf.certificate(), initech.certificate()));
  }

  // ---- NO_CLIENT_CERT, EXPIRED, NOT_YET_VALID --------------------------------------------

  @Test
  void emptyChainIsNoClientCert() {
    assertEquals(Failure.NO_CLIENT_CERT, ChainVerifier.verify(List.of(), trust, snapshot, new Date()));
  }

  @Test
  void leafPastItsNotAfterIsExpired() {
    assertEquals(Failure.EXPIRED, verifyAt(inDays(60), acmeLeaf.certificate(), acmeCa.certificate()));
  }

  @Test
  void leafThatExpiredYesterdayIsExpired() {
    Instant now = Instant.now();
    X509Certificate old = leaf(acmeCa, "agent-old.acme.serviceradar")
        .validity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))).build().certificate();
    assertEquals(Failure.EXPIRED, verify(old, acmeCa.certificate()));
  }

  @Test
  void leafBeforeItsNotBeforeIsNotYetValid() {
    assertEquals(Failure.NOT_YET_VALID,
        verifyAt(Date.from(Instant.now().minus(Duration.ofHours(1))), acmeLeaf.certificate(), acmeCa.certificate()));
  }

  @Test
  void expiredIntermediateIsExpiredEvenWhenTheLeafIsValid() {
    Instant now = Instant.now();
    CertAndKey staleCa = CertificateBuilder.create().subjectCn("tenant-acme.ca.serviceradar").issuedBy(root)
        .ca(0).keyUsage(CA_USAGE).validity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))).build();
    X509Certificate leaf = leaf(staleCa, "agent-1.acme.serviceradar")
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1))).build().certificate();
    assertEquals(Failure.EXPIRED, verify(leaf, staleCa.certificate()));
  }

  @Test
  void intermediateNotYetValidIsNotYetValid() {
    Instant now = Instant.now();
    CertAndKey futureCa = CertificateBuilder.create().subjectCn("tenant-acme.ca.serviceradar").issuedBy(root)
        .ca(0).keyUsage(CA_USAGE).validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10))).build();
    X509Certificate leaf = leaf(futureCa, "agent-1.acme.serviceradar")
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1))).build().certificate();
    assertEquals(Failure.NOT_YET_VALID, verify(leaf, futureCa.certificate()));
  }

  // ---- NOT_CLIENT_CERT and LEAF_IS_CA ----------------------------------------------------

  @Test
  void leafWithoutEkuIsNotAClientCert() {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("agent-1.acme.serviceradar").issuedBy(acmeCa)
        .keyUsage(KeyUsage.digitalSignature).dnsNames("agent-1.acme.serviceradar").build().certificate();
    assertEquals(Failure.NOT_CLIENT_CERT, verify(leaf, acmeCa.certificate()));
  }

  @Test
  void serverAuthOnlyLeafIsNotAClientCert() {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("agent-1.acme.serviceradar").issuedBy(acmeCa)
        .keyUsage(KeyUsage.digitalSignature).serverAuth().dnsNames("agent-1.acme.serviceradar").build()
        .certificate();
    assertEquals(Failure.NOT_CLIENT_CERT, verify(leaf, acmeCa.certificate()));
  }

  @Test
  void clientAuthLeafWhoseKeyUsageLacksDigitalSignatureIsNotAClientCert() {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("agent-1.acme.serviceradar").issuedBy(acmeCa)
        .keyUsage(KeyUsage.keyEncipherment).clientAuth().dnsNames("agent-1.acme.serviceradar").build()
        .certificate();
    assertEquals(Failure.NOT_CLIENT_CERT, verify(leaf, acmeCa.certificate()));
  }

  @Test
  void caCertificatePresentedAsLeafIsLeafIsCa() {
    X509Certificate caLeaf = leaf(acmeCa, "agent-1.acme.serviceradar").ca(null).build().certificate();
    assertEquals(Failure.LEAF_IS_CA, verify(caLeaf, acmeCa.certificate()));
    assertEquals(Failure.LEAF_IS_CA, verify(acmeCa.certificate(), root.certificate()));
  }

  // ---- UNKNOWN_CA ------------------------------------------------------------------------

  @Test
  void chainToADifferentRootIsUnknownCa() {
    CertAndKey leaf = Pki.issueComponent(otherCa, ComponentCertSpec.of("agent-001", "acme"));
    assertEquals(Failure.UNKNOWN_CA, verify(leaf.certificate(), otherCa.certificate()));
  }

  @Test
  void chainToADifferentRootIncludingThatRootIsUnknownCa() {
    CertAndKey leaf = Pki.issueComponent(otherCa, ComponentCertSpec.of("agent-001", "acme"));
    assertEquals(Failure.UNKNOWN_CA, verify(leaf.certificate(), otherCa.certificate(), otherRoot.certificate()));
  }

  @Test
  void leafOnlyChainFromAnUnregisteredCaIsUnknownCa() {
    CertAndKey leaf = Pki.issueComponent(otherCa, ComponentCertSpec.of("agent-001", "acme"));
    assertEquals(Failure.UNKNOWN_CA, verify(leaf.certificate()));
  }

  @Test
  void leafOnlyChainWhoseRegisteredCaDoesNotParseIsUnknownCa() {
    // acme's entry indexed by its stored hash and key id, with globex's PEM beside them: unusable
    io.tenantgate.tenant.RegistryFile file = io.tenantgate.tenant.RegistryFile.empty()
        .addTenant(snapshot.tenantBySlug("acme"))
        .addCa(snapshot.tenantBySlug("acme").id(), io.tenantgate.pki.Pem.certificates(acmeCa.certificate()),
            TenantStatus.ACTIVE);
    io.vertx.core.json.JsonObject doc = new io.vertx.core.json.JsonObject(file.encode());
    doc.getJsonArray("cas").getJsonObject(0).put("certificate",
        io.tenantgate.pki.Pem.certificates(globexCa.certificate()));
    RegistrySnapshot broken = io.tenantgate.tenant.RegistryFile.load(doc.encode(), Instant.now(), 2);
    assertEquals(Failure.UNKNOWN_CA, ChainVerifier.verify(List.of(acmeLeaf.certificate()), trust, broken, new Date()));
    // a client that sends its CA passes rule 1 here; IdentityResolver refuses the unusable entry (rule 2)
  }

  @Test
  void selfSignedClientCertIsUnknownCa() {
    X509Certificate self = CertificateBuilder.create().subjectCn("agent-1.acme.serviceradar")
        .keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertEquals(Failure.UNKNOWN_CA, verify(self));
  }

  // ---- TENANT_MISMATCH via name constraints ----------------------------------------------

  @Test
  void constrainedCaIssuingAnotherTenantsCnWithoutSanIsTenantMismatch() {
    X509Certificate forged = CertificateBuilder.create().subjectCn("agent-001.globex.serviceradar").issuedBy(acmeCa)
        .keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertEquals(Failure.TENANT_MISMATCH, verify(forged, acmeCa.certificate()));
  }

  @Test
  void constrainedCaIssuingAnotherTenantsNameInTheSanIsTenantMismatch() {
    CertAndKey forged = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-001", "globex"));
    assertEquals(Failure.TENANT_MISMATCH, verify(forged.certificate(), acmeCa.certificate()));
    assertEquals(Failure.TENANT_MISMATCH, verify(forged.certificate()));
  }

  @Test
  void constrainedCaIssuingALookalikeTenantNameIsTenantMismatch() {
    CertAndKey forged = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-001", "xacme"));
    assertEquals(Failure.TENANT_MISMATCH, verify(forged.certificate(), acmeCa.certificate()));
  }

  // ---- BAD_CHAIN -------------------------------------------------------------------------

  @Test
  void twoIntermediatesAreABadChain() {
    assertEquals(Failure.BAD_CHAIN, verify(acmeLeaf.certificate(), acmeCa.certificate(), globexCa.certificate()));
  }

  @Test
  void subCaUnderAPathlenZeroTenantCaIsABadChain() {
    CertAndKey subCa = CertificateBuilder.create().subjectCn("sub.acme.serviceradar").issuedBy(acmeCa).ca(null)
        .keyUsage(CA_USAGE).build();
    X509Certificate leaf = leaf(subCa, "agent-1.acme.serviceradar").build().certificate();
    assertEquals(Failure.BAD_CHAIN, verify(leaf, subCa.certificate(), acmeCa.certificate()));
    assertEquals(Failure.BAD_CHAIN, verify(leaf, subCa.certificate(), acmeCa.certificate(), root.certificate()));
  }

  @Test
  void leafSentWithTheWrongTenantCaIsABadChain() {
    assertEquals(Failure.BAD_CHAIN, verify(acmeLeaf.certificate(), globexCa.certificate()));
  }

  @Test
  void leafSignedByAnImpostorOfTheTenantCaIsABadChain() {
    CertAndKey impostor = CertificateBuilder.create().subjectCn("tenant-acme.ca.serviceradar").ca(0)
        .keyUsage(CA_USAGE).build();
    X509Certificate leaf = leaf(impostor, "agent-1.acme.serviceradar").build().certificate();
    assertEquals(Failure.BAD_CHAIN, verify(leaf, acmeCa.certificate()));
  }

  // ---- order of checks -------------------------------------------------------------------

  @Test
  void leafChecksComeBeforeChainChecks() {
    X509Certificate serverOnly = CertificateBuilder.create().subjectCn("agent-1.acme.serviceradar").issuedBy(otherCa)
        .keyUsage(KeyUsage.digitalSignature).serverAuth().build().certificate();
    assertEquals(Failure.NOT_CLIENT_CERT, verify(serverOnly, otherCa.certificate()));
  }
}
