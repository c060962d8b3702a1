package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.tenantgate.config.NatsConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.identity.EdgeHandler;
import io.tenantgate.metrics.AccessLog;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.quota.TenantQuotas;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NATS bridge (DESIGN.md section 3), served on the edge listener under {@value #MOUNT}:
 * {@code publish/<subject>}, {@code request/<subject>} (HTTP) and {@code ws} (WebSocket). Built by
 * the launcher and handed to the edge listener as an {@link EdgeHandler.Mount}; it never imports the
 * listener. Starting never waits for NATS: the connection comes up in the background, and until it
 * does publishes get 503 {@code nats_unavailable} while the rest of the gateway serves as usual.
 * Each active tenant's stream is provisioned when the connection comes (back) up and when a
 * tenant becomes active. Every call is recorded like the edge's own requests ({@link BridgeCalls}), and
 * the WebSockets open at once are capped over the whole gateway (each holds a jnats dispatcher thread).
 */
public final class NatsBridge {
  private static final Logger LOG = LoggerFactory.getLogger(NatsBridge.class);
  public static final String MOUNT = "/v1/nats/";
  private static final String PUBLISH = MOUNT + "publish/";
  private static final String REQUEST = MOUNT + "request/";
  private static final String WS = MOUNT + "ws";
  private static final long REPROVISION_INTERVAL_MS = 1_000;

  private final Vertx vertx;
  private final NatsConfig config;
  private final TenantRegistry registry;
  private final GatewayMetrics metrics;
  private final NatsLink link;
  private final SubjectMapper mapper;
  private final SubjectPolicy policy;
  private final StreamProvisioner provisioner;
  private final Publisher publisher;
  private final HttpBridge http;
  private final BridgeCalls calls;
  private final WebSocketSession.Shared sessions;
  private final AtomicInteger sockets = new AtomicInteger();
  private final AtomicLong bufferedHighWater = new AtomicLong();
  /** Tenants whose stream is queued for re-provisioning, and when each was last tried (nanoTime). */
  private final java.util.Set<String> reprovisionQueued = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.Map<String, Long> reprovisionedAt = new java.util.concurrent.ConcurrentHashMap<>();
  private Context context;
  private Runnable unsubscribe = () -> { };
  private Future<Void> closed;

  /** Readiness view: the connection state and a human-readable detail. */
  public record Health(boolean up, String state, String detail) {
  }

  /**
   * @throws io.tenantgate.config.ConfigException when an allow-list or stream pattern is malformed, reaches
   *     the gateway's {@code edge.…} namespace, or a stream subject overlaps a request pattern
   */
  /**
   * Slugs no tenant may take under this configuration: the first tokens of the subjects tenants speak
   * ({@code logs}, {@code edge}, ...), which the bridge can never read as a tenant prefix. Tenant
   * creation refuses them ({@code slug_reserved}).
   */
  public static java.util.Set<String> reservedSlugs(NatsConfig config) {
    java.util.Set<String> out = new java.util.TreeSet<>(
        new SubjectPolicy(config.allow(), config.jetstream().subjects()).roots());
    out.add(SubjectMapper.EDGE);
    return java.util.Collections.unmodifiableSet(out);
  }

  /**
   * @param quotas every tenant's quota state (publishes and bytes per second, WebSocket subscriptions),
   *     shared with the edge listener
   */
  public NatsBridge(Vertx vertx, NatsConfig config, TenantRegistry registry, GatewayMetrics metrics,
      AccessLog accessLog, TenantQuotas quotas) {
    this.vertx = vertx;
    this.config = config;
    this.registry = registry;
    this.metrics = metrics;
    this.link = new NatsLink(config, metrics);
    this.policy = new SubjectPolicy(config.allow(), config.jetstream().subjects());
    this.mapper = new SubjectMapper(config.jetstream().namePrefix(), config.jetstream().subjects(), policy.roots(),
        slug -> registry.snapshot().tenantBySlug(slug) != null);
    this.provisioner = new StreamProvisioner(mapper, config.jetstream());
    this.publisher = new Publisher(link, mapper, policy, config.publish(), quotas, metrics, this::provisionLater);
    this.calls = new BridgeCalls(metrics, accessLog);
    this.http = new HttpBridge(publisher, calls);
    this.sessions = new WebSocketSession.Shared(publisher, mapper, policy, config.websocket(), metrics,
        this::observeBuffered, link, config.maxWebSocketMessageSize());
  }

  /** What the launcher hands to the edge listener. */
  public EdgeHandler.Mount mount() {
    return new EdgeHandler.Mount(MOUNT, this::handle);
  }

  /** Begins connecting (in the background) and following the registry. Completes at once. */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    metrics.natsConnected(false);
    link.start(this::onConnected);
    unsubscribe = registry.onChange(this::onRegistryChange);
    LOG.info("op=nats.start url={} provision={}", config.url(), config.jetstream().provision());
    return Future.succeededFuture();
  }

  public Health health() {
    NatsLink.State s = link.state();
    return new Health(s == NatsLink.State.CONNECTED, s.name().toLowerCase(java.util.Locale.ROOT), link.detail());
  }

  /**
   * Graceful stop: new publishes are refused, JetStream publishes in flight get their outcome (ack or
   * error) to the client, then the connection drains and closes.
   */
  public synchronized Future<Void> close() {
    if (closed == null) {
      unsubscribe.run();
      Context ctx = context != null ? context : vertx.getOrCreateContext();
      closed = publisher.quiesce(vertx, config.drainTimeout()).compose(v -> link.close(ctx));
    }
    return closed;
  }

  /** The connection (tests). */
  NatsLink link() {
    return link;
  }

  /** Highest number of bytes seen waiting for any one WebSocket (tests: memory stays bounded). */
  long bufferedHighWater() {
    return bufferedHighWater.get();
  }

  /** Bridge WebSockets open (or being upgraded) right now. */
  int openSockets() {
    return sockets.get();
  }

  /** JetStream publishes waiting for their acknowledgement. */
  int inFlightPublishes() {
    return publisher.inFlight();
  }

  private void handle(HttpServerRequest req, ClientIdentity id, String requestId) {
    String path = req.path();
    if (path.startsWith(PUBLISH)) {
      http.publish(req, id, requestId, path.substring(PUBLISH.length()));
    } else if (path.startsWith(REQUEST)) {
      http.request(req, id, requestId, path.substring(REQUEST.length()));
    } else if (path.equals(WS)) {
      webSocket(req, id, requestId);
    } else {
      HttpBridge.fail(req, requestId, new BridgeException(Failure.NO_ROUTE));
    }
  }

  private void webSocket(HttpServerRequest req, ClientIdentity id, String requestId) {
    BridgeCalls.Call call = calls.start(req, id, requestId, BridgeCalls.WEBSOCKET);
    Connection conn;
    try {
      publisher.requireUsableSlug(id);
      conn = admitSocket(id);
    } catch (BridgeException e) {
      refuse(req, requestId, call, e);
      return;
    }
    Context ctx = Vertx.currentContext();
    req.toWebSocket()
        .onSuccess(ws -> {
          call.upgraded();
          WebSocketSession session;
          try {
            session = new WebSocketSession(sessions, ctx, ws, id, conn, call, sockets::decrementAndGet);
          } catch (IllegalStateException e) {
            // the connection closed between the check and the upgrade: no dispatcher to be had
            sockets.decrementAndGet();
            metrics.natsError(id.tenantSlug(), "nats_unavailable");
            ws.close(WebSocketSession.TRY_AGAIN_LATER, "NATS is unavailable; retry");
            call.finish(101, "nats_unavailable");
            return;
          }
          session.start();
        })
        .onFailure(err -> {
          sockets.decrementAndGet();
          refuse(req, requestId, call, new BridgeException(Failure.BAD_REQUEST, "not_websocket",
              "expected a WebSocket upgrade"));
        });
  }

  /** The live connection and a socket slot, or a counted refusal (503). */
  private Connection admitSocket(ClientIdentity id) {
    Connection conn = link.connected();
    if (conn == null) {
      metrics.natsError(id.tenantSlug(), "nats_unavailable");
      throw new BridgeException(Failure.NATS_UNAVAILABLE);
    }
    if (sockets.incrementAndGet() > config.websocket().maxSockets()) {
      sockets.decrementAndGet();
      metrics.natsError(id.tenantSlug(), Failure.TOO_MANY_WEBSOCKETS.code());
      throw new BridgeException(Failure.TOO_MANY_WEBSOCKETS);
    }
    return conn;
  }

  private static void refuse(HttpServerRequest req, String requestId, BridgeCalls.Call call, BridgeException e) {
    HttpBridge.fail(req, requestId, e);
    HttpBridge.finished(req, call, e.failure().httpStatus(), e.failure().code());
  }

  private void observeBuffered(long bytes) {
    bufferedHighWater.accumulateAndGet(bytes, Math::max);
  }

  /** On the NATS thread, after every (re)connect: the server may have restarted, so check every stream. */
  private void onConnected() {
    provisioner.forgetAll();
    provisionActive(registry.snapshot());
  }

  private void onRegistryChange(RegistrySnapshot snapshot) {
    if (config.jetstream().provision() && link.connected() != null) {
      link.blocking(context, () -> {
        provisionActive(snapshot);
        return null;
      });
    }
  }

  private void provisionActive(RegistrySnapshot snapshot) {
    if (!config.jetstream().provision()) {
      return;
    }
    List<String> slugs = snapshot.tenants().stream().filter(Tenant::active).map(Tenant::slug).filter(this::usable)
        .sorted().toList();
    try {
      provisioner.ensureAll(link.management(), slugs);
    } catch (java.io.IOException e) {
      LOG.warn("op=nats.stream.provision outcome=skipped cause=\"{}\"", e.getMessage());
    }
  }

  /** A tenant whose slug is a subject root gets no stream (and no bridge): said once per provisioning pass. */
  private boolean usable(String slug) {
    if (mapper.slugReserved(slug)) {
      LOG.error("op=nats.stream.provision outcome=refused tenant={} reason=slug_reserved detail=\"the slug is a"
          + " subject root of the NATS allow-lists or streams; give the tenant another slug\"", slug);
      return false;
    }
    return true;
  }

  /**
   * A JetStream publish found no stream: provision that tenant again (the client retries). Coalesced per
   * tenant: at most one pass queued, and at most one per {@value #REPROVISION_INTERVAL_MS} ms, however
   * many publishes fail meanwhile.
   */
  private void provisionLater(String slug) {
    if (!config.jetstream().provision() || context == null) {
      return;
    }
    long now = System.nanoTime();
    Long last = reprovisionedAt.get(slug);
    if (last != null && now - last < REPROVISION_INTERVAL_MS * 1_000_000L || !reprovisionQueued.add(slug)) {
      return;
    }
    link.blocking(context, () -> {
      reprovisionedAt.put(slug, System.nanoTime());
      reprovisionQueued.remove(slug);
      Tenant t = registry.snapshot().tenantBySlug(slug);
      if (t != null && t.active() && usable(slug)) {
        provisioner.forget(slug);
        provisioner.ensureAll(link.management(), List.of(slug));
      }
      return null;
    }).onFailure(e -> reprovisionQueued.remove(slug));
  }
}
