package io.tenantgate.tenant;

import io.tenantgate.pki.MasterKey;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;

/**
 * Start-up proof that the configured master key is the one the stored CA keys were sealed with: the
 * first user of a schema seals a known value into {@code master_key_check}; everyone after opens it.
 */
public final class MasterKeyCheck {
  private static final String BINDING = "tenantgate master key check";
  private static final byte[] VALUE = "tenantgate".getBytes(StandardCharsets.US_ASCII);
  private static final String INSERT =
      "INSERT INTO master_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";
  private static final String SELECT = "SELECT sealed FROM master_key_check WHERE id = 1";

  private MasterKeyCheck() {
  }

  public static Future<Void> verify(Pool pool, MasterKey key, String schema) {
    return pool.preparedQuery(INSERT).execute(Tuple.of(Buffer.buffer(key.seal(VALUE, BINDING))))
        .compose(r -> pool.preparedQuery(SELECT).execute())
        .compose(rows -> {
          byte[] stored = rows.iterator().next().getBuffer("sealed").getBytes();
          try {
            key.open(stored, BINDING);
            return Future.succeededFuture();
          } catch (MasterKey.WrongKeyException e) {
            return Future.failedFuture(new IllegalStateException("wrong master key: it is not the key the tenant CA"
                + " keys in schema '" + schema + "' are encrypted with (key check failed)"));
          }
        });
  }
}
