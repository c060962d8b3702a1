package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.RawTls;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Client certificates built to hurt: chains dozens of CAs deep, a certificate of a megabyte, thousands
 * of SANs, and a SAN extension shaped to be skipped. Each is refused in the handshake (or, for names,
 * before a request reaches core), the gateway's heap stays where it was, and a bystander is served.
 */
class CertificateAbuseIT {
  private static final String TD = TestPki.TD;
  private static Vertx vertx;
  private static GatewayFixture gw;
  private static TestPki pki;
  private static ClientCert bystander;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    gw = GatewayFixture.start(vertx);
    pki = gw.pki;
    bystander = pki.component(pki.globexCa, "agent-cert-bystander", "globex");
  }

  @AfterAll
  static void stop() {
    gw.close();
    Await.result(vertx.close());
  }

  @BeforeEach
  void clearCore() {
    gw.core.clear();
  }

  /** Leaf + 40 CAs, each signed by the next, the last by acme's tenant CA: refused, never a request. */
  @Test
  void aChainFortyCasDeepIsRefusedInTheHandshake() throws Exception {
    List<CertAndKey> cas = new ArrayList<>();
    CertAndKey issuer = pki.acmeLegacyCa;
    for (int i = 0; i < 40; i++) {
      issuer = CertificateBuilder.create().subjectCn("deep-" + i + ".ca.acme." + TD).issuedBy(issuer).ca(null)
          .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).build();
      cas.add(0, issuer);
    }
    CertAndKey leaf = TestPki.leafBuilder(CertificateBuilder.create().issuedBy(issuer).keyAlgorithm(KeyAlgorithm.EC_P256),
        "agent-deep.acme." + TD).build();
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf.certificate());
    cas.forEach(c -> chain.add(c.certificate()));
    chain.add(pki.acmeLegacyCa.certificate());
    assertRefusedInHandshake(chain, leaf, "deep chain");
  }

  /** A leaf carrying a 1 MiB extension, from acme's tenant CA: refused before it costs memory. */
  @Test
  void aOneMegabyteCertificateIsRefusedInTheHandshake() throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    X509Certificate leaf = leaf(pki.acmeLegacyCa, "agent-huge.acme." + TD, keys, List.of("agent-huge.acme." + TD),
        new byte[1024 * 1024]);
    assertRefusedInHandshake(List.of(leaf, pki.acmeLegacyCa.certificate()), new CertAndKey(leaf, keys.getPrivate()),
        "1 MiB certificate");
  }

  /** 5,000 DNS SANs, every one inside acme's namespace (about 150 KB): refused before it costs memory. */
  @Test
  void aCertificateWithFiveThousandSansIsRefusedInTheHandshake() throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    List<String> sans = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      sans.add("agent-" + i + ".acme." + TD);
    }
    X509Certificate leaf = leaf(pki.acmeLegacyCa, "agent-0.acme." + TD, keys, sans, null);
    assertRefusedInHandshake(List.of(leaf, pki.acmeLegacyCa.certificate()), new CertAndKey(leaf, keys.getPrivate()),
        "5,000 SANs");
  }

  /**
   * A stolen acme CA signs a leaf naming a globex DNS SAN next to a URI SAN the JDK cannot parse
   * ({@code spiffe://}). The JDK then ignores the whole SAN extension — in PKIX (so acme's name
   * constraints never see the globex name) and in the resolver — and the connection is accepted.
   */
  @Test
  void aForeignDnsSanHiddenBehindAnUnparseableUriIsRefused() throws Exception {
    KeyPair keys = KeyAlgorithm.EC_P256.generate();
    X509Certificate leaf = leaf(pki.acmeCa, "agent-hidden.acme." + TD, keys,
        List.of("agent-hidden.acme." + TD, "agent-hidden.globex." + TD), null, "spiffe://");
    assertEquals(null, leaf.getSubjectAlternativeNames(), "the JDK cannot parse this SAN extension");
    String reply = RawTls.presenting(pki, List.of(leaf, pki.acmeCa.certificate()), keys.getPrivate())
        .exchange(gw.edgePort(), "GET /hidden-san HTTP/1.1\r\nHost: localhost\r\n\r\n", 2_000);
    assertFalse(reply.startsWith("HTTP/1.1 200"), "accepted:\n" + reply);
    assertEquals(0, gw.core.count(), "core saw " + gw.core.seen());
  }

  // --- helpers ---------------------------------------------------------------------------------------

  private static void assertRefusedInHandshake(List<X509Certificate> chain, CertAndKey leaf, String what) throws Exception {
    double before = refusalsTotal();
    long heapBefore = Http2AbuseIT.usedHeapAfterGc();
    int bytes = chain.stream().mapToInt(c -> {
      try {
        return c.getEncoded().length;
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }).sum();
    long t0 = System.nanoTime();
    String reply;
    try (SSLSocket s = RawTls.presenting(pki, chain, leaf.privateKey()).connect(gw.edgePort(), "http/1.1")) {
      s.getOutputStream().write("GET /abusive-cert HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      reply = readAll(s.getInputStream());
    } catch (IOException e) {
      reply = "";
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long heapAfter = Http2AbuseIT.usedHeapAfterGc();
    System.out.printf("%s (%d certificates, %d bytes): refused in %d ms, refusals +%.0f, heap %d -> %d MiB%n", what,
        chain.size(), bytes, ms, refusalsTotal() - before, heapBefore >> 20, heapAfter >> 20);
    assertFalse(reply.startsWith("HTTP/"), what + " got an HTTP answer:\n" + reply);
    assertEquals(0, gw.core.count(), "core saw " + gw.core.seen());
    assertTrue(heapAfter - heapBefore < 64L << 20, "heap grew by " + ((heapAfter - heapBefore) >> 20) + " MiB");
    assertEquals(200, get(gw.h1(bystander), "/bystander").status());
    Await.until(() -> refusalsTotal() > before, Duration.ofSeconds(5), what + " counted as a refusal");
  }

  private static String readAll(InputStream in) {
    StringBuilder out = new StringBuilder();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      // the alert or the close
    }
    return out.toString();
  }

  private static double refusalsTotal() {
    return gw.gateway.metrics().registry().find("tenantgate.refusals").counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** A client leaf signed by {@code ca}, with DNS (and URI) SANs and an optional opaque extension of {@code filler}. */
  private static X509Certificate leaf(CertAndKey ca, String cn, KeyPair keys, List<String> dns, byte[] filler,
      String... uris) throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(),
        new BigInteger(64, new java.security.SecureRandom()).add(BigInteger.ONE), Date.from(now.minusSeconds(60)),
        Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + cn), keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    List<GeneralName> names = new ArrayList<>();
    dns.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
    for (String u : uris) {
      names.add(new GeneralName(GeneralName.uniformResourceIdentifier, u));
    }
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
    b.addExtension(Extension.authorityKeyIdentifier, false, new org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils()
        .createAuthorityKeyIdentifier(ca.certificate()));
    if (filler != null) {
      b.addExtension(new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1"), false, new DEROctetString(filler));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
        .build(ca.privateKey())));
  }
}
