package io.tenantgate.launcher;

import static io.tenantgate.testing.Http.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.dev.DevEnvironment;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.TestPki;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code tenantgate tenant limits} in the forms scripts use, on the file store (a dev data directory and
 * a gateway configuration) and on Postgres, with a running gateway applying each change without a restart.
 */
class TenantLimitsCliIT {
  private static CliRun cli(String... args) {
    return CliRun.of(args);
  }

  private static CliRun ok(String... args) {
    return CliRun.ok(args);
  }

  @Test
  void showSetAndClearOnTheDevFileStore(@TempDir Path dir) throws Exception {
    new DevEnvironment(dir, "serviceradar").ensure();
    String data = dir.toString();
    JsonObject shown = ok("tenant", "limits", "--data", data, "--slug", "acme", "--json").json();
    assertEquals(new JsonObject(), shown.getJsonObject("overrides"));
    assertEquals(10_000, shown.getJsonObject("limits").getLong("connections"), "the built-in defaults");
    assertEquals(false, shown.getBoolean("changed"));

    JsonObject set = ok("tenant", "limits", "--data", data, "--slug", "acme", "--rps", "50",
        "--bytes-per-second", "1MiB", "--connections", "0", "--json").json();
    assertEquals(true, set.getBoolean("changed"));
    assertEquals(new JsonObject().put("connections", 0).put("rps", 50).put("bytes_per_second", 1 << 20),
        set.getJsonObject("overrides"));
    assertEquals(50, set.getJsonObject("limits").getLong("burst"), "a rate without a burst: one second's worth");
    RegistryFile file = RegistryFile.parse(Files.readString(dir.resolve("registry.json")));
    assertEquals(50L, file.toSnapshot(Instant.now(), 1).tenantBySlug("acme").limits().rps());
    assertTrue(Files.readString(dir.resolve("audit.jsonl")).contains("\"action\":\"tenant.limits\""));

    JsonObject show = ok("tenant", "show", "--data", data, "--slug", "acme", "--json").json();
    assertEquals("acme", show.getString("slug"));
    assertEquals(1, show.getJsonArray("cas").size(), show.encode());
    assertEquals(set.getJsonObject("limits"), show.getJsonObject("limits").getJsonObject("limits"));
    assertEquals("override", show.getJsonObject("limits").getJsonObject("sources").getString("rps"));
    assertEquals("derived", show.getJsonObject("limits").getJsonObject("sources").getString("burst"));
    assertEquals("default", show.getJsonObject("limits").getJsonObject("sources").getString("grpc_streams"));
    CliRun showText = ok("tenant", "show", "--data", data, "--slug", "acme");
    assertTrue(showText.out().matches("(?s)tenant acme .* active .*rps\\s+50\\s+override.*"), showText.out());
    assertTrue(showText.out().matches("(?s).*grpc_streams\\s+10000\\s+default.*"), showText.out());
    assertEquals(1, cli("tenant", "show", "--data", data, "--slug", "nobody").exit());

    CliRun text = ok("tenant", "limits", "--data", data, "--slug", "acme", "--rps", "default");
    assertTrue(text.out().matches("(?s).*rps\\s+0\\s+default.*"), text.out());
    assertTrue(text.out().matches("(?s).*bytes_per_second\\s+1048576\\s+override.*"), text.out());

    CliRun bad = cli("tenant", "limits", "--data", data, "--slug", "acme", "--rps", "lots", "--grpc-streams", "5",
        "--json");
    assertEquals(1, bad.exit());
    assertEquals("invalid_input", bad.json().getString("error"));
    CliRun unknown = cli("tenant", "limits", "--data", data, "--slug", "nobody", "--rps", "5");
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().contains("no tenant 'nobody'"), unknown.err());
    assertEquals(new JsonObject().put("connections", 0).put("bytes_per_second", 1 << 20), ok("tenant", "limits", "--data", data,
        "--slug", "acme", "--json").json().getJsonObject("overrides"), "the refused runs changed nothing");

    JsonObject cleared = ok("tenant", "limits", "--data", data, "--slug", "acme", "--clear", "--ws-subscriptions",
        "64", "--json").json();
    assertEquals(new JsonObject().put("ws_subscriptions", 64), cleared.getJsonObject("overrides"));
    ok("tenant", "limits", "--data", data, "--slug", "acme", "--clear");
    assertTrue(!Files.readString(dir.resolve("registry.json")).contains("\"limits\""));
  }

  @Test
  void aChangeByConfigFileReachesARunningGatewayOnTheFileStoreWithoutARestart(@TempDir Path dir) throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    GatewayFixture gw = GatewayFixture.start(vertx, cfg -> cfg.put("accessLog", java.util.Map.of("enabled", false)));
    try {
      TestPki pki = gw.pki;
      Path config = dir.resolve("tenantgate.yaml");
      Files.writeString(config, "edge: {tls: {certFile: '" + pki.serverPem() + "', keyFile: '" + pki.serverKeyPem()
          + "', clientCaFile: '" + pki.rootPem() + "'}}\nregistry: {file: '" + gw.registryFile + "'}\n"
          + "tenantLimits: {connections: 500}\n"
          + "routes: [{name: core, pathPrefix: /, upstream: 'http://127.0.0.1:1'}]\n");
      HttpClient acme = gw.h1(pki.component(pki.acmeCa, "agent-001", "acme"));
      assertEquals(200, get(acme, "/before").status());

      JsonObject set = ok("tenant", "limits", "--config", config.toString(), "--slug", "acme", "--rps", "1",
          "--burst", "1", "--json").json();
      assertEquals(500, set.getJsonObject("defaults").getLong("connections"), "the defaults of --config");
      Await.until(() -> gw.gateway.quotas().of(TestPki.ACME_ID).limits().rps() == 1, Duration.ofSeconds(5),
          "the running gateway applied it");
      int limited = 0;
      for (int i = 0; i < 4; i++) {
        if (get(acme, "/limited/" + i).status() == 429) {
          limited++;
        }
      }
      assertTrue(limited >= 2, "limited on the open connection: " + limited);

      ok("tenant", "limits", "--config", config.toString(), "--slug", "acme", "--clear");
      Await.until(() -> gw.gateway.quotas().of(TestPki.ACME_ID).limits().rps() == 0, Duration.ofSeconds(5), "cleared");
      for (int i = 0; i < 5; i++) {
        assertEquals(200, get(acme, "/cleared/" + i).status());
      }
    } finally {
      gw.close();
      Await.result(vertx.close());
    }
  }

  @Test
  void aChangeOnThePostgresStoreReachesARunningGatewayWithinASecond(@TempDir Path dir) throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    PostgresFixture pg = PostgresFixture.create(vertx);
    GatewayFixture gw = null;
    try {
      Path pki = dir.resolve("pki");
      Files.createDirectories(pki);
      CertAndKey root = TestPki.get().root;
      Pem.write(pki.resolve("root.pem"), Pem.certificates(root.certificate()), false);
      Pem.write(pki.resolve("root-key.pem"), Pem.privateKey(root.privateKey()), true);
      Files.copy(pg.masterKeyFile, pki.resolve("master.key"));
      Files.writeString(dir.resolve(StoreOptions.DEV_STORE_FILE), new JsonObject().put("store", "postgres")
          .put("url", PostgresFixture.URL).put("schema", pg.schema).encode());
      String data = dir.toString();
      String slug = "lim-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
      gw = GatewayFixture.start(vertx, cfg -> {
        cfg.put("registry", pg.registrySection(PostgresFixture.URL));
        cfg.put("accessLog", java.util.Map.of("enabled", false));
      });
      GatewayFixture g = gw;
      ok("tenant", "create", "--data", data, "--slug", slug);
      Path out = dir.resolve("out");
      JsonObject issued = ok("cert", "issue", "--data", data, "--tenant", slug, "--component", "agent-001",
          "--out", out.toString(), "--json").json();
      ClientCert agent = new ClientCert(null, out.resolve("agent-001.pem"), out.resolve("agent-001-key.pem"),
          out.resolve("agent-001-chain.pem"), issued.getString("serial"));
      Await.until(() -> g.gateway.registry().snapshot().tenantBySlug(slug) != null, Duration.ofSeconds(1), "tenant");
      UUID id = g.gateway.registry().snapshot().tenantBySlug(slug).id();
      HttpClient edge = gw.h1(agent);
      assertEquals(200, get(edge, "/before").status());

      JsonObject set = ok("tenant", "limits", "--data", data, "--slug", slug, "--rps", "1", "--burst", "1",
          "--grpc-streams", "3", "--nats-publishes-per-second", "10", "--nats-bytes-per-second", "64KiB", "--json")
          .json();
      assertEquals(new JsonObject().put("rps", 1).put("burst", 1).put("grpc_streams", 3)
          .put("nats_publishes_per_second", 10).put("nats_bytes_per_second", 65536), set.getJsonObject("overrides"));
      assertEquals(1, Await.result(pg.db.pool().preparedQuery("SELECT count(*) FROM audit_log WHERE action ="
          + " 'tenant.limits' AND actor LIKE 'cli:%'").execute()).iterator().next().getLong(0));
      Await.until(() -> g.gateway.quotas().of(id).limits().rps() == 1, Duration.ofSeconds(1), "applied via NOTIFY");
      assertEquals(3, g.gateway.quotas().of(id).limits().grpcStreams());
      JsonObject show = ok("tenant", "show", "--data", data, "--slug", slug, "--json").json();
      assertEquals(id.toString(), show.getString("id"));
      assertEquals(set.getJsonObject("overrides"), show.getJsonObject("limits").getJsonObject("overrides"));
      assertEquals("override", show.getJsonObject("limits").getJsonObject("sources").getString("grpc_streams"));
      assertEquals("default", show.getJsonObject("limits").getJsonObject("sources").getString("connections"));
      assertTrue(ok("tenant", "show", "--data", data, "--slug", slug).out()
          .matches("(?s).*grpc_streams\\s+3\\s+override.*"));
      int limited = 0;
      for (int i = 0; i < 4; i++) {
        if (get(edge, "/limited/" + i).status() == 429) {
          limited++;
        }
      }
      assertTrue(limited >= 2, "limited on the open connection: " + limited);

      ok("tenant", "limits", "--data", data, "--slug", slug, "--clear");
      Await.until(() -> g.gateway.quotas().of(id).limits().rps() == 0, Duration.ofSeconds(1), "cleared");
      for (int i = 0; i < 5; i++) {
        assertEquals(200, get(edge, "/cleared/" + i).status());
      }
    } finally {
      if (gw != null) {
        gw.close();
      }
      pg.close();
      Await.result(vertx.close());
    }
  }
}
