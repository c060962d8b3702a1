package io.tenantgate.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.bridge.NatsServerProcess;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.dev.DevEnvironment;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The README's first command: the dev data layout, its config, and the example config file. */
class DevIT {

  @Test
  void devEnvironmentCreatesTheDocumentedLayoutOnceAndKeepsIt(@TempDir Path dir) throws Exception {
    DevEnvironment env = new DevEnvironment(dir, "serviceradar");
    assertTrue(env.ensure());
    for (String f : new String[] {"pki/root.pem", "pki/root-key.pem", "pki/server.pem", "pki/server-key.pem",
        "registry.json"}) {
      assertTrue(Files.exists(dir.resolve(f)), f);
    }
    for (String slug : DevEnvironment.TENANTS) {
      Path t = dir.resolve("pki/tenants/" + slug);
      assertTrue(Files.exists(t.resolve("ca.pem")) && Files.exists(t.resolve("ca-key.pem")), slug);
      for (String c : DevEnvironment.COMPONENTS) {
        assertTrue(Files.exists(t.resolve(c + ".pem")), c);
        assertTrue(Files.exists(t.resolve(c + "-key.pem")), c);
        assertEquals(2, Pem.readCertificates(t.resolve(c + "-chain.pem")).size(), c + " chain = leaf + CA");
        String cn = Pem.readCertificates(t.resolve(c + ".pem")).get(0).getSubjectX500Principal().getName();
        assertEquals("CN=" + c + "." + slug + ".serviceradar", cn);
      }
    }
    RegistrySnapshot snap = RegistryFile.parse(Files.readString(env.registryFile())).toSnapshot(Instant.now(), 1);
    assertEquals(2, snap.tenants().size());
    assertEquals(2, snap.cas().size());
    String rootBefore = Files.readString(dir.resolve("pki/root.pem"));
    String registryBefore = Files.readString(env.registryFile());
    assertFalse(env.ensure(), "a second run creates nothing");
    assertEquals(rootBefore, Files.readString(dir.resolve("pki/root.pem")));
    assertEquals(registryBefore, Files.readString(env.registryFile()));
    Files.delete(env.registryFile());
    env.ensure();
    RegistrySnapshot rebuilt = RegistryFile.parse(Files.readString(env.registryFile())).toSnapshot(Instant.now(), 2);
    assertEquals(2, rebuilt.tenants().size(), "a deleted registry is rebuilt from the kept tenant CAs");
    for (String slug : DevEnvironment.TENANTS) {
      var ca = Pem.readCertificates(dir.resolve("pki/tenants/" + slug + "/ca.pem")).get(0);
      var registered = rebuilt.caBySpki(io.tenantgate.pki.Fingerprints.spkiSha256Hex(ca));
      assertEquals(slug, rebuilt.tenant(registered.tenantId()).slug());
    }
  }

  /**
   * The walkthrough against a private nats-server: dev provisions acme's and globex's streams, and those
   * must never be left on the shared server other runs use.
   */
  @Test
  void devConfigServesTheCurlWalkthroughAgainstTheEchoCore(@TempDir Path dir) throws Exception {
    DevEnvironment env = new DevEnvironment(dir, "serviceradar");
    env.ensure();
    Vertx vertx = GatewayFixture.testVertx();
    try (NatsServerProcess nats = new NatsServerProcess().start()) {
      io.vertx.core.Promise<Integer> echo = io.vertx.core.Promise.promise();
      Await.result(vertx.deployVerticle(new io.tenantgate.dev.EchoCoreVerticle("127.0.0.1", 0, echo)));
      DevCommand cmd = new DevCommand();
      cmd.host = "127.0.0.1";
      cmd.edgePort = 0;
      cmd.opsPort = 0;
      cmd.natsUrl = nats.url();
      GatewayConfig config = GatewayConfig.fromMap(cmd.configMap(env, "http://127.0.0.1:" + Await.result(echo.future())),
          env.dir());
      Gateway gw = Await.result(Gateway.start(vertx, config));
      Path acme = env.tenantDir("acme");
      var client = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(env.pki().resolve("root.pem").toString()))
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(acme.resolve("agent-001-chain.pem").toString())
              .setKeyPath(acme.resolve("agent-001-key.pem").toString())));
      JsonObject echoed = Await.result(client.request(HttpMethod.GET, gw.edgePort(), "localhost", "/api/hello")
          .compose(req -> req.putHeader("X-Tenant-Slug", "globex").send().compose(resp -> resp.body()))
          .map(b -> b.toJsonObject()));
      assertEquals("/api/hello", echoed.getString("path"));
      assertEquals("acme", echoed.getJsonObject("headers").getString("x-tenant-slug"));
      assertEquals("agent-001", echoed.getJsonObject("headers").getString("x-component-id"));
      var ops = vertx.createHttpClient();
      int ready = Await.result(ops.request(HttpMethod.GET, gw.opsPort(), "127.0.0.1", "/health/ready")
          .compose(req -> req.send()).map(r -> r.statusCode()));
      assertEquals(200, ready);
      // the walkthrough's publish: acme's collector, stored in acme's stream
      Await.until(() -> gw.bridge().health().up(), java.time.Duration.ofSeconds(10), "bridge connected");
      var collector = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(env.pki().resolve("root.pem").toString()))
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(acme.resolve("collector-001-chain.pem").toString())
              .setKeyPath(acme.resolve("collector-001-key.pem").toString())));
      Await.until(() -> streamsOf(nats).containsAll(java.util.List.of("TENANT_acme", "TENANT_globex")),
          java.time.Duration.ofSeconds(10), "dev's streams provisioned");
      io.tenantgate.testing.Http.Response published = io.tenantgate.testing.Http.send(collector,
          new io.vertx.core.http.RequestOptions().setMethod(HttpMethod.POST).setPort(gw.edgePort()).setHost("localhost")
              .setURI("/v1/nats/publish/logs.syslog?ack=jetstream"), io.vertx.core.buffer.Buffer.buffer("hello"));
      assertEquals(200, published.status(), published.body().toString());
      assertEquals("TENANT_acme", published.json().getString("stream"));
      Await.result(gw.close());
    } finally {
      Await.result(vertx.close());
    }
  }

  /** The streams on {@code nats}; empty while it cannot say. */
  private static java.util.List<String> streamsOf(NatsServerProcess nats) {
    try (io.nats.client.Connection c = io.nats.client.Nats.connect(nats.url())) {
      return c.jetStreamManagement().getStreamNames();
    } catch (Exception e) {
      return java.util.List.of();
    }
  }

  @Test
  void devOnPostgresSeedsTheTenantsInTheDatabaseAndServesTheAdminApi(@TempDir Path dir) throws Exception {
    String schema = "tg_dev_" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xffffffffL);
    DevEnvironment env = new DevEnvironment(dir, "serviceradar");
    DevCommand cmd = new DevCommand();
    cmd.host = "127.0.0.1";
    cmd.edgePort = 0;
    cmd.opsPort = 0;
    cmd.adminPort = 0;
    cmd.enrollPort = 0;
    cmd.store = "postgres";
    cmd.dbUrl = io.tenantgate.testing.PostgresFixture.URL;
    cmd.dbSchema = schema;
    Vertx vertx = GatewayFixture.testVertx();
    NatsServerProcess nats = new NatsServerProcess().start();
    cmd.natsUrl = nats.url();
    try {
      assertTrue(DevPostgres.ensure(env, cmd));
      assertTrue(Files.exists(dir.resolve("store.json")) && Files.exists(dir.resolve("pki/master.key"))
          && Files.exists(dir.resolve("pki/admin.pem")));
      assertFalse(Files.exists(env.registryFile()), "no file registry on postgres");
      assertFalse(DevPostgres.ensure(env, cmd), "a second run creates nothing");
      io.vertx.core.Promise<Integer> echo = io.vertx.core.Promise.promise();
      Await.result(vertx.deployVerticle(new io.tenantgate.dev.EchoCoreVerticle("127.0.0.1", 0, echo)));
      GatewayConfig config = GatewayConfig.fromMap(cmd.configMap(env, "http://127.0.0.1:" + Await.result(echo.future())),
          env.dir());
      Gateway gw = Await.result(Gateway.start(vertx, config));
      Path acme = env.tenantDir("acme");
      var client = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(env.pki().resolve("root.pem").toString()))
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(acme.resolve("agent-001-chain.pem").toString())
              .setKeyPath(acme.resolve("agent-001-key.pem").toString())));
      JsonObject echoed = Await.result(client.request(HttpMethod.GET, gw.edgePort(), "localhost", "/api/hello")
          .compose(req -> req.send().compose(resp -> resp.body())).map(b -> b.toJsonObject()));
      assertEquals("acme", echoed.getJsonObject("headers").getString("x-tenant-slug"));
      var admin = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(env.pki().resolve("root.pem").toString()))
          .setKeyCertOptions(new PemKeyCertOptions().setCertPath(env.pki().resolve("admin.pem").toString())
              .setKeyPath(env.pki().resolve("admin-key.pem").toString())));
      JsonObject tenants = Await.result(admin.request(HttpMethod.GET, gw.adminPort(), "localhost", "/api/v1/tenants")
          .compose(req -> req.send().compose(resp -> resp.body())).map(b -> b.toJsonObject()));
      assertEquals(2, tenants.getJsonArray("tenants").size(), tenants.encode());
      Await.result(gw.close());
    } finally {
      var db = io.tenantgate.db.Database.create(vertx, io.tenantgate.testing.PostgresFixture.config(
          io.tenantgate.testing.PostgresFixture.URL, schema), java.util.Map.of());
      Await.result(db.pool().query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
      Await.result(db.close());
      Await.result(vertx.close());
      nats.close();
    }
  }

  @Test
  void exampleConfigurationParses() {
    GatewayConfig cfg = GatewayConfig.load(Path.of("conf/tenantgate.yaml"));
    assertEquals(50052, cfg.edge().port());
    assertEquals(9090, cfg.ops().port());
    assertEquals(2, cfg.routes().size());
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] args : new String[][] {{"--help"}, {"dev", "--help"}, {"serve", "--help"}, {"tenant", "--help"},
        {"tenant", "create", "--help"}, {"package", "create", "--help"}, {"cert", "issue", "--help"},
        {"cert", "revoke", "--help"}, {"ca", "rotate", "--help"}}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandLine cli = new CommandLine(new Main());
      cli.setOut(new java.io.PrintWriter(new PrintStream(out), true));
      assertEquals(0, cli.execute(args), String.join(" ", args));
      assertTrue(out.toString().contains("Usage:"), String.join(" ", args));
    }
  }

  @Test
  void serveWithABrokenConfigExitsNonZeroListingEveryProblem(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "edge:\n  port: 70000\n  prot: 1\nroutes: []\n");
    PrintStream savedErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true));
    try {
      assertEquals(2, new CommandLine(new Main()).execute("serve", "--config", bad.toString()));
    } finally {
      System.setErr(savedErr);
    }
    String msg = err.toString();
    assertTrue(msg.contains("edge.port"), msg);
    assertTrue(msg.contains("edge.prot: unknown key"), msg);
    assertTrue(msg.contains("edge.tls.certFile: is required"), msg);
    assertTrue(msg.contains("registry.file: is required"), msg);
    assertTrue(msg.contains("routes: at least one route"), msg);
  }
}
