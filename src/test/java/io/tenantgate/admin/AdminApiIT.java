package io.tenantgate.admin;

import static io.tenantgate.testing.AdminFixture.call;
import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.ingress.GrpcEdgeClient;
import io.tenantgate.ingress.GrpcStubCore;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.Pem;
import io.tenantgate.testing.AdminFixture;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.Http.Response;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 3's acceptance, end to end on the real Postgres: the admin API (its own listener, admin-CA
 * mTLS) and the enrollment listener on gateway A; gateway B on another Vert.x instance follows the same
 * schema. Tenants, packages, CSR enrollment, revocation, suspension and CA rotation, each proved at the
 * edge of both gateways; every refusal has its reason and writes nothing.
 */
class AdminApiIT {
  private static final Duration PROPAGATION = Duration.ofSeconds(1);
  private static Vertx vertxA;
  private static Vertx vertxB;
  private static PostgresFixture pg;
  private static GrpcStubCore stub;
  private static GatewayFixture gwA;
  private static GatewayFixture gwB;
  private static AdminFixture adm;
  private static HttpClient admin;
  private static HttpClient enroll;

  @BeforeAll
  static void start() {
    vertxA = GatewayFixture.testVertx();
    vertxB = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertxA);
    adm = AdminFixture.get();
    stub = GrpcStubCore.start(vertxA);
    Map<String, Object> grpcRoute = Map.of("name", "core-grpc", "grpcService", "*", "upstream", stub.url());
    gwA = GatewayFixture.start(vertxA, cfg -> {
      adm.enable(cfg, pg, PostgresFixture.URL);
      GatewayFixture.addRoute(cfg, grpcRoute);
    });
    gwB = GatewayFixture.start(vertxB, cfg -> {
      adm.enable(cfg, pg, PostgresFixture.URL);
      GatewayFixture.addRoute(cfg, grpcRoute);
    });
    admin = adm.adminClient(vertxA, gwA.gateway.adminPort(), adm.adminCert, adm.adminKey);
    enroll = adm.enrollClient(vertxA, gwA.gateway.enrollPort());
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {gwA, gwB, pg}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        e.printStackTrace();
      }
    }
    if (stub != null) {
      stub.stop();
    }
    Await.result(Future.join(vertxA.close(), vertxB.close()));
  }

  private static String newSlug() {
    return "t-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
  }

  private static long count(String sql, Object... params) {
    return Await.result(pg.db.pool().preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  private static long auditRows() {
    return count("SELECT count(*) FROM audit_log");
  }

  /** Creates a tenant through the admin API and waits until both gateways know it. */
  private static JsonObject createTenant(String slug) {
    Response r = call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", slug).put("name", "T " + slug));
    assertEquals(201, r.status(), r.body().toString());
    Await.until(() -> gwA.gateway.registry().snapshot().tenantBySlug(slug) != null
        && gwB.gateway.registry().snapshot().tenantBySlug(slug) != null, PROPAGATION, "tenant on both gateways");
    return r.json();
  }

  /** Issues a component certificate through the admin API, written as client files. */
  private static ClientCert issue(String slug, String component) {
    Response r = call(admin, HttpMethod.POST, "/api/v1/certificates",
        new JsonObject().put("tenant", slug).put("component_id", component));
    assertEquals(201, r.status(), r.body().toString());
    JsonObject j = r.json();
    return files(Pem.readCertificates(j.getString("certificate")).get(0), Pem.readPrivateKey(j.getString("private_key")),
        j.getString("chain"));
  }

  private static ClientCert files(X509Certificate leaf, PrivateKey key, String chainPem) {
    try {
      Path dir = Files.createTempDirectory("tenantgate-admin-client");
      dir.toFile().deleteOnExit();
      Pem.write(dir.resolve("cert.pem"), Pem.certificates(leaf), false);
      Pem.write(dir.resolve("key.pem"), Pem.privateKey(key), true);
      Pem.write(dir.resolve("chain.pem"), chainPem, false);
      return new ClientCert(new CertAndKey(leaf, key), dir.resolve("cert.pem"), dir.resolve("key.pem"),
          dir.resolve("chain.pem"), Fingerprints.serialHex(leaf.getSerialNumber()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static JsonObject createPackage(String slug, String component) {
    Response r = call(admin, HttpMethod.POST, "/api/v1/packages",
        new JsonObject().put("tenant", slug).put("component_id", component));
    assertEquals(201, r.status(), r.body().toString());
    return r.json();
  }

  /** The bundle download of {@code pkg} (as the admin API returned it) with its token. */
  private static RequestOptions bundleRequest(JsonObject pkg) {
    return new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/edge-packages/" + pkg.getString("id")
        + "/bundle").putHeader(EnrollmentVerticle.TOKEN_HEADER, pkg.getString("token"));
  }

  private static Response download(String id, String token) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/edge-packages/" + id + "/bundle");
    if (token != null) {
      ro.putHeader(EnrollmentVerticle.TOKEN_HEADER, token);
    }
    return Http.send(enroll, ro, null);
  }

  private static Response enrollCsr(String id, String token, String csrPem) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setURI("/api/edge-packages/" + id + "/enroll")
        .putHeader(EnrollmentVerticle.TOKEN_HEADER, token).putHeader("content-type", "application/pkcs10");
    return Http.send(enroll, ro, Buffer.buffer(csrPem));
  }

  private static Map<String, byte[]> untar(Buffer gz) throws IOException {
    Map<String, byte[]> out = new HashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
        new ByteArrayInputStream(gz.getBytes())))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (!e.isDirectory()) {
          out.put(e.getName().substring(e.getName().indexOf('/') + 1), tar.readAllBytes());
        }
      }
    }
    return out;
  }

  @Test
  void aTenantCreatedThroughTheApiOnboardsAnAgentWhosePackageDownloadsOnceAndConnects() throws Exception {
    String slug = newSlug();
    long auditBefore = auditRows();
    JsonObject tenant = createTenant(slug);
    JsonArray cas = tenant.getJsonArray("cas");
    assertEquals(1, cas.size());
    assertTrue(cas.getJsonObject(0).getBoolean("key_stored"));
    String caSpki = cas.getJsonObject(0).getString("spki_sha256");
    // stored sealed: format version 1, not a DER key (TenantStoreIT opens it with the master key)
    assertEquals(1, count("SELECT count(*) FROM tenant_cas WHERE spki_sha256 = $1 AND get_byte(private_key_enc, 0) = 1",
        caSpki));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'tenant.create' AND actor = $1"
        + " AND detail->>'slug' = $2", "admin:" + AdminFixture.ADMIN_CN, slug));

    JsonObject pkg = createPackage(slug, "agent-001");
    String id = pkg.getString("id");
    String token = pkg.getString("token");
    assertTrue(token.startsWith("edgepkg-v2:"), token);
    assertEquals("issued", pkg.getString("state"));
    assertTrue(pkg.getJsonObject("download").getString("url").endsWith("/api/edge-packages/" + id + "/bundle"));

    Response r = download(id, token);
    assertEquals(200, r.status(), r.body().toString());
    assertEquals("application/gzip", r.contentType());
    assertTrue(r.header("content-disposition").contains("edge-package-" + id.replace("-", "").substring(0, 8) + ".tar.gz"),
        r.header("content-disposition"));
    Map<String, byte[]> files = untar(r.body());
    X509Certificate leaf = Pem.readCertificates(new String(files.get("certs/component.pem"), StandardCharsets.US_ASCII)).get(0);
    PrivateKey key = Pem.readPrivateKey(new String(files.get("certs/component-key.pem"), StandardCharsets.US_ASCII));
    List<X509Certificate> chain = Pem.readCertificates(new String(files.get("certs/ca-chain.pem"), StandardCharsets.US_ASCII));
    assertEquals("CN=agent-001." + slug + ".serviceradar", leaf.getSubjectX500Principal().getName());
    leaf.verify(chain.get(0).getPublicKey());
    chain.get(0).verify(TestPki.get().root.publicKey());
    assertEquals(caSpki, Fingerprints.spkiSha256Hex(chain.get(0)));
    assertEquals(TestPki.get().root.certificate(), chain.get(1));
    JsonObject config = new JsonObject(new String(files.get("config/config.json"), StandardCharsets.UTF_8));
    assertEquals(slug, config.getString("tenant_slug"));
    assertEquals(tenant.getString("id"), config.getString("tenant_id"));
    assertEquals("gateway.example:50052", config.getString("gateway_addr"));
    assertNotNull(files.get("install.sh"));
    assertNotNull(files.get("README.md"));
    assertNotNull(files.get("config/config.yaml"));

    ClientCert agent = files(leaf, key, Pem.certificates(leaf, chain.get(0)));
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      assertEquals(200, get(gw.h1(agent), "/onboarded").status());
      assertEquals(slug, gw.core.last().header("x-tenant-slug"));
      assertEquals("agent-001", gw.core.last().header("x-component-id"));
    }

    Response again = download(id, token);
    assertEquals(410, again.status());
    assertEquals("package_already_downloaded", again.json().getString("reason"));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'package.deliver' AND detail->>'package_id' = $1", id));
    // its first connection activated the package (each gateway batches what it saw; flush now instead of in 1 s)
    Await.result(Future.join(gwA.gateway.activations().flush(), gwB.gateway.activations().flush()));
    Response listed = call(admin, HttpMethod.GET, "/api/v1/packages?tenant=" + slug, null);
    JsonObject p = listed.json().getJsonArray("packages").getJsonObject(0);
    assertEquals("activated", p.getString("state"));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'package.activate' AND detail->>'package_id' = $1", id));
    assertEquals(Fingerprints.serialHex(leaf.getSerialNumber()), p.getString("certificate_serial"));
    assertTrue(auditRows() >= auditBefore + 3);
  }

  @Test
  void badInputIsRefusedWithAClearReasonAndWritesNothing() {
    String slug = newSlug();
    createTenant(slug);
    JsonObject pkgA = createPackage(slug, "agent-a");
    JsonObject pkgB = createPackage(slug, "agent-b");
    JsonObject revoked = createPackage(slug, "agent-r");
    assertEquals(200, call(admin, HttpMethod.POST, "/api/v1/packages/" + revoked.getString("id") + "/revoke",
        new JsonObject().put("reason", "lost")).status());
    JsonObject expired = createPackage(slug, "agent-x");
    Await.result(pg.db.pool().preparedQuery("UPDATE onboarding_packages SET expires_at = now() - interval '1 second'"
        + " WHERE id = $1").execute(Tuple.of(java.util.UUID.fromString(expired.getString("id")))));
    long audit = auditRows();
    long tenants = count("SELECT count(*) FROM tenants");
    long packages = count("SELECT count(*) FROM onboarding_packages");
    long issued = count("SELECT count(*) FROM issued_certificates");

    Response bad = call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", "Bad_Slug").put("colour", "red"));
    assertEquals(400, bad.status());
    assertEquals("application/problem+json", bad.contentType());
    assertEquals("invalid_request", bad.json().getString("reason"));
    JsonArray errors = bad.json().getJsonArray("errors");
    assertEquals(2, errors.size(), errors.encode());
    assertTrue(errors.encode().contains("\"field\":\"slug\"") && errors.encode().contains("\"field\":\"colour\""));
    Response dup = call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", slug));
    assertEquals(409, dup.status());
    assertTrue(dup.json().getString("detail").contains("already exists"), dup.json().encode());
    // a slug that is a subject root tenants speak on the NATS bridge would break the bridge for everyone
    assertRefused(call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", "logs")), 400,
        "slug_reserved");
    Response noTenant = call(admin, HttpMethod.POST, "/api/v1/packages",
        new JsonObject().put("tenant", "no-such-tenant").put("component_id", "agent-1"));
    assertEquals(404, noTenant.status());
    Response badId = call(admin, HttpMethod.POST, "/api/v1/packages",
        new JsonObject().put("tenant", slug).put("component_id", "agent.1"));
    assertEquals(400, badId.status());
    assertEquals("component_id", badId.json().getJsonArray("errors").getJsonObject(0).getString("field"));
    Response openAgain = call(admin, HttpMethod.POST, "/api/v1/packages",
        new JsonObject().put("tenant", slug).put("component_id", "agent-a"));
    assertEquals(409, openAgain.status());
    assertEquals("package_exists", openAgain.json().getString("reason"));

    Response hugeTtl = call(admin, HttpMethod.POST, "/api/v1/packages", new JsonObject().put("tenant", slug)
        .put("component_id", "agent-t").put("ttl", "999999999999999d"));
    assertEquals(400, hugeTtl.status(), hugeTtl.body().toString());
    assertEquals("ttl", hugeTtl.json().getJsonArray("errors").getJsonObject(0).getString("field"));
    assertEquals(400, call(admin, HttpMethod.POST, "/api/v1/certificates/revoke", new JsonObject().put("serial", ":"))
        .status());
    String tokenA = pkgA.getString("token");
    String idA = pkgA.getString("id");
    int dot = tokenA.lastIndexOf('.');
    char flipped = tokenA.charAt(dot + 5) == 'A' ? 'B' : 'A';
    String forged = tokenA.substring(0, dot + 5) + flipped + tokenA.substring(dot + 6);
    assertRefused(download(idA, forged), 403, "token_forged");
    assertRefused(download(idA, "edgepkg-v2:garbage"), 400, "token_malformed");
    assertRefused(download(idA, "not-a-token"), 400, "token_malformed");
    assertRefused(download(pkgB.getString("id"), tokenA), 403, "token_mismatch");
    // correctly signed (the master key's signer) for this package, but not the secret it was issued with
    String wrongSecret = io.tenantgate.pki.DownloadTokens.fromMasterKey(pg.masterKey).sign(
        new io.tenantgate.pki.DownloadTokens.Claims(java.util.UUID.fromString(idA),
            io.tenantgate.pki.DownloadTokens.newSecret(), "https://localhost:50061"));
    assertRefused(download(idA, wrongSecret), 403, "token_forged");
    assertRefused(download(idA, null), 401, "token_missing");
    assertRefused(Http.send(enroll, new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/api/edge-packages/" + idA + "/bundle?token=" + tokenA), null), 400, "token_in_url");
    assertRefused(download(revoked.getString("id"), revoked.getString("token")), 410, "package_revoked");
    assertRefused(download(expired.getString("id"), expired.getString("token")), 410, "package_expired");
    assertRefused(download("not-a-uuid", tokenA), 404, "package_not_found");

    assertEquals(audit, auditRows(), "no refusal wrote an audit row");
    assertEquals(tenants, count("SELECT count(*) FROM tenants"));
    assertEquals(packages, count("SELECT count(*) FROM onboarding_packages"));
    assertEquals(issued, count("SELECT count(*) FROM issued_certificates"));
    assertEquals("expired", Await.result(pg.db.pool().preparedQuery("SELECT state FROM onboarding_packages WHERE id = $1")
        .execute(Tuple.of(java.util.UUID.fromString(expired.getString("id"))))).iterator().next().getString(0));
    // the refused attempts did not spend package A's token
    assertEquals(200, download(idA, tokenA).status());
    assertTrue(gwA.gateway.metrics().count("tenantgate.enrollments", "delivery", "bundle", "outcome", "token_forged",
        "tenant", "other") + gwA.gateway.metrics().registry().find("tenantgate.enrollments").tag("outcome", "token_forged")
        .counters().stream().mapToDouble(c -> c.count()).sum() >= 1);
  }

  @Test
  void racingDownloadsOfOneTokenYieldExactlyOneBundleAndASuspendedTenantGetsNone() {
    String slug = newSlug();
    createTenant(slug);
    JsonObject pkg = createPackage(slug, "agent-race");
    RequestOptions ro = bundleRequest(pkg);
    List<Future<Response>> racing = new java.util.ArrayList<>();
    List<HttpClient> clients = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      // one client (one connection) each, kept referenced: Vert.x closes an unreferenced client
      clients.add(adm.enrollClient(vertxA, gwA.gateway.enrollPort()));
      racing.add(Http.sendAsync(clients.get(i), ro, null));
    }
    Await.result(Future.join(racing));
    long ok = racing.stream().filter(f -> f.result().status() == 200).count();
    long gone = racing.stream().filter(f -> f.result().status() == 410
        && "package_already_downloaded".equals(f.result().json().getString("reason"))).count();
    assertEquals(1, ok, "exactly one download");
    assertEquals(7, gone);
    assertEquals(1, count("SELECT count(*) FROM issued_certificates WHERE package_id = $1",
        java.util.UUID.fromString(pkg.getString("id"))));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'package.deliver' AND detail->>'package_id' = $1",
        pkg.getString("id")));
    clients.forEach(HttpClient::close);

    JsonObject later = createPackage(slug, "agent-late");
    assertEquals(200, call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/suspend", null).status());
    assertRefused(download(later.getString("id"), later.getString("token")), 403, "tenant_suspended");
    assertEquals(200, call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/resume", null).status());
    assertEquals(200, download(later.getString("id"), later.getString("token")).status(), "the refused try did not spend it");
  }

  /**
   * {@code onboarding.maxConcurrent} (1 here, on a third gateway): while one delivery is in progress —
   * held on its package row, which the test locks in a transaction of its own — another gets 503
   * {@code enrollment_busy} with {@code Retry-After: 1} and keeps its token; both succeed afterwards.
   */
  @Test
  void enrollmentsBeyondMaxConcurrentGet503AndKeepTheirToken() {
    String slug = newSlug();
    createTenant(slug);
    JsonObject held = createPackage(slug, "agent-held");
    JsonObject busy = createPackage(slug, "agent-busy");
    try (GatewayFixture gwC = GatewayFixture.start(vertxA, cfg -> {
      adm.enable(cfg, pg, PostgresFixture.URL);
      @SuppressWarnings("unchecked")
      Map<String, Object> onboarding = (Map<String, Object>) cfg.get("onboarding");
      onboarding.put("maxConcurrent", 1);
    })) {
      HttpClient enrollC = adm.enrollClient(vertxA, gwC.gateway.enrollPort());
      io.vertx.sqlclient.SqlConnection lock = Await.result(pg.db.pool().getConnection());
      try {
        Await.result(lock.query("BEGIN").execute());
        Await.result(lock.preparedQuery("SELECT id FROM onboarding_packages WHERE id = $1 FOR UPDATE")
            .execute(Tuple.of(java.util.UUID.fromString(held.getString("id")))));
        Future<Response> first = Http.sendAsync(enrollC, bundleRequest(held), null);
        Await.until(() -> count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") >= 1,
            Duration.ofSeconds(10), "the first delivery waits on its package row");
        Response r = Http.send(enrollC, bundleRequest(busy), null);
        assertRefused(r, 503, "enrollment_busy");
        assertEquals("1", r.headers().get("retry-after"));
        assertFalse(first.isComplete(), "the held delivery is still in progress");
        Await.result(lock.query("ROLLBACK").execute());
        assertEquals(200, Await.result(first, Duration.ofSeconds(10)).status(), "the held delivery completes");
      } finally {
        lock.close();
      }
      Response again = Http.send(enrollC, bundleRequest(busy), null);
      assertEquals(200, again.status(), "the busy refusal did not spend the token");
      enrollC.close();
    }
  }

  @Test
  void bodiesOverTheLimitsAreRefusedWith413() {
    String big = "x".repeat(70 * 1024);
    Response admin413 = call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", newSlug())
        .put("name", big));
    assertRefused(admin413, 413, "body_too_large");
    String slug = newSlug();
    createTenant(slug);
    JsonObject pkg = createPackage(slug, "agent-big");
    assertRefused(enrollCsr(pkg.getString("id"), pkg.getString("token"), "y".repeat(40 * 1024)), 413, "body_too_large");
    assertEquals("issued", call(admin, HttpMethod.GET, "/api/v1/packages/" + pkg.getString("id"), null).json()
        .getString("state"));
  }

  private static void assertRefused(Response r, int status, String reason) {
    assertEquals(status, r.status(), r.body().toString());
    assertEquals("application/problem+json", r.contentType());
    assertEquals(reason, r.json().getString("reason"), r.body().toString());
  }

  @Test
  void aCsrEnrollmentGetsACertificateForItsOwnKeyAndBadCsrsAreRefusedWithoutSpendingTheToken() throws Exception {
    String slug = newSlug();
    createTenant(slug);
    String other = newSlug();
    createTenant(other);
    JsonObject pkg = createPackage(slug, "collector-7");
    String id = pkg.getString("id");
    String token = pkg.getString("token");
    KeyPair keys = io.tenantgate.pki.KeyAlgorithm.EC_P256.generate();
    long issued = count("SELECT count(*) FROM issued_certificates");

    assertRefused(enrollCsr(id, token, csr(keys, "collector-7." + other + ".serviceradar", false)), 400, "csr_name_mismatch");
    assertRefused(enrollCsr(id, token, csr(keys, "collector-7." + slug + ".serviceradar", true)), 400, "csr_ca_requested");
    assertRefused(enrollCsr(id, token, "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"),
        400, "csr_malformed");
    assertEquals(issued, count("SELECT count(*) FROM issued_certificates"));

    Response ok = enrollCsr(id, token, csr(keys, "collector-7." + slug + ".serviceradar", false));
    assertEquals(200, ok.status(), ok.body().toString());
    X509Certificate leaf = Pem.readCertificates(ok.json().getString("certificate")).get(0);
    assertEquals(keys.getPublic(), leaf.getPublicKey());
    assertEquals("CN=collector-7." + slug + ".serviceradar", leaf.getSubjectX500Principal().getName());
    assertEquals(-1, leaf.getBasicConstraints());
    assertEquals(slug, ok.json().getJsonObject("config").getString("tenant_slug"));
    assertEquals(issued + 1, count("SELECT count(*) FROM issued_certificates"));
    ClientCert edge = files(leaf, keys.getPrivate(), Pem.certificates(leaf,
        Pem.readCertificates(ok.json().getString("ca_chain")).get(0)));
    assertEquals(200, get(gwB.h1(edge), "/csr-enrolled").status());
    assertEquals("collector", gwB.core.last().header("x-component-type"));
    assertRefused(enrollCsr(id, token, csr(keys, "collector-7." + slug + ".serviceradar", false)), 410,
        "package_already_downloaded");
  }

  /** A PKCS#10 request for {@code cn} (DNS SAN = CN), asking for CA:true when {@code ca}. */
  static String csr(KeyPair keys, String cn, boolean ca) throws Exception {
    ExtensionsGenerator ext = new ExtensionsGenerator();
    ext.addExtension(Extension.subjectAlternativeName, false, new org.bouncycastle.asn1.x509.GeneralNames(
        new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, cn)));
    if (ca) {
      ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    }
    PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), keys.getPublic())
        .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    java.io.StringWriter out = new java.io.StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(req);
    }
    return out.toString();
  }

  @Test
  void theAdminApiRefusesCallersWithoutAnAllowedAdminCertificate() {
    long audit = auditRows();
    JsonObject body = new JsonObject().put("slug", newSlug());
    HttpClient none = adm.adminClient(vertxA, gwA.gateway.adminPort(), null, null);
    Throwable noCert = Await.failure(Http.sendAsync(none, new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/api/v1/tenants"), Buffer.buffer(body.encode())));
    assertNotNull(noCert);
    ClientCert edgeCert = TestPki.get().component(TestPki.get().acmeCa, "agent-001", "acme");
    HttpClient edge = adm.adminClient(vertxA, gwA.gateway.adminPort(), edgeCert.chainPem(), edgeCert.keyPem());
    Throwable edgeRefused = Await.failure(Http.sendAsync(edge, new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/api/v1/tenants"), Buffer.buffer(body.encode())));
    assertNotNull(edgeRefused);
    HttpClient stranger = adm.adminClient(vertxA, gwA.gateway.adminPort(), adm.strangerCert, adm.strangerKey);
    Response r = call(stranger, HttpMethod.POST, "/api/v1/tenants", body);
    assertRefused(r, 403, "admin_not_allowed");
    assertEquals(audit, auditRows());
    assertEquals(0, count("SELECT count(*) FROM tenants WHERE slug = $1", body.getString("slug")));
    Await.result(Future.join(none.close(), edge.close(), stranger.close()));
  }


  @Test
  void aCertificateRevokedThroughTheApiIsRefusedByBothGatewaysWithinASecondAndItsH2AndGrpcStreamsClose() {
    String slug = newSlug();
    createTenant(slug);
    ClientCert victim = issue(slug, "agent-victim");
    ClientCert bystander = issue(slug, "agent-ok");
    Promise<Long> h2A = gwA.openH2(victim);
    Promise<Long> h2B = gwB.openH2(victim);
    GrpcEdgeClient grpcA = GrpcEdgeClient.connect(vertxA, gwA, victim);
    GrpcEdgeClient grpc = GrpcEdgeClient.connect(vertxB, gwB, victim);
    GrpcEdgeClient.Bidi bidiA = grpcA.bidi(GrpcStubCore.BIDI);
    GrpcEdgeClient.Bidi bidi = grpc.bidi(GrpcStubCore.BIDI);
    assertEquals("hello", Await.result(bidiA.exchange(Buffer.buffer("hello")), Duration.ofSeconds(5)).toString());
    assertEquals("hello", Await.result(bidi.exchange(Buffer.buffer("hello")), Duration.ofSeconds(5)).toString());

    long start = System.nanoTime();
    Response r = call(admin, HttpMethod.POST, "/api/v1/certificates/revoke",
        new JsonObject().put("serial", victim.serialHex()).put("reason", "key compromise"));
    assertEquals(200, r.status(), r.body().toString());
    assertTrue(r.json().getBoolean("changed"));
    long a = (Await.result(h2A.future(), PROPAGATION) - start) / 1_000_000;
    long b = (Await.result(h2B.future(), PROPAGATION) - start) / 1_000_000;
    GrpcEdgeClient.Outcome endedA = Await.result(bidiA.outcome(), PROPAGATION);
    GrpcEdgeClient.Outcome ended = Await.result(bidi.outcome(), PROPAGATION);
    long g = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("admin revoke -> h2 closed on A %d ms, on B %d ms; gRPC bidi on A and B ended by %d ms (%s / %s)%n",
        a, b, g, endedA.status(), ended.status());
    // measured from before the admin call: API, commit, NOTIFY, re-read and close, all within the second
    assertTrue(a < 1_000 && b < 1_000 && g < 1_000, "closed after " + a + " / " + b + " / " + g + " ms");
    for (GrpcEdgeClient.Outcome o : List.of(endedA, ended)) {
      assertNotEquals(io.vertx.grpc.common.GrpcStatus.OK, o.status(), "the stream did not end normally: " + o);
    }
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      int before = gw.core.count();
      Response refused = get(gw.h1(victim), "/after");
      assertEquals(401, refused.status());
      assertEquals("revoked", refused.json().getString("reason"));
      assertEquals(before, gw.core.count(), "core saw nothing");
      assertEquals(200, get(gw.h1(bystander), "/unaffected").status());
    }
    grpc.close();
    grpcA.close();

    // by fingerprint, once; again = unchanged
    String fp = Fingerprints.sha256Hex(bystander.certAndKey().certificate());
    JsonObject byFp = new JsonObject().put("fingerprint", fp);
    assertTrue(call(admin, HttpMethod.POST, "/api/v1/certificates/revoke", byFp).json().getBoolean("changed"));
    assertFalse(call(admin, HttpMethod.POST, "/api/v1/certificates/revoke", byFp).json().getBoolean("changed"));
    Await.until(() -> gwB.gateway.registry().snapshot().isRevoked(bystander.serialHex()), PROPAGATION, "fp revoke on B");
    JsonArray certs = call(admin, HttpMethod.GET, "/api/v1/certificates?tenant=" + slug, null).json()
        .getJsonArray("certificates");
    assertEquals(2, certs.size());
    certs.forEach(c -> assertEquals("revoked", ((JsonObject) c).getString("status")));
  }

  @Test
  void suspendingATenantThroughTheApiClosesItsConnectionsAndResumingLetsItBackIn() {
    String slug = newSlug();
    createTenant(slug);
    ClientCert agent = issue(slug, "agent-001");
    Promise<Long> open = gwB.openH2(agent);
    JsonObject conns = call(admin, HttpMethod.GET, "/api/v1/connections?tenant=" + slug, null).json();
    // gateway A's admin API lists A's connections: the one on B is not among them
    assertEquals(0, conns.getJsonArray("connections").size());
    Promise<Long> openA = gwA.openH2(agent);
    conns = call(admin, HttpMethod.GET, "/api/v1/connections?tenant=" + slug, null).json();
    assertEquals(1, conns.getJsonArray("connections").size(), conns.encode());
    assertEquals("agent-001", conns.getJsonArray("connections").getJsonObject(0).getString("component_id"));
    assertEquals(1, conns.getJsonObject("per_tenant").getInteger(slug));

    assertTrue(call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/suspend", null).json().getBoolean("changed"));
    Await.result(open.future(), PROPAGATION);
    Await.result(openA.future(), PROPAGATION);
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      Response r = get(gw.h1(agent), "/suspended");
      assertEquals(403, r.status());
      assertEquals("tenant_suspended", r.json().getString("reason"));
    }
    assertEquals("suspended", call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug, null).json().getString("status"));
    Response noPkg = call(admin, HttpMethod.POST, "/api/v1/packages", new JsonObject().put("tenant", slug)
        .put("component_id", "agent-002"));
    assertRefused(noPkg, 409, "tenant_suspended");

    assertTrue(call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/resume", null).json().getBoolean("changed"));
    Await.until(() -> gwA.gateway.registry().snapshot().tenantBySlug(slug).status()
        == io.tenantgate.tenant.TenantStatus.ACTIVE && gwB.gateway.registry().snapshot().tenantBySlug(slug).status()
        == io.tenantgate.tenant.TenantStatus.ACTIVE, PROPAGATION, "resumed on both");
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      assertEquals(200, get(gw.h1(agent), "/resumed").status());
    }
  }

  @Test
  void duringCaRotationCertificatesOfBothCasWorkAndAfterTheOldCaIsDisabledItsCertificatesAreRefused() {
    String slug = newSlug();
    JsonObject tenant = createTenant(slug);
    String oldSpki = tenant.getJsonArray("cas").getJsonObject(0).getString("spki_sha256");
    ClientCert oldCert = issue(slug, "agent-old");
    Response rotated = call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/cas/rotate", null);
    assertEquals(201, rotated.status(), rotated.body().toString());
    String newSpki = rotated.json().getString("added");
    assertNotEquals(oldSpki, newSpki);
    assertEquals(2, rotated.json().getJsonArray("cas").size());
    Await.until(() -> gwB.gateway.registry().snapshot().caBySpki(newSpki) != null, PROPAGATION, "new CA on B");
    ClientCert newCert = issue(slug, "agent-new");
    assertEquals(newSpki, Fingerprints.spkiSha256Hex(chainOf(newCert).get(1)));
    Promise<Long> oldConn = gwB.openH2(oldCert);
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      assertEquals(200, get(gw.h1(oldCert), "/old-during-overlap").status());
      assertEquals(200, get(gw.h1(newCert), "/new-during-overlap").status());
    }
    // a third CA is refused while two are active
    assertRefused(call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/cas/rotate", null), 409, "conflict");

    assertTrue(call(admin, HttpMethod.POST, "/api/v1/cas/" + oldSpki + "/disable", null).json().getBoolean("changed"));
    Await.result(oldConn.future(), PROPAGATION);
    for (GatewayFixture gw : List.of(gwA, gwB)) {
      Response r = get(gw.h1(oldCert), "/old-after");
      assertEquals(403, r.status());
      assertEquals("ca_disabled", r.json().getString("reason"));
      assertEquals(200, get(gw.h1(newCert), "/new-after").status());
    }
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'ca.disable' AND detail->>'ca_spki_sha256' = $1",
        oldSpki));
  }

  @Test
  void aTenantCaCanBeRequestedForAnOfflineRootAndImportedOnceSigned() {
    String slug = newSlug();
    Response r = call(admin, HttpMethod.POST, "/api/v1/tenants", new JsonObject().put("slug", slug).put("ca", "csr"));
    assertEquals(201, r.status(), r.body().toString());
    String csrPem = r.json().getJsonObject("ca_request").getString("csr");
    JcaPKCS10CertificationRequest req = new JcaPKCS10CertificationRequest(
        (PKCS10CertificationRequest) readPem(csrPem));
    assertEquals("CN=tenant-" + slug + ".ca.serviceradar", req.getSubject().toString());

    CertAndKey root = TestPki.get().root;
    X509Certificate wrongKey = io.tenantgate.pki.Pki.createTenantCa(root, slug, "serviceradar", Duration.ofDays(30),
        io.tenantgate.pki.KeyAlgorithm.EC_P256).certificate();
    assertEquals(404, call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/cas/import",
        new JsonObject().put("certificate", Pem.certificates(wrongKey))).status());
    X509Certificate signed;
    try {
      X509Certificate unconstrained = CertificateBuilder.create().subjectCn("tenant-" + slug + ".ca.serviceradar")
          .publicKey(req.getPublicKey()).issuedBy(root).ca(0).keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).build()
          .certificate();
      assertRefused(call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/cas/import",
          new JsonObject().put("certificate", Pem.certificates(unconstrained))), 400, "invalid_input");
      signed = CertificateBuilder.create().subjectCn("tenant-" + slug + ".ca.serviceradar").publicKey(req.getPublicKey())
          .issuedBy(root).ca(0).keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
          .permittedDnsSubtrees(slug + ".serviceradar").build().certificate();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    Response imported = call(admin, HttpMethod.POST, "/api/v1/tenants/" + slug + "/cas/import",
        new JsonObject().put("certificate", Pem.certificates(signed)));
    assertEquals(201, imported.status(), imported.body().toString());
    assertEquals(Fingerprints.spkiSha256Hex(signed), imported.json().getString("spki_sha256"));
    Await.until(() -> gwA.gateway.registry().snapshot().caBySpki(imported.json().getString("spki_sha256")) != null,
        PROPAGATION, "imported CA in force");
    ClientCert agent = issue(slug, "agent-001");
    assertEquals(200, get(gwA.h1(agent), "/offline-root").status());
    assertEquals(0, call(admin, HttpMethod.GET, "/api/v1/tenants/" + slug, null).json().getJsonArray("ca_requests").size());
  }

  private static List<X509Certificate> chainOf(ClientCert c) {
    try {
      return Pem.readCertificates(c.chainPem());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Object readPem(String pem) {
    try (org.bouncycastle.openssl.PEMParser p = new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(pem))) {
      return p.readObject();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
