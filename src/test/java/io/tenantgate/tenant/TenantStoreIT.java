package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.RegistryConfig;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TenantStore and the registry's start-up checks against the real Postgres, in a throwaway schema. */
class TenantStoreIT {
  private static Vertx vertx;
  private static PostgresFixture pg;
  private static TestPki pki;
  private static TenantStore store;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    pg = PostgresFixture.create(vertx);
    pki = TestPki.get();
    store = pg.store(pki.root);
  }

  @AfterAll
  static void stop() {
    pg.close();
    Await.result(vertx.close());
  }

  private static long count(String sql, Object... params) {
    return Await.result(pg.db.pool().preparedQuery(sql).execute(Tuple.from(params))).iterator().next().getLong(0);
  }

  @Test
  void creatingATenantStoresItsCaWithAnEncryptedKeyAndAnAuditRow() throws Exception {
    Tenant t = Await.result(store.createTenant("umbrella", "Umbrella Corp", "admin.test"));
    assertEquals("umbrella", t.slug());
    Row ca = Await.result(pg.db.pool().preparedQuery("SELECT * FROM tenant_cas WHERE tenant_id = $1")
        .execute(Tuple.of(t.id()))).iterator().next();
    X509Certificate cert = Pem.readCertificates(ca.getString("certificate_pem")).get(0);
    assertEquals("CN=tenant-umbrella.ca.serviceradar", cert.getSubjectX500Principal().getName());
    assertEquals(pki.root.certificate().getSubjectX500Principal(), cert.getIssuerX500Principal());
    assertEquals(Fingerprints.spkiSha256Hex(cert), ca.getString("spki_sha256"));
    assertEquals("active", ca.getString("status"));

    byte[] sealed = ca.getBuffer("private_key_enc").getBytes();
    assertNotNull(sealed);
    String asText = new String(sealed, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertFalse(asText.contains("PRIVATE KEY"));
    assertEquals(1, sealed[0], "sealed format version, not a DER SEQUENCE (0x30)");
    // it opens with the master key, bound to this CA, into the key of the certificate
    var key = pg.masterKey.openPrivateKey(sealed, ca.getString("spki_sha256"));
    var sig = java.security.Signature.getInstance("SHA256withECDSA");
    sig.initSign(key);
    sig.update(new byte[] {1});
    byte[] s = sig.sign();
    sig.initVerify(cert.getPublicKey());
    sig.update(new byte[] {1});
    assertTrue(sig.verify(s));
    assertThrows(MasterKey.WrongKeyException.class, () -> MasterKey.generate().openPrivateKey(sealed,
        ca.getString("spki_sha256")));

    Row audit = Await.result(pg.db.pool().preparedQuery("SELECT * FROM audit_log WHERE tenant_id = $1")
        .execute(Tuple.of(t.id()))).iterator().next();
    assertEquals("admin.test", audit.getString("actor"));
    assertEquals("tenant.create", audit.getString("action"));
    JsonObject detail = (JsonObject) audit.getValue("detail");
    assertEquals("umbrella", detail.getString("slug"));
    assertEquals(ca.getString("spki_sha256"), detail.getString("ca_spki_sha256"));
  }

  @Test
  void aDuplicateOrBadSlugIsRefusedAndWritesNothing() {
    Await.result(store.createTenant("cyberdyne", "Cyberdyne", "admin.test"));
    long tenants = count("SELECT count(*) FROM tenants");
    long audits = count("SELECT count(*) FROM audit_log");
    var dup = (StoreException) Await.failure(store.createTenant("cyberdyne", "Again", "admin.test"));
    assertEquals(StoreException.Kind.CONFLICT, dup.kind());
    var bad = (StoreException) Await.failure(store.createTenant("Bad_Slug", "x", "admin.test"));
    assertEquals(StoreException.Kind.INVALID, bad.kind());
    assertEquals(tenants, count("SELECT count(*) FROM tenants"));
    assertEquals(audits, count("SELECT count(*) FROM audit_log"));
    assertEquals(1, count("SELECT count(*) FROM tenant_cas c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = $1",
        "cyberdyne"));
  }

  @Test
  void atMostTwoActiveCasPerTenantAndAnImportedCaNeedNotCarryItsKey() {
    Tenant t = Await.result(store.createTenant("tyrell", "Tyrell", "admin.test"));
    CertAndKey second = Pki.createTenantCa(pki.root, "tyrell", TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    CertAndKey third = Pki.createTenantCa(pki.root, "tyrell", TestPki.TD, Duration.ofDays(30), KeyAlgorithm.EC_P256);
    TenantCa added = Await.result(store.addCa("tyrell", second.certificate(), null, "admin.test"));
    assertEquals(t.id(), added.tenantId());
    assertEquals(1, count("SELECT count(*) FROM tenant_cas WHERE spki_sha256 = $1 AND private_key_enc IS NULL",
        added.spkiSha256()));
    var refused = (StoreException) Await.failure(store.addCa("tyrell", third.certificate(), third.privateKey(), "a"));
    assertEquals(StoreException.Kind.CONFLICT, refused.kind());
    assertTrue(Await.result(store.setCaStatus(added.spkiSha256(), TenantStatus.DISABLED, "admin.test")));
    assertFalse(Await.result(store.setCaStatus(added.spkiSha256(), TenantStatus.DISABLED, "admin.test")));
    Await.result(store.addCa("tyrell", third.certificate(), third.privateKey(), "admin.test"));
    var reEnable = (StoreException) Await.failure(store.setCaStatus(added.spkiSha256(), TenantStatus.ACTIVE, "a"));
    assertEquals(StoreException.Kind.CONFLICT, reEnable.kind());
    assertEquals(StoreException.Kind.NOT_FOUND, ((StoreException) Await.failure(
        store.setCaStatus("0".repeat(64), TenantStatus.DISABLED, "a"))).kind());
    assertEquals(3, count("SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action LIKE 'ca.%'", t.id()));
  }

  @Test
  void issuingRecordsTheCertificateAndRevokingItIsAuditedOnce() {
    Tenant t = Await.result(store.createTenant("wonka", "Wonka", "admin.test"));
    TenantStore.Issued issued = Await.result(store.issueComponent(ComponentCertSpec.of("agent-001", "wonka"), "admin.test"));
    assertEquals("CN=agent-001.wonka.serviceradar", issued.leaf().certificate().getSubjectX500Principal().getName());
    String serial = Fingerprints.serialHex(issued.leaf().certificate().getSerialNumber());
    assertEquals(1, count("SELECT count(*) FROM issued_certificates WHERE serial = $1 AND tenant_id = $2"
        + " AND component_id = 'agent-001' AND status = 'active'", serial, t.id()));

    assertTrue(Await.result(store.revokeSerial(serial.toUpperCase(), "key compromise", "admin.test")));
    assertFalse(Await.result(store.revokeSerial(serial, "again", "admin.test")));
    assertEquals(1, count("SELECT count(*) FROM revocations WHERE serial = $1 AND tenant_id = $2", serial, t.id()));
    assertEquals(1, count("SELECT count(*) FROM issued_certificates WHERE serial = $1 AND status = 'revoked'", serial));
    assertEquals(1, count("SELECT count(*) FROM audit_log WHERE action = 'cert.revoke' AND tenant_id = $1", t.id()));
    assertEquals(StoreException.Kind.INVALID,
        ((StoreException) Await.failure(store.revokeSerial("xyz", "r", "a"))).kind());

    assertTrue(Await.result(store.suspend("wonka", "admin.test")));
    assertFalse(Await.result(store.suspend("wonka", "admin.test")));
    assertEquals(StoreException.Kind.CONFLICT, ((StoreException) Await.failure(
        store.issueComponent(ComponentCertSpec.of("agent-002", "wonka"), "a"))).kind());
    assertTrue(Await.result(store.resume("wonka", "admin.test")));
    assertEquals(StoreException.Kind.NOT_FOUND, ((StoreException) Await.failure(store.suspend("nobody", "a"))).kind());
  }

  @Test
  void aWrongMasterKeyIsAClearStartUpError() {
    // the first registry seals the key check; one with another key then refuses to start
    PostgresTenantRegistry right = new PostgresTenantRegistry(vertx, io.tenantgate.db.Database.create(vertx,
        PostgresFixture.config(PostgresFixture.URL, pg.schema), Map.of()), pg.masterKey, Duration.ofMillis(20),
        Duration.ofMillis(500));
    try {
      Await.result(right.start());
    } finally {
      Await.result(right.close());
    }
    PostgresTenantRegistry wrong = new PostgresTenantRegistry(vertx, io.tenantgate.db.Database.create(vertx,
        PostgresFixture.config(PostgresFixture.URL, pg.schema), Map.of()), MasterKey.generate(), Duration.ofMillis(20),
        Duration.ofMillis(500));
    try {
      Throwable err = Await.failure(wrong.start());
      assertTrue(err.getMessage().contains("wrong master key") && err.getMessage().contains(pg.schema),
          err.getMessage());
    } finally {
      Await.result(wrong.close());
    }
  }

  @Test
  void aMissingMasterKeyIsAClearStartUpError() {
    RegistryConfig config = new RegistryConfig(RegistryConfig.StoreType.POSTGRES, null, Duration.ofSeconds(1),
        PostgresFixture.config(PostgresFixture.URL, pg.schema), null, null, null);
    var err = assertThrows(IllegalArgumentException.class, () -> PostgresTenantRegistry.create(vertx, config, Map.of()));
    assertTrue(err.getMessage().contains("no master key"), err.getMessage());
  }

  @Test
  void anEdgeOnlyGatewayReadsTheRegistryWithoutHoldingTheMasterKey() {
    Await.result(store.createTenant("edgeonly", "Edge Only", "admin.test"));
    RegistryConfig config = new RegistryConfig(RegistryConfig.StoreType.POSTGRES, null, Duration.ofSeconds(1),
        PostgresFixture.config(PostgresFixture.URL, pg.schema), null, null, null);
    PostgresTenantRegistry registry = PostgresTenantRegistry.create(vertx, config, Map.of(), false);
    try {
      Await.result(registry.start());
      assertNotNull(registry.snapshot().tenantBySlug("edgeonly"));
      assertEquals(null, registry.masterKey());
    } finally {
      Await.result(registry.close());
    }
  }
}
