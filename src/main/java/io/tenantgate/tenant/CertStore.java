package io.tenantgate.tenant;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Reads of the issued-certificate ledger and revocation by fingerprint, for the admin API and the CLI.
 * Issuing and revoking by serial live in {@link TenantStore}.
 */
public final class CertStore {
  private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");
  private static final String SELECT = "SELECT c.serial, t.slug, c.tenant_id, c.component_id, c.component_type,"
      + " c.partition_id, c.fingerprint_sha256, c.not_after, c.status, c.issued_at, c.package_id, c.ca_spki_sha256"
      + " FROM issued_certificates c JOIN tenants t ON t.id = c.tenant_id";
  private static final String BY_FINGERPRINT = "SELECT serial FROM issued_certificates WHERE fingerprint_sha256 = $1";

  private final Pool pool;
  private final TenantStore tenants;

  public CertStore(Pool pool, TenantStore tenants) {
    this.pool = pool;
    this.tenants = tenants;
  }

  /** One issued certificate as listed (no key material: there is none stored). */
  public record CertView(String serial, String tenantSlug, UUID tenantId, String componentId, String componentType,
      String partitionId, String fingerprintSha256, OffsetDateTime notAfter, String status, OffsetDateTime issuedAt,
      UUID packageId, String caSpkiSha256) {
    public JsonObject toJson() {
      return new JsonObject().put("serial", serial).put("tenant", tenantSlug).put("tenant_id", tenantId.toString())
          .put("component_id", componentId).put("component_type", componentType).put("partition", partitionId)
          .put("fingerprint_sha256", fingerprintSha256).put("not_after", notAfter.toString()).put("status", status)
          .put("issued_at", issuedAt.toString()).put("package_id", packageId == null ? null : packageId.toString())
          .put("ca_spki_sha256", caSpkiSha256);
    }
  }

  /** Issued certificates, newest first, of one tenant (NOT_FOUND when unknown) or (slug null) of all. */
  public Future<List<CertView>> list(String slug, int limit) {
    Future<?> known = slug == null ? Future.succeededFuture() : tenants.tenant(slug);
    String sql = SELECT + (slug == null ? "" : " WHERE t.slug = $2") + " ORDER BY c.issued_at DESC LIMIT $1";
    Tuple args = slug == null ? Tuple.of(limit) : Tuple.of(limit, slug);
    return known.compose(k -> pool.preparedQuery(sql).execute(args)).map(rows -> {
      List<CertView> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(view(r)));
      return out;
    });
  }

  /** Revokes the issued certificate with this SHA-256 fingerprint (hex, colons allowed); false when already revoked. */
  public Future<Boolean> revokeFingerprint(String fingerprint, String reason, String actor) {
    String fp = fingerprint == null ? "" : fingerprint.replace(":", "").trim().toLowerCase(Locale.ROOT);
    if (!FINGERPRINT.matcher(fp).matches()) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID,
          "fingerprint must be 64 hex characters (SHA-256 of the certificate), got '" + fingerprint + "'"));
    }
    return pool.preparedQuery(BY_FINGERPRINT).execute(Tuple.of(fp)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StoreException(StoreException.Kind.NOT_FOUND,
            "no issued certificate with fingerprint " + fp + " (revoke by serial for certificates issued elsewhere)"))
        : tenants.revokeSerial(rows.iterator().next().getString("serial"), reason, actor));
  }

  private static CertView view(Row r) {
    return new CertView(r.getString("serial"), r.getString("slug"), r.getUUID("tenant_id"), r.getString("component_id"),
        r.getString("component_type"), r.getString("partition_id"), r.getString("fingerprint_sha256"),
        r.getOffsetDateTime("not_after"), r.getString("status"), r.getOffsetDateTime("issued_at"),
        r.getUUID("package_id"), r.getString("ca_spki_sha256"));
  }
}
