package io.tenantgate.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Certificate rotation without downtime: new handshakes get the new material, nothing in flight fails. */
class TlsReloadIT {
  private Vertx vertx;
  private TestPki pki;
  private GatewayFixture gw;
  private Path certFile;
  private Path keyFile;
  private Path rootFile;
  private Path crlFile;
  private Path rootCrlFile;

  @BeforeEach
  void start() throws Exception {
    vertx = GatewayFixture.testVertx();
    pki = TestPki.get();
    Path dir = Files.createTempDirectory("tls-reload");
    certFile = dir.resolve("server.pem");
    keyFile = dir.resolve("server-key.pem");
    Files.copy(pki.serverPem(), certFile);
    Files.copy(pki.serverKeyPem(), keyFile);
    rootFile = dir.resolve("roots.pem");
    Files.copy(pki.rootPem(), rootFile);
    crlFile = dir.resolve("acme.crl.pem");
    rootCrlFile = dir.resolve("root.crl.pem");
    Instant now = Instant.now();
    Pem.write(crlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.acmeCa, List.of(), now,
        now.plus(Duration.ofDays(7)))), false);
    Pem.write(rootCrlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.root, List.of(), now,
        now.plus(Duration.ofDays(7)))), false);
    gw = GatewayFixture.start(vertx, cfg -> {
      @SuppressWarnings("unchecked")
      var tls = (Map<String, Object>) ((Map<String, Object>) cfg.get("edge")).get("tls");
      tls.put("certFile", certFile.toString());
      tls.put("keyFile", keyFile.toString());
      tls.put("clientCaFile", rootFile.toString());
      tls.put("crlFiles", List.of(crlFile.toString(), rootCrlFile.toString()));
      tls.put("reloadInterval", "200ms");
    });
  }

  @AfterEach
  void stop() {
    gw.close();
    Await.result(vertx.close());
  }

  @Test
  void replacingTheServerCertUnderLoadFailsNoRequestAndNewHandshakesPresentIt() throws Exception {
    var agent = pki.component(pki.acmeCa, "agent-reload", "acme");
    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(i % 2 == 0 ? gw.h1(agent) : gw.h2(agent));
    }
    String before = serialSeen();
    AtomicBoolean run = new AtomicBoolean(true);
    List<Future<Integer>> load = new ArrayList<>();
    for (HttpClient c : clients) {
      load.add(loop(c, run));
    }
    CertAndKey next = Pki.issueServer(pki.root, "localhost", List.of("localhost"), List.of("127.0.0.1"),
        Duration.ofDays(30), KeyAlgorithm.EC_P256);
    Pem.write(keyFile, Pem.privateKey(next.privateKey()), true);
    Pem.write(certFile, Pem.certificates(next.certificate()), false);
    String expected = Fingerprints.serialHex(next.certificate().getSerialNumber());
    Await.until(() -> expected.equals(serialSeen()), Duration.ofSeconds(5), "new certificate served");
    run.set(false);
    for (Future<Integer> f : load) {
      assertTrue(Await.result(f) > 0, "each client kept getting 200s");
    }
    assertNotEquals(before, expected);
    // the instances are updated one after the other and the reload is counted after the last: the new
    // certificate can be served by the first instance before the count moves
    Await.until(() -> gw.gateway.metrics().count("tenantgate.tls.reloads", "outcome", "applied") >= 1,
        Duration.ofSeconds(5), "reload counted");
    assertEquals(1.0, gw.gateway.metrics().count("tenantgate.tls.reloads", "outcome", "applied"));
  }

  @Test
  void aCorruptReplacementIsRejectedAndTheOldCertificateKeepsServing() throws Exception {
    var agent = pki.component(pki.acmeCa, "agent-corrupt", "acme");
    String before = serialSeen();
    Files.writeString(certFile, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    Await.until(() -> gw.gateway.metrics().count("tenantgate.tls.reloads", "outcome", "rejected") >= 1,
        Duration.ofSeconds(5), "rejection counted");
    assertEquals(before, serialSeen());
    JsonObject reply = postReload();
    assertEquals("rejected", reply.getString("outcome"));
    CertAndKey other = Pki.issueServer(pki.root, "localhost", List.of("localhost"), List.of(), Duration.ofDays(30),
        KeyAlgorithm.EC_P256);
    Pem.write(certFile, Pem.certificates(other.certificate()), false);
    assertEquals("rejected", postReload().getString("outcome"), "a key that does not match is rejected too");
    assertTrue(postReloadRaw().contains("does not match"));
    assertEquals(before, serialSeen());
  }

  @Test
  void aRejectedReloadLeavesTheTrustAnchorsAsTheyWere() throws Exception {
    CertAndKey otherRoot = Pki.createRoot("platform-root-x", Duration.ofDays(365), KeyAlgorithm.EC_P256);
    CertAndKey otherCa = Pki.createTenantCa(otherRoot, "acme", TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    gw.writeRegistry(pki.registry().addCa(TestPki.ACME_ID, Pem.certificates(otherCa.certificate()),
        io.tenantgate.tenant.TenantStatus.ACTIVE));
    var outsider = pki.component(otherCa, "agent-outsider", "acme");
    // new roots together with a server key the TLS layer cannot use: the whole reload must be refused
    var ed = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    CertAndKey edCert = io.tenantgate.pki.CertificateBuilder.create().subjectCn("localhost").dnsNames("localhost")
        .publicKey(ed.getPublic()).issuedBy(pki.root).serverAuth().build();
    Pem.write(rootFile, Pem.certificates(pki.root.certificate(), otherRoot.certificate()), false);
    Pem.write(keyFile, Pem.privateKey(ed.getPrivate()), true);
    Pem.write(certFile, Pem.certificates(edCert.certificate()), false);
    JsonObject reply = postReload();
    assertEquals("rejected", reply.getString("outcome"), reply.encode());
    assertEquals(1, gw.gateway.trustManager().trust().roots().size(), "the trust anchors did not change");
    assertTrue(Await.failure(gw.forced(outsider, true).request(HttpMethod.GET, "/x").compose(r -> r.send())) != null,
        "a client of the refused root is still refused");
  }

  @Test
  void addingANewPlatformRootAdmitsItsTenantsAndMtlsStaysRequired() throws Exception {
    CertAndKey newRoot = Pki.createRoot("platform-root-2", Duration.ofDays(365), KeyAlgorithm.EC_P256);
    CertAndKey acmeCa2 = Pki.createTenantCa(newRoot, "acme", TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    var reg = pki.registry().addCa(TestPki.ACME_ID, Pem.certificates(acmeCa2.certificate()),
        io.tenantgate.tenant.TenantStatus.ACTIVE);
    gw.writeRegistry(reg);
    var agent2 = pki.component(acmeCa2, "agent-newroot", "acme");
    Await.until(() -> gw.gateway.registry().snapshot().cas().size() == 6, Duration.ofSeconds(5), "registry");
    assertTrue(Await.failure(gw.forced(agent2, true).request(HttpMethod.GET, "/x").compose(r -> r.send())) != null,
        "unknown root refused before the reload");
    Pem.write(rootFile, Pem.certificates(pki.root.certificate(), newRoot.certificate()), false);
    assertEquals("applied", postReload().getString("outcome"));
    assertEquals(2, gw.gateway.trustManager().trust().roots().size());
    assertEquals(200, (int) Await.result(gw.forced(agent2, true).request(HttpMethod.GET, "/x")
        .compose(r -> r.send()).map(r -> r.statusCode())));
    assertEquals(200, (int) Await.result(gw.h1(pki.component(pki.acmeCa, "agent-oldroot", "acme"))
        .request(HttpMethod.GET, "/x").compose(r -> r.send()).map(r -> r.statusCode())));
    assertTrue(Await.failure(gw.anonymous().request(HttpMethod.GET, "/x").compose(r -> r.send())) != null,
        "still no entry without a client certificate");
  }

  @Test
  void crlsRevokeLeavesAndTenantCasAndReloadWithTheRestOfTheMaterial() throws Exception {
    var victim = pki.component(pki.acmeCa, "agent-crl", "acme");
    var bystander = pki.component(pki.globexCa, "agent-crl", "globex");
    Instant now = Instant.now();
    Pem.write(crlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.acmeCa,
        List.of(victim.certAndKey().certificate().getSerialNumber()), now, now.plus(Duration.ofDays(7)))), false);
    Pem.write(rootCrlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.root,
        List.of(pki.globexCa.certificate().getSerialNumber()), now, now.plus(Duration.ofDays(7)))), false);
    assertEquals("applied", postReload().getString("outcome"));
    double before = gw.refusals("revoked");
    assertTrue(Await.failure(gw.forced(victim, true).request(HttpMethod.GET, "/x").compose(r -> r.send())) != null);
    assertTrue(Await.failure(gw.forced(bystander, true).request(HttpMethod.GET, "/x").compose(r -> r.send())) != null,
        "globex's CA is on the root's CRL: all its leaves are refused");
    Await.until(() -> gw.refusals("revoked") == before + 2, Duration.ofSeconds(5), "both counted as revoked");
    assertEquals(200, (int) Await.result(gw.h1(pki.component(pki.acmeCa, "agent-ok", "acme"))
        .request(HttpMethod.GET, "/x").compose(r -> r.send()).map(r -> r.statusCode())));
    Pem.write(crlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.acmeCa, List.of(), now,
        now.plus(Duration.ofDays(7)))), false);
    Pem.write(rootCrlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(pki.root, List.of(), now,
        now.plus(Duration.ofDays(7)))), false);
    assertEquals("applied", postReload().getString("outcome"));
    assertEquals(200, (int) Await.result(gw.forced(victim, true).request(HttpMethod.GET, "/x")
        .compose(r -> r.send()).map(r -> r.statusCode())));
  }

  @Test
  void aCrlSignedByTheWrongKeyRevokesNothing() throws Exception {
    var agent = pki.component(pki.acmeCa, "agent-forged-crl", "acme");
    Instant now = Instant.now();
    // signed by globex's CA but naming acme's CA as issuer: the signature does not verify with acme's key
    var forgedIssuer = new io.tenantgate.pki.CertAndKey(pki.acmeCa.certificate(), pki.globexCa.privateKey());
    Pem.write(crlFile, io.tenantgate.pki.Crls.pem(io.tenantgate.pki.Crls.issue(forgedIssuer,
        List.of(agent.certAndKey().certificate().getSerialNumber()), now, now.plus(Duration.ofDays(7)))), false);
    assertEquals("applied", postReload().getString("outcome"));
    assertEquals(200, (int) Await.result(gw.h1(agent).request(HttpMethod.GET, "/x").compose(r -> r.send())
        .map(r -> r.statusCode())));
  }

  private Future<Integer> loop(HttpClient c, AtomicBoolean run) {
    return c.request(new RequestOptions().setURI("/load")).compose(req -> req.send()
        .compose(resp -> resp.body().map(b -> {
          assertEquals(200, resp.statusCode());
          return 1;
        })))
        .compose(one -> run.get() ? loop(c, run).map(n -> n + one) : Future.succeededFuture(one));
  }

  /**
   * Serial of the certificate the server presents on a full handshake. Every call presents a new
   * client certificate, so the client's SSL context (and its TLS session cache) is new: a resumed
   * session would report the certificate of the session it resumes.
   */
  private String serialSeen() {
    HttpClient client = gw.h1(pki.component(pki.acmeCa, "agent-probe", "acme"));
    try {
      HttpConnection conn = Await.result(client.request(new RequestOptions().setURI("/serial"))
          .compose(req -> req.send().compose(r -> r.body()).map(b -> req.connection())));
      X509Certificate cert = (X509Certificate) conn.peerCertificates().get(0);
      return Fingerprints.serialHex(cert.getSerialNumber());
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      throw new AssertionError(e);
    } finally {
      client.close();
    }
  }

  private JsonObject postReload() {
    return new JsonObject(postReloadRaw());
  }

  private String postReloadRaw() {
    var ops = vertx.createHttpClient();
    try {
      return Await.result(ops.request(HttpMethod.POST, gw.gateway.opsPort(), "127.0.0.1", "/-/reload-tls")
          .compose(r -> r.send().compose(resp -> resp.body())).map(b -> b.toString()));
    } finally {
      ops.close();
    }
  }

}
