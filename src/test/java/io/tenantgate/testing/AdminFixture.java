package io.tenantgate.testing;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * The platform admin PKI for admin API tests (a separate admin CA, an allowed operator certificate
 * and one with a CN that is not allowed), the config sections that turn on the admin API and the
 * enrollment listener, and clients for both.
 */
public final class AdminFixture {
  public static final String ADMIN_CN = "admin.platform.serviceradar";
  private static AdminFixture instance;

  public final Path dir;
  public final CertAndKey adminCa;
  public final Path adminCaPem;
  public final Path adminCert;
  public final Path adminKey;
  public final Path strangerCert;
  public final Path strangerKey;
  public final Path rootKey;

  private AdminFixture(Path dir) throws IOException {
    this.dir = dir;
    adminCa = Pki.createRoot("platform-admin.ca.serviceradar", Duration.ofDays(365), KeyAlgorithm.EC_P256);
    adminCaPem = dir.resolve("admin-ca.pem");
    Pem.write(adminCaPem, Pem.certificates(adminCa.certificate()), false);
    CertAndKey admin = operator(ADMIN_CN);
    adminCert = dir.resolve("admin.pem");
    adminKey = dir.resolve("admin-key.pem");
    Pem.write(adminCert, Pem.certificates(admin.certificate()), false);
    Pem.write(adminKey, Pem.privateKey(admin.privateKey()), true);
    CertAndKey stranger = operator("intern.platform.serviceradar");
    strangerCert = dir.resolve("stranger.pem");
    strangerKey = dir.resolve("stranger-key.pem");
    Pem.write(strangerCert, Pem.certificates(stranger.certificate()), false);
    Pem.write(strangerKey, Pem.privateKey(stranger.privateKey()), true);
    rootKey = dir.resolve("root-key.pem");
    Pem.write(rootKey, Pem.privateKey(TestPki.get().root.privateKey()), true);
  }

  public static synchronized AdminFixture get() {
    if (instance == null) {
      try {
        Path dir = Files.createTempDirectory("tenantgate-admin");
        dir.toFile().deleteOnExit();
        instance = new AdminFixture(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  private CertAndKey operator(String cn) {
    return CertificateBuilder.create().subjectCn(cn).issuedBy(adminCa).keyUsage(KeyUsage.digitalSignature)
        .clientAuth().dnsNames(cn).build();
  }

  /** Config tweak: Postgres registry on {@code pg} (root key configured), admin API and enrollment on port 0. */
  public void enable(Map<String, Object> cfg, PostgresFixture pg, String pgUrl) {
    Map<String, Object> registry = pg.registrySection(pgUrl);
    registry.put("rootCaKeyFile", rootKey.toString());
    cfg.put("registry", registry);
    cfg.put("admin", new LinkedHashMap<>(Map.of("enabled", true, "host", "127.0.0.1", "port", 0,
        "clientCaFile", adminCaPem.toString(), "allowedSubjects", List.of(ADMIN_CN))));
    cfg.put("onboarding", new LinkedHashMap<>(Map.of("enabled", true, "host", "127.0.0.1", "port", 0,
        "publicUrl", "https://localhost:50061", "gatewayAddr", "gateway.example:50052",
        "serverName", "localhost")));
  }

  /** A client of the admin API presenting {@code cert}/{@code key} (null: no certificate). */
  public HttpClient adminClient(Vertx vertx, int port, Path cert, Path key) {
    HttpClientOptions o = new HttpClientOptions().setSsl(true).setDefaultHost("localhost").setDefaultPort(port)
        .setTrustOptions(new PemTrustOptions().addCertPath(TestPki.get().rootPem().toString())).setVerifyHost(true)
        .setConnectTimeout(5_000);
    if (cert != null) {
      o.setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()));
    }
    return vertx.createHttpClient(o);
  }

  /** A client of the enrollment listener: verifies the server, presents nothing. */
  public HttpClient enrollClient(Vertx vertx, int port) {
    return adminClient(vertx, port, null, null);
  }

  /** Calls the admin API with a JSON body (null: none). */
  public static Http.Response call(HttpClient client, HttpMethod method, String uri, JsonObject body) {
    RequestOptions ro = new RequestOptions().setMethod(method).setURI(uri);
    if (body != null) {
      ro.putHeader("content-type", "application/json");
    }
    return Http.send(client, ro, body == null ? null : Buffer.buffer(body.encode()));
  }
}
