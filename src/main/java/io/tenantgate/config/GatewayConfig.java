package io.tenantgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole gateway configuration, parsed once from YAML into immutable records. Parsing never
 * stops at the first problem: {@link ConfigException} lists all of them.
 */
public record GatewayConfig(
    IdentityConfig identity,
    EdgeConfig edge,
    OpsConfig ops,
    RegistryConfig registry,
    AssertionConfig assertion,
    AccessLogConfig accessLog,
    ShutdownConfig shutdown,
    NatsConfig nats,
    AdminConfig admin,
    OnboardingConfig onboarding,
    TenantLimitsConfig tenantLimits,
    List<RouteConfig> routes) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public GatewayConfig {
    routes = List.copyOf(routes);
  }

  /** Reads a YAML file; relative paths in it resolve against the file's directory. */
  public static GatewayConfig load(Path file) {
    JsonNode tree;
    try {
      tree = YAML.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(tree, base);
  }

  /** Parses a YAML document given as text (tests, generated configs). */
  public static GatewayConfig parseYaml(String yaml, Path baseDir) {
    try {
      return parse(YAML.readTree(yaml), baseDir);
    } catch (IOException e) {
      throw new ConfigException(List.of("cannot parse YAML: " + e.getMessage()));
    }
  }

  /** Parses a configuration built in code (e.g. by {@code tenantgate dev}) with the same validation. */
  public static GatewayConfig fromMap(java.util.Map<String, ?> config, Path baseDir) {
    return parse(YAML.valueToTree(config), baseDir);
  }

  /**
   * Every configuration key the records read, as dotted paths ({@code routes[].upstream}): what
   * docs/configuration.md must list. Obtained by parsing a skeleton, so it cannot drift from the code.
   */
  public static java.util.Set<String> knownKeys() {
    List<String> problems = new ArrayList<>();
    Node root = Node.root(YAML.createObjectNode().set("routes", YAML.createArrayNode()
        .add(YAML.createObjectNode().put("pathPrefix", "/")).add(YAML.createObjectNode().put("grpcService", "*"))),
        problems);
    read(root, new Paths(null));
    return java.util.Collections.unmodifiableSet(new java.util.TreeSet<>(root.asked()));
  }

  static GatewayConfig parse(JsonNode tree, Path baseDir) {
    List<String> problems = new ArrayList<>();
    Node root = Node.root(tree, problems);
    GatewayConfig config = read(root, new Paths(baseDir));
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return config;
  }

  private static GatewayConfig read(Node root, Paths paths) {
    IdentityConfig identity = IdentityConfig.parse(root.child("identity"));
    EdgeConfig edge = EdgeConfig.parse(root.child("edge"), paths);
    OpsConfig ops = OpsConfig.parse(root.child("ops"));
    RegistryConfig registry = RegistryConfig.parse(root.child("registry"), paths);
    AssertionConfig assertion = AssertionConfig.parse(root.child("assertion"), paths);
    AccessLogConfig accessLog = AccessLogConfig.parse(root.child("accessLog"));
    ShutdownConfig shutdown = ShutdownConfig.parse(root.child("shutdown"));
    NatsConfig nats = NatsConfig.parse(root.child("nats"));
    AdminConfig admin = AdminConfig.parse(root.child("admin"), paths);
    OnboardingConfig onboarding = OnboardingConfig.parse(root.child("onboarding"), paths, edge.port());
    TenantLimitsConfig tenantLimits = TenantLimitsConfig.parse(root.child("tenantLimits"));
    boolean postgres = registry.store() == RegistryConfig.StoreType.POSTGRES;
    if (admin.enabled() && !postgres) {
      root.problem("admin", "the admin API needs registry.store: postgres (the file store is edited with the CLI)");
    }
    if (onboarding.enabled() && !postgres) {
      root.problem("onboarding", "onboarding packages need registry.store: postgres");
    }
    List<RouteConfig> routes = new ArrayList<>();
    for (Node r : root.list("routes")) {
      routes.add(RouteConfig.parse(r, paths));
    }
    if (routes.isEmpty()) {
      root.problem("routes", "at least one route is required");
    }
    RouteConfig.checkUnique(routes, root);
    root.rejectUnknownKeys();
    return new GatewayConfig(identity, edge, ops, registry, assertion, accessLog, shutdown, nats, admin, onboarding,
        tenantLimits, routes);
  }

  /** Resolves relative file names against the configuration's directory. */
  record Paths(Path base) {
    Path resolve(String name) {
      if (name == null) {
        return null;
      }
      Path p = Path.of(name);
      return p.isAbsolute() || base == null ? p : base.resolve(p).normalize();
    }
  }
}
