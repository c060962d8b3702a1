package io.tenantgate.launcher;

import io.tenantgate.admin.AdminServices;
import io.tenantgate.admin.AdminVerticle;
import io.tenantgate.admin.EnrollmentVerticle;
import io.tenantgate.bridge.NatsBridge;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.identity.AssertionCache;
import io.tenantgate.identity.AssertionSigner;
import io.tenantgate.identity.EdgeHandler;
import io.tenantgate.identity.EdgeTlsOptions;
import io.tenantgate.identity.EdgeTrustManager;
import io.tenantgate.identity.IdentityResolver;
import io.tenantgate.identity.IdentityStamp;
import io.tenantgate.identity.TlsMaterial;
import io.tenantgate.ingress.EdgeSettings;
import io.tenantgate.ingress.EdgeVerticle;
import io.tenantgate.metrics.AccessLog;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.ops.OpsVerticle;
import io.tenantgate.quota.EffectiveLimits;
import io.tenantgate.quota.TenantQuotas;
import io.tenantgate.tenant.FileTenantRegistry;
import io.tenantgate.tenant.PostgresTenantRegistry;
import io.tenantgate.tenant.TenantRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds Vert.x, the shared services (metrics, registry, trust, resolver)
 * and deploys, in order, the registry, the edge verticles (one per event loop) and the ops
 * verticle. Any failure on the way stops everything already started and fails the returned future.
 */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final GatewayMetrics metrics;
  private final TenantRegistry registry;
  private final EdgeTrustManager trustManager;
  private final AssertionSigner assertions;
  private final boolean ownsVertx;
  private final List<EdgeVerticle> edgeVerticles = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private volatile java.time.Duration grace = java.time.Duration.ofSeconds(25);
  private volatile java.time.Duration shutdownBudget = java.time.Duration.ofSeconds(35);
  private final List<String> deployments = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile NatsBridge bridge;
  private TlsMaterial tls;
  private io.tenantgate.identity.SessionTickets tickets;
  private TlsReloader tlsReloader;
  private int edgePort;
  private int opsPort;
  private int adminPort = -1;
  private int enrollPort = -1;
  private AdminServices adminServices;
  private io.tenantgate.tenant.PackageActivations activations;
  private TenantQuotas quotas;
  private Runnable stopQuotas = () -> { };

  private Gateway(Vertx vertx, boolean ownsVertx, GatewayMetrics metrics, TenantRegistry registry,
      EdgeTrustManager trustManager, AssertionSigner assertions) {
    this.assertions = assertions;
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.metrics = metrics;
    this.registry = registry;
    this.trustManager = trustManager;
  }

  /** Vert.x as the gateway runs it: native transport when available, event loops = 2 x cores. */
  public static Vertx newVertx(long maxEventLoopExecuteMillis) {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true)
        .setMaxEventLoopExecuteTime(maxEventLoopExecuteMillis)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS);
    return Vertx.builder().with(options).build();
  }

  /** Starts a gateway on its own Vert.x instance. */
  public static Future<Gateway> start(GatewayConfig config) {
    return start(newVertx(2_000), true, config);
  }

  /** Starts a gateway on {@code vertx} (tests share one); closing the gateway leaves vertx running. */
  public static Future<Gateway> start(Vertx vertx, GatewayConfig config) {
    return start(vertx, false, config);
  }

  private static Future<Gateway> start(Vertx vertx, boolean ownsVertx, GatewayConfig config) {
    GatewayMetrics metrics = new GatewayMetrics(config.ops().tenantTagCap());
    TenantRegistry registry;
    try {
      registry = registry(vertx, config.registry(), config.admin().enabled() || config.onboarding().enabled());
    } catch (RuntimeException e) {
      return closeOnFailure(vertx, ownsVertx, e);
    }
    Gateway gw;
    try {
      EdgeTlsOptions.engine(config.edge().tls().engine());
      TlsMaterial tls = TlsMaterial.load(config.edge().tls(), java.time.Instant.now());
      AssertionSigner assertions = config.assertion().enabled() ? AssertionSigner.create(config.assertion()) : null;
      gw = new Gateway(vertx, ownsVertx, metrics, registry, new EdgeTrustManager(tls.trust(), registry, metrics,
          config.edge().tls().verifiedChainCacheSize()),
          assertions);
      gw.tls = tls;
      gw.tickets = io.tenantgate.identity.SessionTickets.create(config.edge().tls().sessionTickets(), tls.fingerprint());
    } catch (RuntimeException | java.io.IOException e) {
      return registry.close().transform(x -> closeOnFailure(vertx, ownsVertx, e));
    }
    return gw.deploy(config).map(v -> gw).recover(err -> gw.close().transform(x -> Future.failedFuture(err)));
  }

  /** One assertion per client certificate, shared by the edge instances; its hits and misses are counted. */
  private static AssertionCache<IdentityStamp> assertionCache(GatewayConfig config, AssertionSigner signer,
      GatewayMetrics metrics) {
    AssertionCache<IdentityStamp> cache = new AssertionCache<>(signer, config.assertion().cacheMaxEntries(),
        IdentityStamp::of);
    String what = "connections given a shared signed assertion (hit) or one signed for them (miss)";
    metrics.counterOf("tenantgate.assertions.cache", what, cache, AssertionCache::hits, "result", "hit");
    metrics.counterOf("tenantgate.assertions.cache", what, cache, AssertionCache::misses, "result", "miss");
    metrics.gaugeOf("tenantgate.assertions.cache.entries", "client certificates with a cached assertion", cache::size);
    return cache;
  }

  /** The configured store: the file registry, or Postgres (which reads its master key here). */
  private static TenantRegistry registry(Vertx vertx, RegistryConfig config, boolean needsMasterKey) {
    return switch (config.store()) {
      case FILE -> new FileTenantRegistry(vertx, config.file(), config.pollInterval());
      case POSTGRES -> PostgresTenantRegistry.create(vertx, config, System.getenv(), needsMasterKey);
    };
  }

  private static <T> Future<T> closeOnFailure(Vertx vertx, boolean ownsVertx, Throwable err) {
    return (ownsVertx ? vertx.close() : Future.<Void>succeededFuture()).transform(x -> Future.failedFuture(err));
  }

  private Future<Void> deploy(GatewayConfig config) {
    List<EdgeHandler.Mount> mounts = new ArrayList<>();
    AccessLog accessLog = new AccessLog(config.accessLog().enabled(), config.accessLog().sampleRate());
    quotas = new TenantQuotas(EffectiveLimits.defaults(config.tenantLimits(), config.nats().publish()),
        registry::snapshot);
    try {
      bridge = config.nats().enabled() ? new NatsBridge(vertx, config.nats(), registry, metrics, accessLog, quotas)
          : null;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (bridge != null) {
      mounts.add(bridge.mount());
    }
    IdentityResolver resolver = new IdentityResolver(config.identity(), config.edge().tenantPin(),
        config.edge().tls().presentedChainCacheSize());
    Promise<Integer> edgeBound = Promise.promise();
    Promise<Integer> opsBound = Promise.promise();
    AtomicBoolean edgeUp = new AtomicBoolean();
    if (registry instanceof PostgresTenantRegistry pg) {
      activations = new io.tenantgate.tenant.PackageActivations(vertx, pg.database().pool(), 1_000, 100_000);
    }
    var activated = activations;
    AssertionCache<IdentityStamp> assertionCache = assertions == null ? null : assertionCache(config, assertions, metrics);
    EdgeSettings settings = new EdgeSettings(config, tls, registry, trustManager, resolver, assertionCache, metrics, accessLog,
        mounts, edgeBound, activated == null ? serial -> { } : activated::seen, quotas, tickets);
    int instances = config.edge().effectiveInstances();
    int edgeListenPort = EdgeVerticle.listenPort(config.edge().port());
    grace = config.shutdown().grace();
    shutdownBudget = shutdownBudget(config);
    return registry.start()
        .map(v -> {
          quotas.onLimits(limitGauges(metrics, config.ops().tenantTagCap()));
          stopQuotas = quotas.follow(registry);
          return v;
        })
        .compose(v -> bridge == null ? Future.<Void>succeededFuture() : bridge.start())
        .map(v -> {
          if (activations != null) {
            activations.start();
          }
          return v;
        })
        .compose(v -> {
          metrics.gaugeOf("tenantgate.registry.snapshot.age.seconds", "Age of the tenant registry snapshot in force",
              () -> registry.health().snapshotAgeMillis() / 1000.0);
          metrics.gaugeOf("tenantgate.registry.tenants", "Tenants in the registry snapshot",
              () -> registry.snapshot().tenants().size());
          metrics.gaugeOf("tenantgate.registry.revoked.serials", "Revoked serials in the registry snapshot",
              () -> registry.snapshot().revokedCount());
          return Future.succeededFuture();
        })
        .compose(v -> vertx.deployVerticle(() -> {
          EdgeVerticle edge = new EdgeVerticle(settings, edgeListenPort);
          edgeVerticles.add(edge);
          return edge;
        }, new DeploymentOptions().setInstances(instances)))
        .compose(id -> {
          deployments.add(id);
          edgeUp.set(true);
          return edgeBound.future();
        })
        .compose(port -> {
          edgePort = port;
          tlsReloader = new TlsReloader(vertx, config.edge().tls(), tls, trustManager, edgeVerticles, metrics)
              .withAssertionKey(assertions).withSessionTickets(tickets);
          tlsReloader.start();
          return vertx.deployVerticle(new OpsVerticle(config, metrics, assertions,
              () -> edgeUp.get() && !draining.get(), HealthChecks.of(config, registry, bridge,
              () -> tlsReloader.current().serverCertificate()), tlsReloader::reloadNow,
              opsBound));
        })
        .compose(id -> {
          deployments.add(id);
          return opsBound.future();
        })
        .compose(port -> {
          opsPort = port;
          return deployAdmin(config);
        })
        .map(x -> {
          LOG.info("op=start edge_port={} ops_port={} admin_port={} enroll_port={} edge_instances={} tls_engine={}"
              + " native_transport={} routes={}", edgePort, opsPort, adminPort, enrollPort, instances,
              EdgeTlsOptions.engine(config.edge().tls().engine()).getClass().getSimpleName().replace("EngineOptions", ""),
              vertx.isNativeTransportEnabled(), config.routes().size());
          return null;
        });
  }

  /**
   * The admin API and the enrollment listener, when enabled (config validation guarantees the Postgres
   * store). The PEM files are read here, once, at start-up.
   */
  private Future<Void> deployAdmin(GatewayConfig config) {
    if (!config.admin().enabled() && !config.onboarding().enabled()) {
      return Future.succeededFuture();
    }
    PostgresTenantRegistry pg = (PostgresTenantRegistry) registry;
    // file reads, key parsing and key derivation: off the event loop
    return vertx.executeBlocking(() -> {
      AdminServices services = AdminWiring.services(vertx, config, pg.database().pool(), pg.masterKey(),
          AdminWiring.root(config), this::describeConnections, quotas.defaults());
      String[] adminPems = AdminWiring.serverPems(config.admin().certFile(), config.admin().keyFile(), tls);
      String[] enrollPems = AdminWiring.serverPems(config.onboarding().certFile(), config.onboarding().keyFile(), tls);
      String adminCa = null;
      if (config.admin().enabled()) {
        adminCa = java.nio.file.Files.readString(config.admin().clientCaFile());
        AdminWiring.requireSeparateAdminCa(adminCa, config.edge().tls().clientCaFile());
      }
      return new AdminSetup(services, adminPems, enrollPems, adminCa);
    }, false).recover(e -> Future.failedFuture(new IllegalStateException("admin/onboarding set-up: " + e.getMessage(), e)))
        .compose(setup -> {
          adminServices = setup.services();
          return deployAdminVerticles(config, setup.adminPems(), setup.enrollPems(), setup.adminCa());
        });
  }

  /** What the admin and enrollment listeners need, read at start-up. */
  private record AdminSetup(AdminServices services, String[] adminPems, String[] enrollPems, String adminCa) {
  }

  private Future<Void> deployAdminVerticles(GatewayConfig config, String[] adminPems, String[] enrollPems,
      String adminCa) {
    Future<Void> admin = Future.succeededFuture();
    if (config.admin().enabled()) {
      Promise<Integer> bound = Promise.promise();
      AdminVerticle adminVerticle = new AdminVerticle(config.admin(), adminPems[0], adminPems[1], adminCa,
          adminServices, metrics, bound);
      if (config.admin().certFile() == null) {
        tlsReloader.follow(next -> adminVerticle.updateCertificate(next.certPem(), next.keyPem()));
      }
      admin = vertx.deployVerticle(adminVerticle)
          .compose(id -> {
            deployments.add(id);
            return bound.future();
          })
          .map(p -> {
            adminPort = p;
            return null;
          });
    }
    return admin.compose(v -> {
      if (!config.onboarding().enabled()) {
        return Future.succeededFuture();
      }
      Promise<Integer> bound = Promise.promise();
      EnrollmentVerticle enrollment = new EnrollmentVerticle(config.onboarding(), enrollPems[0], enrollPems[1],
          adminServices.packages(), metrics, new java.util.concurrent.atomic.AtomicInteger(), bound);
      if (config.onboarding().certFile() == null) {
        tlsReloader.follow(next -> enrollment.updateCertificate(next.certPem(), next.keyPem()));
      }
      return vertx.deployVerticle(enrollment)
          .compose(id -> {
            deployments.add(id);
            return bound.future();
          })
          .map(p -> {
            enrollPort = p;
            return null;
          });
    });
  }

  /** Every edge instance's open connections, for the admin API. */
  private Future<List<io.vertx.core.json.JsonObject>> describeConnections() {
    return Future.all(edgeVerticles.stream().map(EdgeVerticle::describeConnections).toList())
        .map(all -> {
          List<io.vertx.core.json.JsonObject> out = new ArrayList<>();
          for (int i = 0; i < all.size(); i++) {
            out.addAll(all.<List<io.vertx.core.json.JsonObject>>resultAt(i));
          }
          return out;
        });
  }

  /** Package activation tracking (Postgres store), or null. */
  public io.tenantgate.tenant.PackageActivations activations() {
    return activations;
  }

  /** The admin API's port, or -1 when it is disabled. */
  public int adminPort() {
    return adminPort;
  }

  /** The enrollment listener's port, or -1 when it is disabled. */
  public int enrollPort() {
    return enrollPort;
  }

  /** The stores behind the admin API, or null when neither it nor enrollment is enabled. */
  public AdminServices adminServices() {
    return adminServices;
  }

  public int edgePort() {
    return edgePort;
  }

  public int opsPort() {
    return opsPort;
  }

  public Vertx vertx() {
    return vertx;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public TenantRegistry registry() {
    return registry;
  }

  /** The assertion signer, or null when assertions are disabled. */
  public AssertionSigner assertions() {
    return assertions;
  }

  /** Re-reads the edge TLS material from disk now (what the file watch does on a change). */
  public Future<io.vertx.core.json.JsonObject> reloadTls() {
    return tlsReloader.reloadNow();
  }

  public EdgeTrustManager trustManager() {
    return trustManager;
  }

  /** The quota limits as per-tenant gauges: defaults + tenants with overrides, capped like the tenant tag. */
  private static java.util.function.BiConsumer<EffectiveLimits, java.util.SortedMap<String, EffectiveLimits>>
      limitGauges(GatewayMetrics metrics, int cap) {
    io.tenantgate.metrics.TenantLimitGauges gauges = new io.tenantgate.metrics.TenantLimitGauges(
        metrics.meterRegistry(), cap);
    return (defaults, overridden) -> {
      java.util.SortedMap<String, java.util.Map<String, Long>> tenants = new java.util.TreeMap<>();
      overridden.forEach((slug, l) -> tenants.put(slug, byName(l)));
      gauges.publish(byName(defaults), tenants);
    };
  }

  private static java.util.Map<String, Long> byName(EffectiveLimits l) {
    java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
    l.toJson().forEach(e -> m.put(e.getKey(), ((Number) e.getValue()).longValue()));
    return m;
  }

  /** Every tenant's quota state in this gateway. */
  public TenantQuotas quotas() {
    return quotas;
  }

  /** The NATS bridge, or null when {@code nats.enabled} is false. */
  public NatsBridge bridge() {
    return bridge;
  }

  /**
   * Graceful shutdown: readiness turns false, the edge listeners stop accepting and give in-flight
   * requests the configured grace to finish, then everything is closed.
   */
  public Future<Void> shutdown() {
    if (!draining.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    LOG.info("op=shutdown phase=draining grace_ms={} edge_instances={}", grace.toMillis(), edgeVerticles.size());
    long start = System.nanoTime();
    return Future.join(edgeVerticles.stream().map(e -> e.drain(grace)).toList())
        .transform(ar -> {
          LOG.info("op=shutdown phase=drained took_ms={}", (System.nanoTime() - start) / 1_000_000);
          return close();
        });
  }

  /** What closing Vert.x may take after the gateway closed (Running waits this long for it). */
  public static final java.time.Duration CLOSE_BUDGET = java.time.Duration.ofSeconds(10);

  /**
   * The longest {@link #shutdown()} may take under {@code config}: the edge grace, then the NATS bridge's
   * drain (publishes, then subscriptions: twice {@code nats.drainTimeout}, plus 1 s), plus 10 s to undeploy
   * and close the registry. The process waits this long (then {@link #CLOSE_BUDGET}) before giving up with
   * exit 1; Kubernetes' terminationGracePeriodSeconds must cover it plus the preStop pause.
   */
  public static java.time.Duration shutdownBudget(GatewayConfig config) {
    java.time.Duration nats = config.nats().enabled()
        ? config.nats().drainTimeout().multipliedBy(2).plusSeconds(1) : java.time.Duration.ZERO;
    return config.shutdown().grace().plus(nats).plusSeconds(10);
  }

  /** {@link #shutdownBudget} of this gateway's configuration. */
  public java.time.Duration shutdownBudget() {
    return shutdownBudget;
  }

  /** How long a graceful shutdown waits for in-flight requests. */
  public java.time.Duration grace() {
    return grace;
  }

  public boolean draining() {
    return draining.get();
  }

  /**
   * Drains the NATS bridge (in-flight JetStream publishes get their outcome), then undeploys everything
   * this gateway deployed (and closes Vert.x when it owns it).
   */
  public Future<Void> close() {
    stopQuotas.run();
    if (tlsReloader != null) {
      tlsReloader.stop();
    }
    if (activations != null) {
      activations.stop();
    }
    Future<Void> drained = bridge == null ? Future.succeededFuture()
        : bridge.close().recover(e -> Future.succeededFuture());
    Future<Void> undeploy = drained.compose(d -> Future.join(deployments.stream()
        .map(id -> vertx.undeploy(id).recover(e -> Future.succeededFuture())).toList()).mapEmpty());
    return undeploy.compose(v -> registry.close())
        .compose(v -> ownsVertx ? vertx.close() : Future.succeededFuture());
  }
}
