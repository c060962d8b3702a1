package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.IdentityConfig;
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
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DESIGN.md section 1, rules 2-5, on chains built in code: one platform root, Pki tenant CAs for
 * acme and globex (plus initech's, never registered) and an acme CA made without name constraints,
 * so the resolver's own tenant checks are exercised where PKIX would not catch the mistake.
 */
class IdentityResolverTest {

  private static final Duration VALIDITY = Duration.ofDays(30);
  private static final KeyAlgorithm EC = KeyAlgorithm.EC_P256;
  private static final BigInteger HIGH_BIT_SERIAL = new BigInteger("f3a1b2c3d4e5f60718293a4b5c6d7e8f", 16);

  private static CertAndKey root;
  private static CertAndKey acmeCa;
  private static CertAndKey globexCa;
  private static CertAndKey initechCa;
  private static CertAndKey acmeLooseCa;
  private static Tenant acme;
  private static Tenant globex;
  private static PlatformTrust trust;
  private static CertAndKey acmeAgent;

  private final IdentityResolver resolver = new IdentityResolver(IdentityConfig.defaults(), List.of());

  @BeforeAll
  static void createPki() {
    root = Pki.createRoot("tenantgate test root", VALIDITY, EC);
    acmeCa = Pki.createTenantCa(root, "acme", "serviceradar", VALIDITY, EC);
    globexCa = Pki.createTenantCa(root, "globex", "serviceradar", VALIDITY, EC);
    initechCa = Pki.createTenantCa(root, "initech", "serviceradar", VALIDITY, EC);
    acmeLooseCa = CertificateBuilder.create()
        .subjectCn("tenant-acme.ca.serviceradar")
        .issuedBy(root)
        .ca(0)
        .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
        .build();
    acme = new Tenant(UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0001"), "acme", "Acme", TenantStatus.ACTIVE);
    globex = new Tenant(UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0002"), "globex", "Globex",
        TenantStatus.ACTIVE);
    trust = PlatformTrust.of(List.of(root.certificate()));
    acmeAgent = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-001", "acme"));
  }

  // ---- fixtures --------------------------------------------------------------------------

  private static TenantCa ca(CertAndKey ca, Tenant tenant, TenantStatus status) {
    X509Certificate c = ca.certificate();
    return new TenantCa(Fingerprints.spkiSha256Hex(c), tenant.id(), status, c, KeyIdentifiers.subjectKeyId(c));
  }

  private static RegistrySnapshot registry(List<Tenant> tenants, List<TenantCa> cas, List<String> revoked) {
    return new RegistrySnapshot(tenants, cas, revoked, Instant.now(), 1);
  }

  /** acme and globex active; their Pki CAs and acme's unconstrained CA registered; nothing revoked. */
  private static RegistrySnapshot standard() {
    return registry(List.of(acme, globex), List.of(ca(acmeCa, acme, TenantStatus.ACTIVE),
        ca(globexCa, globex, TenantStatus.ACTIVE), ca(acmeLooseCa, acme, TenantStatus.ACTIVE)), List.of());
  }

  private Resolution resolve(X509Certificate... chain) {
    return resolve(standard(), chain);
  }

  private Resolution resolve(RegistrySnapshot snapshot, X509Certificate... chain) {
    return resolver.resolve(List.of(chain), trust, snapshot);
  }

  /** A client leaf shaped like the product's (digitalSignature, clientAuth) with any CN; no SAN yet. */
  private static CertificateBuilder leaf(CertAndKey issuer, String cn) {
    return CertificateBuilder.create().subjectCn(cn).issuedBy(issuer).keyUsage(KeyUsage.digitalSignature)
        .clientAuth();
  }

  private static ClientIdentity accepted(Resolution r) {
    assertTrue(r.isAccepted(), () -> "refused: " + r.failure());
    assertNull(r.failure());
    assertEquals(r.identity().tenantSlug(), r.tenantSlug());
    return r.identity();
  }

  private static void assertRefused(Failure failure, String tenantSlug, Resolution r) {
    assertFalse(r.isAccepted(), "accepted, expected " + failure);
    assertNull(r.identity());
    assertEquals(failure, r.failure());
    assertEquals(tenantSlug, r.tenantSlug());
  }

  // ---- accepted --------------------------------------------------------------------------

  @Test
  void acceptsAComponentOfAnActiveTenantWithEveryIdentityField() {
    X509Certificate leaf = acmeAgent.certificate();

    ClientIdentity id = accepted(resolve(leaf, acmeCa.certificate()));

    String sha = Fingerprints.sha256Hex(leaf);
    String spiffe = "spiffe://serviceradar.local/agent/acme/default/agent-001";
    assertTrue(sha.matches("[0-9a-f]{64}"), sha);
    assertEquals(acme.id(), id.tenantId());
    assertEquals("acme", id.tenantSlug());
    assertEquals("default", id.partitionId());
    assertEquals("agent-001", id.componentId());
    assertEquals("agent", id.componentType());
    assertEquals(sha, id.certSha256());
    assertEquals(leaf.getSerialNumber().toString(16), id.serialHex());
    assertEquals("CN=agent-001.acme.serviceradar", id.subject());
    assertEquals(spiffe, id.spiffeId());
    assertEquals(Fingerprints.spkiSha256Hex(acmeCa.certificate()), id.caSpkiSha256());
    assertEquals(List.of(
        Map.entry("x-tenant-id", acme.id().toString()),
        Map.entry("x-tenant-slug", "acme"),
        Map.entry("x-partition-id", "default"),
        Map.entry("x-component-id", "agent-001"),
        Map.entry("x-component-type", "agent"),
        Map.entry("x-client-cert-sha256", sha),
        Map.entry("x-forwarded-client-cert",
            "Hash=" + sha + ";Subject=\"CN=agent-001.acme.serviceradar\";URI=" + spiffe)), id.headers());
  }

  @Test
  void fourPartCnCarriesThePartition() {
    CertAndKey leaf = Pki.issueComponent(acmeCa, ComponentCertSpec.of("poller-7", "acme").withPartitionId("site-1"));

    ClientIdentity id = accepted(resolve(leaf.certificate(), acmeCa.certificate()));

    assertEquals("site-1", id.partitionId());
    assertEquals("poller-7", id.componentId());
    assertEquals("poller", id.componentType());
    assertEquals("spiffe://serviceradar.local/poller/acme/site-1/poller-7", id.spiffeId());
    assertTrue(id.headers().contains(Map.entry("x-partition-id", "site-1")), id.headers()::toString);
    assertTrue(id.headers().contains(Map.entry("x-component-type", "poller")), id.headers()::toString);
  }

  @Test
  void withoutSpiffeSanTheTypeComesFromTheIdAndXfccHasNoUri() {
    CertAndKey leaf = Pki.issueComponent(acmeCa,
        ComponentCertSpec.of("collector-9", "acme").withSpiffeTrustDomain(null));

    ClientIdentity id = accepted(resolve(leaf.certificate(), acmeCa.certificate()));

    String sha = Fingerprints.sha256Hex(leaf.certificate());
    assertNull(id.spiffeId());
    assertEquals("collector", id.componentType());
    assertEquals(Map.entry("x-forwarded-client-cert", "Hash=" + sha + ";Subject=\"CN=collector-9.acme.serviceradar\""),
        id.headers().get(6));
  }

  @Test
  void idWithoutAKnownPrefixIsAnAgent() {
    CertAndKey leaf = Pki.issueComponent(acmeCa, ComponentCertSpec.of("sensor-1", "acme").withSpiffeTrustDomain(null));
    assertEquals("agent", accepted(resolve(leaf.certificate(), acmeCa.certificate())).componentType());
  }

  @Test
  void spiffeTypeWinsOverTheIdPrefix() {
    CertAndKey leaf = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-5", "acme").withComponentType("checker"));
    ClientIdentity id = accepted(resolve(leaf.certificate(), acmeCa.certificate()));
    assertEquals("checker", id.componentType());
    assertEquals("spiffe://serviceradar.local/checker/acme/default/agent-5", id.spiffeId());
  }

  @Test
  void leafOnlyChainIsCompletedFromTheRegistryByKeyIdentifier() {
    ClientIdentity id = accepted(resolve(acmeAgent.certificate()));
    assertEquals("acme", id.tenantSlug());
    assertEquals(Fingerprints.spkiSha256Hex(acmeCa.certificate()), id.caSpkiSha256());
  }

  @Test
  void chainThatIncludesTheRootIsAccepted() {
    assertEquals("acme", accepted(resolve(acmeAgent.certificate(), acmeCa.certificate(), root.certificate()))
        .tenantSlug());
    assertEquals("acme", accepted(resolve(acmeAgent.certificate(), root.certificate())).tenantSlug());
  }

  @Test
  void globexComponentResolvesToGlobex() {
    CertAndKey leaf = Pki.issueComponent(globexCa, ComponentCertSpec.of("agent-001", "globex"));
    ClientIdentity id = accepted(resolve(leaf.certificate(), globexCa.certificate()));
    assertEquals(globex.id(), id.tenantId());
    assertEquals("globex", id.tenantSlug());
    assertEquals(Fingerprints.spkiSha256Hex(globexCa.certificate()), id.caSpkiSha256());
  }

  @Test
  void nonSpiffeUriSansAreIgnored() {
    String cn = "agent-001.acme.serviceradar";
    X509Certificate leaf = leaf(acmeCa, cn).dnsNames(cn).uris("https://acme.example/agents/1").build().certificate();
    ClientIdentity id = accepted(resolve(leaf, acmeCa.certificate()));
    assertNull(id.spiffeId());
  }

  @Test
  void otherSubjectAttributesBesideTheCnAreAllowed() {
    X509Certificate leaf = CertificateBuilder.create()
        .subject(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "Acme \"Corp\"")
            .addRDN(BCStyle.CN, "agent-001.acme.serviceradar").build())
        .issuedBy(acmeCa).keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();

    ClientIdentity id = accepted(resolve(leaf, acmeCa.certificate()));

    String subject = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
    assertEquals(subject, id.subject());
    assertTrue(subject.contains("\\\""), subject);
    assertEquals("agent-001", id.componentId());
    String escaped = subject.replace("\\", "\\\\").replace("\"", "\\\"");
    assertEquals("Hash=" + id.certSha256() + ";Subject=\"" + escaped + "\"", id.headers().get(6).getValue());
  }

  @Test
  void rsaLeafIsAcceptedLikeAnEcOne() {
    CertAndKey leaf = Pki.issueComponent(acmeCa,
        ComponentCertSpec.of("agent-rsa", "acme").withKeyAlgorithm(KeyAlgorithm.RSA_2048));
    assertEquals("agent-rsa", accepted(resolve(leaf.certificate(), acmeCa.certificate())).componentId());
  }

  @Test
  void trustDomainsComeFromTheIdentityConfig() {
    IdentityResolver edge = new IdentityResolver(new IdentityConfig("edge", "example.org"), List.of());
    CertAndKey edgeCa = Pki.createTenantCa(root, "acme", "edge", VALIDITY, EC);
    RegistrySnapshot snapshot = registry(List.of(acme), List.of(ca(edgeCa, acme, TenantStatus.ACTIVE)), List.of());
    ComponentCertSpec spec = ComponentCertSpec.of("agent-1", "acme").withTrustDomain("edge")
        .withSpiffeTrustDomain("example.org");

    Resolution ok = edge.resolve(List.of(Pki.issueComponent(edgeCa, spec).certificate()), trust, snapshot);
    assertEquals("spiffe://example.org/agent/acme/default/agent-1", accepted(ok).spiffeId());

    Resolution defaultCn = edge.resolve(List.of(
        Pki.issueComponent(edgeCa, spec.withTrustDomain("serviceradar")).certificate()), trust, snapshot);
    assertRefused(Failure.BAD_CN, "acme", defaultCn);

    Resolution defaultSpiffe = edge.resolve(List.of(
        Pki.issueComponent(edgeCa, spec.withSpiffeTrustDomain("serviceradar.local")).certificate()), trust, snapshot);
    assertRefused(Failure.SPIFFE_MISMATCH, "acme", defaultSpiffe);
  }

  // ---- NO_CLIENT_CERT and UNKNOWN_CA -----------------------------------------------------

  @Test
  void emptyChainIsNoClientCert() {
    assertRefused(Failure.NO_CLIENT_CERT, null, resolver.resolve(List.of(), trust, standard()));
  }

  @Test
  void nonX509CertificateIsNoClientCert() {
    Certificate odd = new Certificate("PGP") {
      @Override
      public byte[] getEncoded() {
        return new byte[0];
      }

      @Override
      public void verify(PublicKey key) {
      }

      @Override
      public void verify(PublicKey key, String sigProvider) {
      }

      @Override
      public String toString() {
        return "odd";
      }

      @Override
      public PublicKey getPublicKey() {
        return null;
      }
    };
    assertRefused(Failure.NO_CLIENT_CERT, null, resolver.resolve(List.of(odd), trust, standard()));
  }

  @Test
  void unregisteredIntermediateIsUnknownCa() {
    CertAndKey leaf = Pki.issueComponent(initechCa, ComponentCertSpec.of("agent-001", "initech"));
    assertRefused(Failure.UNKNOWN_CA, null, resolve(leaf.certificate(), initechCa.certificate()));
    assertRefused(Failure.UNKNOWN_CA, null, resolve(leaf.certificate()));
    assertRefused(Failure.UNKNOWN_CA, null, resolve(leaf.certificate(), initechCa.certificate(), root.certificate()));
  }

  @Test
  void leafIssuedDirectlyByTheRootIsUnknownCa() {
    X509Certificate leaf = leaf(root, "agent-001.acme.serviceradar").build().certificate();
    assertRefused(Failure.UNKNOWN_CA, null, resolve(leaf, root.certificate()));
    assertRefused(Failure.UNKNOWN_CA, null, resolve(leaf));
  }

  @Test
  void selfSignedLeafIsUnknownCa() {
    X509Certificate self = CertificateBuilder.create().subjectCn("agent-001.acme.serviceradar")
        .keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertRefused(Failure.UNKNOWN_CA, null, resolve(self));
  }

  @Test
  void twoIntermediatesAreUnknownCa() {
    assertRefused(Failure.UNKNOWN_CA, null, resolve(acmeAgent.certificate(), acmeCa.certificate(),
        globexCa.certificate()));
  }

  @Test
  void emptyRegistryKnowsNoCa() {
    assertRefused(Failure.UNKNOWN_CA, null,
        resolver.resolve(List.of(acmeAgent.certificate(), acmeCa.certificate()), trust, RegistrySnapshot.empty()));
  }

  // ---- CA_DISABLED and TENANT_SUSPENDED --------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = TenantStatus.class, names = {"SUSPENDED", "DISABLED"})
  void inactiveCaIsCaDisabled(TenantStatus status) {
    RegistrySnapshot snapshot = registry(List.of(acme, globex),
        List.of(ca(acmeCa, acme, status), ca(globexCa, globex, TenantStatus.ACTIVE)), List.of());
    assertRefused(Failure.CA_DISABLED, "acme", resolve(snapshot, acmeAgent.certificate(), acmeCa.certificate()));
    assertRefused(Failure.CA_DISABLED, "acme", resolve(snapshot, acmeAgent.certificate()));
  }

  @Test
  void disablingOneCaLeavesTheTenantsOtherCaServing() {
    RegistrySnapshot snapshot = registry(List.of(acme), List.of(ca(acmeCa, acme, TenantStatus.DISABLED),
        ca(acmeLooseCa, acme, TenantStatus.ACTIVE)), List.of());
    String cn = "agent-002.acme.serviceradar";
    X509Certificate other = leaf(acmeLooseCa, cn).dnsNames(cn).build().certificate();
    assertEquals("agent-002", accepted(resolve(snapshot, other, acmeLooseCa.certificate())).componentId());
    assertRefused(Failure.CA_DISABLED, "acme", resolve(snapshot, acmeAgent.certificate(), acmeCa.certificate()));
  }

  @ParameterizedTest
  @EnumSource(value = TenantStatus.class, names = {"SUSPENDED", "DISABLED"})
  void inactiveTenantIsTenantSuspended(TenantStatus status) {
    Tenant inactive = new Tenant(acme.id(), "acme", "Acme", status);
    RegistrySnapshot snapshot = registry(List.of(inactive, globex),
        List.of(ca(acmeCa, inactive, TenantStatus.ACTIVE), ca(globexCa, globex, TenantStatus.ACTIVE)), List.of());
    assertRefused(Failure.TENANT_SUSPENDED, "acme", resolve(snapshot, acmeAgent.certificate(), acmeCa.certificate()));
  }

  // ---- REVOKED ---------------------------------------------------------------------------

  static Stream<Arguments> revokedEntryForms() {
    UnaryOperator<String> colons = hex -> {
      String even = hex.length() % 2 == 0 ? "00" + hex : "0" + hex;
      return String.join(":", even.toUpperCase(Locale.ROOT).split("(?<=\\G..)"));
    };
    return Stream.of(
        Arguments.of("as the gateway writes it", (UnaryOperator<String>) hex -> hex),
        Arguments.of("uppercase", (UnaryOperator<String>) hex -> hex.toUpperCase(Locale.ROOT)),
        Arguments.of("leading zeros", (UnaryOperator<String>) hex -> "000" + hex),
        Arguments.of("openssl colons", colons),
        Arguments.of("surrounding blanks", (UnaryOperator<String>) hex -> " " + hex + " "));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("revokedEntryForms")
  void revokedSerialIsRefusedWhateverFormTheEntryHas(String form, UnaryOperator<String> write) {
    String cn = "agent-009.acme.serviceradar";
    X509Certificate leaf = leaf(acmeCa, cn).dnsNames(cn).serial(HIGH_BIT_SERIAL).build().certificate();
    String entry = write.apply(HIGH_BIT_SERIAL.toString(16));
    RegistrySnapshot snapshot = registry(List.of(acme), List.of(ca(acmeCa, acme, TenantStatus.ACTIVE)), List.of(entry));

    assertRefused(Failure.REVOKED, "acme", resolve(snapshot, leaf, acmeCa.certificate()));
  }

  @Test
  void revokingAnotherSerialChangesNothing() {
    String other = acmeAgent.certificate().getSerialNumber().add(BigInteger.ONE).toString(16);
    RegistrySnapshot snapshot = registry(List.of(acme), List.of(ca(acmeCa, acme, TenantStatus.ACTIVE)), List.of(other));
    accepted(resolve(snapshot, acmeAgent.certificate(), acmeCa.certificate()));
  }

  @Test
  void colonFormOfTheHighBitSerialIsWhatOpensslPrints() {
    // sanity check of the fixture: DER adds a 00 byte in front of a serial whose top bit is set
    String colons = "00:F3:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F";
    RegistrySnapshot snapshot = registry(List.of(acme), List.of(ca(acmeCa, acme, TenantStatus.ACTIVE)),
        List.of(colons));
    assertTrue(snapshot.isRevoked(HIGH_BIT_SERIAL.toString(16)));
  }

  // ---- BAD_CN ----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "agent-001.acme.example",
      "acme.serviceradar",
      "serviceradar",
      "a.b.c.acme.serviceradar",
      "agent..acme.serviceradar",
      "agent-001.ACME.serviceradar",
      "agent 001.acme.serviceradar",
      "agent-001.acme.serviceradar.evil.com",
      "-agent.acme.serviceradar",
  })
  void cnOfAnotherShapeIsBadCn(String cn) {
    X509Certificate leaf = leaf(acmeCa, cn).build().certificate();
    assertRefused(Failure.BAD_CN, "acme", resolve(leaf, acmeCa.certificate()));
  }

  @Test
  void subjectWithTwoCnsIsBadCn() {
    X509Certificate leaf = CertificateBuilder.create()
        .subject(new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, "agent-001.acme.serviceradar")
            .addRDN(BCStyle.CN, "agent-002.acme.serviceradar").build())
        .issuedBy(acmeCa).keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertRefused(Failure.BAD_CN, "acme", resolve(leaf, acmeCa.certificate()));
  }

  @Test
  void multiValuedRdnWithTwoCnsIsBadCn() {
    X509Certificate leaf = CertificateBuilder.create()
        .subject(new X500NameBuilder(BCStyle.INSTANCE).addMultiValuedRDN(
            new ASN1ObjectIdentifier[] {BCStyle.CN, BCStyle.CN},
            new String[] {"agent-001.acme.serviceradar", "agent-002.acme.serviceradar"}).build())
        .issuedBy(acmeCa).keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertRefused(Failure.BAD_CN, "acme", resolve(leaf, acmeCa.certificate()));
  }

  @Test
  void subjectWithoutCnIsBadCn() {
    X509Certificate leaf = CertificateBuilder.create()
        .subject(new X500Name("O=Acme"))
        .dnsNames("agent-001.acme.serviceradar")
        .issuedBy(acmeCa).keyUsage(KeyUsage.digitalSignature).clientAuth().build().certificate();
    assertRefused(Failure.BAD_CN, "acme", resolve(leaf, acmeCa.certificate()));
  }

  @Test
  void singleCnReadsExactlyOneCommonName() {
    assertEquals("a.b.c", IdentityResolver.singleCn("CN=a.b.c"));
    assertEquals("a.b.c", IdentityResolver.singleCn("O=Acme,CN=a.b.c,C=DE"));
    assertEquals("a.b.c", IdentityResolver.singleCn("cn=a.b.c"));
    assertNull(IdentityResolver.singleCn("O=Acme"));
    assertNull(IdentityResolver.singleCn("CN=a,CN=b"));
    assertNull(IdentityResolver.singleCn(""));
    assertNull(IdentityResolver.singleCn("not a distinguished name"));
  }

  // ---- TENANT_MISMATCH -------------------------------------------------------------------

  @Test
  void caWithoutNameConstraintsCannotSpeakForAnotherTenant() {
    X509Certificate forged = Pki.issueComponent(acmeLooseCa, ComponentCertSpec.of("agent-001", "globex"))
        .certificate();
    assertRefused(Failure.TENANT_MISMATCH, "acme", resolve(forged, acmeLooseCa.certificate()));
    assertRefused(Failure.TENANT_MISMATCH, "acme", resolve(forged));
  }

  @Test
  void fourPartCnNamingAnotherTenantIsTenantMismatch() {
    String cn = "agent-001.acme.globex.serviceradar";
    X509Certificate forged = leaf(acmeLooseCa, cn).dnsNames(cn).build().certificate();
    assertRefused(Failure.TENANT_MISMATCH, "acme", resolve(forged, acmeLooseCa.certificate()));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "agent-001.globex.serviceradar",
      "agent-001.xacme.serviceradar",
      "agent-001.acme.serviceradar.evil.com",
      "evil.example.com",
      "serviceradar",
  })
  void dnsSanOutsideTheTenantsDomainIsTenantMismatch(String san) {
    String cn = "agent-001.acme.serviceradar";
    X509Certificate leaf = leaf(acmeLooseCa, cn).dnsNames(cn, san).build().certificate();
    assertRefused(Failure.TENANT_MISMATCH, "acme", resolve(leaf, acmeLooseCa.certificate()));
  }

  @Test
  void severalDnsSansWithinTheTenantAreFine() {
    String cn = "agent-001.acme.serviceradar";
    X509Certificate leaf = leaf(acmeLooseCa, cn).dnsNames(cn, "agent-001.site-1.acme.serviceradar").build()
        .certificate();
    accepted(resolve(leaf, acmeLooseCa.certificate()));
  }

  // ---- SPIFFE_MISMATCH -------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {
      "spiffe://serviceradar.local/agent/globex/default/agent-001",
      "spiffe://serviceradar.local/agent/acme/site-1/agent-001",
      "spiffe://serviceradar.local/agent/acme/default/agent-002",
      "spiffe://other.local/agent/acme/default/agent-001",
      "spiffe://serviceradar.local/robot/acme/default/agent-001",
      "spiffe://serviceradar.local/agent/acme/default",
      "spiffe://serviceradar.local/agent/acme/default/agent-001/x",
  })
  void spiffeSanThatDisagreesWithTheCnIsSpiffeMismatch(String spiffe) {
    String cn = "agent-001.acme.serviceradar";
    X509Certificate leaf = leaf(acmeCa, cn).dnsNames(cn).uris(spiffe).build().certificate();
    assertRefused(Failure.SPIFFE_MISMATCH, "acme", resolve(leaf, acmeCa.certificate()));
  }

  @Test
  void twoSpiffeSansAreSpiffeMismatchEvenWhenBothAgree() {
    String cn = "agent-001.acme.serviceradar";
    X509Certificate leaf = leaf(acmeCa, cn).dnsNames(cn).uris(
        "spiffe://serviceradar.local/agent/acme/default/agent-001",
        "spiffe://serviceradar.local/poller/acme/default/agent-001").build().certificate();
    assertRefused(Failure.SPIFFE_MISMATCH, "acme", resolve(leaf, acmeCa.certificate()));
  }

  // ---- PINNED_TENANT ---------------------------------------------------------------------

  @Test
  void listenerPinnedToOtherTenantsRefusesWithPinnedTenant() {
    IdentityResolver pinned = new IdentityResolver(IdentityConfig.defaults(), List.of("globex"));
    assertRefused(Failure.PINNED_TENANT, "acme",
        pinned.resolve(List.of(acmeAgent.certificate(), acmeCa.certificate()), trust, standard()));
  }

  @Test
  void listenerPinnedToTheTenantAccepts() {
    IdentityResolver pinned = new IdentityResolver(IdentityConfig.defaults(), List.of("globex", "acme"));
    accepted(pinned.resolve(List.of(acmeAgent.certificate(), acmeCa.certificate()), trust, standard()));
  }

  // ---- presented once, resolved on every registry change --------------------------------

  @Test
  void aChainPresentedOnceIsResolvedAgainstEachNewSnapshot() {
    List<X509Certificate> chain = List.of(acmeAgent.certificate(), acmeCa.certificate());
    PresentedChain presented = resolver.present(chain, trust);
    ClientIdentity id = accepted(resolver.resolve(presented, standard()));
    assertEquals(accepted(resolver.resolve(chain, trust, standard())), id);
    assertEquals(Math.min(acmeAgent.certificate().getNotAfter().getTime(), acmeCa.certificate().getNotAfter().getTime()),
        presented.notAfterMillis());

    assertRefused(Failure.REVOKED, "acme", resolver.resolve(presented, registry(List.of(acme, globex),
        List.of(ca(acmeCa, acme, TenantStatus.ACTIVE)), List.of(id.serialHex()))));
    Tenant suspended = new Tenant(acme.id(), "acme", "Acme", TenantStatus.SUSPENDED);
    assertRefused(Failure.TENANT_SUSPENDED, "acme", resolver.resolve(presented, registry(List.of(suspended),
        List.of(ca(acmeCa, suspended, TenantStatus.ACTIVE)), List.of())));
    assertRefused(Failure.CA_DISABLED, "acme", resolver.resolve(presented, registry(List.of(acme),
        List.of(ca(acmeCa, acme, TenantStatus.DISABLED)), List.of())));
    assertRefused(Failure.UNKNOWN_CA, null, resolver.resolve(presented, RegistrySnapshot.empty()));
    assertEquals(id, accepted(resolver.resolve(presented, standard())));
  }

  @Test
  void aLeafOnlyChainIsCompletedFromTheRegistryOnEachResolution() {
    PresentedChain presented = resolver.present(List.of(acmeAgent.certificate()), trust);
    accepted(resolver.resolve(presented, standard()));
    assertRefused(Failure.UNKNOWN_CA, null, resolver.resolve(presented, registry(List.of(acme, globex),
        List.of(ca(globexCa, globex, TenantStatus.ACTIVE)), List.of())));
  }

  @Test
  void presentingTheEnginesLazyCertificatesLeavesThemUnparsed() throws Exception {
    // OpenSSL's session keeps these for the connection's life: whatever they parse stays with it
    var leaf = new io.netty.handler.ssl.util.LazyX509Certificate(acmeAgent.certificate().getEncoded());
    var mid = new io.netty.handler.ssl.util.LazyX509Certificate(acmeCa.certificate().getEncoded());
    PresentedChain presented = resolver.present(List.of(leaf, mid), trust);
    ClientIdentity id = accepted(resolver.resolve(presented, standard()));
    assertEquals(Fingerprints.sha256Hex(acmeAgent.certificate()), id.certSha256());
    java.lang.reflect.Field wrapped = leaf.getClass().getDeclaredField("wrapped");
    wrapped.setAccessible(true);
    assertNull(wrapped.get(leaf), "the leaf was parsed in place");
    assertNull(wrapped.get(mid), "the CA certificate was parsed in place");
  }

  @Test
  void aChainPresentedAgainIsReadOnceAndResolvesAsBefore() throws Exception {
    IdentityResolver cached = new IdentityResolver(IdentityConfig.defaults(), List.of(), 100);
    // the engine hands each connection its own copies of the same bytes
    var first = List.of(new io.netty.handler.ssl.util.LazyX509Certificate(acmeAgent.certificate().getEncoded()),
        new io.netty.handler.ssl.util.LazyX509Certificate(acmeCa.certificate().getEncoded()));
    var again = List.of(new io.netty.handler.ssl.util.LazyX509Certificate(acmeAgent.certificate().getEncoded()),
        new io.netty.handler.ssl.util.LazyX509Certificate(acmeCa.certificate().getEncoded()));
    PresentedChain presented = cached.present(first, trust);
    assertSame(presented, cached.present(again, trust));
    assertEquals(resolver.resolve(resolver.present(first, trust), standard()), cached.resolve(presented, standard()));

    assertNotSame(presented, cached.present(List.of(acmeAgent.certificate()), trust), "the leaf alone is another chain");
    CertAndKey otherAgent = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-002", "acme"));
    PresentedChain other = cached.present(List.of(otherAgent.certificate(), acmeCa.certificate()), trust);
    assertEquals("agent-002", accepted(cached.resolve(other, standard())).componentId());
    // a TLS reload brings a new trust: which certificates are roots may differ, so the chain is read again
    PlatformTrust reloaded = PlatformTrust.of(List.of(root.certificate()));
    PresentedChain underNewTrust = cached.present(again, reloaded);
    assertNotSame(presented, underNewTrust);
    assertEquals(cached.resolve(presented, standard()), cached.resolve(underNewTrust, standard()));
    // a connection still handshaking under the old trust finds its chain in the kept cache, and does not
    // put the old trust back in front of the new one
    assertSame(presented, cached.present(first, trust));
    assertSame(underNewTrust, cached.present(first, reloaded));
    assertNotSame(presented, resolver.present(first, trust), "no cache: read every time");
    assertNotSame(resolver.present(first, trust), resolver.present(first, trust));
  }

  @Test
  void aRegistryCaWhosePemIsNotTheOneItsHashNamesBindsNobody() throws Exception {
    // acme's entry keeps acme CA's stored hash and key id, with globex's PEM beside them
    io.tenantgate.tenant.RegistryFile file = io.tenantgate.tenant.RegistryFile.empty().addTenant(acme)
        .addCa(acme.id(), io.tenantgate.pki.Pem.certificates(acmeCa.certificate()), TenantStatus.ACTIVE);
    io.vertx.core.json.JsonObject doc = new io.vertx.core.json.JsonObject(file.encode());
    doc.getJsonArray("cas").getJsonObject(0).put("certificate", io.tenantgate.pki.Pem.certificates(globexCa.certificate()));
    RegistrySnapshot broken = io.tenantgate.tenant.RegistryFile.load(doc.encode(), Instant.now(), 2);
    assertNotNull(broken.caBySpki(Fingerprints.spkiSha256Hex(acmeCa.certificate())), "indexed by the stored hash");

    assertRefused(Failure.UNKNOWN_CA, null, resolve(broken, acmeAgent.certificate(), acmeCa.certificate()));
    assertRefused(Failure.UNKNOWN_CA, null, resolve(broken, acmeAgent.certificate()));
    PresentedChain leafOnly = resolver.present(List.of(acmeAgent.certificate()), trust);
    assertFalse(resolver.withinValidity(leafOnly, broken, System.currentTimeMillis()));
    assertTrue(resolver.withinValidity(leafOnly, standard(), System.currentTimeMillis()));
  }

  @Test
  void anUnparseableEncodingIsNoClientCert() throws Exception {
    var garbage = new io.netty.handler.ssl.util.LazyX509Certificate(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01});
    assertRefused(Failure.NO_CLIENT_CERT, null, resolver.resolve(resolver.present(List.of(garbage), trust), standard()));
  }
}
