package io.tenantgate.ingress;

import static io.tenantgate.testing.Http.get;
import static io.tenantgate.testing.Http.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Http.Response;
import io.tenantgate.pki.Pem;
import io.tenantgate.testing.AlwaysSendKeyManager;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import java.security.Principal;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The edge TLS contract: versions, engines, advertised CA names, header limits. */
class TlsIT {
  private static Vertx vertx;
  private static TestPki pki;
  private static ClientCert agent;

  @BeforeAll
  static void pki() {
    pki = TestPki.get();
    agent = pki.component(pki.acmeCa, "agent-tls", "acme");
  }

  /**
   * A Vert.x instance per test: Vert.x caches server SSL contexts per instance keyed by key, cert and
   * trust only, so listeners differing just in protocols or engine would share one context.
   */
  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  @Test
  void openSslEngineIsAvailableAndServesByDefault() {
    assertTrue(OpenSSLEngineOptions.isAvailable(), "netty-tcnative BoringSSL must load on this platform");
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      assertEquals(200, get(gw.h1(agent), "/").status());
    }
  }

  @Test
  void jdkEngineServesTheSameIdentity() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> tls(cfg).put("engine", "jdk"))) {
      assertEquals(200, get(gw.h2(agent), "/jdk").status());
      assertEquals("acme", gw.core.last().header("x-tenant-slug"));
    }
  }

  @Test
  void tls12IsRefusedByDefault() {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      double before = gw.refusals("tls_handshake");
      var c = vertx.createHttpClient(tls12(gw));
      assertTrue(Await.failure(c.request(HttpMethod.GET, "/").compose(r -> r.send())) != null);
      assertEquals(0, gw.core.count());
      Await.until(() -> gw.refusals("tls_handshake") == before + 1, Duration.ofSeconds(5), "tls_handshake counted");
      Await.result(c.close());
    }
  }

  @Test
  void tls12IsAcceptedWhenConfigured() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> tls(cfg).put("protocols", List.of("TLSv1.2", "TLSv1.3")))) {
      var c = vertx.createHttpClient(tls12(gw));
      assertEquals(200, (int) Await.result(c.request(HttpMethod.GET, "/tls12").compose(r -> r.send()).map(r -> r.statusCode())));
      assertEquals("acme", gw.core.last().header("x-tenant-slug"));
      Await.result(c.close());
    }
  }

  @Test
  void certificateRequestNamesOnlyThePlatformRoot() throws Exception {
    try (GatewayFixture gw = GatewayFixture.start(vertx)) {
      List<Principal> advertised = new CopyOnWriteArrayList<>();
      List<X509Certificate> chain = Pem.readCertificates(agent.chainPem());
      var km = new AlwaysSendKeyManager(chain, agent.certAndKey().privateKey(), advertised);
      var c = vertx.createHttpClient(gw.baseOptions(HttpVersion.HTTP_1_1).setKeyCertOptions(KeyCertOptions.wrap(km)));
      assertEquals(200, (int) Await.result(c.request(HttpMethod.GET, "/ca-names").compose(r -> r.send()).map(r -> r.statusCode())));
      assertEquals(Set.of(pki.root.certificate().getSubjectX500Principal()), Set.copyOf(advertised));
      Await.result(c.close());
    }
  }

  @Test
  void oversizedHeadersGet431AndCoreSeesNothing() {
    try (GatewayFixture gw = GatewayFixture.start(vertx, cfg -> GatewayFixture.limit(cfg, "maxHeaderSize", "2KiB"))) {
      double before = gw.refusals("headers_too_large");
      Response r = send(gw.h1(agent), new RequestOptions().setURI("/big").addHeader("x-big", "a".repeat(4000)), null);
      assertEquals(431, r.status());
      assertEquals("headers_too_large", r.json().getString("reason"));
      assertEquals(0, gw.core.count());
      assertEquals(before + 1, gw.refusals("headers_too_large"));
    }
  }

  private static HttpClientOptions tls12(GatewayFixture gw) {
    return new HttpClientOptions(gw.baseOptions(HttpVersion.HTTP_1_1))
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.2"))
        .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(agent.chainPem().toString())
            .setKeyPath(agent.keyPem().toString()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> tls(Map<String, Object> cfg) {
    return (Map<String, Object>) ((Map<String, Object>) cfg.get("edge")).get("tls");
  }
}
