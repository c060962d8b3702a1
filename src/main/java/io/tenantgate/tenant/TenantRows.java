package io.tenantgate.tenant;

import io.tenantgate.pki.Pem;
import io.vertx.sqlclient.Row;

/** The registry's reads from Postgres and the one row mapper per table, shared by the registry and the store. */
final class TenantRows {
  static final String SELECT_TENANTS = "SELECT id, slug, name, status FROM tenants";
  static final String SELECT_CAS =
      "SELECT spki_sha256, tenant_id, status, certificate_pem, subject_key_id FROM tenant_cas";
  static final String SELECT_REVOKED = "SELECT serial FROM revocations";

  private TenantRows() {
  }

  static Tenant tenant(Row r) {
    return new Tenant(r.getUUID("id"), r.getString("slug"), r.getString("name"),
        TenantStatus.parse(r.getString("status")));
  }

  static TenantCa ca(Row r) {
    return new TenantCa(r.getString("spki_sha256"), r.getUUID("tenant_id"), TenantStatus.parse(r.getString("status")),
        Pem.readCertificates(r.getString("certificate_pem")).get(0), r.getString("subject_key_id"));
  }

  static String serial(Row r) {
    return r.getString("serial");
  }
}
