package io.tenantgate.deploy;

import static io.tenantgate.deploy.DeployFiles.K8S;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.PostgresConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.config.RouteConfig;
import io.tenantgate.pki.MasterKey;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * k8s/ renders with kustomize (kubectl's, offline) into typed Kubernetes objects that agree with the
 * jar: the config mounted is the one --config names and the gateway's parser accepts it; ports,
 * probes, Services and NetworkPolicy use the ports of that config (edge, ops, and in the shared
 * ingress admin and enrollment) and the ops listener's real paths; the Secrets are exactly what the
 * config reads; no latest tags, limits set, draining fits the grace period, non-root read-only
 * containers. Overlays: shared, the checked-in tenant-edge example (acme) and one freshly generated
 * (globex), plus documented variants (the root kept offline, the ServiceMonitor component).
 */
class ManifestsIT {
  private static final String GENERATED = "generated:globex";
  private static final Map<String, Rendered> RENDERED = new ConcurrentHashMap<>();

  @TempDir
  static Path tmp;

  /** One rendered overlay and what the tests look at in it. */
  record Rendered(String overlay, List<HasMetadata> objects, Deployment deployment, Container container,
      String configPath, GatewayConfig config) {
    PodSpec pod() {
      return deployment.getSpec().getTemplate().getSpec();
    }

    Map<String, String> podLabels() {
      return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }

    int port(IntOrString port) {
      if (port.getIntVal() != null) {
        return port.getIntVal();
      }
      return container.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
          .map(ContainerPort::getContainerPort).findFirst()
          .orElseThrow(() -> new AssertionError(overlay + ": no container port named " + port.getStrVal()));
    }

    Service service(String type) {
      List<Service> found = Kustomize.all(objects, Service.class).stream()
          .filter(s -> type.equals(s.getSpec().getType())).toList();
      assertEquals(1, found.size(), overlay + ": Services of type " + type);
      return found.get(0);
    }

    /** The one Service whose ports reach the container port {@code port}. */
    Service serviceTo(int port) {
      List<Service> found = Kustomize.all(objects, Service.class).stream()
          .filter(s -> s.getSpec().getPorts().stream().anyMatch(p -> port(p.getTargetPort()) == port)).toList();
      assertEquals(1, found.size(), overlay + ": Services reaching container port " + port);
      return found.get(0);
    }

    /** The listener ports the config runs, by container port name (edge, ops, admin, enroll). */
    Map<String, Integer> listeners() {
      return DeployFiles.listenerPorts(config);
    }
  }

  static Rendered rendered(String overlay) {
    return RENDERED.computeIfAbsent(overlay, ManifestsIT::render);
  }

  private static Rendered render(String overlay) {
    Path dir = overlay.equals(GENERATED) ? generate("globex", tmp.resolve("tenants/globex")) : K8S.resolve(overlay);
    return parse(overlay, dir);
  }

  /** Renders the kustomization in {@code dir} and finds the gateway's Deployment, container and config. */
  private static Rendered parse(String overlay, Path dir) {
    List<HasMetadata> objects = Kustomize.parse(Kustomize.render(dir));
    Deployment deployment = Kustomize.one(objects, Deployment.class);
    List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
    Container container = containers.stream().filter(c -> c.getName().equals("tenantgate")).findFirst()
        .orElseThrow(() -> new AssertionError(overlay + ": no container named tenantgate"));
    List<String> command = new ArrayList<>();
    if (container.getCommand() != null) {
      command.addAll(container.getCommand());
    }
    command.addAll(container.getArgs());
    String configPath = DeployFiles.configArg(command);
    Path file = Path.of(configPath);
    VolumeMount mount = mountOf(container, file.getParent().toString(), overlay);
    assertNull(mount.getSubPath(), overlay + ": the config directory is mounted whole");
    Volume volume = volume(deployment, mount.getName());
    assertNotNull(volume.getConfigMap(), overlay + ": " + configPath + " comes from a ConfigMap");
    ConfigMap cm = Kustomize.all(objects, ConfigMap.class).stream()
        .filter(c -> c.getMetadata().getName().equals(volume.getConfigMap().getName())).findFirst()
        .orElseThrow(() -> new AssertionError(overlay + ": the config ConfigMap " + volume.getConfigMap().getName()
            + " is not part of the build"));
    String text = cm.getData().get(file.getFileName().toString());
    assertNotNull(text, overlay + ": ConfigMap " + cm.getMetadata().getName() + " has no key " + file.getFileName());
    GatewayConfig config = DeployFiles.config(text);
    return new Rendered(overlay, objects, deployment, container, configPath, config);
  }

  /** A copy of k8s/ to render a documented variant of. */
  private static Path copyOfK8s(String name) throws IOException {
    Path copy = tmp.resolve(name);
    try (Stream<Path> files = Files.walk(K8S)) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(K8S.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    return copy;
  }

  static Path generate(String slug, Path out) {
    Kustomize.run(List.of("bash", K8S.resolve("overlays/tenant-edge/generate.sh").toString(), slug, out.toString()), 30);
    return out;
  }

  private static VolumeMount mountOf(Container c, String dir, String overlay) {
    return c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(dir)).findFirst()
        .orElseThrow(() -> new AssertionError(overlay + ": nothing is mounted at " + dir));
  }

  private static Volume volume(Deployment d, String name) {
    return d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name));
  }

  private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  private static boolean selects(LabelSelector selector, Map<String, String> labels) {
    assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(),
        "selectors use matchLabels only");
    return selects(selector.getMatchLabels(), labels);
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void rendersIntoTypedObjectsOfEveryKind(String overlay) {
    Rendered r = rendered(overlay);
    for (Class<? extends HasMetadata> kind : List.of(ServiceAccount.class, ConfigMap.class, Deployment.class,
        PodDisruptionBudget.class, HorizontalPodAutoscaler.class, NetworkPolicy.class)) {
      assertEquals(1, Kustomize.all(r.objects(), kind).size(), overlay + ": " + kind.getSimpleName());
    }
    int services = r.config().admin().enabled() ? 3 : 2;
    assertEquals(services, Kustomize.all(r.objects(), Service.class).size(),
        overlay + ": edge and ops Services (and admin where the admin API runs)");
    for (HasMetadata o : r.objects()) {
      assertEquals("tenantgate", o.getMetadata().getNamespace(), overlay + ": namespace of " + o.getMetadata().getName());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void containerPortsAreTheConfiguredListenerPorts(String overlay) {
    Rendered r = rendered(overlay);
    Map<String, Integer> ports = new java.util.HashMap<>();
    r.container().getPorts().forEach(p -> ports.put(p.getName(), p.getContainerPort()));
    assertEquals(r.listeners(), ports, overlay + ": container ports = the listeners the config runs "
        + "(edge, ops; admin and enroll where admin.enabled / onboarding.enabled)");
    // the deployments use the documented defaults: a default changed in code must be changed here too
    r.listeners().forEach((name, port) -> assertEquals(DeployFiles.defaultPorts().get(name), port,
        overlay + ": the " + name + " port is the code's default"));
    // probes, Services and the load balancer reach the pod's address, not loopback
    assertEquals("0.0.0.0", r.config().edge().host(), overlay + ": edge.host");
    assertEquals("0.0.0.0", r.config().ops().host(), overlay + ": ops.host");
    if (r.config().admin().enabled()) {
      assertEquals("0.0.0.0", r.config().admin().host(), overlay + ": admin.host");
    }
    if (r.config().onboarding().enabled()) {
      assertEquals("0.0.0.0", r.config().onboarding().host(), overlay + ": onboarding.host");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void probesHitTheOpsPortAndTheHealthPathsTheJarServes(String overlay) {
    Rendered r = rendered(overlay);
    Container c = r.container();
    Map<String, Probe> probes = new java.util.LinkedHashMap<>();
    probes.put("liveness", c.getLivenessProbe());
    probes.put("readiness", c.getReadinessProbe());
    if (c.getStartupProbe() != null) {
      probes.put("startup", c.getStartupProbe());
    }
    Map<String, String> expected = Map.of("liveness", DeployFiles.LIVE, "readiness", DeployFiles.READY,
        "startup", DeployFiles.LIVE);
    probes.forEach((kind, probe) -> {
      assertNotNull(probe, overlay + ": " + kind + " probe");
      HTTPGetAction get = probe.getHttpGet();
      assertNotNull(get, overlay + ": " + kind + " probe is an HTTP GET");
      assertEquals(expected.get(kind), get.getPath(), overlay + ": " + kind + " path");
      assertEquals(r.config().ops().port(), r.port(get.getPort()), overlay + ": " + kind + " port = ops.port");
      assertTrue(get.getScheme() == null || get.getScheme().equals("HTTP"), overlay + ": ops is plain HTTP");
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void servicesExposeTheEdgeAndEnrollmentAtLayerFourAndOpsAndAdminInsideTheCluster(String overlay) {
    Rendered r = rendered(overlay);
    GatewayConfig c = r.config();
    // the load balancer: edge, and enrollment where it runs (same address: edges fetch, then connect)
    Service edge = r.service("LoadBalancer");
    Set<Integer> external = new TreeSet<>(Set.of(c.edge().port()));
    if (c.onboarding().enabled()) {
      external.add(c.onboarding().port());
    }
    Set<Integer> targets = new TreeSet<>();
    for (var ep : edge.getSpec().getPorts()) {
      assertEquals("TCP", ep.getProtocol(), overlay + ": L4, TLS passes through to the gateway");
      assertEquals(r.port(ep.getTargetPort()), ep.getPort(), overlay + ": clients dial the port the gateway listens on");
      targets.add(r.port(ep.getTargetPort()));
    }
    assertEquals(external, targets, overlay + ": the load balancer exposes edge.port (and onboarding.port), never ops or admin");
    // cluster-internal: ops, and the admin API where it runs; one port each
    Service ops = r.serviceTo(c.ops().port());
    assertEquals("ClusterIP", ops.getSpec().getType(), overlay + ": ops stays in the cluster");
    assertEquals(1, ops.getSpec().getPorts().size(), overlay + ": the ops Service exposes only ops");
    List<Service> all = new ArrayList<>(List.of(edge, ops));
    if (c.admin().enabled()) {
      Service admin = r.serviceTo(c.admin().port());
      assertEquals("ClusterIP", admin.getSpec().getType(), overlay + ": the admin API is never on a load balancer");
      assertEquals(1, admin.getSpec().getPorts().size(), overlay + ": the admin Service exposes only admin.port");
      assertEquals("TCP", admin.getSpec().getPorts().get(0).getProtocol(), overlay);
      assertFalse("ops".equals(admin.getMetadata().getLabels().get("tenantgate.io/service")), overlay);
      all.add(admin);
    }
    for (Service s : all) {
      assertTrue(selects(s.getSpec().getSelector(), r.podLabels()), overlay + ": " + s.getMetadata().getName()
          + " selects the gateway pods");
    }
    if (c.onboarding().enabled()) {
      // what packages tell edges: the load balancer's name, its edge and enrollment ports, the certificate's name
      URI publicUrl = URI.create(c.onboarding().publicUrl());
      String[] addr = c.onboarding().gatewayAddr().split(":");
      assertEquals(c.onboarding().port(), publicUrl.getPort(), overlay + ": onboarding.publicUrl names the enrollment port");
      assertEquals(c.edge().port(), Integer.parseInt(addr[1]), overlay + ": onboarding.gatewayAddr names the edge port");
      assertEquals(publicUrl.getHost(), addr[0], overlay + ": enrollment and edge share the load balancer's name");
      assertEquals(publicUrl.getHost(), c.onboarding().serverName(), overlay + ": the name edges verify");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void theRegistryIsPostgresAndOnlyTheSharedIngressRunsTheAdminApiAndEnrollment(String overlay) {
    Rendered r = rendered(overlay);
    assertEquals(RegistryConfig.StoreType.POSTGRES, r.config().registry().store(), overlay + ": registry.store");
    assertNull(r.config().registry().masterKeyFile(), overlay + ": the master key comes from Secret tenantgate-master-key");
    boolean shared = overlay.equals("overlays/shared");
    assertEquals(shared, r.config().admin().enabled(), overlay + ": admin.enabled only in the shared ingress");
    assertEquals(shared, r.config().onboarding().enabled(), overlay + ": onboarding.enabled only in the shared ingress");
    if (!shared) {
      assertNull(r.config().registry().rootCaKeyFile(), overlay + ": an edge-only gateway never holds the root key");
      assertFalse(needsMasterKey(r.config()), overlay + ": an edge-only gateway does not load the master key");
      assertTrue(mountedSecrets(r).stream().noneMatch(n -> n.equals("tenantgate-master-key")),
          overlay + ": no master key in an edge pod");
      assertTrue(r.pod().getVolumes().stream().noneMatch(v -> v.getSecret() != null && List.of("tenantgate-admin-ca",
          "tenantgate-root-key").contains(v.getSecret().getSecretName())), overlay + ": no admin CA, no root key");
    } else {
      assertNotNull(r.config().admin().clientCaFile(), overlay + ": admin.clientCaFile");
      assertNotEquals(r.config().edge().tls().clientCaFile(), r.config().admin().clientCaFile(),
          overlay + ": the admin API trusts the platform admin CA, not the edge root");
    }
  }

  @Test
  void theSharedConfigIsTheBaseConfigPlusAdminOnboardingAndTheRootKey() {
    JsonNode base = DeployFiles.yaml(DeployFiles.read(K8S.resolve("base/tenantgate.yaml")));
    JsonNode shared = DeployFiles.yaml(DeployFiles.read(K8S.resolve("overlays/shared/tenantgate.yaml")));
    for (JsonNode tree : List.of(base, shared)) {
      ((ObjectNode) tree).remove(List.of("admin", "onboarding"));
      ((ObjectNode) tree.path("registry")).remove(List.of("rootCaKeyFile", "rootCaCertFile"));
    }
    assertEquals(base, shared, "k8s/overlays/shared/tenantgate.yaml differs from k8s/base/tenantgate.yaml outside "
        + "admin.*, onboarding.* and registry.rootCaKeyFile: change both");
  }

  @Test
  void theRootStaysOfflineWhenItsKeyIsOmittedAsDocumented() throws IOException {
    Path copy = copyOfK8s("k8s-offline-root");
    Path kustomization = copy.resolve("overlays/shared/kustomization.yaml");
    Path config = copy.resolve("overlays/shared/tenantgate.yaml");
    String k = Files.readString(kustomization);
    String c = Files.readString(config);
    String patch = "  - path: deployment-root-key.yaml\n";
    assertEquals(1, k.split(java.util.regex.Pattern.quote(patch), -1).length - 1,
        "overlays/shared/kustomization.yaml lists the root-key patch once, as docs/deployment.md says");
    String keyLine = "(?m)^  rootCaKeyFile: .*\n";
    assertEquals(1, c.split(keyLine, -1).length - 1, "overlays/shared/tenantgate.yaml sets registry.rootCaKeyFile once");
    Files.writeString(kustomization, k.replace(patch, ""));
    Files.writeString(config, c.replaceAll(keyLine, ""));
    Rendered offline = parse("offline-root", copy.resolve("overlays/shared"));
    assertNull(offline.config().registry().rootCaKeyFile());
    assertTrue(offline.config().admin().enabled() && offline.config().onboarding().enabled(),
        "the admin API and enrollment still run (tenant CAs are then requested by CSR and imported)");
    assertTrue(offline.pod().getVolumes().stream().noneMatch(v -> v.getSecret() != null
        && v.getSecret().getSecretName().equals("tenantgate-root-key")), "no root key in the pod");
    assertEquals(expectedSecrets(offline), mountedSecrets(offline));
  }

  @Test
  void theDeploymentDocNamesEverySecretAndNamespaceLabelTheManifestsUse() {
    String doc = DeployFiles.read(DeployFiles.REPO.resolve("docs/deployment.md"));
    Set<String> names = new TreeSet<>();
    for (String overlay : List.of("overlays/shared", "overlays/tenant-edge")) {
      names.addAll(mountedSecrets(rendered(overlay)));
      NetworkPolicy np = Kustomize.one(rendered(overlay).objects(), NetworkPolicy.class);
      np.getSpec().getIngress().forEach(rule -> {
        if (rule.getFrom() != null) {
          rule.getFrom().forEach(p -> names.addAll(p.getNamespaceSelector().getMatchLabels().keySet()));
        }
      });
      np.getSpec().getEgress().forEach(rule -> rule.getTo().stream().filter(p -> p.getNamespaceSelector() != null)
          .forEach(p -> names.addAll(p.getNamespaceSelector().getMatchLabels().keySet())));
    }
    for (String name : names) {
      // a tenant edge's own Secrets are documented by pattern: tenantgate-assertion-key-SLUG
      String documented = name.replaceFirst("-acme$", "-SLUG");
      assertTrue(doc.contains("`" + documented), "docs/deployment.md does not mention " + documented
          + ", which the manifests use");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void theConfigFileAndEverySecretItNamesAreMountedWhereTheConfigSays(String overlay) {
    Rendered r = rendered(overlay);
    assertTrue(r.configPath().startsWith("/"), overlay + ": --config is absolute");
    for (Path file : DeployFiles.filesRead(r.config())) {
      VolumeMount mount = mountOf(r.container(), file.getParent().toString(), overlay);
      Volume v = volume(r.deployment(), mount.getName());
      assertNull(mount.getSubPath(), overlay + ": " + file + " mounted as a directory, so rotation reaches the pod");
      assertTrue(v.getSecret() != null || v.getConfigMap() != null, overlay + ": " + file + " comes from a Secret "
          + "or ConfigMap, not " + v);
      var items = v.getSecret() != null ? v.getSecret().getItems() : v.getConfigMap().getItems();
      assertTrue(items == null || items.isEmpty(), overlay + ": whole Secret/ConfigMap mounted (" + file + ")");
    }
    // the Secrets docs/deployment.md tells operators to create, and no other: a Secret the config does
    // not read (the root key without registry.rootCaKeyFile) would only widen what a pod holds
    assertEquals(expectedSecrets(r), mountedSecrets(r), overlay);
    // the variables the Postgres store reads (names from the code, so a rename fails here), required
    Set<String> secretEnv = new TreeSet<>();
    r.container().getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
        .forEach(e -> {
          secretEnv.add(e.getName());
          assertNotEquals(Boolean.TRUE, e.getValueFrom().getSecretKeyRef().getOptional(),
              overlay + ": " + e.getName() + " is required by the Postgres store: its Secret is not optional");
        });
    // the master key only where the code loads it: the admin API or enrollment (launcher/Gateway passes
    // needsMasterKey = admin.enabled || onboarding.enabled to PostgresTenantRegistry.create); an edge
    // pod must not hold the key that opens every tenant CA
    Set<String> expectedEnv = new TreeSet<>(Set.of(PostgresConfig.PASSWORD_ENV));
    if (needsMasterKey(r.config())) {
      expectedEnv.add(MasterKey.ENV);
    }
    assertEquals(expectedEnv, secretEnv, overlay + ": Secret-backed environment");
    assertNotNull(r.config().assertion().keyFile(), overlay + ": several replicas share one assertion key");
  }

  /** Whether the gateway loads the master key: as launcher/Gateway decides it (or one is configured). */
  static boolean needsMasterKey(GatewayConfig c) {
    return c.admin().enabled() || c.onboarding().enabled() || c.registry().masterKeyFile() != null;
  }

  /** The tenant a per-tenant edge serves (its one pinned slug), or null for the shared ingress. */
  static String pinnedTenant(GatewayConfig c) {
    return c.edge().tenantPin().size() == 1 ? c.edge().tenantPin().get(0) : null;
  }

  /** What the config needs from Secrets, by the names docs/deployment.md documents. */
  private static Set<String> expectedSecrets(Rendered r) {
    String tenant = pinnedTenant(r.config());
    Set<String> expected = new TreeSet<>(Set.of("tenantgate-server-tls", "tenantgate-platform-root",
        tenant == null ? "tenantgate-assertion-key" : "tenantgate-assertion-key-" + tenant, "tenantgate-database"));
    if (needsMasterKey(r.config())) {
      expected.add("tenantgate-master-key");
    }
    if (r.config().admin().enabled()) {
      expected.add("tenantgate-admin-ca");
    }
    if (r.config().registry().rootCaKeyFile() != null) {
      expected.add("tenantgate-root-key");
    }
    return expected;
  }

  /** Every Secret the pod mounts or reads into its environment. */
  private static Set<String> mountedSecrets(Rendered r) {
    Set<String> secrets = new TreeSet<>();
    r.pod().getVolumes().stream().filter(v -> v.getSecret() != null).forEach(v -> secrets.add(v.getSecret().getSecretName()));
    r.container().getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
        .forEach(e -> secrets.add(e.getValueFrom().getSecretKeyRef().getName()));
    return secrets;
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void noImageIsLatestAndEveryContainerHasRequestsAndLimits(String overlay) {
    PodSpec pod = rendered(overlay).pod();
    List<Container> all = new ArrayList<>(pod.getContainers());
    if (pod.getInitContainers() != null) {
      all.addAll(pod.getInitContainers());
    }
    for (Container c : all) {
      assertTrue(DeployFiles.pinned(c.getImage()), overlay + ": image " + c.getImage() + " has a pinned tag");
      Map<String, Quantity> limits = c.getResources().getLimits();
      Map<String, Quantity> requests = c.getResources().getRequests();
      for (String res : List.of("cpu", "memory")) {
        assertNotNull(limits == null ? null : limits.get(res), overlay + ": " + c.getName() + " limits." + res);
        assertNotNull(requests == null ? null : requests.get(res), overlay + ": " + c.getName() + " requests." + res);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void drainingFitsInTheTerminationGracePeriod(String overlay) {
    Rendered r = rendered(overlay);
    long preStop = 0;
    var lifecycle = r.container().getLifecycle();
    if (lifecycle != null && lifecycle.getPreStop() != null) {
      List<String> cmd = lifecycle.getPreStop().getExec().getCommand();
      assertEquals("sleep", cmd.get(0), overlay + ": preStop is a sleep");
      preStop = Long.parseLong(cmd.get(1));
    }
    // the code's bound (launcher/Running): shutdown.grace + the drain slack (the NATS drain runs in it)
    // + the after-close wait; the kubelet's SIGKILL must not come first
    long shutdown = DeployFiles.worstCaseShutdown(r.config()).toSeconds();
    long period = r.pod().getTerminationGracePeriodSeconds();
    assertTrue(period > preStop + shutdown, overlay + ": terminationGracePeriodSeconds " + period
        + " must exceed preStop " + preStop + "s + the gateway's worst-case shutdown " + shutdown
        + "s (shutdown.grace " + r.config().shutdown().grace().toSeconds() + "s + launcher/Running's waits)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void heapPlusDirectMemoryLeavesRoomUnderTheMemoryLimit(String overlay) {
    Rendered r = rendered(overlay);
    String options = r.container().getEnv().stream().filter(e -> e.getName().equals("JDK_JAVA_OPTIONS"))
        .map(io.fabric8.kubernetes.api.model.EnvVar::getValue).findFirst()
        .orElseThrow(() -> new AssertionError(overlay + ": JDK_JAVA_OPTIONS is set"));
    assertNotNull(DeployFiles.jvmOption(options, "MaxDirectMemorySize"), overlay + ": -XX:MaxDirectMemorySize is set "
        + "(unset, Netty may take as much direct memory as heap)");
    long limit = r.container().getResources().getLimits().get("memory").getNumericalAmount().longValueExact();
    long used = DeployFiles.heapPlusDirect(options, limit);
    assertTrue(used + DeployFiles.NON_HEAP_RESERVE <= limit, overlay + ": heap + direct memory " + (used >> 20)
        + "Mi + " + (DeployFiles.NON_HEAP_RESERVE >> 20) + "Mi for metaspace, threads and native TLS exceeds the "
        + "memory limit " + (limit >> 20) + "Mi: the pod would be OOM-killed before the JVM notices");
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void runsAsNonRootWithAReadOnlyRootFilesystemAndNoCapabilities(String overlay) {
    Rendered r = rendered(overlay);
    assertEquals(Boolean.TRUE, r.pod().getSecurityContext().getRunAsNonRoot(), overlay + ": pod runAsNonRoot");
    var sc = r.container().getSecurityContext();
    assertEquals(Boolean.TRUE, sc.getRunAsNonRoot(), overlay);
    assertTrue(sc.getRunAsUser() != null && sc.getRunAsUser() > 0, overlay + ": a non-zero uid");
    assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), overlay + ": readOnlyRootFilesystem");
    assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), overlay);
    assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), overlay);
    // the one writable place: /tmp, where Netty extracts its native libraries
    VolumeMount tmpMount = mountOf(r.container(), "/tmp", overlay);
    assertNotNull(volume(r.deployment(), tmpMount.getName()).getEmptyDir(), overlay + ": /tmp is an emptyDir");
    assertTrue(r.container().getVolumeMounts().stream().filter(m -> !m.getMountPath().equals("/tmp"))
        .allMatch(m -> Boolean.TRUE.equals(m.getReadOnly())), overlay + ": every other mount is read-only");
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void scalesOutAcrossNodesWithADisruptionBudgetAndAnAutoscaler(String overlay) {
    Rendered r = rendered(overlay);
    Deployment d = r.deployment();
    // the HPA owns the count: a replicas field would reset it on every apply
    assertNull(d.getSpec().getReplicas(), overlay + ": no replicas in the Deployment (the HPA sets them)");
    assertTrue(selects(d.getSpec().getSelector(), r.podLabels()), overlay + ": Deployment selector");
    var anti = r.pod().getAffinity().getPodAntiAffinity();
    List<LabelSelector> antiSelectors = new ArrayList<>();
    anti.getPreferredDuringSchedulingIgnoredDuringExecution().forEach(t -> antiSelectors.add(t.getPodAffinityTerm()
        .getLabelSelector()));
    anti.getRequiredDuringSchedulingIgnoredDuringExecution().forEach(t -> antiSelectors.add(t.getLabelSelector()));
    assertFalse(antiSelectors.isEmpty(), overlay + ": pod anti-affinity");
    antiSelectors.forEach(s -> assertTrue(selects(s, r.podLabels()), overlay + ": anti-affinity selects its own pods"));
    r.pod().getTopologySpreadConstraints().forEach(t -> assertTrue(selects(t.getLabelSelector(), r.podLabels()),
        overlay + ": topology spread selects its own pods"));

    PodDisruptionBudget pdb = Kustomize.one(r.objects(), PodDisruptionBudget.class);
    assertTrue(selects(pdb.getSpec().getSelector(), r.podLabels()), overlay + ": PDB selector");
    assertTrue(pdb.getSpec().getMaxUnavailable() != null || pdb.getSpec().getMinAvailable() != null, overlay);

    HorizontalPodAutoscaler hpa = Kustomize.one(r.objects(), HorizontalPodAutoscaler.class);
    assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
    assertEquals(d.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName(), overlay + ": HPA target");
    assertTrue(hpa.getSpec().getMinReplicas() >= 2, overlay + ": HPA keeps at least 2 replicas");
    assertTrue(hpa.getSpec().getMaxReplicas() >= hpa.getSpec().getMinReplicas(), overlay);
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void networkPolicyOpensOnlyTheEdgeAndLetsTheGatewayReachItsDependencies(String overlay) {
    Rendered r = rendered(overlay);
    NetworkPolicy np = Kustomize.one(r.objects(), NetworkPolicy.class);
    assertTrue(selects(np.getSpec().getPodSelector(), r.podLabels()), overlay + ": policy applies to the gateway pods");
    assertEquals(List.of("Ingress", "Egress"), np.getSpec().getPolicyTypes(), overlay);
    Set<Integer> open = new HashSet<>();
    Set<Integer> restricted = new HashSet<>();
    for (var rule : np.getSpec().getIngress()) {
      boolean anyone = rule.getFrom() == null || rule.getFrom().isEmpty();
      for (NetworkPolicyPort p : rule.getPorts()) {
        (anyone ? open : restricted).add(r.port(p.getPort()));
      }
      if (!anyone) {
        rule.getFrom().forEach(peer -> assertPeerIsNotTheGateway(peer, r, overlay));
      }
    }
    Set<Integer> openExpected = new HashSet<>(Set.of(r.config().edge().port()));
    Set<Integer> restrictedExpected = new HashSet<>(Set.of(r.config().ops().port()));
    if (r.config().onboarding().enabled()) {
      openExpected.add(r.config().onboarding().port());
    }
    if (r.config().admin().enabled()) {
      restrictedExpected.add(r.config().admin().port());
    }
    assertEquals(openExpected, open, overlay + ": only the edge port (and enrollment) is open to anyone");
    assertEquals(restrictedExpected, restricted, overlay + ": ops (and admin) reachable only from selected peers");
    for (var rule : np.getSpec().getIngress()) {
      Set<Integer> ports = new HashSet<>();
      rule.getPorts().forEach(p -> ports.add(r.port(p.getPort())));
      if (r.config().admin().enabled() && ports.contains(r.config().admin().port())) {
        assertEquals(Set.of(r.config().admin().port()), ports, overlay + ": the admin API has a rule of its own");
        assertEquals(1, rule.getFrom().size(), overlay);
        NetworkPolicyPeer peer = rule.getFrom().get(0);
        assertEquals(Map.of("tenantgate.io/admin-access", "true"), peer.getNamespaceSelector().getMatchLabels(),
            overlay + ": the admin API admits only namespaces labelled tenantgate.io/admin-access=true");
        assertNull(peer.getIpBlock(), overlay);
      }
    }

    Set<Integer> egress = new HashSet<>();
    for (var rule : np.getSpec().getEgress()) {
      rule.getPorts().forEach(p -> egress.add(p.getPort().getIntVal()));
      rule.getTo().forEach(peer -> assertPeerIsNotTheGateway(peer, r, overlay));
    }
    // DNS: CoreDNS in kube-system, and NodeLocal DNSCache's link-local address (docs/deployment.md "DNS")
    var dns = np.getSpec().getEgress().stream().filter(rule -> rule.getPorts().stream()
        .anyMatch(p -> p.getPort().getIntVal() == 53)).toList();
    assertEquals(1, dns.size(), overlay + ": one DNS egress rule");
    assertEquals(Set.of("UDP", "TCP"), dns.get(0).getPorts().stream().map(NetworkPolicyPort::getProtocol)
        .collect(java.util.stream.Collectors.toSet()), overlay + ": DNS over UDP and TCP");
    assertTrue(dns.get(0).getTo().stream().anyMatch(p -> p.getNamespaceSelector() != null && Map.of(
        "kubernetes.io/metadata.name", "kube-system").equals(p.getNamespaceSelector().getMatchLabels())),
        overlay + ": DNS to kube-system");
    assertTrue(dns.get(0).getTo().stream().anyMatch(p -> p.getIpBlock() != null
        && p.getIpBlock().getCidr().equals("169.254.20.10/32")), overlay + ": DNS to NodeLocal DNSCache");
    Set<Integer> needed = new TreeSet<>(Set.of(53));
    if (r.config().registry().store() == RegistryConfig.StoreType.POSTGRES) {
      needed.add(port(URI.create(r.config().registry().postgres().url()), 5432));
    }
    if (r.config().nats().enabled()) {
      needed.add(port(r.config().nats().url(), 4222));
    }
    for (RouteConfig route : r.config().routes()) {
      needed.add(port(route.upstream(), route.upstream().getScheme().equals("https") ? 443 : 80));
    }
    assertTrue(egress.containsAll(needed), overlay + ": egress ports " + egress + " must include " + needed
        + " (DNS, registry.postgres.url, nats.url, every routes[].upstream)");
  }

  private static int port(java.net.URI uri, int defaultPort) {
    return uri.getPort() > 0 ? uri.getPort() : defaultPort;
  }

  /** kustomize's labels transformer adds the gateway's labels to peer podSelectors; none may select the gateway. */
  private static void assertPeerIsNotTheGateway(NetworkPolicyPeer peer, Rendered r, String overlay) {
    if (peer.getPodSelector() != null && peer.getPodSelector().getMatchLabels() != null) {
      assertFalse(selects(peer.getPodSelector().getMatchLabels(), r.podLabels()),
          overlay + ": a NetworkPolicy peer selects the gateway's own pods: " + peer);
      assertFalse(peer.getPodSelector().getMatchLabels().containsKey("app.kubernetes.io/instance"),
          overlay + ": kustomize rewrote a peer selector: " + peer);
    }
  }

  @Test
  void eachTenantEdgeServesOnlyItsTenantBesideTheSharedIngress() {
    assertEquals(List.of(), rendered("overlays/shared").config().edge().tenantPin());
    assertEquals(List.of("acme"), rendered("overlays/tenant-edge").config().edge().tenantPin());
    assertEquals(List.of("globex"), rendered(GENERATED).config().edge().tenantPin());
    List<Rendered> all = Stream.of("overlays/shared", "overlays/tenant-edge", GENERATED).map(ManifestsIT::rendered)
        .toList();
    Set<String> names = new HashSet<>();
    for (Rendered r : all) {
      for (HasMetadata o : r.objects()) {
        assertTrue(names.add(o.getKind() + "/" + o.getMetadata().getName()), "two overlays both create "
            + o.getKind() + "/" + o.getMetadata().getName() + ": they cannot share the namespace");
      }
    }
    for (Rendered a : all) {
      for (Rendered b : all) {
        if (a != b) {
          for (Service s : Kustomize.all(a.objects(), Service.class)) {
            assertFalse(selects(s.getSpec().getSelector(), b.podLabels()), a.overlay() + " Service "
                + s.getMetadata().getName() + " would also send traffic to " + b.overlay() + "'s pods");
          }
          assertFalse(selects(Kustomize.one(a.objects(), PodDisruptionBudget.class).getSpec().getSelector(),
              b.podLabels()), a.overlay() + "'s PDB counts " + b.overlay() + "'s pods");
        }
      }
    }
  }

  @Test
  void theCheckedInTenantEdgeExampleIsWhatGenerateShWritesForAcme() throws IOException {
    Path out = generate("acme", tmp.resolve("tenants/acme"));
    Path example = K8S.resolve("overlays/tenant-edge");
    assertEquals(Files.readString(example.resolve("tenantgate.yaml")), Files.readString(out.resolve("tenantgate.yaml")),
        "k8s/overlays/tenant-edge/tenantgate.yaml is stale: run k8s/overlays/tenant-edge/generate.sh acme "
            + "k8s/overlays/tenant-edge");
    String resources = "(?m)^  - .*/base$";
    assertEquals(Files.readString(example.resolve("kustomization.yaml")).replaceAll(resources, "  - BASE"),
        Files.readString(out.resolve("kustomization.yaml")).replaceAll(resources, "  - BASE"),
        "k8s/overlays/tenant-edge/kustomization.yaml is stale: re-run generate.sh acme k8s/overlays/tenant-edge");
  }

  @Test
  void generateShRefusesWhatIsNotATenantSlug() {
    for (String bad : List.of("Acme", "a_b", "-acme", "acme-", "a".repeat(44), "a.b")) {
      Path out = tmp.resolve("refused-" + Math.abs(bad.hashCode()));
      try {
        generate(bad, out);
        fail("generate.sh accepted '" + bad + "'");
      } catch (AssertionError expected) {
        assertTrue(expected.getMessage().contains("exited 2"), expected.getMessage());
      }
      assertFalse(Files.exists(out.resolve("kustomization.yaml")), bad);
    }
  }

  @Test
  void theServiceMonitorComponentScrapesMetricsOnTheOpsServiceOnly() throws IOException {
    Path copy = copyOfK8s("k8s-with-monitor");
    Path shared = copy.resolve("overlays/shared/kustomization.yaml");
    String enabled = Files.readString(shared).replace("# components:\n#   - ../../components/servicemonitor",
        "components:\n  - ../../components/servicemonitor");
    assertTrue(enabled.contains("\ncomponents:\n"), "the shared overlay shows how to enable the component");
    Files.writeString(shared, enabled);
    List<HasMetadata> objects = Kustomize.parse(Kustomize.render(copy.resolve("overlays/shared")));
    GenericKubernetesResource sm = Kustomize.one(objects, GenericKubernetesResource.class);
    assertEquals("ServiceMonitor", sm.getKind());
    @SuppressWarnings("unchecked")
    Map<String, String> selector = (Map<String, String>) sm.get("spec", "selector", "matchLabels");
    List<Map<String, Object>> endpoints = sm.get("spec", "endpoints");
    assertEquals(1, endpoints.size());
    assertEquals(DeployFiles.METRICS, endpoints.get(0).get("path"));
    Rendered r = rendered("overlays/shared");
    Service ops = r.serviceTo(r.config().ops().port());
    Service edge = r.service("LoadBalancer");
    Service admin = r.serviceTo(r.config().admin().port());
    assertTrue(selects(selector, ops.getMetadata().getLabels()), "ServiceMonitor selects the ops Service");
    assertFalse(selects(selector, edge.getMetadata().getLabels()), "ServiceMonitor must not scrape the edge Service");
    assertFalse(selects(selector, admin.getMetadata().getLabels()), "ServiceMonitor must not scrape the admin Service");
    assertEquals(ops.getSpec().getPorts().get(0).getName(), endpoints.get(0).get("port"),
        "ServiceMonitor port is the ops Service's port name");
    for (Rendered other : List.of(rendered("overlays/tenant-edge"), rendered(GENERATED))) {
      assertFalse(selects(selector, other.serviceTo(other.config().ops().port()).getMetadata().getLabels()),
          "the shared ServiceMonitor must not also scrape " + other.overlay());
    }
  }

  @Test
  void eachTenantEdgeSignsAssertionsWithAKeyAndIssuerOfItsOwn() {
    Map<String, String> issuers = new java.util.HashMap<>();
    Map<String, String> keys = new java.util.HashMap<>();
    for (String overlay : List.of("overlays/shared", "overlays/tenant-edge", GENERATED)) {
      Rendered r = rendered(overlay);
      String tenant = pinnedTenant(r.config());
      assertTrue(r.config().assertion().enabled(), overlay);
      String issuer = r.config().assertion().issuer();
      // the issuer core binds to the tenant (docs/core-integration.md "Per-tenant edge gateways")
      assertEquals(tenant == null ? "tenantgate" : "tenantgate-edge-" + tenant, issuer, overlay + ": assertion.issuer");
      VolumeMount mount = mountOf(r.container(), r.config().assertion().keyFile().getParent().toString(), overlay);
      String secret = volume(r.deployment(), mount.getName()).getSecret().getSecretName();
      assertEquals(tenant == null ? "tenantgate-assertion-key" : "tenantgate-assertion-key-" + tenant, secret,
          overlay + ": the assertion key's Secret");
      assertNull(issuers.put(issuer, overlay), overlay + " and " + issuers.get(issuer) + " share an issuer");
      assertNull(keys.put(secret, overlay), overlay + " and " + keys.get(secret) + " share an assertion key");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"overlays/shared", "overlays/tenant-edge", GENERATED})
  void theDatabaseUrlInTheConfigMapCarriesNoCredentials(String overlay) {
    PostgresConfig pg = rendered(overlay).config().registry().postgres();
    URI url = URI.create(pg.url().replaceFirst("^postgres(ql)?:", "http:"));
    assertNull(url.getRawUserInfo(), overlay + ": registry.postgres.url is in a ConfigMap: no user:password@ in it");
    assertTrue(url.getRawQuery() == null || !url.getRawQuery().toLowerCase(java.util.Locale.ROOT).contains("password"),
        overlay + ": no password parameter in registry.postgres.url");
    assertNull(pg.passwordFile(), overlay + ": the password is env " + PostgresConfig.PASSWORD_ENV + " from a Secret");
  }

  /**
   * overlays/cli: the operator CLI in a pod of its own (docs/deployment.md "Operators and the CLI"),
   * never a second JVM in a gateway pod. It renders with the shared ingress; `kubectl apply -l
   * app.kubernetes.io/component=cli` applies exactly its Pod and NetworkPolicy.
   */
  @Test
  void theCliPodRunsBesideTheSharedIngressWithItsConfigAndSecretsAndOwnLimits() {
    List<HasMetadata> objects = Kustomize.parse(Kustomize.render(K8S.resolve("overlays/cli")));
    Rendered shared = rendered("overlays/shared");
    List<HasMetadata> cliObjects = objects.stream().filter(o -> o.getMetadata().getLabels() != null
        && "cli".equals(o.getMetadata().getLabels().get("app.kubernetes.io/component"))).toList();
    assertEquals(Set.of("Pod/tenantgate-cli", "NetworkPolicy/tenantgate-cli"), cliObjects.stream()
        .map(o -> o.getKind() + "/" + o.getMetadata().getName()).collect(java.util.stream.Collectors.toSet()),
        "`kubectl apply -l app.kubernetes.io/component=cli` applies the CLI pod and its policy only");
    io.fabric8.kubernetes.api.model.Pod pod = Kustomize.one(objects, io.fabric8.kubernetes.api.model.Pod.class);
    assertEquals("tenantgate", pod.getMetadata().getNamespace());
    Container c = pod.getSpec().getContainers().get(0);
    assertEquals(shared.container().getImage(), c.getImage(), "the CLI runs the shared ingress's image");
    assertEquals(1, Kustomize.all(objects, Deployment.class).size());
    assertEquals(shared.deployment().getSpec().getTemplate().getSpec(),
        Kustomize.one(objects, Deployment.class).getSpec().getTemplate().getSpec(),
        "overlays/cli renders the shared ingress unchanged (it only adds the CLI's objects)");
    // the config the gateway reads, from the same (hashed) ConfigMap, at the path the CLI's --config names
    String configMap = volume(shared.deployment(), mountOf(shared.container(), "/etc/tenantgate/config", "shared")
        .getName()).getConfigMap().getName();
    VolumeMount config = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals(
        Path.of(shared.configPath()).getParent().toString())).findFirst().orElseThrow();
    io.fabric8.kubernetes.api.model.Volume cv = pod.getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(config.getName())).findFirst().orElseThrow();
    assertEquals(configMap, cv.getConfigMap().getName(), "the CLI reads the shared ingress's config");
    // what the CLI reads: the root certificate and (online root) its key, the master key, the DB password
    GatewayConfig cfg = shared.config();
    Path rootCert = cfg.registry().rootCaCertFile() != null ? cfg.registry().rootCaCertFile()
        : cfg.edge().tls().clientCaFile();
    List<Path> files = new ArrayList<>(List.of(rootCert));
    if (cfg.registry().rootCaKeyFile() != null) {
      files.add(cfg.registry().rootCaKeyFile());
    }
    for (Path f : files) {
      VolumeMount m = c.getVolumeMounts().stream().filter(v -> v.getMountPath().equals(f.getParent().toString()))
          .findFirst().orElseThrow(() -> new AssertionError("the CLI pod does not mount " + f.getParent()));
      String secret = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(m.getName())).findFirst()
          .orElseThrow().getSecret().getSecretName();
      String gateways = volume(shared.deployment(), mountOf(shared.container(), f.getParent().toString(), "shared")
          .getName()).getSecret().getSecretName();
      assertEquals(gateways, secret, f + ": the same Secret as the gateway's");
    }
    Set<String> env = new TreeSet<>();
    c.getEnv().stream().filter(e -> e.getValueFrom() != null).forEach(e -> env.add(e.getName()));
    assertEquals(Set.of(PostgresConfig.PASSWORD_ENV, MasterKey.ENV), env, "the CLI's Secret-backed environment");
    // its own limits, sized for one short-lived JVM; read-only, non-root, no token, gone by itself
    long limit = c.getResources().getLimits().get("memory").getNumericalAmount().longValueExact();
    String options = c.getEnv().stream().filter(e -> e.getName().equals("JDK_JAVA_OPTIONS")).findFirst().orElseThrow()
        .getValue();
    assertTrue(DeployFiles.heapPlusDirect(options, limit) + (128L << 20) <= limit, "the CLI JVM fits its limit");
    assertNotNull(c.getResources().getRequests().get("cpu"));
    assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals(Boolean.TRUE, pod.getSpec().getSecurityContext().getRunAsNonRoot());
    assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
    assertEquals(Boolean.FALSE, pod.getSpec().getAutomountServiceAccountToken());
    assertEquals("Never", pod.getSpec().getRestartPolicy());
    assertNotNull(pod.getSpec().getActiveDeadlineSeconds(), "a forgotten CLI pod ends by itself");
    // nothing of the gateway's selects it: no Service sends it traffic, no PDB counts it, and the
    // gateway's NetworkPolicy does not apply to it (its own does: no ingress, DNS and Postgres out)
    Map<String, String> labels = pod.getMetadata().getLabels();
    for (Service s : Kustomize.all(objects, Service.class)) {
      assertFalse(selects(s.getSpec().getSelector(), labels), "Service " + s.getMetadata().getName() + " selects the CLI");
    }
    assertFalse(selects(Kustomize.one(objects, PodDisruptionBudget.class).getSpec().getSelector(), labels));
    List<NetworkPolicy> policies = Kustomize.all(objects, NetworkPolicy.class).stream()
        .filter(np -> selects(np.getSpec().getPodSelector(), labels)).toList();
    assertEquals(1, policies.size(), "exactly one NetworkPolicy applies to the CLI pod");
    NetworkPolicy np = policies.get(0);
    assertEquals("tenantgate-cli", np.getMetadata().getName());
    assertEquals(List.of("Ingress", "Egress"), np.getSpec().getPolicyTypes());
    assertTrue(np.getSpec().getIngress() == null || np.getSpec().getIngress().isEmpty(), "nothing connects to the CLI");
    Set<Integer> egress = new TreeSet<>();
    np.getSpec().getEgress().forEach(rule -> rule.getPorts().forEach(p -> egress.add(p.getPort().getIntVal())));
    assertEquals(new TreeSet<>(Set.of(53, port(URI.create(cfg.registry().postgres().url()), 5432))), egress,
        "the CLI reaches DNS and Postgres only");
  }
}
