package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryFileTest {

  private static final UUID ACME_ID = UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0001");
  private static final UUID GLOBEX_ID = UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0002");
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  private static CertAndKey acmeCa;
  private static CertAndKey globexCa;
  private static String acmePem;
  private static String globexPem;
  private static final int MANY = CaParsing.HELPER_THRESHOLD + 100;
  private static JsonObject many;

  @BeforeAll
  static void createCas() {
    CertAndKey root = Pki.createRoot("registry test root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acmeCa = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    globexCa = Pki.createTenantCa(root, "globex", "serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acmePem = Pem.certificates(acmeCa.certificate());
    globexPem = Pem.certificates(globexCa.certificate());
  }

  private static RegistryFile twoTenants() {
    return RegistryFile.empty()
        .addTenant(new Tenant(ACME_ID, "acme", "Acme Corp", TenantStatus.ACTIVE))
        .addTenant(new Tenant(GLOBEX_ID, "globex", "Globex", TenantStatus.ACTIVE))
        .addCa(ACME_ID, acmePem, TenantStatus.ACTIVE)
        .addCa(GLOBEX_ID, globexPem, TenantStatus.ACTIVE);
  }

  private static String spki(CertAndKey ca) {
    return Fingerprints.spkiSha256Hex(ca.certificate());
  }

  /** The refusal of {@code json}, the same from the JSON tree and from the streaming load the gateway uses. */
  private static String message(String json) {
    String tree = assertThrows(IllegalArgumentException.class, () -> RegistryFile.parse(json).toSnapshot(AT, 1))
        .getMessage();
    assertEquals(tree, assertThrows(IllegalArgumentException.class, () -> RegistryFile.load(json, AT, 1))
        .getMessage(), "streaming load");
    return tree;
  }

  private static JsonObject tenantJson(String id, String slug, String status) {
    JsonObject t = new JsonObject().put("id", id).put("slug", slug);
    return status == null ? t : t.put("status", status);
  }

  private static String doc(JsonArray tenants, JsonArray cas, JsonArray revoked) {
    return new JsonObject().put("tenants", tenants).put("cas", cas).put("revoked", revoked).encode();
  }

  // ---- round trip ------------------------------------------------------------------------

  @Test
  void emptyRegistryRoundTrips() {
    String text = RegistryFile.empty().encode();
    assertTrue(text.endsWith("\n"));
    RegistrySnapshot s = RegistryFile.parse(text).toSnapshot(AT, 7);
    assertTrue(s.tenants().isEmpty());
    assertTrue(s.cas().isEmpty());
    assertEquals(0, s.revokedCount());
    assertEquals(AT, s.loadedAt());
    assertEquals(7, s.version());
  }

  @Test
  void missingListsAreEmpty() {
    RegistrySnapshot s = RegistryFile.parse("{}").toSnapshot(AT, 1);
    assertTrue(s.tenants().isEmpty());
    assertTrue(s.cas().isEmpty());
    assertEquals(0, s.revokedCount());
    assertEquals(0, RegistryFile.parse("{\"tenants\": null}").toSnapshot(AT, 1).tenants().size());
  }

  @Test
  void tenantsCasAndRevocationsSurviveEncodeAndParse() {
    RegistryFile file = twoTenants().revoke("00:1F:3A", "key compromise", AT);

    RegistrySnapshot s = RegistryFile.parse(file.encode()).toSnapshot(AT, 3);

    assertEquals(new Tenant(ACME_ID, "acme", "Acme Corp", TenantStatus.ACTIVE), s.tenant(ACME_ID));
    assertSame(s.tenant(GLOBEX_ID), s.tenantBySlug("globex"));
    assertEquals(2, s.cas().size());
    TenantCa ca = s.caBySpki(spki(acmeCa));
    assertNotNull(ca);
    assertEquals(ACME_ID, ca.tenantId());
    assertEquals(TenantStatus.ACTIVE, ca.status());
    assertEquals(acmeCa.certificate(), ca.certificate());
    assertEquals(KeyIdentifiers.subjectKeyId(acmeCa.certificate()), ca.subjectKeyId());
    assertSame(ca, s.caByKeyId(ca.subjectKeyId()));
    assertEquals(GLOBEX_ID, s.caBySpki(spki(globexCa)).tenantId());
    assertTrue(s.isRevoked("1f3a"));
    assertEquals(1, s.revokedCount());
  }

  @Test
  void addCaStoresTheKeyHashAndKeyIdBesideThePem() {
    JsonObject entry = new JsonObject(twoTenants().encode()).getJsonArray("cas").getJsonObject(0);
    assertEquals(spki(acmeCa), entry.getString("spki_sha256"));
    assertEquals(KeyIdentifiers.subjectKeyId(acmeCa.certificate()), entry.getString("subject_key_id"));
    assertEquals(acmePem, entry.getString("certificate"));
    assertThrows(IllegalArgumentException.class, () -> RegistryFile.empty().addCa(ACME_ID, "not a pem",
        TenantStatus.ACTIVE));
  }

  @Test
  void aCaWithItsStoredHashIsIndexedByItAndItsPemParsedWhenFirstAsked() {
    for (RegistrySnapshot s : List.of(RegistryFile.load(twoTenants().encode(), AT, 1),
        RegistryFile.parse(twoTenants().encode()).toSnapshot(AT, 1))) {
      TenantCa ca = s.caByKeyId(KeyIdentifiers.subjectKeyId(acmeCa.certificate()));
      assertSame(ca, s.caBySpki(spki(acmeCa)));
      assertNull(ca.problem());
      assertEquals(acmeCa.certificate(), ca.certificate());
    }
  }

  /** The registry with acme's entry changed: {@code field} set to {@code value}. */
  private static String withAcmeEntry(String field, String value) {
    JsonObject doc = new JsonObject(twoTenants().encode());
    doc.getJsonArray("cas").getJsonObject(0).put(field, value);
    return doc.encode();
  }

  @Test
  void aStoredHashThatIsNotTheCertificatesMakesTheCaUnusableNotTheFile() {
    RegistrySnapshot s = RegistryFile.load(withAcmeEntry("certificate", globexPem), AT, 1);
    TenantCa ca = s.caBySpki(spki(acmeCa));
    assertTrue(ca.problem().contains("hashes to " + spki(globexCa)), ca.problem());
    assertNull(ca.certificateOrNull());
    assertThrows(IllegalStateException.class, ca::certificate);
    assertNull(s.caBySpki(spki(globexCa)).problem(), "the other CA is untouched");
  }

  private static RegistrySnapshot reload(String json, RegistrySnapshot previous) throws Exception {
    return RegistryFileReader.read(new java.io.ByteArrayInputStream(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
        AT, previous.version() + 1, previous);
  }

  @Test
  void aReloadTakesOverTheParsedCertificateOfEveryCaWhosePemDidNotChange() throws Exception {
    RegistrySnapshot first = RegistryFile.load(twoTenants().encode(), AT, 1);
    X509Certificate acme = first.caBySpki(spki(acmeCa)).certificate();
    assertNull(first.caBySpki(spki(globexCa)).problem());

    // acme's CA disabled, globex's entry given initech's PEM: acme keeps its parse, globex is parsed again
    JsonObject doc = new JsonObject(twoTenants().encode());
    doc.getJsonArray("cas").getJsonObject(0).put("status", "disabled");
    doc.getJsonArray("cas").getJsonObject(1).put("certificate", acmePem);
    RegistrySnapshot second = reload(doc.encode(), first);
    TenantCa acmeAgain = second.caBySpki(spki(acmeCa));
    assertEquals(TenantStatus.DISABLED, acmeAgain.status());
    assertSame(acme, acmeAgain.certificate(), "taken over, not parsed again");
    assertTrue(second.caBySpki(spki(globexCa)).problem().contains("hashes to " + spki(acmeCa)));

    // and an unusable verdict is taken over as well, until the PEM changes
    RegistrySnapshot third = reload(doc.encode(), second);
    assertEquals(second.caBySpki(spki(globexCa)).problem(), third.caBySpki(spki(globexCa)).problem());
    assertNull(reload(twoTenants().encode(), third).caBySpki(spki(globexCa)).problem(), "the right PEM again");
  }

  @Test
  void aStoredKeyIdThatIsNotTheCertificatesMakesTheCaUnusable() {
    TenantCa ca = RegistryFile.load(withAcmeEntry("subject_key_id", "abcd"), AT, 1).caBySpki(spki(acmeCa));
    assertTrue(ca.problem().contains("subject key identifier"), ca.problem());
  }

  @Test
  void aStoredHashBesideAPemThatDoesNotParseMakesTheCaUnusable() {
    String garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    TenantCa ca = RegistryFile.load(withAcmeEntry("certificate", garbage), AT, 1).caBySpki(spki(acmeCa));
    assertTrue(ca.problem().startsWith("CA certificate cannot be parsed"), ca.problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ABCD", "xyz", "", "0"})
  void aStoredHashThatIsNotSixtyFourLowercaseHexDigitsRefusesTheFile(String spki) {
    assertEquals("cas[0].spki_sha256: must be 64 lowercase hex digits, got '" + spki + "'",
        message(withAcmeEntry("spki_sha256", spki)));
  }

  @Test
  void aStoredKeyIdThatIsNotHexRefusesTheFile() {
    assertEquals("cas[0].subject_key_id: must be lowercase hex, got 'k'", message(withAcmeEntry("subject_key_id", "k")));
  }

  @Test
  void encodingTwiceGivesTheSameText() {
    String once = twoTenants().encode();
    assertEquals(once, RegistryFile.parse(once).encode());
  }

  @Test
  void revokeStoresTheNormalizedSerialWithReasonAndTime() {
    JsonObject doc = new JsonObject(RegistryFile.empty().revoke(" 00:AB:CD ", "superseded", AT).encode());
    assertEquals(new JsonObject().put("serial", "abcd").put("reason", "superseded").put("revokedAt",
        "2026-01-01T00:00:00Z"), doc.getJsonArray("revoked").getJsonObject(0));
  }

  @Test
  void addTenantWritesTheWireStatus() {
    JsonObject doc = new JsonObject(RegistryFile.empty()
        .addTenant(new Tenant(ACME_ID, "acme", "Acme", TenantStatus.SUSPENDED)).encode());
    assertEquals(new JsonObject().put("id", ACME_ID.toString()).put("slug", "acme").put("name", "Acme")
        .put("status", "suspended"), doc.getJsonArray("tenants").getJsonObject(0));
  }

  @Test
  void nameDefaultsToTheSlugAndStatusToActive() {
    String json = doc(new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null)), new JsonArray(),
        new JsonArray());
    Tenant t = RegistryFile.parse(json).toSnapshot(AT, 1).tenant(ACME_ID);
    assertEquals(new Tenant(ACME_ID, "acme", "acme", TenantStatus.ACTIVE), t);
  }

  @Test
  void caStatusDefaultsToActive() {
    String json = doc(new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", "active")),
        new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString()).put("certificate", acmePem)),
        new JsonArray());
    assertTrue(RegistryFile.parse(json).toSnapshot(AT, 1).caBySpki(spki(acmeCa)).active());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ACTIVE", "Suspended", " disabled "})
  void statusIsCaseInsensitive(String status) {
    String json = doc(new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", status)), new JsonArray(),
        new JsonArray());
    assertEquals(TenantStatus.parse(status), RegistryFile.parse(json).toSnapshot(AT, 1).tenant(ACME_ID).status());
  }

  // ---- status changes --------------------------------------------------------------------

  @Test
  void setTenantStatusChangesOnlyThatTenant() {
    RegistryFile file = twoTenants();
    assertTrue(file.setTenantStatus("acme", TenantStatus.SUSPENDED));

    RegistrySnapshot s = RegistryFile.parse(file.encode()).toSnapshot(AT, 2);
    assertEquals(TenantStatus.SUSPENDED, s.tenantBySlug("acme").status());
    assertFalse(s.tenantBySlug("acme").active());
    assertTrue(s.tenantBySlug("globex").active());
  }

  @Test
  void setTenantStatusOfAnUnknownSlugIsFalse() {
    RegistryFile file = twoTenants();
    String before = file.encode();
    assertFalse(file.setTenantStatus("initech", TenantStatus.DISABLED));
    assertEquals(before, file.encode());
  }

  @Test
  void setCaStatusFindsTheCaBySpkiHash() {
    RegistryFile file = twoTenants();
    assertTrue(file.setCaStatus(spki(globexCa), TenantStatus.DISABLED));

    RegistrySnapshot s = file.toSnapshot(AT, 2);
    assertEquals(TenantStatus.DISABLED, s.caBySpki(spki(globexCa)).status());
    assertTrue(s.caBySpki(spki(acmeCa)).active());
  }

  @Test
  void setCaStatusOfAnUnknownSpkiIsFalse() {
    assertFalse(twoTenants().setCaStatus("0".repeat(64), TenantStatus.DISABLED));
  }

  // ---- clear refusals --------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"{", "not json", "", "{\"tenants\": [}", "[]"})
  void invalidJsonIsRefusedClearly(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryFile.parse(json));
    assertTrue(e.getMessage().startsWith("registry file is not valid JSON"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tenants", "cas", "revoked"})
  void topLevelKeysMustBeLists(String key) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RegistryFile.parse("{\"" + key + "\": {}}"));
    assertEquals("'" + key + "' must be a list", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Acme", "acme_corp", "-acme", "acme-", "", "acme.corp"})
  void badSlugIsRefusedWithItsPosition(String slug) {
    String json = doc(new JsonArray().add(tenantJson(ACME_ID.toString(), slug, null)), new JsonArray(),
        new JsonArray());
    assertEquals("tenants[0]: invalid slug '" + slug + "'", message(json));
  }

  @Test
  void missingSlugIsRefused() {
    String json = doc(new JsonArray().add(new JsonObject().put("id", ACME_ID.toString())), new JsonArray(),
        new JsonArray());
    assertEquals("tenants[0]: invalid slug 'null'", message(json));
  }

  @ParameterizedTest
  @ValueSource(strings = {"nope", "0b9f6c1e-1d51-4c1f-8a43", ""})
  void badTenantIdIsRefusedWithItsPosition(String id) {
    String json = doc(new JsonArray().add(tenantJson(GLOBEX_ID.toString(), "globex", null))
        .add(tenantJson(id, "acme", null)), new JsonArray(), new JsonArray());
    assertEquals("tenants[1].id: not a UUID: '" + id + "'", message(json));
  }

  @Test
  void missingTenantIdIsRefused() {
    String json = doc(new JsonArray().add(new JsonObject().put("slug", "acme")), new JsonArray(), new JsonArray());
    assertEquals("tenants[0].id: not a UUID: 'null'", message(json));
  }

  @ParameterizedTest
  @ValueSource(strings = {"paused", "enabled", ""})
  void badTenantStatusIsRefused(String status) {
    String json = doc(new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", status)), new JsonArray(),
        new JsonArray());
    assertEquals("tenants[0].status: must be active, suspended or disabled, got '" + status + "'", message(json));
  }

  @Test
  void badCaTenantAndStatusAreRefusedWithTheirPosition() {
    JsonArray tenants = new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null));
    assertEquals("cas[0].tenant: not a UUID: 'acme'", message(doc(tenants,
        new JsonArray().add(new JsonObject().put("tenant", "acme").put("certificate", acmePem)), new JsonArray())));
    assertEquals("cas[0].status: must be active, suspended or disabled, got 'revoked'", message(doc(tenants,
        new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString()).put("status", "revoked")
            .put("certificate", acmePem)), new JsonArray())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"xyz", "12 34", "0x1f", "1f-3a", ""})
  void badRevokedSerialIsRefused(String serial) {
    String json = doc(new JsonArray(), new JsonArray(), new JsonArray().add(new JsonObject().put("serial", serial)));
    assertEquals("revoked[0]: serial must be hex, got '" + serial + "'", message(json));
  }

  @Test
  void serialLongerThan64CharactersIsRefused() {
    String ok = "a".repeat(64);
    assertEquals(1, RegistryFile.parse(doc(new JsonArray(), new JsonArray(),
        new JsonArray().add(new JsonObject().put("serial", ok)))).toSnapshot(AT, 1).revokedCount());
    assertEquals("revoked[0]: serial must be hex, got '" + ok + "a'", message(doc(new JsonArray(), new JsonArray(),
        new JsonArray().add(new JsonObject().put("serial", ok + "a")))));
  }

  @Test
  void revokedSerialGivenAsAJsonNumberIsRefused() {
    String json = doc(new JsonArray(), new JsonArray(), new JsonArray().add(new JsonObject().put("serial", 255)));
    assertEquals("revoked[0]: serial must be hex, got '255'", message(json));
    assertEquals("revoked[0]: serial must be hex, got '{\"a\":[1]}'", message(doc(new JsonArray(), new JsonArray(),
        new JsonArray().add(new JsonObject().put("serial", new JsonObject().put("a", new JsonArray().add(1)))))));
  }

  // ---- the streaming load the file store uses ---------------------------------------------

  @Test
  void loadReadsWhatParseReads() {
    RegistryFile file = twoTenants().revoke("00:1F:3A", "key compromise", AT).revoke("ff", "superseded", AT)
        .addIssued(new JsonObject().put("serial", "1f3a").put("extra", new JsonArray().add(new JsonObject())));
    file.setTenantLimits("acme", TenantLimits.parse(new JsonObject().put("rps", 5), "limits"));
    RegistrySnapshot tree = RegistryFile.parse(file.encode()).toSnapshot(AT, 3);

    RegistrySnapshot streamed = RegistryFile.load(file.encode(), AT, 3);

    assertEquals(tree.tenant(ACME_ID), streamed.tenant(ACME_ID));
    assertEquals(5L, streamed.tenantBySlug("acme").limits().rps());
    assertEquals(tree.tenant(GLOBEX_ID), streamed.tenant(GLOBEX_ID));
    assertEquals(tree.caBySpki(spki(acmeCa)), streamed.caBySpki(spki(acmeCa)));
    assertEquals(tree.caBySpki(spki(globexCa)), streamed.caBySpki(spki(globexCa)));
    assertTrue(streamed.isRevoked("1f3a") && streamed.isRevoked("ff"));
    assertFalse(streamed.isRevoked("1f3b"));
    assertEquals(2, streamed.revokedCount());
    assertEquals(AT, streamed.loadedAt());
    assertEquals(3, streamed.version());
  }

  @Test
  void loadReadsAFileFromDisk(@TempDir Path dir) throws Exception {
    Path path = dir.resolve("registry.json");
    Files.writeString(path, twoTenants().revoke("abc", "x", AT).encode());
    RegistrySnapshot s = RegistryFile.load(path, AT, 1);
    assertEquals(2, s.tenants().size());
    assertTrue(s.isRevoked("abc"));
  }

  @Test
  void loadTakesMissingListsCommentsAndUnknownKeys() {
    assertEquals(0, RegistryFile.load("{}", AT, 1).revokedCount());
    RegistrySnapshot s = RegistryFile.load("{\"future\": {\"x\": [1, {}]}, // a note\n \"tenants\": null,"
        + " \"revoked\": [{\"reason\": \"r\", \"serial\": \"0a\", \"more\": [{}]}]}", AT, 1);
    assertTrue(s.tenants().isEmpty());
    assertTrue(s.isRevoked("a"));
  }

  @Test
  void aKeyGivenTwiceCountsOnceTheLastTimeAsInTheTree() {
    String json = "{\"revoked\": [{\"serial\": \"aa\"}], \"revoked\": [{\"serial\": \"zz\", \"serial\": \"bb\"}]}";
    for (RegistrySnapshot s : List.of(RegistryFile.parse(json).toSnapshot(AT, 1), RegistryFile.load(json, AT, 1))) {
      assertFalse(s.isRevoked("aa"));
      assertTrue(s.isRevoked("bb"));
      assertEquals(1, s.revokedCount());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"{", "not json", "", "{\"tenants\": [}", "[]", "{} {}", "{\"revoked\": [{\"serial\": \"ab\"}"})
  void loadRefusesInvalidJsonClearly(String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryFile.load(json, AT, 1));
    assertTrue(e.getMessage().startsWith("registry file is not valid JSON"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"tenants", "cas", "revoked"})
  void loadRefusesTopLevelKeysThatAreNotLists(String key) {
    assertEquals("'" + key + "' must be a list", assertThrows(IllegalArgumentException.class,
        () -> RegistryFile.load("{\"" + key + "\": \"x\"}", AT, 1)).getMessage());
  }

  @Test
  void missingRevokedSerialIsRefused() {
    String json = doc(new JsonArray(), new JsonArray(), new JsonArray().add(new JsonObject().put("reason", "x")));
    assertEquals("revoked[0]: serial must be hex, got 'null'", message(json));
  }

  @Test
  void badCertificatePemIsRefused() {
    JsonArray tenants = new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null));
    String garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    String msg = message(doc(tenants, new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString())
        .put("certificate", garbage)), new JsonArray()));
    assertTrue(msg.startsWith("CA certificate cannot be parsed"), msg);
  }

  @Test
  void aPlainPemBlockIsDecodedAsTheJdkReaderDecodesIt() throws Exception {
    byte[] der = acmeCa.certificate().getEncoded();
    assertArrayEquals(der, RegistryFile.canonicalPemBody(acmePem));
    assertArrayEquals(der, RegistryFile.canonicalPemBody("\r\n" + acmePem.replace("\n", "\r\n") + "\n\n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a note\n", "-----BEGIN X509 CERTIFICATE-----\n", " ", "\t"})
  void pemTheFastPathDoesNotTakeIsLeftToTheJdkReader(String prefix) {
    assertNull(RegistryFile.canonicalPemBody(prefix + acmePem));
    assertNull(RegistryFile.canonicalPemBody(acmePem + acmePem), "two blocks");
    assertNull(RegistryFile.canonicalPemBody(acmePem.replace("\n", "\n\t")), "a tab inside the body");
    assertNull(RegistryFile.canonicalPemBody("-----BEGIN CERTIFICATE-----\nA===\n-----END CERTIFICATE-----"),
        "not Base64");
    assertNull(RegistryFile.canonicalPemBody(acmePem.replace("\n", "")), "all on one line");
    assertNull(RegistryFile.canonicalPemBody(acmePem + "trailing text"), "text after the block");
  }

  /** What a load makes of {@code pem} as acme's CA: its certificate, or the refusal's message. */
  private static Object loaded(String pem) {
    JsonArray tenants = new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null));
    String json = doc(tenants, new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString())
        .put("certificate", pem)), new JsonArray());
    try {
      return RegistryFile.load(json, AT, 1).cas().iterator().next().certificate();
    } catch (IllegalArgumentException e) {
      assertEquals(e.getMessage(), message(json), "the tree refuses it alike");
      return e.getMessage();
    }
  }

  /** What the JDK's own PEM reader makes of {@code pem}: the certificate, or that it refuses it. */
  private static Object jdk(String pem) {
    try {
      return java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    } catch (java.security.cert.CertificateException e) {
      return "refused";
    }
  }

  @Test
  void pemLayoutsTheFastPathDoesNotTakeLoadAsTheJdkReaderReadsThem() throws Exception {
    String body = java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .encodeToString(java.util.Arrays.copyOf(acmeCa.certificate().getEncoded(),
            acmeCa.certificate().getEncoded().length + 2));
    String trailingBytes = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
    String extraPadding = acmePem.replace("\n-----END", "=\n-----END");
    String controlAfter = acmePem + "\u0001";
    assertNull(RegistryFile.canonicalPemBody(extraPadding));
    assertNull(RegistryFile.canonicalPemBody(controlAfter));
    for (String pem : List.of(trailingBytes, " " + acmePem, acmePem.replace("\n", ""), "note\n" + acmePem,
        extraPadding, controlAfter, "\r\n" + acmePem.replace("\n", "\r\n") + " \t\n", acmePem)) {
      Object jdk = jdk(pem);
      Object loaded = loaded(pem);
      if (jdk instanceof java.security.cert.Certificate) {
        assertEquals(jdk, loaded, pem);
      } else {
        assertTrue(String.valueOf(loaded).startsWith("CA certificate cannot be parsed"), pem + " -> " + loaded);
      }
    }
  }

  @Test
  void aCaWrittenWithCrlfOrANoteBeforeItLoadsAsTheSameCertificate() throws Exception {
    JsonArray tenants = new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null));
    for (String pem : List.of(acmePem.replace("\n", "\r\n"), "issued by ops\n" + acmePem)) {
      String json = doc(tenants, new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString())
          .put("certificate", pem)), new JsonArray());
      RegistrySnapshot s = RegistryFile.load(json, AT, 1);
      assertEquals(acmeCa.certificate(), s.cas().iterator().next().certificate());
    }
  }

  @Test
  void caWithoutCertificateIsRefused() {
    JsonArray tenants = new JsonArray().add(tenantJson(ACME_ID.toString(), "acme", null));
    assertEquals("CA entry without certificate", message(doc(tenants,
        new JsonArray().add(new JsonObject().put("tenant", ACME_ID.toString())), new JsonArray())));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tenants", "cas", "revoked"})
  void entriesMustBeObjects(String key) {
    JsonObject d = new JsonObject().put(key, new JsonArray().add("oops"));
    assertEquals(key + "[0] must be an object", message(d.encode()));
  }

  @Test
  void caOfAnUnknownTenantIsRefused() {
    String msg = message(twoTenants().addCa(UUID.fromString("00000000-0000-0000-0000-00000000dead"), acmePem,
        TenantStatus.ACTIVE).encode());
    assertTrue(msg.contains("belongs to unknown tenant 00000000-0000-0000-0000-00000000dead"), msg);
  }

  @Test
  void sameCaTwiceIsRefused() {
    String msg = message(twoTenants().addCa(ACME_ID, acmePem, TenantStatus.ACTIVE).encode());
    assertEquals("CA " + spki(acmeCa) + " appears twice", msg);
  }

  @Test
  void duplicateSlugIsRefused() {
    String msg = message(twoTenants().addTenant(new Tenant(UUID.randomUUID(), "acme", "Acme 2", TenantStatus.ACTIVE))
        .encode());
    assertEquals("tenant slug acme appears twice", msg);
  }

  @Test
  void revokeRefusesASerialThatIsNotHex() {
    assertEquals("serial must be hex (e.g. 3f0a...), got 'zz'",
        assertThrows(IllegalArgumentException.class, () -> twoTenants().revoke("zz", "typo", AT)).getMessage());
  }

  @Test
  void oneBrokenEntryRefusesTheWholeFile() {
    JsonObject doc = new JsonObject(twoTenants().encode());
    doc.getJsonArray("revoked").add(new JsonObject().put("serial", "zz"));
    RegistryFile file = RegistryFile.parse(doc.encode());
    assertEquals("revoked[0]: serial must be hex, got 'zz'",
        assertThrows(IllegalArgumentException.class, () -> file.toSnapshot(AT, 1)).getMessage());
  }

  // ---- many CAs: parsed on a helper thread beside the stream ----------------------------------

  /**
   * {@link #MANY} tenants with a CA each (over {@link CaParsing#HELPER_THRESHOLD}: the helper thread runs)
   * and 5,000 revoked serials; a fresh copy each time, made once.
   */
  private static synchronized JsonObject manyTenants() {
    if (many == null) {
      many = makeManyTenants(MANY);
    }
    return many.copy();
  }

  private static JsonObject makeManyTenants(int n) {
    CertAndKey root = Pki.createRoot("many root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    JsonArray tenants = new JsonArray();
    JsonArray cas = new JsonArray();
    for (int i = 0; i < n; i++) {
      String slug = "t" + i;
      UUID id = new UUID(0x5eed, i);
      tenants.add(tenantJson(id.toString(), slug, null));
      CertAndKey ca = Pki.createTenantCa(root, slug, "serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256);
      cas.add(new JsonObject().put("tenant", id.toString()).put("certificate", Pem.certificates(ca.certificate())));
    }
    JsonArray revoked = new JsonArray();
    for (int i = 0; i < 5_000; i++) {
      revoked.add(new JsonObject().put("serial", Integer.toHexString(i + 1)));
    }
    return new JsonObject().put("tenants", tenants).put("cas", cas).put("revoked", revoked);
  }

  @Test
  void manyCasLoadExactlyAsTheTreeReadsThem() {
    String json = manyTenants().encode();
    RegistrySnapshot tree = RegistryFile.parse(json).toSnapshot(AT, 1);

    RegistrySnapshot streamed = RegistryFile.load(json, AT, 1);

    assertEquals(MANY, streamed.cas().size());
    for (TenantCa ca : tree.cas()) {
      assertEquals(ca, streamed.caBySpki(ca.spkiSha256()));
      assertEquals(ca, streamed.caByKeyId(ca.subjectKeyId()));
      assertEquals(ca.tenantId(), streamed.tenantBySlug(tree.tenant(ca.tenantId()).slug()).id());
    }
    assertEquals(5_000, streamed.revokedCount());
  }

  @Test
  void manyCasWrittenWithTheirStoredHashesLoadAsTheSameCas() {
    JsonObject doc = manyTenants();
    RegistryFile file = RegistryFile.parse(new JsonObject().put("tenants", doc.getJsonArray("tenants")).encode());
    for (Object o : doc.getJsonArray("cas")) {
      JsonObject c = (JsonObject) o;
      file.addCa(UUID.fromString(c.getString("tenant")), c.getString("certificate"), TenantStatus.ACTIVE);
    }
    RegistrySnapshot parsedAtLoad = RegistryFile.load(doc.encode(), AT, 1);
    RegistrySnapshot indexed = RegistryFile.load(file.encode(), AT, 1);
    assertEquals(MANY, indexed.cas().size());
    for (TenantCa ca : parsedAtLoad.cas()) {
      TenantCa same = indexed.caBySpki(ca.spkiSha256());
      assertSame(same, indexed.caByKeyId(ca.subjectKeyId()));
      assertNull(same.problem());
      assertEquals(ca, same);
    }
  }

  /** A self-signed CA certificate with the subject key identifier extension {@code keyId} (null: none). */
  private static String caWithKeyId(byte[] keyId) throws Exception {
    java.security.KeyPair kp = KeyAlgorithm.EC_P256.generate();
    org.bouncycastle.asn1.x500.X500Name name = new org.bouncycastle.asn1.x500.X500Name("CN=odd ca");
    var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(name, java.math.BigInteger.TEN,
        java.util.Date.from(AT.minusSeconds(60)), java.util.Date.from(AT.plusSeconds(86_400)), name, kp.getPublic());
    builder.addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
        new org.bouncycastle.asn1.x509.BasicConstraints(0));
    if (keyId != null) {
      builder.addExtension(org.bouncycastle.asn1.x509.Extension.subjectKeyIdentifier, false,
          new org.bouncycastle.asn1.x509.SubjectKeyIdentifier(keyId));
    }
    return Pem.certificates(new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(builder.build(
        new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()))));
  }

  @Test
  void aCaWithoutAKeyIdIsStoredWithItsHashAloneAndOneWithAnEmptyKeyIdIsParsedAtEachLoad() throws Exception {
    String noKeyId = caWithKeyId(null);
    String emptyKeyId = caWithKeyId(new byte[0]);
    RegistryFile file = RegistryFile.empty().addTenant(new Tenant(ACME_ID, "acme", "Acme", TenantStatus.ACTIVE))
        .addCa(ACME_ID, noKeyId, TenantStatus.ACTIVE).addCa(ACME_ID, emptyKeyId, TenantStatus.ACTIVE);
    JsonArray cas = new JsonObject(file.encode()).getJsonArray("cas");
    assertNotNull(cas.getJsonObject(0).getString("spki_sha256"));
    assertNull(cas.getJsonObject(0).getString("subject_key_id"));
    assertNull(cas.getJsonObject(1).getString("spki_sha256"), "an empty key id would not load: nothing stored");
    RegistrySnapshot s = RegistryFile.load(file.encode(), AT, 1);
    assertEquals(2, s.cas().size());
    for (TenantCa ca : s.cas()) {
      assertNull(ca.problem(), ca.toString());
    }
  }

  @Test
  void amongManyCasTheFirstBrokenOneIsNamedEvenWhenLaterEntriesAreBrokenToo() {
    JsonObject doc = manyTenants();
    JsonArray cas = doc.getJsonArray("cas");
    cas.getJsonObject(130).put("tenant", "x130");
    cas.getJsonObject(131).put("status", "gone");
    cas.getJsonObject(MANY - 10).put("certificate", "not a certificate");
    doc.getJsonArray("revoked").getJsonObject(4_000).put("serial", "zz");
    for (int run = 0; run < 5; run++) { // whichever thread meets which entry first
      assertEquals("cas[130].tenant: not a UUID: 'x130'", message(doc.encode()));
    }
  }

  @Test
  void aBrokenCaIsNamedBeforeABrokenSerialOrBrokenJsonAfterIt() {
    JsonObject doc = manyTenants();
    doc.getJsonArray("cas").getJsonObject(MANY - 1).put("status", "gone");
    doc.getJsonArray("revoked").getJsonObject(10).put("serial", "zz");
    assertEquals("cas[" + (MANY - 1) + "].status: must be active, suspended or disabled, got 'gone'",
        message(doc.encode()));
    String truncated = doc.encode().substring(0, doc.encode().length() - 100);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegistryFile.load(truncated, AT,
        1));
    assertTrue(e.getMessage().startsWith("cas[" + (MANY - 1) + "].status"), e.getMessage());
  }
}
