package io.tenantgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgate.config.AdminConfig;
import io.tenantgate.config.EdgeConfig;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.OnboardingConfig;
import io.tenantgate.config.OpsConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.config.RouteConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * The paths the deployment docs (docker/README.md) send operators and edges to on the admin and
   * enrollment listeners. {@code OpsPathsTest} checks that the code routes them and
   * {@code ComposeStackIT} that a real gateway answers them.
   */
  static final String ADMIN_TENANTS = "/api/v1/tenants";
  static final String ENROLL_PREFIX = "/api/edge-packages/";
  static final String BUNDLE_SUFFIX = "/bundle";

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

  /**
   * Every file the gateway reads at start or on reload, as named in {@code config}: the edge's TLS
   * material, the registry file or the Postgres store's master key, password and root files, the admin
   * and enrollment listeners' certificates when they run, the assertion key, upstream CAs.
   */
  static List<Path> filesRead(GatewayConfig config) {
    List<Path> files = new ArrayList<>();
    files.add(config.edge().tls().certFile());
    files.add(config.edge().tls().keyFile());
    files.add(config.edge().tls().clientCaFile());
    files.addAll(config.edge().tls().crlFiles());
    RegistryConfig registry = config.registry();
    if (registry.file() != null) {
      files.add(registry.file());
    }
    if (registry.store() == RegistryConfig.StoreType.POSTGRES) {
      addIfSet(files, registry.masterKeyFile());
      addIfSet(files, registry.postgres().passwordFile());
    }
    addIfSet(files, registry.rootCaCertFile());
    addIfSet(files, registry.rootCaKeyFile());
    AdminConfig admin = config.admin();
    if (admin.enabled()) {
      addIfSet(files, admin.clientCaFile());
      addIfSet(files, admin.certFile());
      addIfSet(files, admin.keyFile());
    }
    OnboardingConfig onboarding = config.onboarding();
    if (onboarding.enabled()) {
      addIfSet(files, onboarding.certFile());
      addIfSet(files, onboarding.keyFile());
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

  /**
   * The listeners {@code config} runs, by the container port names the Kubernetes manifests use:
   * edge and ops always, admin and enroll when enabled.
   */
  static Map<String, Integer> listenerPorts(GatewayConfig config) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("edge", config.edge().port());
    ports.put("ops", config.ops().port());
    if (config.admin().enabled()) {
      ports.put("admin", config.admin().port());
    }
    if (config.onboarding().enabled()) {
      ports.put("enroll", config.onboarding().port());
    }
    return ports;
  }

  /** The port the code listens on by default, per listener name (what the deployments must use). */
  static Map<String, Integer> defaultPorts() {
    return Map.of("edge", EdgeConfig.DEFAULT_PORT, "ops", OpsConfig.DEFAULT_PORT, "admin", AdminConfig.DEFAULT_PORT,
        "enroll", OnboardingConfig.DEFAULT_PORT);
  }

  private static void addIfSet(List<Path> files, Path file) {
    if (file != null) {
      files.add(file);
    }
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

  /**
   * Whether {@code image} names a digest, or a tag that is neither {@code latest} nor a Maven
   * {@code -SNAPSHOT}: both are moved to new builds, and with {@code imagePullPolicy: IfNotPresent}
   * each node keeps whichever build it pulled first.
   */
  static boolean pinned(String image) {
    if (image.contains("@")) {
      return image.matches("[^@]+@sha256:[0-9a-f]{64}");
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    if (colon <= slash) {
      return false;
    }
    String tag = image.substring(colon + 1);
    return !tag.isBlank() && !tag.equals("latest") && !tag.toUpperCase(java.util.Locale.ROOT).endsWith("-SNAPSHOT");
  }

  /**
   * {@link #pinned}, or the one documented local-development case: an image compose builds itself from
   * the working tree ({@code build:}), which is never pulled, may carry the pom's -SNAPSHOT version.
   */
  static boolean pinnedOrBuiltLocally(String image, boolean builtByCompose) {
    return pinned(image) || (builtByCompose && !image.endsWith(":latest") && image.contains(":"));
  }

  /**
   * The longest a gateway takes from SIGTERM to exit, read from launcher/Running.java (the shutdown
   * thread waits for {@code gateway.shutdown()} — the edge drain, then the NATS drain and undeploy —
   * at most {@code shutdown.grace} plus a slack, then for the after-close hook): grace + both waits.
   * A change to either wait in the code changes this bound, and the deploy tests follow it.
   */
  static java.time.Duration worstCaseShutdown(GatewayConfig config) {
    // the bound launcher/Running waits for: the gateway's shutdown budget, then closing Vert.x
    return io.tenantgate.launcher.Gateway.shutdownBudget(config).plus(io.tenantgate.launcher.Gateway.CLOSE_BUDGET);
  }

  /** The value of {@code -XX:NAME=value} in JVM options, or null. */
  static String jvmOption(String options, String name) {
    Matcher m = Pattern.compile("(?:^|\\s)-XX:" + Pattern.quote(name) + "=(\\S+)").matcher(options);
    String value = null;
    while (m.find()) {
      value = m.group(1); // the JVM takes the last one
    }
    return value;
  }

  /** A JVM size ("192m", "1g", "65536") in bytes. */
  static long jvmSize(String size) {
    String s = size.toLowerCase(java.util.Locale.ROOT);
    long unit = switch (s.charAt(s.length() - 1)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      default -> 1;
    };
    return Long.parseLong(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit;
  }

  /**
   * What a JVM with {@code options} may use at most outside the heap and direct buffers, as the deploy
   * tests budget it: metaspace and code cache (~150Mi for Vert.x, Netty, Flyway, jnats), thread stacks
   * (event loops, workers, a jnats dispatcher per bridge WebSocket), GC structures and BoringSSL's
   * native per-connection state.
   */
  static final long NON_HEAP_RESERVE = 320L << 20;

  /**
   * Heap + direct memory the JVM may reach with {@code options} under a container memory limit of
   * {@code limit} bytes: MaxRAMPercentage of the limit (the JVM default is 25 %), and
   * MaxDirectMemorySize — unset, the JVM allows as much direct memory as the heap.
   */
  static long heapPlusDirect(String options, long limit) {
    String pct = jvmOption(options, "MaxRAMPercentage");
    long heap = (long) (limit * (pct == null ? 25.0 : Double.parseDouble(pct)) / 100);
    String direct = jvmOption(options, "MaxDirectMemorySize");
    return heap + (direct == null ? heap : jvmSize(direct));
  }
}
