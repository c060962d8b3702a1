package io.tenantgate.tenant;

import io.tenantgate.pki.Pem;
import io.vertx.sqlclient.Row;

/** The registry's reads from Postgres and the one row mapper per table, shared by the registry and the store. */
final class TenantRows {
  static final String SELECT_TENANTS = "SELECT id, slug, name, status, limits FROM tenants";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TenantRows.class);
  static final String SELECT_CAS =
      "SELECT spki_sha256, tenant_id, status, certificate_pem, subject_key_id FROM tenant_cas";
  static final String SELECT_REVOKED = "SELECT serial FROM revocations";
  /** The MVCC snapshot of the (REPEATABLE READ) transaction: what the reads in it can see. */
  static final String SELECT_READ_AT = "SELECT pg_current_snapshot()::text";
  /** Revocations committed by transactions the snapshot {@code $1} could not see (V4__revocation_reads.sql). */
  static final String SELECT_REVOKED_AFTER = "SELECT serial FROM revocations"
      + " WHERE added_xid >= pg_snapshot_xmin($1::text::pg_snapshot)"
      + " AND NOT pg_visible_in_snapshot(added_xid, $1::text::pg_snapshot)";
  static final String COUNT_REVOKED = "SELECT count(*) FROM revocations";

  private TenantRows() {
  }

  static Tenant tenant(Row r) {
    String slug = r.getString("slug");
    return new Tenant(r.getUUID("id"), slug, r.getString("name"), TenantStatus.parse(r.getString("status")),
        limits(slug, r.getValue("limits")));
  }

  /**
   * The limits column, leniently: the admin API and CLI validate what they write, and a value someone
   * put there by hand must not stop the snapshot (revocations ride on it) — a bad field is ignored
   * (the default applies) and logged.
   */
  static TenantLimits limits(String slug, Object raw) {
    if (!(raw instanceof io.vertx.core.json.JsonObject j)) {
      return TenantLimits.NONE;
    }
    return TenantLimits.parse(j, (field, message) -> LOG.warn("op=registry.load tenant={} outcome=limit_ignored"
        + " field={} reason=\"{}\"", slug, field, message));
  }

  static TenantCa ca(Row r) {
    return new TenantCa(r.getString("spki_sha256"), r.getUUID("tenant_id"), TenantStatus.parse(r.getString("status")),
        Pem.readCertificates(r.getString("certificate_pem")).get(0), r.getString("subject_key_id"));
  }

  static String serial(Row r) {
    return r.getString("serial");
  }
}
