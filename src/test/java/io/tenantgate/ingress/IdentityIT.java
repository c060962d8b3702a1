package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.ComponentCertSpec;
import static io.tenantgate.testing.Http.get;
import static io.tenantgate.testing.Http.send;
import static io.tenantgate.testing.Http.sendAsync;

import io.tenantgate.pki.Fingerprints;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.RecordingCore;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DESIGN.md section 1 end to end: real mTLS connections to the edge listener, each identity either
 * stamped on what core receives or refused with its reason, counted, and core seeing nothing.
 */
@ExtendWith(VertxExtension.class)
class IdentityIT {
  private static Vertx vertx;
  private static GatewayFixture gw;
  private static TestPki pki;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    gw = GatewayFixture.start(vertx);
    pki = gw.pki;
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

  @Test
  void acmeAgentArrivesAtCoreAsAcmeWithEveryIdentityHeader() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-001", "acme");
    Response r = get(gw.h1(agent), "/api/hello");
    assertEquals(200, r.status());
    RecordingCore.Seen seen = gw.core.last();
    assertEquals("acme", seen.header("x-tenant-slug"));
    assertEquals(TestPki.ACME_ID.toString(), seen.header("x-tenant-id"));
    assertEquals("agent-001", seen.header("x-component-id"));
    assertEquals("agent", seen.header("x-component-type"));
    assertEquals("default", seen.header("x-partition-id"));
    String sha = Fingerprints.sha256Hex(agent.certAndKey().certificate());
    assertEquals(sha, seen.header("x-client-cert-sha256"));
    assertEquals("Hash=" + sha + ";Subject=\"CN=agent-001.acme.serviceradar\";"
        + "URI=spiffe://serviceradar.local/agent/acme/default/agent-001", seen.header("x-forwarded-client-cert"));
    assertNotNull(seen.header("x-request-id"));
    assertTrue(seen.header("traceparent").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
    assertNull(seen.header("transfer-encoding"), "a GET without body must not become chunked");
  }

  @Test
  void spoofedIdentityHeadersNeverReachCore() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-002", "acme");
    RequestOptions ro = new RequestOptions().setURI("/api/spoof")
        .addHeader("X-Tenant-Slug", "globex").addHeader("x-tenant-id", TestPki.GLOBEX_ID.toString())
        .addHeader("X-Partition-Id", "evil").addHeader("X-Component-Id", "admin").addHeader("X-Component-Type", "gateway")
        .addHeader("X-Client-Cert-Sha256", "00").addHeader("X-Forwarded-Client-Cert", "Hash=00")
        .addHeader("Client-Cert", ":AAAA:").addHeader("Client-Cert-Chain", ":AAAA:")
        .addHeader("X-Tenant-Anything", "x").addHeader("X-Forwarded-For", "10.0.0.1")
        .addHeader("X_Tenant_Slug", "globex").addHeader("x_forwarded_client_cert", "Hash=00");
    Response r = send(gw.h1(agent), ro, null);
    assertEquals(200, r.status());
    RecordingCore.Seen seen = gw.core.last();
    assertEquals("acme", seen.header("x-tenant-slug"));
    assertEquals(1, seen.headers().getAll("x-tenant-slug").size());
    assertEquals(TestPki.ACME_ID.toString(), seen.header("x-tenant-id"));
    assertEquals("default", seen.header("x-partition-id"));
    assertEquals("agent-002", seen.header("x-component-id"));
    assertEquals("agent", seen.header("x-component-type"));
    assertNull(seen.header("client-cert"));
    assertNull(seen.header("client-cert-chain"));
    assertNull(seen.header("x-tenant-anything"));
    assertNull(seen.header("x_tenant_slug"), "underscore spellings are identity headers too");
    assertNull(seen.header("x_forwarded_client_cert"));
    assertEquals(List.of(seen.header("x-client-cert-sha256")), seen.headers().getAll("x-client-cert-sha256"));
    assertTrue(seen.header("x-client-cert-sha256").matches("[0-9a-f]{64}"), "the forged hash was replaced");
    assertTrue(seen.header("x-forwarded-client-cert").startsWith("Hash=" + seen.header("x-client-cert-sha256")));
    assertEquals("127.0.0.1", seen.header("x-forwarded-for"));
  }

  @Test
  void fourPartCnResolvesItsPartition() {
    ClientCert agent = pki.component(pki.acmeCa, ComponentCertSpec.of("agent-7", "acme").withPartitionId("site-1"));
    assertEquals(200, get(gw.h1(agent), "/p").status());
    assertEquals("site-1", gw.core.last().header("x-partition-id"));
    assertEquals("agent-7", gw.core.last().header("x-component-id"));
  }

  @Test
  void collectorTypeComesFromItsId() {
    ClientCert c = pki.component(pki.globexCa, "collector-001", "globex");
    assertEquals(200, get(gw.h2(c), "/c").status());
    assertEquals("collector", gw.core.last().header("x-component-type"));
    assertEquals("globex", gw.core.last().header("x-tenant-slug"));
    assertEquals(TestPki.GLOBEX_ID.toString(), gw.core.last().header("x-tenant-id"));
  }

  @Test
  void leafSentWithoutItsTenantCaIsCompletedFromTheRegistry() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-leaf-only", "acme");
    assertEquals(200, get(gw.h1LeafOnly(agent), "/leaf").status());
    assertEquals("acme", gw.core.last().header("x-tenant-slug"));
  }

  @Test
  void http2MultiplexedRequestsAllCarryTheConnectionsIdentity() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-h2", "acme");
    HttpClient h2 = gw.h2(agent);
    var all = new java.util.ArrayList<Future<Response>>();
    for (int i = 0; i < 50; i++) {
      all.add(sendAsync(h2, new RequestOptions().setURI("/mux/" + i).addHeader("x-tenant-slug", "globex"), null));
    }
    Await.result(Future.all(all));
    for (Future<Response> f : all) {
      assertEquals(200, f.result().status());
      assertEquals("h2", f.result().version());
    }
    var seen = gw.core.seen();
    assertEquals(50, seen.size());
    assertTrue(seen.stream().allMatch(s -> "acme".equals(s.header("x-tenant-slug"))
        && "agent-h2".equals(s.header("x-component-id"))));
    assertEquals(0.0, gw.gateway.metrics().count("tenantgate.requests", "route", "core", "protocol", "h2",
        "status_class", "4xx", "tenant", "acme"), "successful HTTP/2 requests are not counted as client errors");
    assertEquals(1, gw.gateway.metrics().registry().find("tenantgate.handshakes")
        .tag("tenant", "acme").tag("outcome", "ok").counters().stream().filter(c -> c.count() > 0).count(),
        "one handshake-ok series for acme");
  }

  // --- refused in the request path (TLS passed, rules 2-5 failed) --------------------------------

  @Test
  void leafFromAcmesCaNamingGlobexIsRefusedAsTenantMismatch() {
    ClientCert rogue = pki.custom(pki.acmeLegacyCa, b -> TestPki.leafBuilder(b, "agent-001.globex.serviceradar"));
    assertRefusedInRequest(rogue, 403, "tenant_mismatch");
  }

  @Test
  void leafFromUnregisteredTenantCaIsRefusedAsUnknownCa() {
    assertRefusedInRequest(pki.component(pki.unregisteredCa, "agent-001", "hooli"), 401, "unknown_ca");
  }

  @Test
  void badCnShapesAreRefused() {
    for (String cn : new String[] {"agent-001", "agent-001.acme.example.com", "agent 001.acme.serviceradar",
        "a.b.c.acme.serviceradar", "-agent.acme.serviceradar", "agent_.acme.serviceradar",
        "agent-001.ACME.serviceradar", ".acme.serviceradar"}) {
      assertRefusedInRequest(pki.custom(pki.acmeLegacyCa, b -> b.subjectCn(cn).clientAuth()
          .keyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature)), 401, "bad_cn");
    }
  }

  @Test
  void spiffeIdDisagreeingWithCnIsRefused() {
    ClientCert c = pki.custom(pki.acmeCa, b -> TestPki.leafBuilder(b, "agent-001.acme.serviceradar")
        .uris("spiffe://serviceradar.local/agent/acme/default/agent-999"));
    assertRefusedInRequest(c, 401, "spiffe_mismatch");
  }

  @Test
  void revokedSerialIsRefused() {
    ClientCert c = pki.component(pki.acmeCa, "agent-revoked", "acme");
    gw.writeRegistry(pki.registry().revoke(c.serialHex(), "test", Instant.now()));
    try {
      Await.until(() -> gw.gateway.registry().snapshot().isRevoked(c.serialHex()), Duration.ofSeconds(5), "revocation");
      assertRefusedInRequest(c, 401, "revoked");
    } finally {
      gw.writeRegistry(pki.registry());
      Await.until(() -> !gw.gateway.registry().snapshot().isRevoked(c.serialHex()), Duration.ofSeconds(5), "reset");
    }
  }

  @Test
  void suspendedTenantIsRefused() {
    assertRefusedInRequest(pki.component(pki.initechCa, "agent-001", "initech"), 403, "tenant_suspended");
  }

  @Test
  void disabledCaIsRefused() {
    assertRefusedInRequest(pki.component(pki.acmeRetiredCa, "agent-001", "acme"), 403, "ca_disabled");
  }

  @Test
  void listenerPinRefusesOtherTenants() {
    try (GatewayFixture pinned = GatewayFixture.start(vertx, cfg -> edge(cfg).put("tenantPin", java.util.List.of("globex")))) {
      Response r = get(pinned.h1(pki.component(pki.acmeCa, "agent-001", "acme")), "/pinned");
      assertEquals(403, r.status());
      assertEquals("pinned_tenant", r.json().getString("reason"));
      assertEquals(0, pinned.core.count());
      assertEquals(200, get(pinned.h1(pki.component(pki.globexCa, "agent-001", "globex")), "/pinned").status());
    }
  }

  // --- refused in the TLS handshake (rule 1) -----------------------------------------------------

  @Test
  void noClientCertificateIsRefusedInTheHandshake() {
    double before = gw.refusals("no_client_cert");
    Throwable err = Await.failure(gw.anonymous().request(HttpMethod.GET, "/x").compose(r -> r.send()));
    assertNotNull(err);
    assertEquals(0, gw.core.count());
    Await.until(() -> gw.refusals("no_client_cert") == before + 1, Duration.ofSeconds(5), "no_client_cert counted");
  }

  @Test
  void certificateFromAnotherPkiIsRefusedAsUnknownCa() {
    assertRefusedInHandshake(pki.component(pki.foreignCa, "agent-001", "acme"), "unknown_ca");
  }

  @Test
  void expiredCertificateIsRefused() {
    Instant now = Instant.now();
    assertRefusedInHandshake(leaf(b -> b.validity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)))),
        "expired");
  }

  @Test
  void notYetValidCertificateIsRefused() {
    Instant now = Instant.now();
    assertRefusedInHandshake(leaf(b -> b.validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10)))),
        "not_yet_valid");
  }

  @Test
  void certificateWithoutClientAuthEkuIsRefused() {
    ClientCert c = pki.custom(pki.acmeCa, b -> b.subjectCn("agent-001.acme.serviceradar")
        .dnsNames("agent-001.acme.serviceradar").serverAuth()
        .keyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature));
    assertRefusedInHandshake(c, "not_client_cert");
  }

  @Test
  void caCertificateUsedAsLeafIsRefused() {
    ClientCert c = pki.custom(pki.acmeCa, b -> TestPki.leafBuilder(b, "agent-001.acme.serviceradar").ca(0));
    assertRefusedInHandshake(c, "leaf_is_ca");
  }

  @Test
  void nameConstrainedTenantCaCannotSpeakForAnotherTenant() {
    ClientCert c = pki.custom(pki.acmeCa, b -> TestPki.leafBuilder(b, "agent-001.globex.serviceradar"));
    assertRefusedInHandshake(c, "tenant_mismatch");
  }

  // --- helpers -----------------------------------------------------------------------------------

  private ClientCert leaf(UnaryOperator<io.tenantgate.pki.CertificateBuilder> more) {
    return pki.custom(pki.acmeCa, b -> more.apply(TestPki.leafBuilder(b, "agent-001.acme.serviceradar")));
  }

  private void assertRefusedInRequest(ClientCert cert, int status, String reason) {
    double before = gw.refusals(reason);
    Response r = get(gw.h1(cert), "/refused");
    assertEquals(status, r.status(), reason);
    assertEquals("application/problem+json", r.contentType());
    assertEquals(reason, r.json().getString("reason"));
    assertEquals(status, r.json().getInteger("status"));
    assertEquals(0, gw.core.count(), "core must see nothing for " + reason);
    assertEquals(before + 1, gw.refusals(reason), "refusal counted once for " + reason);
  }

  private void assertRefusedInHandshake(ClientCert cert, String reason) {
    double before = gw.refusals(reason);
    Throwable err = Await.failure(gw.forced(cert, true).request(HttpMethod.GET, "/refused").compose(r -> r.send()));
    assertNotNull(err);
    assertEquals(0, gw.core.count(), "core must see nothing for " + reason);
    Await.until(() -> gw.refusals(reason) == before + 1, Duration.ofSeconds(5), "refusal counter for " + reason);
  }

  @SuppressWarnings("unchecked")
  private static java.util.Map<String, Object> edge(java.util.Map<String, Object> cfg) {
    return (java.util.Map<String, Object>) cfg.get("edge");
  }
}
