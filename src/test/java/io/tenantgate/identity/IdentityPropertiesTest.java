package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.IdentityConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.ComponentTypes;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.Names;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantCa;
import io.tenantgate.tenant.TenantStatus;
import io.tenantgate.testing.FuzzTries;
import io.tenantgate.testing.Hostile;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.ValidNames;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Example;
import net.jqwik.api.Disabled;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERT61String;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * CN/SAN parsing and the resolver on generated input. Whatever a subject, CN, DNS SAN or SPIFFE URI
 * holds: parsing never throws; a parsed CN names as its tenant the label right before the trust
 * domain, and nothing else; a resolved identity always belongs to the tenant the issuing CA is
 * registered to, with valid names and every DNS SAN inside that tenant's namespace; a refusal is one
 * of the identity reasons of the closed vocabulary.
 */
@AddLifecycleHook(FuzzTries.class)
class IdentityPropertiesTest {
  private static final String TD = TestPki.TD;
  /** The refusals a chain that passed the handshake can still get from the resolver's CN/SAN rules. */
  private static final Set<Failure> NAME_REFUSALS = Set.of(Failure.BAD_CN, Failure.TENANT_MISMATCH,
      Failure.SPIFFE_MISMATCH);
  private static final TestPki PKI = TestPki.get();
  private static final String SAN_OID = "2.5.29.17";
  private static final PublicKey LEAF_KEY = KeyAlgorithm.EC_P256.generate().getPublic();
  private static final RegistrySnapshot SNAPSHOT = new RegistrySnapshot(
      List.of(new Tenant(TestPki.ACME_ID, "acme", "Acme", TenantStatus.ACTIVE),
          new Tenant(TestPki.GLOBEX_ID, "globex", "Globex", TenantStatus.ACTIVE)),
      List.of(ca(PKI.acmeLegacyCa, TestPki.ACME_ID), ca(PKI.globexCa, TestPki.GLOBEX_ID)), List.of(), Instant.now(), 1);
  private static final PlatformTrust TRUST = PlatformTrust.of(List.of(PKI.root.certificate()));
  private final IdentityResolver resolver = new IdentityResolver(IdentityConfig.defaults(), List.of());

  private static TenantCa ca(CertAndKey ca, java.util.UUID tenant) {
    X509Certificate c = ca.certificate();
    return new TenantCa(Fingerprints.spkiSha256Hex(c), tenant, TenantStatus.ACTIVE, c, KeyIdentifiers.subjectKeyId(c));
  }

  // --- ComponentName ------------------------------------------------------------------------------

  @Property(tries = 2000)
  void aParsedCnNamesTheLabelBeforeTheTrustDomainAsItsTenant(@ForAll("cns") String cn) {
    ComponentName n = ComponentName.parse(cn, TD);
    if (n == null) {
      return;
    }
    assertTrue(cn.endsWith("." + n.tenantSlug() + "." + TD), cn);
    String[] labels = cn.split("\\.", -1);
    assertEquals(n.tenantSlug(), labels[labels.length - 2], cn);
    assertTrue(Names.isSlug(n.tenantSlug()) && Names.isId(n.componentId()) && Names.isId(n.partitionId()), cn);
    assertEquals(n, ComponentName.parse(n.toCn(TD), TD), "the canonical CN parses to the same name: " + cn);
    assertTrue(cn.length() <= ComponentName.MAX_LENGTH, cn);
  }

  @Property(tries = 1500)
  void everyWellFormedComponentNameRoundTrips(@ForAll("ids") String component, @ForAll("ids") String partition,
      @ForAll("slugs") String slug) {
    ComponentName n = new ComponentName(component, partition, slug);
    String cn = n.toCn(TD);
    ComponentName parsed = ComponentName.parse(cn, TD);
    if (cn.length() > ComponentName.MAX_LENGTH) {
      assertEquals(null, parsed, "longer than a DNS name: " + cn.length());
      return;
    }
    assertEquals(n, parsed, cn);
    assertEquals(null, ComponentName.parse(cn, "serviceradar.evil"), cn);
    assertEquals(null, ComponentName.parse(cn + ".evil", TD), cn);
  }

  // --- SpiffeId and the CN of a DN ------------------------------------------------------------------

  @Property(tries = 2000)
  void aParsedSpiffeIdIsExactlyItsUri(@ForAll("spiffes") String uri) {
    SpiffeId id = SpiffeId.parse(uri);
    if (id == null) {
      return;
    }
    assertEquals(uri, id.uri());
    assertTrue(ComponentTypes.isKnown(id.componentType()) && Names.isSlug(id.tenantSlug())
        && Names.isId(id.partitionId()) && Names.isId(id.componentId()), uri);
  }

  @Property(tries = 1000)
  void theCnOfAnyCertificateSubjectIsReadWithoutThrowing(@ForAll("subjects") X500Name subject) throws Exception {
    String dn = new X500Principal(subject.getEncoded()).getName(X500Principal.RFC2253);
    String cn = IdentityResolver.singleCn(dn);
    if (cn != null) {
      assertTrue(dn.contains("CN="), dn);
    }
  }

  // --- the resolver on real certificates -------------------------------------------------------------

  @Property(tries = 200)
  void aResolvedIdentityAlwaysBelongsToTheIssuingCasTenant(@ForAll("issuers") String issuerSlug,
      @ForAll("subjects") X500Name subject, @ForAll("dnsSans") List<String> dnsSans,
      @ForAll("spiffeSans") List<String> uris) throws Exception {
    CertAndKey issuer = issuerSlug.equals("acme") ? PKI.acmeLegacyCa : PKI.globexCa;
    X509Certificate leaf = CertificateBuilder.create().subject(subject).publicKey(LEAF_KEY).issuedBy(issuer)
        .keyUsage(KeyUsage.digitalSignature).clientAuth().dnsNames(dnsSans.toArray(new String[0]))
        .uris(uris.toArray(new String[0])).build().certificate();
    // SAN extensions the JDK cannot parse are the subject of the disabled test below
    Assume.that(leaf.getExtensionValue(SAN_OID) == null || leaf.getSubjectAlternativeNames() != null);

    Resolution r = resolver.resolve(List.of(leaf, issuer.certificate()), TRUST, SNAPSHOT);

    assertNotNull(r);
    assertEquals(issuerSlug, r.tenantSlug(), "a recognised CA always attributes the refusal or identity to its tenant");
    if (!r.isAccepted()) {
      assertTrue(NAME_REFUSALS.contains(r.failure()), "refused with " + r.failure());
      assertTrue(r.failure().isIdentityRefusal());
      return;
    }
    ClientIdentity id = r.identity();
    assertEquals(issuerSlug, id.tenantSlug());
    String subjectDn = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
    assertEquals(new ComponentName(id.componentId(), id.partitionId(), id.tenantSlug()),
        ComponentName.parse(IdentityResolver.singleCn(subjectDn), TD));
    for (String d : dnsSans) {
      assertTrue(d.endsWith("." + issuerSlug + "." + TD), "DNS SAN outside the tenant: " + d);
    }
    assertTrue(ComponentTypes.isKnown(id.componentType()), id.componentType());
    assertTrue(id.headers().stream().anyMatch(h -> h.getKey().equals(IdentityHeaders.TENANT_SLUG)
        && h.getValue().equals(issuerSlug)));
  }

  /**
   * A tenant CA (here acme's, stolen) signs a leaf whose SAN extension holds another tenant's DNS name
   * plus one URI the JDK cannot parse ({@code spiffe://}). The JDK then drops the whole SAN extension:
   * {@code getSubjectAlternativeNames()} returns null, so neither PKIX name constraints nor the
   * resolver's "every DNS SAN inside the tenant" rule ever see {@code x.globex.serviceradar}.
   */
  @Example
  void aSanExtensionTheJdkCannotParseIsRefusedNotIgnored() throws Exception {
    X509Certificate leaf = CertificateBuilder.create().subjectCn("agent-1.acme." + TD).publicKey(LEAF_KEY)
        .issuedBy(PKI.acmeLegacyCa).keyUsage(KeyUsage.digitalSignature).clientAuth()
        .dnsNames("agent-1.acme." + TD, "agent-1.globex." + TD).uris("spiffe://").build().certificate();
    assertNotNull(leaf.getExtensionValue(SAN_OID), "the certificate carries a SAN extension");
    assertEquals(null, leaf.getSubjectAlternativeNames(), "which the JDK cannot parse");

    Resolution r = resolver.resolve(List.of(leaf, PKI.acmeLegacyCa.certificate()), TRUST, SNAPSHOT);

    assertFalse(r.isAccepted(), "accepted as " + r.identity());
  }

  // --- generators ---------------------------------------------------------------------------------

  /** Hostile strings, and near-valid names under (or almost under) the trust domain. */
  @Provide
  Arbitrary<String> cns() {
    return Arbitraries.oneOf(Hostile.strings(), Hostile.nearlyValid().map(s -> s + "." + TD),
        Hostile.nearlyValid().map(s -> s + ".serviceradar."), Hostile.joined("." + TD + "."));
  }

  @Provide
  Arbitrary<String> spiffes() {
    Arbitrary<String> segment = Arbitraries.oneOf(Hostile.nearlyValid(), Arbitraries.of("agent", "collector",
        "acme", "default", "agent-001", "", "..", "%2e"));
    return Arbitraries.oneOf(Hostile.strings(), Hostile.strings().map(s -> "spiffe://" + s),
        segment.list().ofMinSize(1).ofMaxSize(7).map(l -> "spiffe://" + String.join("/", l)));
  }

  /** BouncyCastle cannot UTF-8-encode an unpaired surrogate; the JDK's encoder turns it into '?'. */
  private static String wellFormed(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  @Provide
  Arbitrary<String> issuers() {
    return Arbitraries.of("acme", "globex");
  }

  /**
   * One or more CN RDNs (sometimes multi-valued, sometimes with an O), values near-valid or hostile, of
   * any length and in any ASN.1 string type, or not a string at all: what a CA that ignores RFC 5280
   * could sign.
   */
  @Provide
  Arbitrary<X500Name> subjects() {
    Arbitrary<String> text = Arbitraries.oneOf(
        Combinators.combine(ValidNames.ids(), Arbitraries.of("acme", "globex", "initech", "ACME"))
            .as((c, t) -> c + "." + t + "." + TD),
        Combinators.combine(ValidNames.ids(), ValidNames.ids(), Arbitraries.of("acme", "globex"))
            .as((c, p, t) -> c + "." + p + "." + t + "." + TD),
        cns(), cns().map(v -> "#" + v), Arbitraries.of("#0c0141", "#zz", "\\", "CN=x", "x,CN=a.acme." + TD));
    Arbitrary<ASN1Encodable> value = Combinators.combine(text, Arbitraries.integers().between(0, 9)).as((v, kind) ->
        switch (kind) {
          case 0 -> new DERPrintableString(v, false);
          case 1 -> new DERIA5String(v.replaceAll("[^\\x00-\\x7f]", "?"));
          case 2 -> new DERBMPString(v);
          case 3 -> new DERT61String(v);
          case 4 -> new DEROctetString(v.getBytes(StandardCharsets.UTF_8));
          case 5 -> new ASN1Integer(v.length());
          default -> new DERUTF8String(wellFormed(v));
        });
    return Combinators.combine(value.list().ofMinSize(1).ofMaxSize(3), Arbitraries.integers().between(0, 3),
        Hostile.visibleAscii(20).filter(s -> !s.isEmpty())).as((cns, shape, org) -> {
          X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
          if (shape == 1) {
            b.addRDN(BCStyle.O, new DERUTF8String(org));
          }
          if (shape == 2) {
            b.addMultiValuedRDN(new AttributeTypeAndValue[] {new AttributeTypeAndValue(BCStyle.CN, cns.get(0)),
                new AttributeTypeAndValue(BCStyle.O, new DERUTF8String(org))});
          } else {
            cns.forEach(v -> b.addRDN(BCStyle.CN, v));
          }
          return b.build();
        });
  }

  /** DNS SANs (IA5: ASCII only): in the tenant's namespace, another tenant's, or anything. */
  @Provide
  Arbitrary<List<String>> dnsSans() {
    Arbitrary<String> san = Arbitraries.oneOf(
        ValidNames.ids().map(c -> c + ".acme." + TD), ValidNames.ids().map(c -> c + ".globex." + TD),
        Arbitraries.of("acme." + TD, "x.acme." + TD + ".evil", "*.acme." + TD, "x.acme." + TD.toUpperCase()),
        Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('.', '-').ofMinLength(1).ofMaxLength(60),
        Hostile.visibleAscii(60));
    return san.list().ofMaxSize(3);
  }

  @Provide
  Arbitrary<List<String>> spiffeSans() {
    Arbitrary<String> uri = Combinators.combine(Arbitraries.of("agent", "collector", "poller", "nope"),
        Arbitraries.of("acme", "globex"), Arbitraries.of("default", "site-1"), ValidNames.ids(),
        Arbitraries.of("serviceradar.local", "evil.local"))
        .as((type, slug, part, comp, td) -> "spiffe://" + td + "/" + type + "/" + slug + "/" + part + "/" + comp);
    return Arbitraries.oneOf(uri, Hostile.visibleAscii(40).map(s -> "spiffe://" + s.replace(" ", "")))
        .list().ofMaxSize(2);
  }

  @Provide
  Arbitrary<String> ids() {
    return ValidNames.ids();
  }

  @Provide
  Arbitrary<String> slugs() {
    return ValidNames.slugs();
  }
}
