package io.tenantgate.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgate.config.ConfigException;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.PostgresConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.config.RegistryConfig.StoreType;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code registry.store: postgres} as configured, and the connection settings derived from it. */
class DatabaseConfigTest {

  @SuppressWarnings("unchecked")
  private static GatewayConfig withRegistry(Map<String, Object> registry) throws Exception {
    Map<String, Object> cfg = new ObjectMapper(new YAMLFactory()).readValue(
        Files.readString(Path.of("conf/tenantgate.yaml")), LinkedHashMap.class);
    cfg.put("registry", registry);
    return GatewayConfig.fromMap(cfg, Path.of("conf").toAbsolutePath());
  }

  @Test
  void thePostgresStoreHasDefaultsAndNeedsNoRegistryFile() throws Exception {
    RegistryConfig r = withRegistry(Map.of("store", "postgres", "masterKeyFile", "master.key")).registry();
    assertEquals(StoreType.POSTGRES, r.store());
    assertNull(r.file());
    assertEquals(Path.of("conf/master.key").toAbsolutePath(), r.masterKeyFile());
    assertEquals(new PostgresConfig("postgresql://127.0.0.1:5432/test", null, null, 4, "tenantgate",
        Duration.ofMillis(50), Duration.ofSeconds(5)), r.postgres());
  }

  @Test
  void badPostgresSettingsAreAllReported() {
    var e = assertThrows(ConfigException.class, () -> withRegistry(Map.of("store", "postgres", "postgres",
        Map.of("url", "mysql://x", "schema", "Bad-Schema", "poolSize", 0, "notifyDebounce", "2s", "typo", 1))));
    String all = String.join("\n", e.problems());
    for (String key : new String[] {"registry.postgres.url", "registry.postgres.schema", "registry.postgres.poolSize",
        "registry.postgres.notifyDebounce", "registry.postgres.typo"}) {
      assertTrue(all.contains(key), key + " in " + all);
    }
  }

  @Test
  void theFileStoreStillRequiresItsFile() {
    var e = assertThrows(ConfigException.class, () -> withRegistry(Map.of("store", "file")));
    assertTrue(String.join("\n", e.problems()).contains("registry.file"));
  }

  @Test
  void connectionSettingsTakeTheSchemaAsSearchPathAndThePasswordFromFileOrEnvironment(@TempDir Path dir)
      throws Exception {
    PostgresConfig plain = new PostgresConfig("postgresql://db.example:6543/registry", null, null, 4, "tg_a",
        Duration.ofMillis(50), Duration.ofSeconds(5));
    PgConnectOptions o = Database.connectOptions(plain, Map.of(PostgresConfig.PASSWORD_ENV, "from-env"));
    assertEquals("db.example", o.getHost());
    assertEquals(6543, o.getPort());
    assertEquals("registry", o.getDatabase());
    assertEquals("postgres", o.getUser());
    assertEquals("from-env", o.getPassword());
    assertEquals("tg_a", o.getProperties().get("search_path"));
    assertEquals(Database.APPLICATION_NAME, o.getProperties().get("application_name"));
    assertEquals("jdbc:postgresql://db.example:6543/registry", Migrations.jdbcUrl(o));

    Path pw = dir.resolve("pw");
    Files.writeString(pw, "s3cret\n");
    PgConnectOptions f = Database.connectOptions(new PostgresConfig("postgresql://alice@h/db", null, pw, 4, "tg",
        Duration.ofMillis(50), Duration.ofSeconds(5)), Map.of(PostgresConfig.PASSWORD_ENV, "ignored"));
    assertEquals("alice", f.getUser());
    assertEquals("s3cret", f.getPassword());
    var missing = assertThrows(IllegalArgumentException.class, () -> Database.connectOptions(new PostgresConfig(
        "postgresql://h/db", "bob", dir.resolve("nope"), 4, "tg", Duration.ofMillis(50), Duration.ofSeconds(5)), Map.of()));
    assertTrue(missing.getMessage().contains("registry.postgres.passwordFile"));
  }
}
