package io.tenantgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.testing.AdminFixture;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API and the enrollment listener serve the edge's server certificate: a TLS reload (a renewed
 * certificate on disk) reaches them too, not only the edge port.
 */
class SideListenerTlsReloadIT {
  @Test
  void aRenewedServerCertificateIsServedOnTheAdminAndEnrollmentPortsAfterAReload(@TempDir Path dir) throws Exception {
    TestPki pki = TestPki.get();
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server-key.pem");
    Files.copy(pki.serverPem(), cert);
    Files.copy(pki.serverKeyPem(), key);
    Vertx vertx = GatewayFixture.testVertx();
    PostgresFixture pg = PostgresFixture.create(vertx);
    GatewayFixture gw = null;
    try {
      AdminFixture adm = AdminFixture.get();
      gw = GatewayFixture.start(vertx, cfg -> {
        adm.enable(cfg, pg, PostgresFixture.URL);
        @SuppressWarnings("unchecked")
        Map<String, Object> tls = (Map<String, Object>) ((Map<String, Object>) cfg.get("edge")).get("tls");
        tls.put("certFile", cert.toString());
        tls.put("keyFile", key.toString());
        tls.put("reloadInterval", "0");
      });
      int adminPort = gw.gateway.adminPort();
      int enrollPort = gw.gateway.enrollPort();
      BigInteger before = pki.server.certificate().getSerialNumber();
      assertEquals(before, served(adm.adminClient(vertx, adminPort, adm.adminCert, adm.adminKey), "/api/v1/tenants"));
      assertEquals(before, served(adm.enrollClient(vertx, enrollPort), "/api/edge-packages/x/bundle"));

      CertAndKey renewed = Pki.issueServer(pki.root, "localhost", List.of("localhost"), List.of("127.0.0.1"),
          Duration.ofDays(30), KeyAlgorithm.EC_P256);
      Pem.write(cert, Pem.certificates(renewed.certificate()), false);
      Pem.write(key, Pem.privateKey(renewed.privateKey()), true);
      assertEquals("applied", Await.result(gw.gateway.reloadTls()).getString("outcome"));
      BigInteger after = renewed.certificate().getSerialNumber();
      assertNotEquals(before, after);
      Await.until(() -> after.equals(served(adm.adminClient(vertx, adminPort, adm.adminCert, adm.adminKey),
          "/api/v1/tenants")), Duration.ofSeconds(5), "admin port serves the renewed certificate");
      assertEquals(after, served(adm.enrollClient(vertx, enrollPort), "/api/edge-packages/x/bundle"));
    } finally {
      if (gw != null) {
        gw.close();
      }
      pg.close();
      Await.result(vertx.close());
    }
  }

  /** The serial of the certificate the server presented on a new connection (any response will do). */
  private static BigInteger served(HttpClient client, String uri) {
    try {
      return Await.result(client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI(uri))
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> {
            try {
              return ((X509Certificate) req.connection().peerCertificates().get(0)).getSerialNumber();
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
              throw new IllegalStateException(e);
            }
          }))));
    } finally {
      client.close();
    }
  }
}
