package io.tenantgate.launcher;

import io.tenantgate.config.ConfigException;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.IdentityConfig;
import io.tenantgate.dev.DevEnvironment;
import io.tenantgate.dev.EchoCoreVerticle;
import io.vertx.core.Promise;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tenantgate dev}: a complete local setup in one command. Creates (if missing) a dev PKI and
 * file registry with tenants acme and globex, starts a built-in echo core, then the gateway in
 * front of it, and prints curl commands to try it.
 */
@Command(name = "dev", mixinStandardHelpOptions = true,
    description = "Run a local gateway with a generated PKI, tenants acme and globex, and a built-in echo core.")
final class DevCommand implements Callable<Integer> {
  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
      description = "Data directory for the PKI and registry (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the listeners bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--edge-port", defaultValue = "50052", description = "Edge mTLS port (default: ${DEFAULT-VALUE}).")
  int edgePort;

  @Option(names = "--ops-port", defaultValue = "9090", description = "Ops port: health and metrics (default: ${DEFAULT-VALUE}).")
  int opsPort;

  @Option(names = "--upstream", paramLabel = "URL",
      description = "Send traffic to this core (http:// or https://) instead of the built-in echo core.")
  URI upstream;

  @Option(names = "--nats-url", paramLabel = "URL", defaultValue = "nats://127.0.0.1:4222",
      description = "NATS (with JetStream) for the bridge; the gateway starts without it (default: ${DEFAULT-VALUE}).")
  String natsUrl = "nats://127.0.0.1:4222";

  @Option(names = "--store", defaultValue = "file", paramLabel = "file|postgres",
      description = "Registry store: file (registry.json in the data directory) or postgres (default: ${DEFAULT-VALUE}).")
  String store = "file";

  @Option(names = "--db-url", paramLabel = "URL", defaultValue = io.tenantgate.config.PostgresConfig.DEFAULT_URL,
      description = "Postgres for --store postgres (default: ${DEFAULT-VALUE}).")
  String dbUrl = io.tenantgate.config.PostgresConfig.DEFAULT_URL;

  @Option(names = "--db-schema", defaultValue = "tenantgate_dev",
      description = "Schema for --store postgres (default: ${DEFAULT-VALUE}).")
  String dbSchema = "tenantgate_dev";

  @Option(names = "--admin-port", defaultValue = "50060", description = "Admin API port with --store postgres (default: ${DEFAULT-VALUE}).")
  int adminPort = 50060;

  @Option(names = "--enroll-port", defaultValue = "50061",
      description = "Enrollment (package download) port with --store postgres (default: ${DEFAULT-VALUE}).")
  int enrollPort = 50061;

  @Option(names = "--echo-port", defaultValue = "0",
      description = "Port of the built-in echo core (default: any free port).")
  int echoPort;

  @Override
  public Integer call() throws Exception {
    DevEnvironment env = new DevEnvironment(data, IdentityConfig.defaults().trustDomain());
    boolean postgres;
    switch (store) {
      case "file" -> postgres = false;
      case "postgres" -> postgres = true;
      default -> {
        System.err.println("--store must be file or postgres, got '" + store + "'");
        return 2;
      }
    }
    boolean created;
    try {
      created = postgres ? DevPostgres.ensure(env, this) : env.ensure();
    } catch (RuntimeException e) {
      System.err.println("tenantgate dev: " + e.getMessage());
      return 1;
    }
    System.out.println((created ? "created" : "using") + " dev data in " + env.dir()
        + (postgres ? " (registry in postgres " + dbUrl + ", schema " + dbSchema + ")" : ""));
    var vertx = Gateway.newVertx(2_000);
    String core;
    if (upstream != null) {
      core = upstream.toString();
    } else {
      Promise<Integer> echoBound = Promise.promise();
      vertx.deployVerticle(new EchoCoreVerticle("127.0.0.1", echoPort, echoBound)).await();
      core = "http://127.0.0.1:" + echoBound.future().await();
    }
    GatewayConfig config;
    try {
      config = GatewayConfig.fromMap(configMap(env, core), env.dir());
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      vertx.close();
      return 2;
    }
    Gateway gw;
    try {
      gw = Gateway.start(vertx, config).await();
    } catch (Exception e) {
      // await() rethrows checked causes as they are (a missing certificate file is an IOException)
      System.err.println("tenantgate failed to start: " + e);
      vertx.close().await();
      return 1;
    }
    printWalkthrough(env, gw, core);
    return Running.untilSignal(gw, vertx::close);
  }

  Map<String, Object> configMap(DevEnvironment env, String core) {
    Map<String, Object> tls = new LinkedHashMap<>();
    tls.put("certFile", env.pki().resolve("server.pem").toString());
    tls.put("keyFile", env.pki().resolve("server-key.pem").toString());
    tls.put("clientCaFile", env.pki().resolve("root.pem").toString());
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("edge", Map.of("host", host, "port", edgePort, "tls", tls));
    cfg.put("ops", Map.of("host", host, "port", opsPort));
    if ("postgres".equals(store)) {
      DevPostgres.configure(cfg, env, this);
    } else {
      cfg.put("registry", Map.of("file", env.registryFile().toString()));
    }
    cfg.put("nats", Map.of("url", natsUrl));
    cfg.put("routes", List.of(
        Map.of("name", "core-grpc", "grpcService", "*", "upstream", core),
        Map.of("name", "core", "pathPrefix", "/", "upstream", core)));
    return cfg;
  }

  private void printWalkthrough(DevEnvironment env, Gateway gw, String core) {
    Path acme = env.tenantDir("acme");
    Path globex = env.tenantDir("globex");
    String base = "https://localhost:" + gw.edgePort();
    String ca = env.pki().resolve("root.pem").toString();
    System.out.printf("""

        tenantgate dev is running
          edge (mTLS)  %s
          ops          http://%s:%d/health/ready   http://%s:%d/metrics
          core         %s%s
          registry     %s

        Try it:
          # acme's agent: core sees x-tenant-slug: acme, the tenant id, component and cert hash
          curl --cacert %s --cert %s --key %s %s/api/hello

          # a spoofed identity header is stripped: core still sees acme
          curl --cacert %s --cert %s --key %s -H 'X-Tenant-Slug: globex' %s/api/hello

          # globex's collector over HTTP/2
          curl --http2 --cacert %s --cert %s --key %s %s/api/status

          # no client certificate: refused in the TLS handshake
          curl --cacert %s %s/api/hello

          # NATS bridge (%s): acme's collector publishes logs.syslog, stored in acme's stream as acme.logs.syslog
          curl --cacert %s --cert %s --key %s --data 'hello' '%s/v1/nats/publish/logs.syslog?ack=jetstream'

        %s
        Stop with Ctrl-C.
        """,
        base, host, gw.opsPort(), host, gw.opsPort(), core, upstream == null ? " (built-in echo)" : "",
        "postgres".equals(store) ? "postgres " + dbUrl + " schema " + dbSchema
            + " (admin API https://localhost:" + gw.adminPort() + ", enrollment https://localhost:" + gw.enrollPort() + ")"
            : env.registryFile() + " (the CLI below edits it; revocations and suspensions apply within a second)",
        ca, acme.resolve("agent-001-chain.pem"), acme.resolve("agent-001-key.pem"), base,
        ca, acme.resolve("agent-001-chain.pem"), acme.resolve("agent-001-key.pem"), base,
        ca, globex.resolve("collector-001-chain.pem"), globex.resolve("collector-001-key.pem"), base,
        ca, base,
        gw.bridge() == null ? "disabled" : gw.bridge().health().detail(),
        ca, acme.resolve("collector-001-chain.pem"), acme.resolve("collector-001-key.pem"), base,
        "postgres".equals(store) ? DevPostgres.walkthrough(env, gw, this) : """
          # operator CLI on this data directory (the running gateway picks changes up within a second)
          ./tenantgate tenant create --data %1$s --slug initech
          ./tenantgate cert issue --data %1$s --tenant initech --component agent-009 --out /tmp/initech
          ./tenantgate tenant suspend --data %1$s --slug initech
        """.formatted(env.dir()));
  }
}
