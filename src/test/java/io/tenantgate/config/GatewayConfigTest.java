package io.tenantgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.RegistryConfig.StoreType;
import io.tenantgate.config.RouteConfig.UpstreamProtocol;
import io.tenantgate.config.TlsConfig.SslEngine;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GatewayConfigTest {

  private static final Path BASE = Path.of("/etc/tenantgate");

  private static final String MINIMAL = """
      edge:
        tls:
          certFile: server.pem
          keyFile: server-key.pem
          clientCaFile: root.pem
      registry:
        file: registry.json
      routes:
        - name: core
          pathPrefix: /
          upstream: http://core:8080
      """;

  // ---- helpers ---------------------------------------------------------------------------

  /** The minimal valid configuration as nested mutable maps, for {@link GatewayConfig#fromMap}. */
  private static Map<String, Object> minimalMap() {
    Map<String, Object> tls = new LinkedHashMap<>();
    tls.put("certFile", "server.pem");
    tls.put("keyFile", "server-key.pem");
    tls.put("clientCaFile", "root.pem");
    Map<String, Object> edge = new LinkedHashMap<>();
    edge.put("tls", tls);
    Map<String, Object> route = new LinkedHashMap<>();
    route.put("name", "core");
    route.put("pathPrefix", "/");
    route.put("upstream", "http://core:8080");
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("edge", edge);
    cfg.put("registry", new LinkedHashMap<>(Map.of("file", "registry.json")));
    cfg.put("routes", new ArrayList<>(List.of(route)));
    return cfg;
  }

  /** The minimal configuration with {@code value} set at the dotted {@code path}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> with(String path, Object value) {
    Map<String, Object> cfg = minimalMap();
    String[] keys = path.split("\\.");
    Map<String, Object> m = cfg;
    for (int i = 0; i < keys.length - 1; i++) {
      m = (Map<String, Object>) m.computeIfAbsent(keys[i], k -> new LinkedHashMap<String, Object>());
    }
    m.put(keys[keys.length - 1], value);
    return cfg;
  }

  /** The minimal configuration with its routes replaced. */
  private static Map<String, Object> withRoutes(Object... routes) {
    Map<String, Object> cfg = minimalMap();
    cfg.put("routes", List.of(routes));
    return cfg;
  }

  private static Map<String, Object> route(Object... keyValues) {
    Map<String, Object> r = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      r.put((String) keyValues[i], keyValues[i + 1]);
    }
    return r;
  }

  private static GatewayConfig parse(Map<String, Object> cfg) {
    return GatewayConfig.fromMap(cfg, BASE);
  }

  private static List<String> problems(Map<String, Object> cfg) {
    return assertThrows(ConfigException.class, () -> parse(cfg)).problems();
  }

  private static List<String> problemsOfYaml(String yaml) {
    return assertThrows(ConfigException.class, () -> GatewayConfig.parseYaml(yaml, BASE)).problems();
  }

  /** Asserts there is exactly one problem and it is reported at {@code path}. */
  private static String onlyProblemAt(String path, List<String> problems) {
    assertEquals(1, problems.size(), () -> "expected one problem at " + path + ", got " + problems);
    assertTrue(problems.get(0).startsWith(path + ": "), () -> "expected a problem at " + path + ", got " + problems);
    return problems.get(0);
  }

  // ---- defaults --------------------------------------------------------------------------

  @Test
  void minimalConfigParsesWithDocumentedDefaults() {
    GatewayConfig c = GatewayConfig.parseYaml(MINIMAL, BASE);

    assertEquals(IdentityConfig.defaults(), c.identity());
    assertEquals("serviceradar", c.identity().trustDomain());
    assertEquals("serviceradar.local", c.identity().spiffeTrustDomain());

    EdgeConfig edge = c.edge();
    assertEquals("0.0.0.0", edge.host());
    assertEquals(50052, edge.port());
    assertEquals(EdgeConfig.DEFAULT_PORT, edge.port());
    assertEquals(0, edge.instances());
    assertEquals(List.of(), edge.tenantPin());

    TlsConfig tls = edge.tls();
    assertEquals(List.of("TLSv1.3"), tls.protocols());
    assertEquals(SslEngine.AUTO, tls.engine());
    assertEquals(Duration.ofSeconds(10), tls.handshakeTimeout());

    LimitsConfig limits = edge.limits();
    assertEquals(16 * 1024, limits.maxHeaderSize());
    assertEquals(8 * 1024, limits.maxInitialLineLength());
    assertEquals(10L * 1024 * 1024, limits.maxBodySize());
    assertEquals(Duration.ofMinutes(5), limits.idleTimeout());
    assertEquals(Duration.ofSeconds(10), limits.headerTimeout());
    assertEquals(Duration.ZERO, limits.streamIdleTimeout());
    assertEquals(Duration.ofSeconds(2), limits.upstreamConnectTimeout());
    assertEquals(Duration.ofSeconds(30), limits.upstreamTimeout());
    assertEquals(256, limits.maxConcurrentStreams());
    assertEquals(Duration.ofSeconds(20), limits.bodyTimeout());
    assertEquals(500, limits.bodyMinRate());

    assertEquals(new OpsConfig("0.0.0.0", 9090, 500, Duration.ofSeconds(10)), c.ops());
    assertEquals(OpsConfig.DEFAULT_PORT, c.ops().port());

    assertEquals(StoreType.FILE, c.registry().store());
    assertEquals(Duration.ofSeconds(1), c.registry().pollInterval());

    assertEquals(1, c.routes().size());
    RouteConfig r = c.routes().get(0);
    assertEquals("core", r.name());
    assertEquals("/", r.pathPrefix());
    assertNull(r.grpcService());
    assertFalse(r.isGrpc());
    assertEquals(URI.create("http://core:8080"), r.upstream());
    assertEquals(UpstreamProtocol.HTTP1, r.protocol());
    assertNull(r.upstreamCaFile());
    assertEquals(64, r.maxConnections());
    assertFalse(r.upstreamTls());
    assertEquals(8080, r.upstreamPort());
  }

  @Test
  void mapAndYamlFormsOfTheSameConfigAreEqual() {
    assertEquals(GatewayConfig.parseYaml(MINIMAL, BASE), GatewayConfig.fromMap(minimalMap(), BASE));
  }

  @Test
  void explicitValuesOverrideTheDefaults() {
    GatewayConfig c = GatewayConfig.parseYaml("""
        identity:
          trustDomain: edge
          spiffeTrustDomain: example.org
        edge:
          host: 127.0.0.1
          port: 0
          instances: 4
          tenantPin: [acme, globex]
          tls:
            certFile: server.pem
            keyFile: server-key.pem
            clientCaFile: root.pem
            protocols: [TLSv1.2, TLSv1.3]
            engine: jdk
            handshakeTimeout: 3s
          limits:
            maxHeaderSize: 32KiB
            maxInitialLineLength: 4k
            maxBodySize: 1MiB
            idleTimeout: 1m
            headerTimeout: 7s
            streamIdleTimeout: 1h
            upstreamConnectTimeout: 500ms
            upstreamTimeout: 10s
            maxConcurrentStreams: 10
            bodyTimeout: 5s
            bodyMinRate: 1KiB
        ops:
          host: 127.0.0.2
          port: 9091
        registry:
          store: FILE
          file: /var/lib/tenantgate/registry.json
          pollInterval: 250ms
        routes:
          - name: core
            pathPrefix: /
            upstream: http://core:8080
        """, BASE);

    assertEquals(new IdentityConfig("edge", "example.org"), c.identity());
    assertEquals("127.0.0.1", c.edge().host());
    assertEquals(0, c.edge().port());
    assertEquals(4, c.edge().instances());
    assertEquals(4, c.edge().effectiveInstances());
    assertEquals(List.of("acme", "globex"), c.edge().tenantPin());
    assertEquals(List.of("TLSv1.2", "TLSv1.3"), c.edge().tls().protocols());
    assertEquals(SslEngine.JDK, c.edge().tls().engine());
    assertEquals(Duration.ofSeconds(3), c.edge().tls().handshakeTimeout());
    assertEquals(new LimitsConfig(32 * 1024, 4 * 1024, 1024 * 1024, Duration.ofMinutes(1), Duration.ofSeconds(7),
        Duration.ofHours(1), Duration.ofMillis(500), Duration.ofSeconds(10), 10, Duration.ofSeconds(5), 1024),
        c.edge().limits());
    assertEquals(new OpsConfig("127.0.0.2", 9091, 500, Duration.ofSeconds(10)), c.ops());
    assertEquals(new RegistryConfig(StoreType.FILE, Path.of("/var/lib/tenantgate/registry.json"),
        Duration.ofMillis(250)), c.registry());
  }

  @Test
  void zeroInstancesMeansOnePerCore() {
    assertEquals(Runtime.getRuntime().availableProcessors(), parse(minimalMap()).edge().effectiveInstances());
  }

  @Test
  void tenantPinAcceptsASingleString() {
    assertEquals(List.of("acme"), parse(with("edge.tenantPin", "acme")).edge().tenantPin());
  }

  @Test
  void numbersMayBeGivenAsStrings() {
    assertEquals(50053, parse(with("edge.port", "50053")).edge().port());
  }

  // ---- paths -----------------------------------------------------------------------------

  @Test
  @SuppressWarnings("unchecked")
  void relativePathsResolveAgainstTheBaseDirectory() {
    Map<String, Object> cfg = with("edge.tls.clientCaFile", "../shared/root.pem");
    ((Map<String, Object>) cfg.get("registry")).put("file", "/var/lib/registry.json");
    cfg.put("routes", List.of(route("name", "core", "pathPrefix", "/", "upstream", "https://core",
        "upstreamCaFile", "pki/core-ca.pem")));

    GatewayConfig c = parse(cfg);

    assertEquals(Path.of("/etc/tenantgate/server.pem"), c.edge().tls().certFile());
    assertEquals(Path.of("/etc/tenantgate/server-key.pem"), c.edge().tls().keyFile());
    assertEquals(Path.of("/etc/shared/root.pem"), c.edge().tls().clientCaFile());
    assertEquals(Path.of("/var/lib/registry.json"), c.registry().file());
    assertEquals(Path.of("/etc/tenantgate/pki/core-ca.pem"), c.routes().get(0).upstreamCaFile());
  }

  @Test
  void withoutABaseDirectoryRelativePathsStayRelative() {
    GatewayConfig c = GatewayConfig.parseYaml(MINIMAL, null);
    assertEquals(Path.of("server.pem"), c.edge().tls().certFile());
    assertEquals(Path.of("registry.json"), c.registry().file());
  }

  @Test
  void loadResolvesPathsAgainstTheFilesDirectory(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("conf").resolve("gateway.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, MINIMAL);

    GatewayConfig c = GatewayConfig.load(file);

    Path conf = file.toAbsolutePath().getParent();
    assertEquals(conf.resolve("server.pem"), c.edge().tls().certFile());
    assertEquals(conf.resolve("root.pem"), c.edge().tls().clientCaFile());
    assertEquals(conf.resolve("registry.json"), c.registry().file());
  }

  @Test
  void loadOfAMissingFileIsAConfigExceptionNamingTheFile(@TempDir Path dir) {
    Path file = dir.resolve("absent.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.load(file));
    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).startsWith(file + ": cannot read"), e.problems().get(0));
  }

  @Test
  void unparsableYamlIsAConfigException() {
    List<String> problems = problemsOfYaml("edge: [unclosed");
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("cannot parse YAML"), problems.get(0));
  }

  // ---- durations and sizes ---------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
      "500ms, PT0.5S",
      "10s,   PT10S",
      "5m,    PT5M",
      "1h,    PT1H",
      "1d,    PT24H",
      "0,     PT0S",
      "'10 s', PT10S",
      "10S,   PT10S",
  })
  void durationsParse(String text, String iso) {
    assertEquals(Duration.parse(iso), parse(with("edge.limits.streamIdleTimeout", text)).edge().limits()
        .streamIdleTimeout());
  }

  @ParameterizedTest
  @ValueSource(strings = {"10", "ten seconds", "1.5s", "-1s", "5 minutes", "10sec", "s", "1w", ""})
  void malformedDurationsAreReportedAtTheirPath(String text) {
    String p = onlyProblemAt("edge.limits.streamIdleTimeout", problems(with("edge.limits.streamIdleTimeout", text)));
    assertTrue(p.contains("'" + text + "'"), p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"idleTimeout", "upstreamConnectTimeout", "upstreamTimeout"})
  void timeoutsThatMustBePositiveRejectZero(String key) {
    String p = onlyProblemAt("edge.limits." + key, problems(with("edge.limits." + key, "0")));
    assertTrue(p.endsWith("must be greater than zero"), p);
  }

  @Test
  void handshakeTimeoutMustBePositive() {
    onlyProblemAt("edge.tls.handshakeTimeout", problems(with("edge.tls.handshakeTimeout", "0")));
  }

  @ParameterizedTest
  @CsvSource({
      "16KiB,  16384",
      "16kib,  16384",
      "16k,    16384",
      "16384,  16384",
      "10MiB,  10485760",
      "10m,    10485760",
      "'2 MiB', 2097152",
      "1GiB,   1073741824",
      "1g,     1073741824",
      "0,      0",
      "100b,   100",
  })
  void sizesParseInBinaryMultiples(String text, long bytes) {
    assertEquals(bytes, parse(with("edge.limits.maxBodySize", text)).edge().limits().maxBodySize());
  }

  @Test
  void sizesMayBeYamlNumbers() {
    assertEquals(16384, parse(with("edge.limits.maxHeaderSize", 16384)).edge().limits().maxHeaderSize());
  }

  @ParameterizedTest
  @ValueSource(strings = {"16KB", "16 kilobytes", "1.5MiB", "-1", "MiB", "10TiB"})
  void malformedSizesAreReportedAtTheirPath(String text) {
    String p = onlyProblemAt("edge.limits.maxBodySize", problems(with("edge.limits.maxBodySize", text)));
    assertTrue(p.contains("must be a size like"), p);
  }

  @ParameterizedTest
  @CsvSource({
      "maxHeaderSize,        1023",
      "maxHeaderSize,        2MiB",
      "maxInitialLineLength, 255",
      "maxInitialLineLength, 65KiB",
  })
  void sizesOutsideTheirRangeAreRejected(String key, String text) {
    String p = onlyProblemAt("edge.limits." + key, problems(with("edge.limits." + key, text)));
    assertTrue(p.contains("must be between"), p);
  }

  @Test
  void sizeWithTooManyDigitsIsReportedNotThrown() {
    Map<String, Object> cfg = with("edge.limits.maxBodySize", "99999999999999999999");
    ((Map<String, Object>) cfg.get("edge")).put("port", 70000);
    List<String> problems = problems(cfg);
    assertEquals(2, problems.size(), problems::toString);
  }

  @Test
  void durationThatOverflowsIsReportedNotThrown() {
    onlyProblemAt("edge.limits.idleTimeout", problems(with("edge.limits.idleTimeout", "99999999999999999999s")));
    onlyProblemAt("edge.limits.idleTimeout", problems(with("edge.limits.idleTimeout", "9223372036854775807h")));
  }

  @Test
  void integerBeyondSixtyFourBitsIsRejected() {
    onlyProblemAt("edge.port", problemsOfYaml(MINIMAL.replace("edge:\n", "edge:\n  port: 18446744073709551696\n")));
  }

  // ---- numbers, enums, lists -------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
      "edge.port,                   70000",
      "edge.port,                   -1",
      "edge.port,                   http",
      "edge.port,                   1.5",
      "edge.instances,              257",
      "ops.port,                    65536",
      "edge.limits.maxConcurrentStreams, 0",
  })
  void outOfRangeOrNonNumericIntegersAreReportedAtTheirPath(String path, String value) {
    String p = onlyProblemAt(path, problems(with(path, value)));
    assertTrue(p.contains("must be"), p);
  }

  @Test
  void problemNamesTheOffendingValue() {
    assertEquals(List.of("edge.port: must be between 0 and 65535, got 70000"), problems(with("edge.port", 70000)));
  }

  @Test
  void tlsProtocolNamesAreValidated() {
    List<String> problems = problems(with("edge.tls.protocols", List.of("TLSv1.3", "TLSv1.1", "tlsv1.2")));
    assertEquals(2, problems.size(), problems::toString);
    assertTrue(problems.get(0).startsWith("edge.tls.protocols: 'TLSv1.1' is not one of"), problems.get(0));
    assertTrue(problems.get(1).startsWith("edge.tls.protocols: 'tlsv1.2' is not one of"), problems.get(1));
  }

  @Test
  void tlsProtocolsMayBeASingleString() {
    assertEquals(List.of("TLSv1.2"), parse(with("edge.tls.protocols", "TLSv1.2")).edge().tls().protocols());
  }

  @Test
  void emptyTlsProtocolListIsRejected() {
    onlyProblemAt("edge.tls.protocols", problems(with("edge.tls.protocols", List.of())));
  }

  @Test
  void tlsProtocolsMustBeAListOfStrings() {
    String p = onlyProblemAt("edge.tls.protocols", problems(with("edge.tls.protocols", Map.of("a", "b"))));
    assertTrue(p.endsWith("must be a list of strings"), p);
  }

  @ParameterizedTest
  @CsvSource({"auto, AUTO", "OpenSSL, OPENSSL", "' jdk ', JDK"})
  void sslEngineIsCaseInsensitive(String text, SslEngine engine) {
    assertEquals(engine, parse(with("edge.tls.engine", text)).edge().tls().engine());
  }

  @Test
  void unknownSslEngineListsTheChoices() {
    assertEquals(List.of("edge.tls.engine: must be one of [auto, openssl, jdk], got 'boringssl'"),
        problems(with("edge.tls.engine", "boringssl")));
  }

  @Test
  void unknownRegistryStoreListsTheChoices() {
    assertEquals(List.of("registry.store: must be one of [file, postgres], got 'mysql'"),
        problems(with("registry.store", "mysql")));
  }

  @Test
  void registryPollIntervalHasAFloor() {
    onlyProblemAt("registry.pollInterval", problems(with("registry.pollInterval", "10ms")));
    assertEquals(Duration.ofMillis(50), parse(with("registry.pollInterval", "50ms")).registry().pollInterval());
  }

  @ParameterizedTest
  @CsvSource({
      "identity.trustDomain,       Service.Radar",
      "identity.trustDomain,       service.radar",
      "identity.trustDomain,       -radar",
      "identity.spiffeTrustDomain, Example.ORG",
      "identity.spiffeTrustDomain, example..org",
  })
  void identityNamingIsValidated(String path, String value) {
    onlyProblemAt(path, problems(with(path, value)));
  }

  @Test
  void aStringWhereAMappingBelongsIsReported() {
    List<String> problems = problems(with("ops", "9090"));
    assertEquals(List.of("ops: must be a mapping"), problems);
  }

  @Test
  void aMappingWhereAStringBelongsIsReported() {
    String p = onlyProblemAt("edge.host", problems(with("edge.host", Map.of("ip", "1.2.3.4"))));
    assertTrue(p.endsWith("must be a string"), p);
  }

  // ---- every problem together ------------------------------------------------------------

  @Test
  void everyProblemIsReportedTogetherWithItsDottedPath() {
    ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.parseYaml("""
        edge:
          port: 70000
          tls:
            certFile: server.pem
            keyFile: server-key.pem
            clientCaFile: root.pem
          limits:
            idleTimeout: soon
        ops:
          prot: 9091
        registry:
          file: registry.json
        routes:
          - name: core
            pathPrefix: /
            upstream: ftp://core
        """, BASE));

    List<String> problems = e.problems();
    assertEquals(4, problems.size(), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("edge.port: must be between 0 and 65535")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("edge.limits.idleTimeout: must be a duration")),
        problems::toString);
    assertTrue(problems.contains("ops.prot: unknown key"), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("routes[0].upstream: must be an http:// or https:// URL")),
        problems::toString);
    for (String p : problems) {
      assertTrue(e.getMessage().contains(p), () -> "message lacks " + p + ": " + e.getMessage());
    }
    assertTrue(e.getMessage().startsWith("invalid configuration:"), e.getMessage());
  }

  @Test
  void anEmptyDocumentListsEveryRequiredKey() {
    List<String> problems = problemsOfYaml("");
    assertEquals(List.of(
        "edge.tls.certFile: is required",
        "edge.tls.keyFile: is required",
        "edge.tls.clientCaFile: is required",
        "registry.file: is required",
        "routes: at least one route is required"), problems);
  }

  @Test
  void aRootThatIsNotAMappingIsReported() {
    List<String> problems = problemsOfYaml("- edge\n- ops\n");
    assertEquals("(root): must be a mapping", problems.get(0));
  }

  @Test
  void blankRequiredStringsAreReported() {
    onlyProblemAt("edge.tls.keyFile", problems(with("edge.tls.keyFile", "  ")));
  }

  @Test
  void problemListIsImmutable() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(with("edge.port", 70000)));
    assertThrows(UnsupportedOperationException.class, () -> e.problems().add("x"));
  }

  // ---- unknown keys ----------------------------------------------------------------------

  @Test
  void typoInAKeyIsReportedAsUnknown() {
    assertEquals(List.of("edge.prot: unknown key"), problems(with("edge.prot", 50053)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"edgee", "identity.trustdomain", "edge.tls.cert", "edge.limits.maxBodySizes", "registry.path",
      "ops.address"})
  void unknownKeysAreReportedAtEveryLevel(String path) {
    assertEquals(List.of(path + ": unknown key"), problems(with(path, "x")));
  }

  @Test
  void unknownKeyInARouteNamesTheRouteIndex() {
    List<String> problems = problems(withRoutes(
        route("name", "a", "pathPrefix", "/a", "upstream", "http://core"),
        route("name", "b", "pathPrefix", "/b", "upstream", "http://core", "timeout", "5s")));
    assertEquals(List.of("routes[1].timeout: unknown key"), problems);
  }

  // ---- routes ----------------------------------------------------------------------------

  @Test
  void routeNeedsPathPrefixOrGrpcService() {
    List<String> problems = problems(withRoutes(route("name", "core", "upstream", "http://core")));
    assertEquals(List.of("routes[0]: needs exactly one of pathPrefix or grpcService"), problems);
  }

  @Test
  void routeMustNotHaveBothPathPrefixAndGrpcService() {
    List<String> problems = problems(withRoutes(
        route("name", "core", "pathPrefix", "/", "grpcService", "*", "upstream", "http://core")));
    assertEquals(List.of("routes[0]: needs exactly one of pathPrefix or grpcService"), problems);
  }

  @Test
  void grpcRouteParses() {
    RouteConfig r = parse(withRoutes(route("name", "grpc", "grpcService", "monitoring.AgentService",
        "upstream", "https://core:9443"))).routes().get(0);
    assertTrue(r.isGrpc());
    assertEquals("monitoring.AgentService", r.grpcService());
    assertNull(r.pathPrefix());
    assertTrue(r.upstreamTls());
    assertEquals(9443, r.upstreamPort());
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "Svc", "monitoring.AgentService", "a.b_c.D9"})
  void validGrpcServiceNamesAreAccepted(String service) {
    assertEquals(service, parse(withRoutes(route("name", "g", "grpcService", service, "upstream", "http://core")))
        .routes().get(0).grpcService());
  }

  @ParameterizedTest
  @ValueSource(strings = {"pkg..Svc", "pkg/Svc", ".Svc", "Svc.", "9pkg.Svc", "pkg.*", "**"})
  void malformedGrpcServiceNamesAreRejected(String service) {
    onlyProblemAt("routes[0].grpcService",
        problems(withRoutes(route("name", "g", "grpcService", service, "upstream", "http://core"))));
  }

  @Test
  void pathPrefixMustStartWithASlash() {
    onlyProblemAt("routes[0].pathPrefix",
        problems(withRoutes(route("name", "api", "pathPrefix", "api", "upstream", "http://core"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Core", "core.v1", "-core", "a b", "core/api"})
  void routeNamesMustBeMetricSafe(String name) {
    onlyProblemAt("routes[0].name", problems(withRoutes(route("name", name, "pathPrefix", "/", "upstream", "http://c"))));
  }

  @Test
  void routeNameMayHaveSixtyThreeCharactersButNotSixtyFour() {
    String name63 = "r" + "_".repeat(61) + "9";
    assertEquals(name63, parse(withRoutes(route("name", name63, "pathPrefix", "/", "upstream", "http://c")))
        .routes().get(0).name());
    onlyProblemAt("routes[0].name",
        problems(withRoutes(route("name", name63 + "x", "pathPrefix", "/", "upstream", "http://c"))));
  }

  @Test
  void routeNameIsRequired() {
    onlyProblemAt("routes[0].name", problems(withRoutes(route("pathPrefix", "/", "upstream", "http://c"))));
  }

  @Test
  void duplicateRouteNamesAreReported() {
    List<String> problems = problems(withRoutes(
        route("name", "core", "pathPrefix", "/a", "upstream", "http://core"),
        route("name", "core", "pathPrefix", "/b", "upstream", "http://core")));
    assertEquals(List.of("routes: route name 'core' is used twice"), problems);
  }

  @Test
  void twoRoutesForTheSameMatchAreReported() {
    List<String> problems = problems(withRoutes(
        route("name", "a", "pathPrefix", "/api", "upstream", "http://core"),
        route("name", "b", "pathPrefix", "/api", "upstream", "http://other"),
        route("name", "c", "grpcService", "*", "upstream", "http://core"),
        route("name", "d", "grpcService", "*", "upstream", "http://other")));
    assertEquals(List.of("routes: two routes match the same path:/api", "routes: two routes match the same grpc:*"),
        problems);
  }

  @Test
  void samePrefixAndServiceTextInDifferentKindsDoNotClash() {
    assertEquals(2, parse(withRoutes(
        route("name", "a", "pathPrefix", "/x", "upstream", "http://core"),
        route("name", "b", "grpcService", "*", "upstream", "http://core"))).routes().size());
  }

  @Test
  void routesMustBeAList() {
    List<String> problems = problems(with("routes", Map.of("name", "core")));
    assertEquals(List.of("routes: must be a list", "routes: at least one route is required"), problems);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://core", "core:8080", "http:///nohost", "mailto:ops@example.org", "http://core_1:80",
      "http://core:port"})
  void upstreamMustBeAnHttpUrlWithAHost(String upstream) {
    String p = onlyProblemAt("routes[0].upstream",
        problems(withRoutes(route("name", "core", "pathPrefix", "/", "upstream", upstream))));
    assertTrue(p.contains("must be an http:// or https:// URL with a host"), p);
  }

  @ParameterizedTest
  @ValueSource(strings = {"not a url", "http://core/a b", "http://[::1"})
  void unparsableUpstreamIsReported(String upstream) {
    String p = onlyProblemAt("routes[0].upstream",
        problems(withRoutes(route("name", "core", "pathPrefix", "/", "upstream", upstream))));
    assertTrue(p.contains("is not a URL"), p);
  }

  @Test
  void upstreamIsRequired() {
    onlyProblemAt("routes[0].upstream", problems(withRoutes(route("name", "core", "pathPrefix", "/"))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://core:8080/api", "https://core/v1/", "http://core/x"})
  void upstreamMustNotCarryAPath(String upstream) {
    String p = onlyProblemAt("routes[0].upstream",
        problems(withRoutes(route("name", "core", "pathPrefix", "/", "upstream", upstream))));
    assertTrue(p.contains("must not carry a path"), p);
  }

  @Test
  void upstreamMayEndWithASlash() {
    assertEquals(URI.create("http://core:8080/"),
        parse(withRoutes(route("name", "core", "pathPrefix", "/", "upstream", "http://core:8080/"))).routes().get(0)
            .upstream());
  }

  @ParameterizedTest
  @CsvSource({
      "http://core,        , HTTP1, 80",
      "https://core,       , H2,    443",
      "http://core:8080,   h2c, H2C, 8080",
      "https://core:8443,  http1, HTTP1, 8443",
      "http://core,        H2, H2,  80",
  })
  void upstreamProtocolDefaultsByScheme(String upstream, String protocol, UpstreamProtocol expected, int port) {
    Map<String, Object> r = route("name", "core", "pathPrefix", "/", "upstream", upstream);
    if (protocol != null) {
      r.put("protocol", protocol);
    }
    RouteConfig route = parse(withRoutes(r)).routes().get(0);
    assertEquals(expected, route.protocol());
    assertEquals(port, route.upstreamPort());
  }

  @Test
  void h2cWithAnHttpsUpstreamIsRejected() {
    String p = onlyProblemAt("routes[0].protocol", problems(withRoutes(
        route("name", "core", "pathPrefix", "/", "upstream", "https://core", "protocol", "h2c"))));
    assertTrue(p.contains("h2c needs an http:// upstream"), p);
  }

  @Test
  void unknownUpstreamProtocolListsTheChoices() {
    assertEquals(List.of("routes[0].protocol: must be one of [http1, h2c, h2], got 'spdy'"), problems(withRoutes(
        route("name", "core", "pathPrefix", "/", "upstream", "http://core", "protocol", "spdy"))));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 10_001})
  void maxConnectionsIsBounded(int value) {
    onlyProblemAt("routes[0].maxConnections", problems(withRoutes(
        route("name", "core", "pathPrefix", "/", "upstream", "http://core", "maxConnections", value))));
  }

  @Test
  void routeListIsImmutable() {
    GatewayConfig c = parse(minimalMap());
    assertThrows(UnsupportedOperationException.class, () -> c.routes().clear());
    assertThrows(UnsupportedOperationException.class, () -> c.edge().tls().protocols().clear());
  }

  // ---- Node directly ---------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({"true, true", "false, false", "TRUE, true", "False, false"})
  void booleansAcceptTrueAndFalseInAnyCase(String text, boolean expected) {
    List<String> problems = new ArrayList<>();
    Node n = Node.root(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of("flag", text)), problems);
    assertEquals(expected, n.bool("flag", !expected));
    assertEquals(List.of(), problems);
  }

  @Test
  void malformedBooleanKeepsTheDefaultAndIsReported() {
    List<String> problems = new ArrayList<>();
    Node n = Node.root(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(Map.of("flag", "yes")), problems);
    assertTrue(n.bool("flag", true));
    assertEquals(List.of("flag: must be true or false, got 'yes'"), problems);
  }
}
