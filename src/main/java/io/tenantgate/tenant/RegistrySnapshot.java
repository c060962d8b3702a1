package io.tenantgate.tenant;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An immutable view of tenants, their CAs and the revoked serials. The gateway serves every
 * connection from one snapshot; a store swaps in a new one when its source changes.
 */
public final class RegistrySnapshot {
  private final Map<UUID, Tenant> tenantsById;
  private final Map<String, Tenant> tenantsBySlug;
  private final Map<String, TenantCa> casBySpki;
  private final Map<String, TenantCa> casByKeyId;
  private final RevokedSerials revokedSerials;
  private final Instant loadedAt;
  private final long version;

  public RegistrySnapshot(Collection<Tenant> tenants, Collection<TenantCa> cas, Collection<String> revokedSerials,
      Instant loadedAt, long version) {
    this(tenants, cas, revoked(revokedSerials), loadedAt, version);
  }

  /** Takes {@code revoked} as it is: a store fills one set while it reads and hands it over. */
  RegistrySnapshot(Collection<Tenant> tenants, Collection<TenantCa> cas, RevokedSerials revoked, Instant loadedAt,
      long version) {
    Map<UUID, Tenant> byId = new HashMap<>();
    Map<String, Tenant> bySlug = new HashMap<>();
    for (Tenant t : tenants) {
      if (byId.put(t.id(), t) != null) {
        throw new IllegalArgumentException("tenant id " + t.id() + " appears twice");
      }
      if (bySlug.put(t.slug(), t) != null) {
        throw new IllegalArgumentException("tenant slug " + t.slug() + " appears twice");
      }
    }
    Map<String, TenantCa> bySpki = new HashMap<>();
    Map<String, TenantCa> byKeyId = new HashMap<>();
    for (TenantCa ca : cas) {
      if (!byId.containsKey(ca.tenantId())) {
        throw new IllegalArgumentException("CA " + ca.spkiSha256() + " belongs to unknown tenant " + ca.tenantId());
      }
      if (bySpki.put(ca.spkiSha256(), ca) != null) {
        throw new IllegalArgumentException("CA " + ca.spkiSha256() + " appears twice");
      }
      if (ca.subjectKeyId() != null) {
        byKeyId.put(ca.subjectKeyId(), ca);
      }
    }
    this.tenantsById = Map.copyOf(byId);
    this.tenantsBySlug = Map.copyOf(bySlug);
    this.casBySpki = Map.copyOf(bySpki);
    this.casByKeyId = Map.copyOf(byKeyId);
    this.revokedSerials = revoked;
    this.loadedAt = loadedAt;
    this.version = version;
  }

  private RegistrySnapshot(RegistrySnapshot base, RevokedSerials revoked, Instant loadedAt, long version) {
    this.tenantsById = base.tenantsById;
    this.tenantsBySlug = base.tenantsBySlug;
    this.casBySpki = base.casBySpki;
    this.casByKeyId = base.casByKeyId;
    this.revokedSerials = revoked;
    this.loadedAt = loadedAt;
    this.version = version;
  }

  private static RevokedSerials revoked(Collection<String> serials) {
    RevokedSerials.Builder b = new RevokedSerials.Builder(serials.size());
    for (String s : serials) {
      b.add(s);
    }
    return b.build();
  }

  /**
   * This snapshot's tenants and CAs (shared, not copied) with {@code added} revoked as well: what an
   * incremental read of new revocations produces. Copies the revoked set once; call it off the event loop.
   */
  RegistrySnapshot withRevoked(Collection<String> added, Instant loadedAt, long version) {
    RevokedSerials.Builder b = new RevokedSerials.Builder(revokedSerials, added.size());
    for (String s : added) {
      b.add(s);
    }
    return new RegistrySnapshot(this, b.build(), loadedAt, version);
  }

  public static RegistrySnapshot empty() {
    return new RegistrySnapshot(Set.of(), Set.of(), RevokedSerials.EMPTY, Instant.EPOCH, 0);
  }

  /** Lowercase hex without leading zeros or separators: the one form serials are compared in. */
  public static String normalizeSerial(String hex) {
    String s = hex.trim().toLowerCase(Locale.ROOT).replace(":", "");
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') {
      i++;
    }
    return s.substring(i);
  }

  public Tenant tenant(UUID id) {
    return tenantsById.get(id);
  }

  public Tenant tenantBySlug(String slug) {
    return tenantsBySlug.get(slug);
  }

  public TenantCa caBySpki(String spkiSha256) {
    return casBySpki.get(spkiSha256);
  }

  /** CA by its SubjectKeyIdentifier (lowercase hex), to complete chains sent without the intermediate. */
  public TenantCa caByKeyId(String keyIdHex) {
    return casByKeyId.get(keyIdHex);
  }

  /** Whether the serial (hex in any form {@link #normalizeSerial} takes) is revoked; no allocation to 128 bits. */
  public boolean isRevoked(String serialHex) {
    return revokedSerials.contains(serialHex);
  }

  public Collection<Tenant> tenants() {
    return tenantsById.values();
  }

  public Collection<TenantCa> cas() {
    return casBySpki.values();
  }

  public int revokedCount() {
    return revokedSerials.size();
  }

  public Instant loadedAt() {
    return loadedAt;
  }

  public long version() {
    return version;
  }
}
