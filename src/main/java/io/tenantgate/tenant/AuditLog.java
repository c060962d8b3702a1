package io.tenantgate.tenant;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * The append-only audit trail: who did what to which tenant, written in the transaction of the change
 * it records, so the two commit or fail together. The table refuses UPDATE, DELETE and TRUNCATE.
 */
public final class AuditLog {
  private static final String INSERT =
      "INSERT INTO audit_log (actor, action, tenant_id, detail) VALUES ($1, $2, $3, $4)";

  private AuditLog() {
  }

  /**
   * Appends one entry on {@code conn} (inside the caller's transaction).
   *
   * @param tenantId the tenant concerned, or null
   * @param detail what changed; never key material
   */
  public static Future<Void> append(SqlConnection conn, String actor, String action, UUID tenantId,
      JsonObject detail) {
    return conn.preparedQuery(INSERT).execute(Tuple.of(actor, action, tenantId, detail)).mapEmpty();
  }
}
