package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tenantgate.error.Failure;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistrySnapshot;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Chains validated once are remembered for their bytes and trust; time, forgeries and new trust are never skipped. */
class VerifiedChainsTest {
  private static final KeyAlgorithm EC = KeyAlgorithm.EC_P256;
  private static CertAndKey root;
  private static CertAndKey acmeCa;
  private static CertAndKey leaf;
  private static PlatformTrust trust;
  private static final RegistrySnapshot EMPTY = new RegistrySnapshot(List.of(), List.of(), List.of(), Instant.now(), 1);

  private LongAdder hits;
  private LongAdder misses;
  private VerifiedChains cache;

  @BeforeAll
  static void pki() {
    root = Pki.createRoot("cache test root", Duration.ofDays(30), EC);
    acmeCa = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(30), EC);
    leaf = Pki.issueComponent(acmeCa, ComponentCertSpec.of("agent-001", "acme"));
    trust = PlatformTrust.of(List.of(root.certificate()));
  }

  @BeforeEach
  void fresh() {
    hits = new LongAdder();
    misses = new LongAdder();
    cache = VerifiedChains.of(trust, 100, hits, misses);
  }

  private Failure verify(Date now, X509Certificate... chain) {
    return ChainVerifier.verify(List.of(chain), trust, EMPTY, now, cache);
  }

  @Test
  void aChainValidatedOnceIsFoundTheSecondTime() {
    assertNull(verify(new Date(), leaf.certificate(), acmeCa.certificate()));
    assertNull(verify(new Date(), leaf.certificate(), acmeCa.certificate()));
    assertEquals(1, hits.sum());
    assertEquals(1, misses.sum());
  }

  @Test
  void aForgeryOfACachedLeafIsValidatedAndRefused() {
    assertNull(verify(new Date(), leaf.certificate(), acmeCa.certificate()));
    // same names, same issuer name, but signed by a key that is not the tenant CA's
    CertAndKey impostorCa = CertificateBuilder.create().subject(new org.bouncycastle.asn1.x500.X500Name(
            acmeCa.certificate().getSubjectX500Principal().getName())).keyAlgorithm(EC).issuedBy(root).ca(0)
        .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).build();
    X509Certificate forged = CertificateBuilder.create().subjectCn("agent-001.acme.serviceradar").issuedBy(impostorCa)
        .keyUsage(KeyUsage.digitalSignature).clientAuth().dnsNames("agent-001.acme.serviceradar").build().certificate();
    assertNotNull(verify(new Date(), forged, acmeCa.certificate()));
    assertEquals(0, hits.sum());
  }

  @Test
  void aCachedChainWhoseCaExpiredIsValidatedAgainAndRefused() {
    Instant now = Instant.now();
    CertAndKey shortCa = CertificateBuilder.create().subjectCn("tenant-acme.ca.serviceradar").keyAlgorithm(EC)
        .issuedBy(root).ca(0).keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
        .validity(now.minusSeconds(60), now.plus(Duration.ofDays(1))).build();
    X509Certificate longLeaf = CertificateBuilder.create().subjectCn("agent-9.acme.serviceradar").issuedBy(shortCa)
        .validity(now.minusSeconds(60), now.plus(Duration.ofDays(10))).keyUsage(KeyUsage.digitalSignature)
        .clientAuth().dnsNames("agent-9.acme.serviceradar").build().certificate();
    assertNull(verify(new Date(), longLeaf, shortCa.certificate()));
    Date afterCa = Date.from(now.plus(Duration.ofDays(2)));
    assertEquals(Failure.EXPIRED, verify(afterCa, longLeaf, shortCa.certificate()));
    assertEquals(0, hits.sum(), "outside the remembered window the cache does not answer");
  }

  @Test
  void refusalsAreNeverRemembered() {
    CertAndKey strangerRoot = Pki.createRoot("stranger", Duration.ofDays(30), EC);
    CertAndKey strangerCa = Pki.createTenantCa(strangerRoot, "acme", "serviceradar", Duration.ofDays(30), EC);
    CertAndKey strangerLeaf = Pki.issueComponent(strangerCa, ComponentCertSpec.of("agent-001", "acme"));
    for (int i = 0; i < 3; i++) {
      assertNotNull(verify(new Date(), strangerLeaf.certificate(), strangerCa.certificate()));
    }
    assertEquals(0, hits.sum());
    assertEquals(0, cache.size());
  }

  @Test
  void aNewTrustStartsEmpty() {
    assertNull(verify(new Date(), leaf.certificate(), acmeCa.certificate()));
    PlatformTrust other = PlatformTrust.of(List.of(Pki.createRoot("another root", Duration.ofDays(30), EC).certificate()));
    // the remembered chain was validated under the old roots: under the new ones it must fail PKIX
    assertEquals(Failure.UNKNOWN_CA, ChainVerifier.verify(List.of(leaf.certificate(), acmeCa.certificate()), other,
        EMPTY, new Date(), cache));
    assertEquals(0, hits.sum());
  }

  @Test
  void sizeZeroTurnsTheCacheOff() {
    assertNull(VerifiedChains.of(trust, 0, hits, misses));
  }
}
