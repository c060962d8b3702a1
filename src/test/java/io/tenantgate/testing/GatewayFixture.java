package io.tenantgate.testing;

import io.tenantgate.config.GatewayConfig;
import io.tenantgate.launcher.Gateway;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryFile;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A whole gateway for integration tests: real listeners on port 0, the {@link TestPki}, a file
 * registry in a temp directory, and routes to a {@link RecordingCore} (plain HTTP on {@code /}, every
 * gRPC service to {@code grpcUpstream} when given). Clients present certificates and verify the server.
 */
public final class GatewayFixture implements AutoCloseable {
  public final Vertx vertx;
  public final TestPki pki;
  public final RecordingCore core;
  public final Path registryFile;
  public final Gateway gateway;
  private final List<HttpClient> clients = new ArrayList<>();

  private GatewayFixture(Vertx vertx, TestPki pki, RecordingCore core, Path registryFile, Gateway gateway) {
    this.vertx = vertx;
    this.pki = pki;
    this.core = core;
    this.registryFile = registryFile;
    this.gateway = gateway;
  }

  /** Vert.x as tests run it: a low max event-loop execute time, so blocking shows up in the log. */
  public static Vertx testVertx() {
    return Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS).setPreferNativeTransport(true));
  }

  public static GatewayFixture start(Vertx vertx) {
    return start(vertx, cfg -> { });
  }

  /**
   * Starts core and the gateway. {@code tweak} edits the configuration map before it is parsed
   * (keys as in conf/tenantgate.yaml).
   */
  @SuppressWarnings("unchecked")
  public static GatewayFixture start(Vertx vertx, Consumer<Map<String, Object>> tweak) {
    TestPki pki = TestPki.get();
    RecordingCore core = RecordingCore.start(vertx);
    try {
      Path dir = Files.createTempDirectory("tenantgate-it");
      Path registry = dir.resolve("registry.json");
      Pem.write(registry, pki.registry().encode(), false);
      Map<String, Object> cfg = new LinkedHashMap<>();
      Map<String, Object> edge = new LinkedHashMap<>();
      edge.put("host", "127.0.0.1");
      edge.put("port", 0);
      edge.put("instances", 2);
      edge.put("tls", new LinkedHashMap<>(Map.of("certFile", pki.serverPem().toString(),
          "keyFile", pki.serverKeyPem().toString(), "clientCaFile", pki.rootPem().toString())));
      edge.put("limits", new LinkedHashMap<String, Object>());
      cfg.put("edge", edge);
      cfg.put("ops", new LinkedHashMap<>(Map.of("host", "127.0.0.1", "port", 0)));
      cfg.put("registry", new LinkedHashMap<>(Map.of("file", registry.toString(), "pollInterval", "100ms")));
      List<Map<String, Object>> routes = new ArrayList<>();
      routes.add(new LinkedHashMap<>(Map.of("name", "core", "pathPrefix", "/", "upstream", core.url())));
      cfg.put("routes", routes);
      // the NATS bridge is off unless a test turns it on: it would provision streams on the shared server
      cfg.put("nats", new LinkedHashMap<>(Map.of("enabled", false)));
      tweak.accept(cfg);
      GatewayConfig config = GatewayConfig.fromMap(cfg, dir);
      Gateway gw = Await.result(Gateway.start(vertx, config));
      return new GatewayFixture(vertx, pki, core, registry, gw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      core.stop();
      throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
  }

  /** Adds a route; use inside a {@code tweak}. */
  @SuppressWarnings("unchecked")
  public static void addRoute(Map<String, Object> cfg, Map<String, Object> route) {
    ((List<Map<String, Object>>) cfg.get("routes")).add(0, new LinkedHashMap<>(route));
  }

  /** Sets an edge limit; use inside a {@code tweak}. */
  @SuppressWarnings("unchecked")
  public static void limit(Map<String, Object> cfg, String key, Object value) {
    ((Map<String, Object>) ((Map<String, Object>) cfg.get("edge")).get("limits")).put(key, value);
  }

  public int edgePort() {
    return gateway.edgePort();
  }

  /** Rewrites the registry file; the gateway picks it up on its next poll. */
  public void writeRegistry(RegistryFile registry) {
    try {
      Pem.write(registryFile, registry.encode(), false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An HTTP/1.1 client presenting {@code cert} (its chain file: leaf + tenant CA). */
  public HttpClient h1(TestPki.ClientCert cert) {
    return client(cert, HttpVersion.HTTP_1_1, true);
  }

  /** An HTTP/2 (ALPN) client presenting {@code cert}. */
  public HttpClient h2(TestPki.ClientCert cert) {
    return client(cert, HttpVersion.HTTP_2, true);
  }

  /** A client that presents only the leaf, without the tenant CA (as curl does with a leaf-only file). */
  public HttpClient h1LeafOnly(TestPki.ClientCert cert) {
    return forced(cert, false);
  }

  /**
   * An HTTP/1.1 client that always presents {@code cert}'s chain, even when it does not chain to the
   * CA names the server advertises (curl-like; the JDK client would send nothing).
   */
  public HttpClient forced(TestPki.ClientCert cert, boolean sendChain) {
    var chain = new ArrayList<java.security.cert.X509Certificate>();
    chain.add(cert.certAndKey().certificate());
    if (sendChain) {
      try {
        chain.addAll(Pem.readCertificates(cert.chainPem()).subList(1, 2));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    HttpClientOptions o = baseOptions(HttpVersion.HTTP_1_1).setKeyCertOptions(io.vertx.core.net.KeyCertOptions.wrap(
        new AlwaysSendKeyManager(chain, cert.certAndKey().privateKey())));
    HttpClient c = vertx.createHttpClient(o);
    clients.add(c);
    return c;
  }

  /** A client with no certificate at all. */
  public HttpClient anonymous() {
    HttpClient c = vertx.createHttpClient(baseOptions(HttpVersion.HTTP_1_1));
    clients.add(c);
    return c;
  }

  public HttpClientOptions baseOptions(HttpVersion version) {
    return new HttpClientOptions().setSsl(true).setDefaultHost("localhost").setDefaultPort(edgePort())
        .setTrustOptions(new PemTrustOptions().addCertPath(pki.rootPem().toString())).setVerifyHost(true)
        .setUseAlpn(version == HttpVersion.HTTP_2).setProtocolVersion(version)
        .setConnectTimeout(5_000);
  }

  private HttpClient client(TestPki.ClientCert cert, HttpVersion version, boolean sendChain) {
    HttpClientOptions o = baseOptions(version).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath((sendChain ? cert.chainPem() : cert.certPem()).toString()).setKeyPath(cert.keyPem().toString()));
    HttpClient c = vertx.createHttpClient(o);
    clients.add(c);
    return c;
  }

  /**
   * An HTTP/2 connection presenting {@code cert} that made one successful request; the promise completes
   * with the {@code System.nanoTime()} at which the gateway closed it.
   */
  public io.vertx.core.Promise<Long> openH2(TestPki.ClientCert cert) {
    HttpClient h2 = h2(cert);
    io.vertx.core.http.HttpConnection conn = Await.result(h2.request(new io.vertx.core.http.RequestOptions()
            .setURI("/before"))
        .compose(req -> req.send().compose(resp -> {
          if (resp.statusCode() != 200) {
            throw new IllegalStateException("the connection's first request got " + resp.statusCode());
          }
          return resp.body();
        }).map(b -> req.connection())));
    io.vertx.core.Promise<Long> closed = io.vertx.core.Promise.promise();
    conn.closeHandler(v -> closed.tryComplete(System.nanoTime()));
    return closed;
  }

  public double refusals(String reason) {
    return gateway.metrics().registry().find("tenantgate.refusals").tag("reason", reason).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  @Override
  public void close() {
    for (HttpClient c : clients) {
      Await.result(c.close());
    }
    Await.result(gateway.close());
    core.stop();
  }
}
