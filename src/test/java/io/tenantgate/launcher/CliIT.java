package io.tenantgate.launcher;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.dev.DevEnvironment;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.TenantStatus;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator CLI in the forms scripts rely on, against both stores: the dev file store (`--data DIR`)
 * and Postgres (a dev directory whose store.json names a schema), with a running gateway on that schema
 * applying what the CLI changes.
 */
class CliIT {
  private static CliRun cli(String... args) {
    return CliRun.of(args);
  }

  private static CliRun ok(String... args) {
    return CliRun.ok(args);
  }

  @Test
  void theScriptFormsWorkOnTheDevFileStore(@TempDir Path dir) throws Exception {
    DevEnvironment env = new DevEnvironment(dir, "serviceradar");
    env.ensure();
    String data = dir.toString();
    CliRun created = ok("tenant", "create", "--data", data, "--slug", "initech");
    assertTrue(created.out().contains("created tenant initech"), created.out());
    Path out = dir.resolve("out");
    ok("cert", "issue", "--data", data, "--tenant", "initech", "--component", "agent-009", "--out", out.toString());
    X509Certificate leaf = Pem.readCertificates(out.resolve("agent-009.pem")).get(0);
    List<X509Certificate> chain = Pem.readCertificates(out.resolve("agent-009-chain.pem"));
    assertEquals("CN=agent-009.initech.serviceradar", leaf.getSubjectX500Principal().getName());
    leaf.verify(chain.get(1).getPublicKey());
    chain.get(1).verify(env.root().publicKey());
    assertEquals(leaf.getPublicKey(), CertAndKeyCheck.publicOf(Pem.readPrivateKey(out.resolve("agent-009-key.pem")), leaf));

    RegistrySnapshot snap = RegistryFile.parse(Files.readString(env.registryFile())).toSnapshot(Instant.now(), 1);
    assertEquals(TenantStatus.ACTIVE, snap.tenantBySlug("initech").status());
    assertEquals(snap.tenantBySlug("initech").id(), snap.caBySpki(Fingerprints.spkiSha256Hex(chain.get(1))).tenantId());

    String serial = Fingerprints.serialHex(leaf.getSerialNumber());
    ok("cert", "revoke", "--data", data, "--serial", serial);
    ok("tenant", "suspend", "--data", data, "--slug", "initech");
    snap = RegistryFile.parse(Files.readString(env.registryFile())).toSnapshot(Instant.now(), 2);
    assertTrue(snap.isRevoked(serial));
    assertEquals(TenantStatus.SUSPENDED, snap.tenantBySlug("initech").status());
    JsonObject listed = ok("tenant", "list", "--data", data, "--json").json();
    assertEquals(3, listed.getJsonArray("tenants").size());
    JsonObject certs = ok("cert", "list", "--data", data, "--tenant", "initech", "--json").json();
    assertEquals("revoked", certs.getJsonArray("certificates").getJsonObject(0).getString("status"));
    assertTrue(Files.readString(dir.resolve("audit.jsonl")).contains("\"action\":\"tenant.suspend\""));

    CliRun dup = cli("tenant", "create", "--data", data, "--slug", "initech");
    assertEquals(1, dup.exit());
    assertTrue(dup.err().contains("already exists"), dup.err());
    CliRun bad = cli("tenant", "create", "--data", data, "--slug", "Not_A_Slug", "--json");
    assertEquals(1, bad.exit());
    assertEquals("invalid_input", bad.json().getString("error"));
    CliRun reserved = cli("tenant", "create", "--data", data, "--slug", "logs", "--json");
    assertEquals(1, reserved.exit());
    assertEquals("slug_reserved", reserved.json().getString("error"));
    CliRun pkg = cli("package", "create", "--data", data, "--tenant", "acme", "--component", "agent-002");
    assertEquals(1, pkg.exit());
    assertTrue(pkg.err().contains("Postgres"), pkg.err());
    CliRun usage = cli("tenant", "create", "--slug", "x");
    assertEquals(1, usage.exit());
    assertTrue(usage.err().contains("--config FILE") && usage.err().contains("--data DIR"), usage.err());

    // initech's CA entry keeps its stored hash, with another CA's PEM beside it: listed as unusable, not hidden
    JsonObject doc = new JsonObject(Files.readString(env.registryFile()));
    io.vertx.core.json.JsonArray cas = doc.getJsonArray("cas");
    String initechId = snap.tenantBySlug("initech").id().toString();
    JsonObject initechCa = cas.stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("tenant").equals(initechId)).findFirst().orElseThrow();
    JsonObject other = cas.stream().map(JsonObject.class::cast).filter(c -> c != initechCa).findFirst().orElseThrow();
    initechCa.put("certificate", other.getString("certificate"));
    Files.writeString(env.registryFile(), doc.encodePrettily());
    JsonObject listedCa = ok("ca", "list", "--data", data, "--tenant", "initech", "--json").json().getJsonArray("cas")
        .getJsonObject(0);
    assertEquals(initechCa.getString("spki_sha256"), listedCa.getString("spki_sha256"));
    assertTrue(listedCa.getString("subject").startsWith("unusable: the certificate's key hashes to"), listedCa.encode());
    assertNull(listedCa.getValue("not_after"));
    assertTrue(ok("ca", "list", "--data", data, "--tenant", "initech").out().contains("unusable:"));
  }

  /** Checks a key belongs to a certificate by signing with it. */
  static final class CertAndKeyCheck {
    static java.security.PublicKey publicOf(java.security.PrivateKey key, X509Certificate cert) throws Exception {
      var sig = java.security.Signature.getInstance("SHA256withECDSA");
      sig.initSign(key);
      sig.update(new byte[] {42});
      byte[] s = sig.sign();
      sig.initVerify(cert.getPublicKey());
      sig.update(new byte[] {42});
      assertTrue(sig.verify(s), "the key file holds the certificate's key");
      return cert.getPublicKey();
    }
  }

  @Test
  void theCliActsOnThePostgresStoreWhileAGatewayServesFromIt(@TempDir Path dir) throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    PostgresFixture pg = PostgresFixture.create(vertx);
    GatewayFixture gw = null;
    try {
      // a dev data directory on this schema: the platform root of the test PKI, so the gateway trusts it
      Path pki = dir.resolve("pki");
      Files.createDirectories(pki);
      CertAndKey root = TestPki.get().root;
      Pem.write(pki.resolve("root.pem"), Pem.certificates(root.certificate()), false);
      Pem.write(pki.resolve("root-key.pem"), Pem.privateKey(root.privateKey()), true);
      Files.copy(pg.masterKeyFile, pki.resolve("master.key"));
      Files.writeString(dir.resolve(StoreOptions.DEV_STORE_FILE), new JsonObject().put("store", "postgres")
          .put("url", PostgresFixture.URL).put("schema", pg.schema).encode());
      String data = dir.toString();
      String slug = "cli-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
      // the access log would print on the stdout the CLI's --json output is read from (same JVM here only)
      gw = GatewayFixture.start(vertx, cfg -> {
        cfg.put("registry", pg.registrySection(PostgresFixture.URL));
        cfg.put("accessLog", java.util.Map.of("enabled", false));
      });
      GatewayFixture g = gw;

      JsonObject t = ok("tenant", "create", "--data", data, "--slug", slug, "--json").json();
      assertEquals(slug, t.getString("slug"));
      assertEquals(1, Await.result(pg.db.pool().preparedQuery("SELECT count(*) FROM audit_log WHERE action = 'tenant.create'"
          + " AND actor LIKE 'cli:%'").execute()).iterator().next().getLong(0));
      Path out = dir.resolve("out");
      JsonObject issued = ok("cert", "issue", "--data", data, "--tenant", slug, "--component", "agent-009",
          "--out", out.toString(), "--json").json();
      ClientCert agent = new ClientCert(null, out.resolve("agent-009.pem"), out.resolve("agent-009-key.pem"),
          out.resolve("agent-009-chain.pem"), issued.getString("serial"));
      Await.until(() -> g.gateway.registry().snapshot().tenantBySlug(slug) != null, Duration.ofSeconds(1), "tenant");
      assertEquals(200, get(gw.h1(agent), "/cli-issued").status());
      assertEquals(slug, gw.core.last().header("x-tenant-slug"));

      JsonObject pkg = ok("package", "create", "--data", data, "--tenant", slug, "--component", "agent-010",
          "--ttl", "2h", "--json").json();
      assertTrue(pkg.getString("token").startsWith("edgepkg-v2:"));
      assertEquals("issued", ok("package", "list", "--data", data, "--tenant", slug, "--json").json()
          .getJsonArray("packages").getJsonObject(0).getString("state"));
      ok("package", "revoke", "--data", data, "--id", pkg.getString("id"));

      JsonObject rotated = ok("ca", "rotate", "--data", data, "--tenant", slug, "--json").json();
      assertEquals(2, ok("ca", "list", "--data", data, "--tenant", slug, "--json").json().getJsonArray("cas").size());
      String oldSpki = Fingerprints.spkiSha256Hex(Pem.readCertificates(agent.chainPem()).get(1));
      ok("ca", "disable", "--data", data, "--spki", oldSpki);
      Await.until(() -> g.gateway.registry().snapshot().caBySpki(oldSpki).status() == TenantStatus.DISABLED,
          Duration.ofSeconds(1), "old CA disabled");
      assertEquals("ca_disabled", get(gw.h1(agent), "/old-ca").json().getString("reason"));
      JsonObject fresh = ok("cert", "issue", "--data", data, "--tenant", slug, "--component", "agent-011",
          "--out", out.toString(), "--json").json();
      ClientCert freshCert = new ClientCert(null, out.resolve("agent-011.pem"), out.resolve("agent-011-key.pem"),
          out.resolve("agent-011-chain.pem"), fresh.getString("serial"));
      assertEquals(rotated.getString("added"),
          Fingerprints.spkiSha256Hex(Pem.readCertificates(freshCert.chainPem()).get(1)));
      assertEquals(200, get(gw.h1(freshCert), "/new-ca").status());
      ok("cert", "revoke", "--data", data, "--fingerprint", fresh.getString("fingerprint_sha256"), "--reason", "test");
      Await.until(() -> g.gateway.registry().snapshot().isRevoked(freshCert.serialHex()), Duration.ofSeconds(1), "revoked");
      assertEquals("revoked", get(gw.h1(freshCert), "/revoked").json().getString("reason"));

      // offline root: a CA request written to a file, signed elsewhere, imported
      String offline = slug + "-off";
      Path csrFile = dir.resolve("ca.csr");
      ok("tenant", "create", "--data", data, "--slug", offline, "--ca-csr", csrFile.toString());
      PKCS10CertificationRequest csr;
      try (PEMParser p = new PEMParser(Files.newBufferedReader(csrFile))) {
        csr = (PKCS10CertificationRequest) p.readObject();
      }
      X509Certificate signed = CertificateBuilder.create().subjectCn("tenant-" + offline + ".ca.serviceradar")
          .publicKey(new JcaPKCS10CertificationRequest(csr).getPublicKey()).issuedBy(root).ca(0)
          .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).permittedDnsSubtrees(offline + ".serviceradar").build()
          .certificate();
      Path signedFile = dir.resolve("signed.pem");
      Pem.write(signedFile, Pem.certificates(signed), false);
      ok("ca", "import", "--data", data, "--tenant", offline, "--cert", signedFile.toString());
      ok("cert", "issue", "--data", data, "--tenant", offline, "--component", "agent-001", "--out", out.toString());

      CliRun suspended = ok("tenant", "suspend", "--data", data, "--slug", slug);
      assertTrue(suspended.out().contains("suspended " + slug));
      assertEquals(1, Await.result(pg.db.pool().preparedQuery("SELECT count(*) FROM tenants WHERE slug = $1"
          + " AND status = 'suspended'").execute(Tuple.of(slug))).iterator().next().getLong(0));
    } finally {
      if (gw != null) {
        gw.close();
      }
      pg.close();
      Await.result(vertx.close());
    }
  }
}
