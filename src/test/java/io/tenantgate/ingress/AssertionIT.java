package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.ExpiredJwtException;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.LocatorAdapter;
import io.jsonwebtoken.ProtectedHeader;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.JwkSet;
import io.jsonwebtoken.security.Jwks;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import java.security.Key;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * X-Tenant-Assertion verified the way core would: a standard JOSE library (jjwt) and the JWKS served
 * on the ops port. Signed once per client certificate (shared by its connections), never per request.
 */
class AssertionIT {
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

  @Test
  void coreVerifiesTheAssertionWithTheJwksAndSeesTheCertificateIdentity() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-jws", "acme");
    assertEquals(200, get(gw.h1(agent), "/jws").status());
    String token = gw.core.last().header("x-tenant-assertion");
    Claims c = verify(token, jwks()).getPayload();
    assertEquals("tenantgate", c.getIssuer());
    assertEquals("agent-jws", c.getSubject());
    assertEquals(TestPki.ACME_ID.toString(), c.get("tenant_id"));
    assertEquals("acme", c.get("tenant_slug"));
    assertEquals("default", c.get("partition_id"));
    assertEquals("agent", c.get("component_type"));
    assertEquals(gw.core.last().header("x-client-cert-sha256"), c.get("cert_sha256"));
    long ttl = c.getExpiration().toInstant().getEpochSecond() - c.getIssuedAt().toInstant().getEpochSecond();
    assertEquals(300, ttl);
  }

  @Test
  void aTamperedAssertionFailsVerification() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-tamper", "acme");
    get(gw.h1(agent), "/jws");
    String[] parts = gw.core.last().header("x-tenant-assertion").split("\\.");
    String forgedClaims = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"acme\"", "\"globex\"");
    String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(forgedClaims.getBytes())
        + "." + parts[2];
    JwkSet keys = jwks();
    assertThrows(JwtException.class, () -> verify(forged, keys));
  }

  @Test
  void anExpiredAssertionFailsVerification() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-old", "acme");
    get(gw.h1(agent), "/jws");
    var identity = identityOf(gw.core.last().header("x-tenant-assertion"));
    String old = gw.gateway.assertions().sign(identity, Instant.now().minusSeconds(3600));
    JwkSet keys = jwks();
    assertThrows(ExpiredJwtException.class, () -> verify(old, keys));
  }

  @Test
  void oneSignaturePerCertificateSharedByItsConnectionsNotPerRequest() {
    ClientCert agent = pki.component(pki.globexCa, "agent-count", "globex");
    double before = signed("globex");
    double hits = cache("hit");
    HttpClient h2 = gw.h2(agent);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, get(h2, "/count/" + i).status());
    }
    assertEquals(before + 1, signed("globex"), "20 requests on one connection, one signature");
    assertEquals(1, gw.core.seen().stream().filter(s -> s.path().startsWith("/count/"))
        .map(s -> s.header("x-tenant-assertion")).distinct().count());
    String first = gw.core.last().header("x-tenant-assertion");
    assertEquals(200, get(gw.h1(agent), "/count/other-connection").status());
    assertEquals(before + 1, signed("globex"), "another connection of the same certificate signs nothing");
    assertEquals(first, gw.core.last().header("x-tenant-assertion"));
    assertEquals(hits + 1, cache("hit"));

    ClientCert sameNameNewCert = pki.component(pki.globexCa, "agent-count", "globex");
    assertEquals(200, get(gw.h1(sameNameNewCert), "/count/new-certificate").status());
    assertEquals(before + 2, signed("globex"), "a different certificate never shares, even for the same component");
    String other = gw.core.last().header("x-tenant-assertion");
    assertNotEquals(first, other);
    assertEquals(gw.core.last().header("x-client-cert-sha256"), verify(other, jwks()).getPayload().get("cert_sha256"));
  }

  @Test
  void aRegistryChangeGivesTheCertificatesNextConnectionAFreshAssertion() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-registry", "acme");
    ClientCert unrelated = pki.component(pki.acmeCa, "agent-revoked-meanwhile", "acme");
    assertEquals(200, get(gw.h1(agent), "/registry/before").status());
    String before = gw.core.last().header("x-tenant-assertion");
    long version = gw.gateway.registry().snapshot().version();
    gw.writeRegistry(pki.registry().revoke(unrelated.serialHex(), "test", Instant.now()));
    try {
      Await.until(() -> gw.gateway.registry().snapshot().version() != version, java.time.Duration.ofSeconds(5),
          "registry change");
      double signedBefore = signed("acme");
      assertEquals(200, get(gw.h1(agent), "/registry/after").status());
      String after = gw.core.last().header("x-tenant-assertion");
      assertNotEquals(before, after, "an assertion signed under the previous registry is not reused");
      assertEquals(signedBefore + 1, signed("acme"));
      JwkSet keys = jwks();
      assertEquals(verify(before, keys).getPayload().get("cert_sha256"), verify(after, keys).getPayload().get("cert_sha256"));
    } finally {
      gw.writeRegistry(pki.registry());
      Await.until(() -> !gw.gateway.registry().snapshot().isRevoked(unrelated.serialHex()),
          java.time.Duration.ofSeconds(5), "reset");
    }
  }

  @Test
  void afterRotationTheOldKeyStaysPublishedAndNewConnectionsUseTheNewKey() {
    ClientCert agent = pki.component(pki.acmeCa, "agent-rotate", "acme");
    get(gw.h1(agent), "/before");
    String before = gw.core.last().header("x-tenant-assertion");
    String oldKid = gw.gateway.assertions().currentKid();
    gw.gateway.assertions().rotate(Instant.now());
    JwkSet keys = jwks();
    assertEquals(2, keys.getKeys().size());
    verify(before, keys);
    get(gw.h1(pki.component(pki.acmeCa, "agent-rotate-2", "acme")), "/after");
    String after = gw.core.last().header("x-tenant-assertion");
    assertNotEquals(oldKid, verify(after, keys).getHeader().getKeyId());
  }

  private double signed(String tenant) {
    return gw.gateway.metrics().count("tenantgate.assertions.signed", "tenant", tenant);
  }

  private double cache(String result) {
    var c = gw.gateway.metrics().registry().find("tenantgate.assertions.cache").tags("result", result).functionCounter();
    return c == null ? 0 : c.count();
  }

  private JwkSet jwks() {
    var ops = vertx.createHttpClient();
    try {
      String json = Await.result(ops.request(HttpMethod.GET, gw.gateway.opsPort(), "127.0.0.1", "/.well-known/jwks.json")
          .compose(r -> r.send().compose(resp -> resp.body())).map(b -> b.toString()));
      return Jwks.setParser().build().parse(json);
    } finally {
      Await.result(ops.close());
    }
  }

  private static Jws<Claims> verify(String token, JwkSet keys) {
    return Jwts.parser().requireIssuer("tenantgate").keyLocator(new LocatorAdapter<Key>() {
      @Override
      protected Key locate(ProtectedHeader header) {
        return keys.getKeys().stream().filter(k -> k.getId().equals(header.getKeyId())).findFirst()
            .map(Jwk::toKey).orElseThrow(() -> new JwtException("unknown kid " + header.getKeyId()));
      }
    }).build().parseSignedClaims(token);
  }

  private io.tenantgate.identity.ClientIdentity identityOf(String token) {
    Claims c = verify(token, jwks()).getPayload();
    var seen = gw.core.last();
    return new io.tenantgate.identity.ClientIdentity(java.util.UUID.fromString((String) c.get("tenant_id")),
        (String) c.get("tenant_slug"), (String) c.get("partition_id"), c.getSubject(), (String) c.get("component_type"),
        (String) c.get("cert_sha256"), "01", "CN=x", null, "x", java.util.List.of());
  }
}
