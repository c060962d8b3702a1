package io.tenantgate.deploy;

import static io.tenantgate.deploy.DeployFiles.COMPOSE;
import static io.tenantgate.deploy.DeployFiles.DOCKERFILE;
import static io.tenantgate.deploy.DeployFiles.REPO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tenantgate.admin.EnrollmentVerticle;
import io.tenantgate.config.AdminConfig;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.OnboardingConfig;
import io.tenantgate.config.PostgresConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.config.RouteConfig;
import io.tenantgate.pki.MasterKey;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker/Dockerfile, .dockerignore, docker/compose.yaml and docker/README.md, checked statically (no
 * Docker engine on the build machines) against what the jar really uses: the jar path the build
 * produces, the ports (edge, ops, admin, enrollment) and config keys the config records accept, the
 * ops listener's health path, the Postgres store's settings, the enrollment path and token header.
 */
class ContainerFilesTest {
  private static final Dockerfile DOCKER = Dockerfile.parse(DeployFiles.read(DOCKERFILE));
  private static final JsonNode STACK = DeployFiles.yaml(DeployFiles.read(COMPOSE));
  private static final JsonNode GATEWAY = STACK.path("services").path("tenantgate");

  /** The config the stack mounts, parsed by the gateway's own parser (a renamed key fails here). */
  private static GatewayConfig stackConfig() {
    String source = mountSource(GATEWAY, configArg(GATEWAY));
    return DeployFiles.config(DeployFiles.read(COMPOSE.getParent().resolve(source)));
  }

  private static String configArg(JsonNode service) {
    List<String> command = new ArrayList<>();
    service.path("command").forEach(n -> command.add(n.asText()));
    return DeployFiles.configArg(command);
  }

  /** Host side of the compose volume whose container side is {@code target} or a parent of it. */
  private static String mountSource(JsonNode service, String target) {
    for (JsonNode v : service.path("volumes")) {
      String[] parts = v.asText().split(":");
      if (target.equals(parts[1]) || target.startsWith(parts[1] + "/")) {
        return parts[0] + target.substring(parts[1].length());
      }
    }
    throw new AssertionError("compose mounts nothing at " + target);
  }

  private static boolean mountedReadOnly(JsonNode service, String target) {
    for (JsonNode v : service.path("volumes")) {
      String[] parts = v.asText().split(":");
      if (target.equals(parts[1]) || target.startsWith(parts[1] + "/")) {
        return parts.length > 2 && parts[2].contains("ro");
      }
    }
    return false;
  }

  @Test
  void theBuildStageMakesTheJarThePomNamesAndTheRuntimeRunsIt() {
    assertTrue(DOCKER.stages().size() >= 2, "multi-stage: a Maven build stage and a JRE runtime");
    Dockerfile.Stage build = DOCKER.stages().get(0);
    assertTrue(build.image().startsWith("maven:"), "build stage: " + build.image());
    String mvn = String.join(" ", build.all("RUN"));
    assertTrue(mvn.contains("mvn") && mvn.contains("package"), "the build stage runs mvn package: " + mvn);
    String jar = DeployFiles.builtJar();
    assertEquals("target/tenantgate.jar", jar);
    Matcher cp = Pattern.compile("cp " + Pattern.quote(jar) + " (\\S+)").matcher(mvn);
    assertTrue(cp.find(), "the build stage takes " + jar + ", the jar mvn package produces: " + mvn);
    String built = cp.group(1);

    Dockerfile.Stage runtime = DOCKER.runtime();
    String copy = runtime.all("COPY").stream().filter(c -> c.startsWith("--from=" + build.name() + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("the runtime stage copies nothing from " + build.name()));
    String[] copyArgs = copy.split("\\s+");
    assertEquals(built, copyArgs[1], "the runtime copies the built jar");
    List<String> entrypoint = Dockerfile.exec(runtime.last("ENTRYPOINT"));
    assertEquals(List.of("java", "-jar", copyArgs[2]), entrypoint, "ENTRYPOINT runs the copied jar");
  }

  @Test
  void everyBaseImageIsPinnedAndTheRuntimeIsAJre() {
    for (Dockerfile.Stage s : DOCKER.stages()) {
      assertTrue(DeployFiles.pinned(s.image()), "FROM " + s.image() + " needs a pinned tag, never latest");
    }
    assertTrue(DOCKER.runtime().image().startsWith("eclipse-temurin:17") && DOCKER.runtime().image().contains("-jre"),
        "a Java 17 JRE runtime: " + DOCKER.runtime().image());
    assertTrue(!DeployFiles.read(DOCKERFILE).contains(":latest"), "no :latest anywhere in the Dockerfile");
  }

  @Test
  void theRuntimeRunsAsTheNonRootUserTheKubernetesPodUses() {
    String user = DOCKER.runtime().last("USER");
    String uid = user.split(":")[0];
    assertTrue(uid.matches("\\d+") && Integer.parseInt(uid) > 0, "USER is a numeric non-root uid: " + user);
    JsonNode pod = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/deployment.yaml")))
        .path("spec").path("template").path("spec");
    assertEquals(uid, pod.path("securityContext").path("runAsUser").asText(), "k8s runAsUser = the image's USER");
  }

  @Test
  void exposesTheConfiguredPortsAndChecksReadinessOnTheOpsPort() {
    GatewayConfig config = stackConfig();
    Set<Integer> exposed = new HashSet<>();
    DOCKER.runtime().all("EXPOSE").forEach(e -> {
      for (String p : e.split("\\s+")) {
        exposed.add(Integer.parseInt(p.replace("/tcp", "")));
      }
    });
    assertEquals(new HashSet<>(DeployFiles.listenerPorts(config).values()), exposed,
        "EXPOSE = the stack's listeners: edge.port, ops.port, admin.port, onboarding.port");
    assertEquals(new HashSet<>(DeployFiles.defaultPorts().values()), exposed,
        "the image documents the default ports (edge, ops, admin, enrollment); a default changed in code must change here");
    String healthcheck = DOCKER.runtime().last("HEALTHCHECK");
    assertProbesReadiness(healthcheck, config.ops().port(), "HEALTHCHECK");
  }

  /** The container health checks speak HTTP to /health/ready on the ops port and want a 200. */
  private static void assertProbesReadiness(String check, int opsPort, String what) {
    assertTrue(check.contains("/dev/tcp/127.0.0.1/" + opsPort + " "), what + " connects to ops.port " + opsPort
        + ": " + check);
    assertTrue(check.contains("GET " + DeployFiles.READY + " HTTP/"), what + " requests " + DeployFiles.READY);
    assertTrue(check.contains("' 200 '"), what + " wants status 200 (UP or DEGRADED; 503 when DOWN)");
  }

  @Test
  void theImageCommandReadsTheConfigPathTheStackAndTheClusterMount() {
    String imageConfig = DeployFiles.configArg(Dockerfile.exec(DOCKER.runtime().last("CMD")));
    assertEquals(imageConfig, configArg(GATEWAY), "compose passes the image's --config");
    assertEquals("./tenantgate.yaml", mountSource(GATEWAY, imageConfig), "compose mounts docker/tenantgate.yaml there");
    JsonNode container = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/deployment.yaml")))
        .path("spec").path("template").path("spec").path("containers").get(0);
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    assertEquals(imageConfig, DeployFiles.configArg(args), "the Kubernetes Deployment reads the same path");
  }

  @Test
  void theJvmIsSizedFromTheContainerMemoryLimitTheSameWayEverywhere() {
    String env = DOCKER.runtime().all("ENV").stream().filter(e -> e.startsWith("JDK_JAVA_OPTIONS=")).findFirst()
        .orElseThrow(() -> new AssertionError("no ENV JDK_JAVA_OPTIONS"));
    String options = env.substring(env.indexOf('=') + 1).replace("\"", "");
    assertTrue(options.contains("-XX:MaxRAMPercentage="), options);
    assertNotNull(DeployFiles.jvmOption(options, "MaxDirectMemorySize"),
        "-XX:MaxDirectMemorySize caps Netty's direct buffers (unset: as much as the heap, past the container limit)");
    assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options);
    assertTrue(options.contains("-Djava.io.tmpdir=/tmp"), "Netty's native libraries go to the writable /tmp");
    JsonNode container = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/deployment.yaml")))
        .path("spec").path("template").path("spec").path("containers").get(0);
    String k8s = null;
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals("JDK_JAVA_OPTIONS")) {
        k8s = e.path("value").asText();
      }
    }
    assertEquals(options, k8s, "k8s/base/deployment.yaml restates the image's JVM options");
  }

  @Test
  void theBuildContextHoldsOnlyWhatTheDockerfileCopies() {
    List<String> rules = DeployFiles.read(REPO.resolve(".dockerignore")).lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertEquals("*", rules.get(0), ".dockerignore starts by excluding everything (keys, data/, target/)");
    for (Dockerfile.Stage s : DOCKER.stages()) {
      for (String copy : s.all("COPY")) {
        if (copy.startsWith("--from=")) {
          continue;
        }
        String[] words = copy.replaceAll("--chmod=\\S+", "").strip().split("\\s+");
        for (int i = 0; i < words.length - 1; i++) {
          String src = words[i].replaceAll("/$", "");
          assertTrue(rules.contains("!" + src) || rules.contains("!" + src + "/"),
              ".dockerignore lets in " + src + " (COPY " + copy + ")");
        }
      }
    }
  }

  @Test
  void composeRunsTheGatewayReadOnlyWithItsConfigAndPkiMounted() {
    GatewayConfig config = stackConfig();
    assertEquals("docker/Dockerfile", GATEWAY.path("build").path("dockerfile").asText());
    assertEquals("..", GATEWAY.path("build").path("context").asText(), "built from the repository root");
    // the one -SNAPSHOT allowed anywhere: compose builds this image itself (build:) and never pulls it
    assertTrue(DeployFiles.pinnedOrBuiltLocally(GATEWAY.path("image").asText(), GATEWAY.has("build")),
        "the gateway image tag is not latest");
    assertTrue(GATEWAY.has("build"), "compose builds the gateway image from the working tree");
    assertTrue(GATEWAY.path("read_only").asBoolean(), "read-only root filesystem");
    boolean tmp = false;
    for (JsonNode t : GATEWAY.path("tmpfs")) {
      tmp |= t.asText().startsWith("/tmp:") && List.of(t.asText().split("[:,]")).contains("exec");
    }
    assertTrue(tmp, "a tmpfs /tmp mounted exec (Netty's native libraries are loaded from it)");
    Map<Integer, String> published = published();
    assertEquals(new HashSet<>(DeployFiles.listenerPorts(config).values()), published.keySet(),
        "published container ports = the listeners the stack's config runs");
    assertTrue(published.get(config.ops().port()).startsWith("127.0.0.1:"), "ops is published to this host only");
    assertTrue(published.get(config.admin().port()).startsWith("127.0.0.1:"), "the admin API is published to this host only");
    for (Path file : DeployFiles.filesRead(config)) {
      String source = mountSource(GATEWAY, file.toString());
      assertTrue(source.startsWith("./data/gateway/"), file + " comes from what generate-certs.sh writes: " + source);
      assertTrue(mountedReadOnly(GATEWAY, file.toString()), file + " is mounted read-only");
    }
    List<String> test = new ArrayList<>();
    GATEWAY.path("healthcheck").path("test").forEach(n -> test.add(n.asText()));
    assertProbesReadiness(String.join(" ", test), config.ops().port(), "compose healthcheck");
    Duration stop = parseSeconds(GATEWAY.path("stop_grace_period").asText());
    Duration worst = DeployFiles.worstCaseShutdown(config);
    assertTrue(stop.compareTo(worst) > 0, "stop_grace_period " + stop + " must exceed the gateway's worst-case "
        + "shutdown " + worst + " (shutdown.grace + launcher/Running's waits), or Docker kills it first");
  }

  /** Compose's published ports: container port -> the whole "[ip:]host:container" entry. */
  private static Map<Integer, String> published() {
    Map<Integer, String> published = new HashMap<>();
    for (JsonNode p : GATEWAY.path("ports")) {
      String[] parts = p.asText().split(":");
      published.put(Integer.parseInt(parts[parts.length - 1]), p.asText());
    }
    return published;
  }

  /** The host port compose publishes {@code containerPort} on. */
  private static int hostPort(int containerPort) {
    String entry = published().get(containerPort);
    assertNotNull(entry, "compose publishes container port " + containerPort);
    String[] parts = entry.split(":");
    return Integer.parseInt(parts[parts.length - 2]);
  }

  private static Duration parseSeconds(String s) {
    assertTrue(s.matches("\\d+s"), "stop_grace_period in seconds: " + s);
    return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
  }

  @Test
  void composeRunsTheServicesTheStackConfigNames() {
    GatewayConfig config = stackConfig();
    JsonNode services = STACK.path("services");
    services.fields().forEachRemaining(e -> {
      if (e.getValue().has("image") && !e.getValue().has("build")) {
        assertTrue(DeployFiles.pinned(e.getValue().path("image").asText()), e.getKey() + " image is pinned");
      }
    });
    assertTrue(config.nats().enabled());
    JsonNode nats = services.path(config.nats().url().getHost());
    assertTrue(nats.isObject(), "nats.url names the compose service " + config.nats().url().getHost());
    assertTrue(nats.path("command").toString().contains("--jetstream"), "NATS runs with JetStream");
    assertTrue(GATEWAY.path("depends_on").has(config.nats().url().getHost()), "the gateway starts after NATS");
    for (RouteConfig r : config.routes()) {
      JsonNode core = services.path(r.upstream().getHost());
      assertTrue(core.isObject(), "route " + r.name() + " upstream is the compose service " + r.upstream().getHost());
      assertTrue(core.path("command").toString().contains("\"" + r.upstream().getPort() + "\""),
          "the core service listens on the route's port " + r.upstream().getPort());
    }
    // the registry is the stack's Postgres, reached as the compose service with its user, database and password
    assertEquals(RegistryConfig.StoreType.POSTGRES, config.registry().store(), "the stack runs the Postgres store");
    URI db = URI.create(config.registry().postgres().url().replaceFirst("^postgresql:", "http:"));
    JsonNode postgres = services.path(db.getHost());
    assertTrue(postgres.isObject(), "registry.postgres.url names the compose service " + db.getHost());
    assertTrue(postgres.path("image").asText().startsWith("postgres:"), "a Postgres image");
    JsonNode pgEnv = postgres.path("environment");
    assertEquals(pgEnv.path("POSTGRES_DB").asText(), db.getPath().substring(1), "the database the URL names");
    assertEquals(pgEnv.path("POSTGRES_USER").asText(), config.registry().postgres().user(), "registry.postgres.user");
    assertEquals(null, config.registry().postgres().passwordFile(), "the password comes from the environment");
    assertEquals(pgEnv.path("POSTGRES_PASSWORD").asText(), GATEWAY.path("environment").path(PostgresConfig.PASSWORD_ENV)
        .asText(), "the gateway's " + PostgresConfig.PASSWORD_ENV + " is the postgres service's password");
    assertEquals("service_healthy", GATEWAY.path("depends_on").path(db.getHost()).path("condition").asText(),
        "the gateway starts once Postgres is ready (it migrates at start)");
    assertTrue(config.registry().masterKeyFile() != null || GATEWAY.path("environment").has(MasterKey.ENV),
        "the master key: registry.masterKeyFile (mounted from what generate-certs.sh writes) or " + MasterKey.ENV);
    assertNotNull(config.registry().rootCaKeyFile(), "the stack signs new tenants' CAs itself (docker/README.md)");
  }

  @Test
  void composeRunsTheAdminApiAndEnrollmentAndTellsEdgesThePublishedAddresses() {
    GatewayConfig config = stackConfig();
    assertTrue(config.admin().enabled(), "admin.enabled: docker/README.md onboards tenants through it");
    assertTrue(config.onboarding().enabled(), "onboarding.enabled: edges download their packages from it");
    assertEquals(AdminConfig.DEFAULT_PORT, config.admin().port(), "admin.port is the code's default");
    assertEquals(OnboardingConfig.DEFAULT_PORT, config.onboarding().port(), "onboarding.port is the code's default");
    assertNotNull(config.admin().clientCaFile(), "admin.clientCaFile: the platform admin CA");
    assertTrue(config.admin().allowedSubjects().contains("admin.platform.serviceradar"),
        "the operator certificate generate-certs.sh makes (tenantgate dev's admin CN) is allowed");
    // packages tell edges where to fetch and where to connect: the addresses compose publishes
    URI publicUrl = URI.create(config.onboarding().publicUrl());
    assertEquals(hostPort(config.onboarding().port()), publicUrl.getPort(), "onboarding.publicUrl's port is published");
    String[] addr = config.onboarding().gatewayAddr().split(":");
    assertEquals(hostPort(config.edge().port()), Integer.parseInt(addr[1]), "onboarding.gatewayAddr's port is published");
    assertEquals("localhost", publicUrl.getHost(), "the server certificate generate-certs.sh makes is for localhost");
    assertEquals("localhost", addr[0]);
    assertEquals("localhost", config.onboarding().serverName());
  }

  private static final Pattern HTTPS_LOCALHOST = Pattern.compile("https://localhost:(\\d+)(/[^\\s'\"]*)?");
  private static final Pattern HTTP_OPS = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)(/[^\\s'\"`)]*)?");

  @Test
  void theReadmeWalkThroughUsesThePortsPathsAndConfigOfTheStack() {
    GatewayConfig config = stackConfig();
    String readme = DeployFiles.read(COMPOSE.getParent().resolve("README.md"));
    Matcher https = HTTPS_LOCALHOST.matcher(readme);
    int urls = 0;
    while (https.find()) {
      urls++;
      int port = Integer.parseInt(https.group(1));
      String path = https.group(2) == null ? "/" : https.group(2);
      String url = https.group();
      if (path.startsWith(DeployFiles.ENROLL_PREFIX)) {
        assertEquals(hostPort(config.onboarding().port()), port, url + ": enrollment is on onboarding.port");
      } else if (path.startsWith("/api/v1/")) {
        assertEquals(hostPort(config.admin().port()), port, url + ": the admin API is on admin.port");
      } else {
        assertEquals(hostPort(config.edge().port()), port, url + ": agents connect to edge.port");
      }
    }
    assertTrue(urls >= 5, "docker/README.md shows the admin API, enrollment and edge calls: " + urls);
    assertTrue(readme.contains(DeployFiles.ENROLL_PREFIX + "$ID" + DeployFiles.BUNDLE_SUFFIX), "the package download");
    assertTrue(readme.contains("https://localhost:" + hostPort(config.admin().port()) + DeployFiles.ADMIN_TENANTS),
        "an admin API call");
    Matcher ops = HTTP_OPS.matcher(readme);
    while (ops.find()) {
      assertEquals(hostPort(config.ops().port()), Integer.parseInt(ops.group(1)), ops.group() + ": ops.port");
    }
    assertTrue(readme.contains("-H \"" + EnrollmentVerticle.TOKEN_HEADER + ": $TOKEN\""),
        "the token travels in the header the enrollment listener reads (" + EnrollmentVerticle.TOKEN_HEADER + ")");
    String imageConfig = DeployFiles.configArg(Dockerfile.exec(DOCKER.runtime().last("CMD")));
    assertTrue(readme.contains("run --rm") && readme.contains("--config " + imageConfig),
        "the CLI runs in the stack's container with the config the gateway reads (" + imageConfig + ")");
    for (String command : List.of("tg tenant create", "tg package create", "tg cert revoke", "tg tenant suspend")) {
      assertTrue(readme.contains(command), "docker/README.md shows `" + command + "`");
    }
  }
}
