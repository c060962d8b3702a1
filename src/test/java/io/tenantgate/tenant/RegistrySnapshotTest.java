package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.Pki;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistrySnapshotTest {

  private static final Tenant ACME = new Tenant(UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0001"), "acme",
      "Acme", TenantStatus.ACTIVE);
  private static final Tenant GLOBEX = new Tenant(UUID.fromString("0b9f6c1e-1d51-4c1f-8a43-4a3c2a9d0002"), "globex",
      "Globex", TenantStatus.SUSPENDED);
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  private static TenantCa acmeCa;
  private static TenantCa globexCa;

  @BeforeAll
  static void createCas() {
    CertAndKey root = Pki.createRoot("snapshot test root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acmeCa = ca(Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256), ACME);
    globexCa = ca(Pki.createTenantCa(root, "globex", "serviceradar", Duration.ofDays(30), KeyAlgorithm.EC_P256),
        GLOBEX);
  }

  private static TenantCa ca(CertAndKey ca, Tenant tenant) {
    return new TenantCa(Fingerprints.spkiSha256Hex(ca.certificate()), tenant.id(), TenantStatus.ACTIVE,
        ca.certificate(), KeyIdentifiers.subjectKeyId(ca.certificate()));
  }

  @Test
  void looksUpTenantsAndCasEveryWay() {
    RegistrySnapshot s = new RegistrySnapshot(List.of(ACME, GLOBEX), List.of(acmeCa, globexCa), List.of("1f"), AT, 9);

    assertSame(ACME, s.tenant(ACME.id()));
    assertSame(GLOBEX, s.tenantBySlug("globex"));
    assertSame(acmeCa, s.caBySpki(acmeCa.spkiSha256()));
    assertSame(globexCa, s.caByKeyId(globexCa.subjectKeyId()));
    assertNull(s.tenant(UUID.randomUUID()));
    assertNull(s.tenantBySlug("initech"));
    assertNull(s.caBySpki("0".repeat(64)));
    assertNull(s.caByKeyId("00"));
    assertEquals(2, s.tenants().size());
    assertEquals(2, s.cas().size());
    assertEquals(1, s.revokedCount());
    assertEquals(AT, s.loadedAt());
    assertEquals(9, s.version());
  }

  @Test
  void emptySnapshotHasNothingAndEpochTime() {
    RegistrySnapshot s = RegistrySnapshot.empty();
    assertTrue(s.tenants().isEmpty());
    assertTrue(s.cas().isEmpty());
    assertEquals(0, s.revokedCount());
    assertEquals(Instant.EPOCH, s.loadedAt());
    assertEquals(0, s.version());
  }

  @Test
  void duplicateSlugIsRejected() {
    Tenant twin = new Tenant(UUID.randomUUID(), "acme", "Other Acme", TenantStatus.ACTIVE);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RegistrySnapshot(List.of(ACME, twin), List.of(), List.of(), AT, 1));
    assertEquals("tenant slug acme appears twice", e.getMessage());
  }

  @Test
  void duplicateTenantIdIsRejected() {
    Tenant twin = new Tenant(ACME.id(), "acme-2", "Acme 2", TenantStatus.ACTIVE);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RegistrySnapshot(List.of(ACME, twin), List.of(), List.of(), AT, 1));
    assertEquals("tenant id " + ACME.id() + " appears twice", e.getMessage());
  }

  @Test
  void caOfAnUnknownTenantIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new RegistrySnapshot(List.of(ACME), List.of(acmeCa, globexCa), List.of(), AT, 1));
    assertEquals("CA " + globexCa.spkiSha256() + " belongs to unknown tenant " + GLOBEX.id(), e.getMessage());
  }

  @Test
  void sameCaTwiceIsRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> new RegistrySnapshot(List.of(ACME), List.of(acmeCa, acmeCa), List.of(), AT, 1));
  }

  @Test
  void caWithoutKeyIdIsFoundBySpkiOnly() {
    TenantCa noSki = new TenantCa(acmeCa.spkiSha256(), ACME.id(), TenantStatus.ACTIVE, acmeCa.certificate(), null);
    RegistrySnapshot s = new RegistrySnapshot(List.of(ACME), List.of(noSki), List.of(), AT, 1);
    assertSame(noSki, s.caBySpki(acmeCa.spkiSha256()));
    assertNull(s.caByKeyId(acmeCa.subjectKeyId()));
  }

  @Test
  void statusesAreExposed() {
    assertTrue(ACME.active());
    assertFalse(GLOBEX.active());
    assertTrue(acmeCa.active());
    assertFalse(new TenantCa("x", ACME.id(), TenantStatus.DISABLED, acmeCa.certificate(), null).active());
  }

  @ParameterizedTest
  @CsvSource({
      "1f3a,               1f3a",
      "1F3A,               1f3a",
      "001f3a,             1f3a",
      "00:1F:3A,           1f3a",
      "'  1f:3a  ',        1f3a",
      "0,                  0",
      "000,                0",
      "00:00,              0",
      "10,                 10",
      "f3a1b2c3d4e5f60718293a4b5c6d7e8f, f3a1b2c3d4e5f60718293a4b5c6d7e8f",
  })
  void normalizeSerialGivesLowercaseHexWithoutZerosOrColons(String in, String out) {
    assertEquals(out, RegistrySnapshot.normalizeSerial(in));
  }

  @Test
  void revokedSerialsAreComparedNormalized() {
    RegistrySnapshot s = new RegistrySnapshot(List.of(), List.of(), List.of("00:AB:CD", "0ef"), AT, 1);
    assertTrue(s.isRevoked("abcd"));
    assertTrue(s.isRevoked("ef"));
    assertFalse(s.isRevoked("abce"));
    assertEquals(2, s.revokedCount());
  }

  @Test
  void sameSerialInTwoFormsCountsOnce() {
    assertEquals(1, new RegistrySnapshot(List.of(), List.of(), List.of("AB", "00:ab", "ab"), AT, 1).revokedCount());
  }

  @Test
  void collectionsCannotBeModified() {
    RegistrySnapshot s = new RegistrySnapshot(List.of(ACME), List.of(acmeCa), List.of(), AT, 1);
    assertThrows(UnsupportedOperationException.class, () -> s.tenants().clear());
    assertThrows(UnsupportedOperationException.class, () -> s.cas().clear());
  }

  @ParameterizedTest
  @CsvSource({"active, ACTIVE", "SUSPENDED, SUSPENDED", "' Disabled ', DISABLED"})
  void tenantStatusParsesAnyCaseAndWritesLowercase(String text, TenantStatus status) {
    assertEquals(status, TenantStatus.parse(text));
    assertEquals(status.name().toLowerCase(java.util.Locale.ROOT), status.wire());
  }

  @Test
  void unknownTenantStatusIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> TenantStatus.parse("paused"));
  }
}
