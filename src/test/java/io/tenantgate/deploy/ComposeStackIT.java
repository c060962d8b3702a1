package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.launcher.Gateway;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.RecordingCore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose stack without Docker: docker/generate-certs.sh makes the PKI with the jar's CLI; the
 * stack's own config (docker/tenantgate.yaml, its container paths mapped onto the generated files the
 * way compose.yaml mounts them) starts a real gateway; every health and metrics path the deployment
 * files use answers 200; and an agent certificate the script wrote reaches core as its tenant.
 */
class ComposeStackIT {
  private static final Pattern GET = Pattern.compile("GET (/\\S*) HTTP/");

  @TempDir
  Path tmp;

  @Test
  void generatedPkiAndTheStackConfigServeAnAgentAndEveryProbedPath() throws Exception {
    Path data = generateCerts(tmp.resolve("data"));
    JsonNode compose = DeployFiles.yaml(DeployFiles.read(DeployFiles.COMPOSE));
    JsonNode gatewayService = compose.path("services").path("tenantgate");
    Map<String, Path> mounts = new java.util.LinkedHashMap<>();
    for (JsonNode v : gatewayService.path("volumes")) {
      String[] parts = v.asText().split(":");
      if (parts[0].startsWith("./data/")) {
        mounts.put(parts[1], data.resolve(parts[0].substring("./data/".length())));
      }
    }
    ObjectNode tree = (ObjectNode) DeployFiles.yaml(DeployFiles.read(DeployFiles.COMPOSE.getParent()
        .resolve("tenantgate.yaml")));
    remap(tree, mounts);
    RecordingCore core;
    Vertx vertx = GatewayFixture.testVertx();
    try {
      core = RecordingCore.start(vertx);
      // what cannot run here: ports of its own, the compose services' host names, NATS
      ((ObjectNode) tree.path("edge")).put("host", "127.0.0.1").put("port", 0);
      ((ObjectNode) tree.path("ops")).put("host", "127.0.0.1").put("port", 0);
      ((ObjectNode) tree.path("nats")).put("enabled", false);
      for (JsonNode route : tree.path("routes")) {
        ((ObjectNode) route).put("upstream", core.url());
      }
      GatewayConfig config = GatewayConfig.parseYaml(DeployFiles.YAML.writeValueAsString(tree), data);
      for (Path file : DeployFiles.filesRead(config)) {
        assertTrue(Files.isRegularFile(file), "generate-certs.sh wrote " + file + " where compose.yaml mounts it");
      }
      RegistryFile registry = RegistryFile.parse(Files.readString(config.registry().file()));
      assertTrue(registry.encode().contains("\"acme\""), "the registry names acme");

      Gateway gw = Gateway.start(vertx, config).await();
      try {
        for (String path : probedPaths()) {
          HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + gw.opsPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode(), path + " (used by docker/ or k8s/): " + r.body());
          if (path.equals(DeployFiles.READY)) {
            JsonObject checks = new JsonObject(r.body()).getJsonObject("checks");
            for (String check : List.of("edge", "registry", "server_certificate")) {
              assertEquals("UP", checks.getJsonObject(check).getString("status"), check + ": " + checks);
            }
          }
        }
        assertEquals(200, agentCall(vertx, gw.edgePort(), data), "acme's agent is served");
        assertEquals("acme", core.last().header("x-tenant-slug"), "core sees the agent's tenant");
      } finally {
        gw.close().await();
      }
      core.close().await();
    } finally {
      vertx.close().await();
    }
  }

  /** Runs docker/generate-certs.sh with this build's classes as the CLI. */
  private Path generateCerts(Path out) throws Exception {
    Path log = tmp.resolve("generate-certs.log");
    ProcessBuilder pb = new ProcessBuilder("bash", DeployFiles.REPO.resolve("docker/generate-certs.sh").toString(),
        out.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TENANTGATE_CLI", Path.of(System.getProperty("java.home"), "bin", "java") + " -cp "
        + System.getProperty("java.class.path") + " io.tenantgate.launcher.Main");
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("generate-certs.sh did not finish:\n" + Files.readString(log));
    }
    assertEquals(0, p.exitValue(), "generate-certs.sh:\n" + Files.readString(log));
    for (String f : List.of("dev/pki/tenants/acme/agent-001-chain.pem", "dev/pki/tenants/acme/agent-001-key.pem",
        "gateway/tls/server.pem", "gateway/tls/server-key.pem", "gateway/trust/root.pem",
        "gateway/registry/registry.json")) {
      assertTrue(Files.isRegularFile(out.resolve(f)), "generate-certs.sh wrote " + f + ":\n" + Files.readString(log));
    }
    assertFalse(Files.exists(out.resolve("gateway/trust/root-key.pem")), "no CA key goes where the gateway mounts");
    return out;
  }

  /** Rewrites every string that names a file under a compose mount target to the generated host file. */
  private static void remap(JsonNode node, Map<String, Path> mounts) {
    if (node instanceof ObjectNode obj) {
      var names = new java.util.ArrayList<String>();
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

  /** An HTTPS call with acme's agent certificate as generate-certs.sh wrote it; returns the status. */
  private static int agentCall(Vertx vertx, int edgePort, Path data) {
    Path acme = data.resolve("dev/pki/tenants/acme");
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(data.resolve("gateway/trust/root.pem").toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(acme.resolve("agent-001-chain.pem").toString())
            .setKeyPath(acme.resolve("agent-001-key.pem").toString())));
    try {
      return client.request(HttpMethod.GET, edgePort, "localhost", "/api/hello")
          .compose(req -> req.send().compose(resp -> resp.body().map(body -> resp.statusCode())))
          .await();
    } finally {
      client.close().await();
    }
  }
}
