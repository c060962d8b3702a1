package io.tenantgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.RouteConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The deployment files (docker/, k8s/) as the deploy tests read them, and the facts about the jar they
 * are checked against: its config parser, its ops paths and the jar path the build produces.
 */
final class DeployFiles {
  static final Path REPO = Path.of("").toAbsolutePath();
  static final Path DOCKERFILE = REPO.resolve("docker/Dockerfile");
  static final Path COMPOSE = REPO.resolve("docker/compose.yaml");
  static final Path K8S = REPO.resolve("k8s");

  /**
   * The ops listener's paths the deployments probe and scrape. {@code OpsPathsTest} checks that
   * OpsVerticle routes them and {@code ComposeStackIT} that a real gateway answers them with 200.
   */
  static final String LIVE = "/health/live";
  static final String READY = "/health/ready";
  static final String METRICS = "/metrics";

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private DeployFiles() {
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode yaml(String text) {
    try {
      return YAML.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a deployment's gateway config with the gateway's own parser: unknown keys fail. */
  static GatewayConfig config(String yaml) {
    return GatewayConfig.parseYaml(yaml, Path.of("/etc/tenantgate/config"));
  }

  /** Every file the gateway reads at start or on reload, as named in {@code config}. */
  static List<Path> filesRead(GatewayConfig config) {
    List<Path> files = new ArrayList<>();
    files.add(config.edge().tls().certFile());
    files.add(config.edge().tls().keyFile());
    files.add(config.edge().tls().clientCaFile());
    files.addAll(config.edge().tls().crlFiles());
    if (config.registry().file() != null) {
      files.add(config.registry().file());
    }
    if (config.assertion().enabled() && config.assertion().keyFile() != null) {
      files.add(config.assertion().keyFile());
    }
    for (RouteConfig r : config.routes()) {
      if (r.upstreamCaFile() != null) {
        files.add(r.upstreamCaFile());
      }
    }
    return files;
  }

  /** The jar {@code mvn package} produces: target/&lt;finalName&gt;.jar from pom.xml. */
  static String builtJar() {
    Matcher m = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(read(REPO.resolve("pom.xml")));
    if (!m.find()) {
      throw new AssertionError("pom.xml has no <finalName>");
    }
    return "target/" + m.group(1) + ".jar";
  }

  /** The value after {@code --config} in a command line. */
  static String configArg(List<String> command) {
    int i = command.indexOf("--config");
    if (i < 0 || i + 1 >= command.size()) {
      throw new AssertionError("no --config FILE in " + command);
    }
    return command.get(i + 1);
  }

  /** Whether {@code image} names an explicit tag or digest other than latest. */
  static boolean pinned(String image) {
    if (image.contains("@sha256:")) {
      return true;
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    return colon > slash && !image.substring(colon + 1).equals("latest") && !image.substring(colon + 1).isBlank();
  }
}
