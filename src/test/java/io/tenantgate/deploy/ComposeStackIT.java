package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tenantgate.admin.EnrollmentVerticle;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.launcher.Gateway;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.testing.AlwaysSendKeyManager;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.PostgresFixture;
import io.tenantgate.testing.RecordingCore;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack without Docker, walked through as docker/README.md does it:
 * docker/generate-certs.sh makes the PKI with the jar's CLI (twice: the master key survives a re-run);
 * the stack's own config (docker/tenantgate.yaml, its container paths mapped onto the generated files
 * the way compose.yaml mounts them, its Postgres pointed at a throwaway schema of the test database)
 * starts a real gateway with the admin API and enrollment; every health and metrics path the deployment
 * files use answers 200; the CLI, run with that config, creates a tenant and a package; the operator
 * certificate the script wrote lists the tenant on the admin API; the package downloads once from the
 * enrollment listener; and its certificate connects an agent that core sees as the new tenant.
 */
class ComposeStackIT {
  private static final Pattern GET = Pattern.compile("GET (/\\S*) HTTP/");
  private static final Pattern DATA_FILE = Pattern.compile("docker/data/([A-Za-z0-9_./-]+\\.(?:pem|key))");
  private static final String SLUG = "acme-corp";
  private static final String COMPONENT = "agent-001";

  @TempDir
  Path tmp;

  @Test
  void theReadmeWalkThroughOnboardsATenantAndConnectsItsAgentThroughTheStackConfig() throws Exception {
    Path data = generateCerts(tmp.resolve("data"));
    String masterKey = Files.readString(data.resolve("gateway/master-key/master.key"));
    MasterKey.load(data.resolve("gateway/master-key/master.key"), Map.of());
    generateCerts(data);
    assertEquals(masterKey, Files.readString(data.resolve("gateway/master-key/master.key")),
        "a re-run keeps the master key (the Postgres volume's CA keys are sealed with it)");
    assertReadmeFilesExist(data);

    JsonNode compose = DeployFiles.yaml(DeployFiles.read(DeployFiles.COMPOSE));
    JsonNode gatewayService = compose.path("services").path("tenantgate");
    Map<String, Path> mounts = new LinkedHashMap<>();
    for (JsonNode v : gatewayService.path("volumes")) {
      String[] parts = v.asText().split(":");
      if (parts[0].startsWith("./data/")) {
        mounts.put(parts[1], data.resolve(parts[0].substring("./data/".length())));
      }
    }
    ObjectNode tree = (ObjectNode) DeployFiles.yaml(DeployFiles.read(DeployFiles.COMPOSE.getParent()
        .resolve("tenantgate.yaml")));
    remap(tree, mounts);
    Vertx vertx = GatewayFixture.testVertx();
    PostgresFixture pg = PostgresFixture.create(vertx);
    try {
      RecordingCore core = RecordingCore.start(vertx);
      // what cannot run here: ports of its own, the compose services' host names, NATS
      for (String listener : List.of("edge", "ops", "admin", "onboarding")) {
        ((ObjectNode) tree.path(listener)).put("host", "127.0.0.1").put("port", 0);
      }
      ((ObjectNode) tree.path("nats")).put("enabled", false);
      for (JsonNode route : tree.path("routes")) {
        ((ObjectNode) route).put("upstream", core.url());
      }
      ObjectNode postgres = (ObjectNode) tree.path("registry").path("postgres");
      postgres.put("url", PostgresFixture.URL).put("schema", pg.schema).remove("user");
      Path configFile = tmp.resolve("tenantgate.yaml");
      Files.writeString(configFile, DeployFiles.YAML.writeValueAsString(tree));
      GatewayConfig config = GatewayConfig.load(configFile);
      for (Path file : DeployFiles.filesRead(config)) {
        assertTrue(Files.isRegularFile(file), "generate-certs.sh wrote " + file + " where compose.yaml mounts it");
      }
      assertTrue(config.admin().enabled() && config.onboarding().enabled(), "the stack runs admin API and enrollment");

      Gateway gw = Gateway.start(vertx, config).await();
      try {
        for (String path : probedPaths()) {
          HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + gw.opsPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode(), path + " (used by docker/ or k8s/): " + r.body());
          if (path.equals(DeployFiles.READY)) {
            JsonObject checks = new JsonObject(r.body()).getJsonObject("checks");
            for (String check : List.of("edge", "registry", "postgres", "server_certificate")) {
              assertEquals("UP", checks.getJsonObject(check).getString("status"), check + ": " + checks);
            }
          }
        }

        // 1. and 2. of docker/README.md: the CLI with the gateway's config
        JsonObject tenant = cli(configFile, "tenant", "create", "--slug", SLUG, "--name", "Acme Corp", "--json");
        assertTrue(tenant.encode().contains("\"" + SLUG + "\""), "tenant create: " + tenant);
        JsonObject pkg = cli(configFile, "package", "create", "--tenant", SLUG, "--component", COMPONENT,
            "--ttl", "24h", "--json");
        String id = pkg.getString("id");
        String token = pkg.getString("token");
        assertNotNull(id, pkg.encode());
        assertTrue(token.startsWith("edgepkg-v2:"), pkg.encode());
        String path = DeployFiles.ENROLL_PREFIX + id + DeployFiles.BUNDLE_SUFFIX;
        assertEquals(config.onboarding().publicUrl() + path, pkg.getString("download_url"),
            "download_url = onboarding.publicUrl + the enrollment path");

        // 5.: the operator certificate generate-certs.sh wrote is an admin of this gateway
        Path op = data.resolve("operator");
        HttpClient admin = client(vertx, op.resolve("root.pem"), op.resolve("admin.pem"), op.resolve("admin-key.pem"));
        Reply tenants = send(admin, gw.adminPort(), new RequestOptions().setURI(DeployFiles.ADMIN_TENANTS));
        assertEquals(200, tenants.status(), tenants.body());
        assertTrue(tenants.body().contains("\"" + SLUG + "\""), tenants.body());

        // 3.: the edge downloads its package once, trusting the platform root
        HttpClient edge = client(vertx, op.resolve("root.pem"), null, null);
        RequestOptions download = new RequestOptions().setMethod(HttpMethod.POST).setURI(path)
            .putHeader(EnrollmentVerticle.TOKEN_HEADER, token);
        Reply bundle = send(edge, gw.enrollPort(), download);
        assertEquals(200, bundle.status(), bundle.body());
        Map<String, byte[]> files = untar(bundle.bytes());
        Reply again = send(edge, gw.enrollPort(), download);
        assertEquals(410, again.status(), "the token is spent: " + again.body());
        Path pkgDir = tmp.resolve("edge-package");
        for (String f : List.of("certs/component.pem", "certs/component-key.pem", "certs/ca-chain.pem")) {
          assertNotNull(files.get(f), "the package holds " + f + ": " + files.keySet());
          Files.createDirectories(pkgDir.resolve(f).getParent());
          Files.write(pkgDir.resolve(f), files.get(f));
        }
        JsonObject edgeConfig = new JsonObject(new String(files.get("config/config.json"), StandardCharsets.UTF_8));
        assertEquals(config.onboarding().gatewayAddr(), edgeConfig.getString("gateway_addr"));
        assertEquals(SLUG, edgeConfig.getString("tenant_slug"));
        X509Certificate server = Pem.readCertificates(data.resolve("gateway/tls/server.pem")).get(0);
        assertTrue(server.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals(config.onboarding()
            .serverName())), "the server certificate is for onboarding.serverName " + config.onboarding().serverName());

        // 4.: the agent connects with the package's certificate (the leaf alone) and key
        HttpClient agent = client(vertx, pkgDir.resolve("certs/ca-chain.pem"), pkgDir.resolve("certs/component.pem"),
            pkgDir.resolve("certs/component-key.pem"));
        Reply hello = send(agent, gw.edgePort(), new RequestOptions().setURI("/api/hello"));
        assertEquals(200, hello.status(), hello.body());
        assertEquals(SLUG, core.last().header("x-tenant-slug"), "core sees the new tenant");
        assertEquals(COMPONENT, core.last().header("x-component-id"));
        for (HttpClient c : List.of(admin, edge, agent)) {
          c.close().await();
        }
      } finally {
        gw.close().await();
      }
      core.close().await();
    } finally {
      pg.close();
      vertx.close().await();
    }
  }

  /** Runs docker/generate-certs.sh with this build's classes as the CLI. */
  private Path generateCerts(Path out) throws Exception {
    Path log = tmp.resolve("generate-certs.log");
    ProcessBuilder pb = new ProcessBuilder("bash", DeployFiles.REPO.resolve("docker/generate-certs.sh").toString(),
        out.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TENANTGATE_CLI", cliCommand());
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("generate-certs.sh did not finish:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), "generate-certs.sh:\n" + Files.readString(log));
    for (String f : List.of("gateway/tls/server.pem", "gateway/tls/server-key.pem", "gateway/trust/root.pem",
        "gateway/admin-ca/admin-ca.pem", "gateway/master-key/master.key", "gateway/root-key/root-key.pem",
        "operator/admin.pem", "operator/admin-key.pem", "operator/root.pem")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "generate-certs.sh wrote " + f + ":\n" + Files.readString(log));
    }
    // only the keys the gateway needs go where it mounts: never the admin CA's
    try (var walk = Files.walk(out.resolve("gateway"))) {
      List<String> keys = walk.filter(Files::isRegularFile).map(f -> out.resolve("gateway").relativize(f).toString())
          .filter(f -> f.contains("key")).sorted().toList();
      assertEquals(List.of("master-key/master.key", "root-key/root-key.pem", "tls/server-key.pem"), keys,
          "the gateway's mounts hold no other key");
    }
    assertFalse(Files.exists(out.resolve("dev/registry.json")), "no file registry that the Postgres stack would ignore");
    return out;
  }

  private static String cliCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java") + " -cp " + System.getProperty("java.class.path")
        + " io.tenantgate.launcher.Main";
  }

  /** One CLI run as docker/README.md's {@code tg}: {@code ARGS --config FILE}; its --json output. */
  private JsonObject cli(Path config, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(cliCommand().split(" ")));
    command.addAll(List.of(args));
    command.addAll(List.of("--config", config.toString()));
    Path out = tmp.resolve("cli-out.txt");
    Path err = tmp.resolve("cli-err.txt");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("tenantgate " + String.join(" ", args) + " did not finish");
    }
    String stdout = Files.readString(out);
    assertEquals(0, p.exitValue(), "tenantgate " + String.join(" ", args) + ":\n" + stdout + Files.readString(err));
    return new JsonObject(stdout);
  }

  /** Every operator and agent file docker/README.md names under docker/data/ is one the script writes. */
  private static void assertReadmeFilesExist(Path data) {
    Matcher m = DATA_FILE.matcher(DeployFiles.read(DeployFiles.COMPOSE.getParent().resolve("README.md")));
    int found = 0;
    while (m.find()) {
      found++;
      assertTrue(Files.isRegularFile(data.resolve(m.group(1))), "docker/README.md names docker/data/" + m.group(1)
          + ", which generate-certs.sh does not write");
    }
    assertTrue(found >= 3, "docker/README.md names the operator files");
  }

  /** Rewrites every string that names a file under a compose mount target to the generated host file. */
  private static void remap(JsonNode node, Map<String, Path> mounts) {
    if (node instanceof ObjectNode obj) {
      var names = new ArrayList<String>();
      obj.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        JsonNode v = obj.get(name);
        if (v.isTextual()) {
          obj.set(name, new TextNode(mapped(v.asText(), mounts)));
        } else {
          remap(v, mounts);
        }
      }
    } else if (node.isArray()) {
      node.forEach(n -> remap(n, mounts));
    }
  }

  private static String mapped(String value, Map<String, Path> mounts) {
    for (var m : mounts.entrySet()) {
      if (value.startsWith(m.getKey() + "/")) {
        return m.getValue().resolve(value.substring(m.getKey().length() + 1)).toString();
      }
    }
    return value;
  }

  /** Every ops path docker/ and k8s/ probe or scrape, read from the files themselves. */
  private static Set<String> probedPaths() {
    Set<String> paths = new LinkedHashSet<>();
    Matcher docker = GET.matcher(DeployFiles.read(DeployFiles.DOCKERFILE));
    while (docker.find()) {
      paths.add(docker.group(1));
    }
    Matcher compose = GET.matcher(DeployFiles.read(DeployFiles.COMPOSE));
    while (compose.find()) {
      paths.add(compose.group(1));
    }
    JsonNode container = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/deployment.yaml")))
        .path("spec").path("template").path("spec").path("containers").get(0);
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      String path = container.path(probe).path("httpGet").path("path").asText();
      if (!path.isEmpty()) {
        paths.add(path);
      }
    }
    JsonNode monitor = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve(
        "components/servicemonitor/servicemonitor.yaml")));
    monitor.path("spec").path("endpoints").forEach(e -> paths.add(e.path("path").asText()));
    assertTrue(paths.containsAll(List.of(DeployFiles.LIVE, DeployFiles.READY, DeployFiles.METRICS)), paths.toString());
    return paths;
  }

  /**
   * An HTTPS client for localhost (host name verified) trusting {@code ca}, presenting the certificate
   * file as it is (the package's holds the leaf alone) whatever CA names the server advertises — as
   * curl does.
   */
  private static HttpClient client(Vertx vertx, Path ca, Path cert, Path key) throws IOException {
    HttpClientOptions options = new HttpClientOptions().setSsl(true).setVerifyHost(true).setDefaultHost("localhost")
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()));
    if (cert != null) {
      options.setKeyCertOptions(KeyCertOptions.wrap(new AlwaysSendKeyManager(Pem.readCertificates(cert),
          Pem.readPrivateKey(key))));
    }
    return vertx.createHttpClient(options);
  }

  record Reply(int status, Buffer bytes) {
    String body() {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  private static Reply send(HttpClient client, int port, RequestOptions options) {
    options.setPort(port).setHost("localhost");
    return client.request(options)
        .compose(req -> req.send().compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), body))))
        .await();
  }

  private static Map<String, byte[]> untar(Buffer gz) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
        new ByteArrayInputStream(gz.getBytes())))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (!e.isDirectory()) {
          out.put(e.getName().substring(e.getName().indexOf('/') + 1), tar.readAllBytes());
        }
      }
    }
    return out;
  }
}
