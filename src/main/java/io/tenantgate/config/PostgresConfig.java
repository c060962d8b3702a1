package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The Postgres registry store: where the database is, who connects, which schema holds the tables,
 * and how changes are followed.
 *
 * @param url {@code postgresql://host:port/database} (user and password may be in it)
 * @param user login role; null = the URL's, else {@code postgres}
 * @param passwordFile file holding the password; null = {@code TENANTGATE_DB_PASSWORD} or the URL's
 * @param poolSize connections in the pool (the LISTEN connection comes on top)
 * @param schema the schema the migrations create and every query uses
 * @param notifyDebounce how long a change notification waits for more before the snapshot is re-read
 * @param reconnectBackoffMax the longest pause between reconnect attempts after Postgres went away
 */
public record PostgresConfig(String url, String user, Path passwordFile, int poolSize, String schema,
    Duration notifyDebounce, Duration reconnectBackoffMax) {

  public static final String DEFAULT_URL = "postgresql://127.0.0.1:5432/test";
  public static final String PASSWORD_ENV = "TENANTGATE_DB_PASSWORD";
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern URL = Pattern.compile("(postgres|postgresql)://.+");

  static PostgresConfig parse(Node n, GatewayConfig.Paths paths) {
    String url = n.string("url", DEFAULT_URL);
    if (url == null || !URL.matcher(url).matches()) {
      n.problem("url", "must look like postgresql://host:port/database, got '" + url + "'");
    }
    String user = n.string("user", null);
    Path passwordFile = paths.resolve(n.string("passwordFile", null));
    int poolSize = n.integer("poolSize", 4, 1, 64);
    String schema = n.string("schema", "tenantgate");
    if (schema == null || !SCHEMA.matcher(schema).matches()) {
      n.problem("schema", "must be a lowercase SQL identifier ([a-z_][a-z0-9_]*), got '" + schema + "'");
    }
    Duration debounce = n.duration("notifyDebounce", Duration.ofMillis(50));
    if (debounce.toMillis() > 500) {
      n.problem("notifyDebounce", "must be at most 500ms (changes must reach every gateway within 1s)");
    }
    Duration backoff = n.duration("reconnectBackoffMax", Duration.ofSeconds(5));
    if (backoff.toMillis() < 100) {
      n.problem("reconnectBackoffMax", "must be at least 100ms");
    }
    n.rejectUnknownKeys();
    return new PostgresConfig(url, user, passwordFile, poolSize, schema, debounce, backoff);
  }
}
