package io.tenantgate.ingress;

import io.tenantgate.config.EdgeConfig;
import io.tenantgate.config.LimitsConfig;
import io.tenantgate.config.RouteConfig;
import io.tenantgate.error.ErrorReplies;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.AssertionCache;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.identity.EdgeHandler;
import io.tenantgate.identity.EdgeTlsOptions;
import io.tenantgate.identity.HandshakeFailures;
import io.tenantgate.identity.IdentityStamp;
import io.tenantgate.identity.PresentedChain;
import io.tenantgate.identity.Resolution;
import io.tenantgate.tenant.RegistrySnapshot;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge listener, one instance per event loop, all sharing the port. The request path, in order:
 * <ol>
 *   <li>TLS handshake: client certificate required, rule 1 checked by the trust manager;</li>
 *   <li>connection handler: identity resolved once (rules 2-5) and kept with the connection;</li>
 *   <li>request handler: refused identity -> error reply and the connection is shut down;
 *       otherwise route lookup -> strip and stamp headers -> relay (HTTP/gRPC or WebSocket).</li>
 * </ol>
 * Registry changes re-resolve every open connection of this loop and close those no longer allowed.
 */
public final class EdgeVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeVerticle.class);

  private final EdgeSettings settings;
  private final int listenPort;
  private final Map<HttpConnection, EdgeConnection> connections = new HashMap<>();
  private RouteTable routes;
  private Upstreams upstreams;
  private HttpRelay httpRelay;
  private WebSocketRelay webSocketRelay;
  private QuotaGate quotaGate;
  private Runnable unsubscribe;
  private static final long LOOP_PROBE_NANOS = 500_000_000L;
  /** HTTP/2 error code (RFC 9113 section 7) for a peer generating excessive load. */
  private static final long ENHANCE_YOUR_CALM = 0xb;
  /** Hands out the negative ports of {@link #listenPort}: one per deployment, so two gateways never share. */
  private static final java.util.concurrent.atomic.AtomicInteger EPHEMERAL_GROUPS =
      new java.util.concurrent.atomic.AtomicInteger();
  private long sweepTimer = -1;
  private long loopProbe = -1;
  private HttpServer server;
  private HttpServerOptions serverOptions;

  /** One instance; {@code listenPort} comes from {@link #listenPort} and is the same for every instance. */
  public EdgeVerticle(EdgeSettings settings, int listenPort) {
    this.settings = settings;
    this.listenPort = listenPort;
  }

  /**
   * The port the instances of one deployment listen on. Vert.x gives every instance listening on port 0
   * its own ephemeral port (only the first is announced, so a single event loop would get every
   * connection); instances listening on the same negative port share one ephemeral port and the
   * connections are spread over them. A distinct negative port per deployment keeps two gateways in one
   * Vert.x (tests) apart.
   */
  public static int listenPort(int configuredPort) {
    return configuredPort != 0 ? configuredPort : -EPHEMERAL_GROUPS.incrementAndGet();
  }

  @Override
  public Future<?> start() {
    EdgeConfig edge = settings.config().edge();
    LimitsConfig limits = edge.limits();
    routes = new RouteTable(settings.config().routes());
    upstreams = new Upstreams(vertx, settings.config().routes(), limits);
    httpRelay = new HttpRelay(vertx, upstreams, limits);
    webSocketRelay = new WebSocketRelay(upstreams, limits);
    quotaGate = new QuotaGate(settings.quotas(), settings.metrics());
    HttpServerOptions options = EdgeTlsOptions.apply(new HttpServerOptions(), edge.tls(), settings.tls(), settings.trustManager(),
        settings.tickets())
        .setHost(edge.host())
        .setPort(listenPort)
        .setMaxHeaderSize(limits.maxHeaderSize())
        .setMaxInitialLineLength(limits.maxInitialLineLength())
        .setInitialSettings(new Http2Settings()
            .setMaxConcurrentStreams(limits.maxConcurrentStreams())
            .setMaxHeaderListSize(limits.maxHeaderSize()))
        .setHandle100ContinueAutomatically(true)
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true)
        .setHttp2ClearTextEnabled(false)
        .setDecompressionSupported(false)
        .setCompressionSupported(false);
    if (settings.config().nats().enabled()) {
      // a bridge WebSocket message carries up to nats.publish.maxPayload (docs/nats.md); frames too, as
      // most clients send a message as one frame
      int ws = settings.config().nats().maxWebSocketMessageSize();
      options.setMaxWebSocketFrameSize(ws).setMaxWebSocketMessageSize(ws);
    }
    serverOptions = options;
    server = vertx.createHttpServer(options)
        .connectionHandler(this::onConnection)
        .requestHandler(this::onRequest)
        .invalidRequestHandler(this::onInvalidRequest)
        .exceptionHandler(this::onConnectionError);
    unsubscribe = settings.registry().onChange(s -> context.runOnContext(v -> revalidate(s)));
    long sweepMillis = Math.max(250, Math.min(5_000,
        Math.min(limits.idleTimeout().toMillis(), limits.headerTimeout().toMillis()) / 4));
    sweepTimer = vertx.setPeriodic(sweepMillis, id -> sweep(limits));
    long[] due = {System.nanoTime() + LOOP_PROBE_NANOS};
    loopProbe = vertx.setPeriodic(LOOP_PROBE_NANOS / 1_000_000, id -> {
      long now = System.nanoTime();
      settings.metrics().eventLoopDelay(now - due[0]);
      due[0] = now + LOOP_PROBE_NANOS;
    });
    return server.listen().onSuccess(s -> settings.boundPort().tryComplete(s.actualPort()));
  }

  /** This instance's open connections, described on its own event loop (for the admin API). */
  public Future<List<io.vertx.core.json.JsonObject>> describeConnections() {
    return Future.future(p -> context.runOnContext(v -> p.complete(connections.values().stream()
        .map(EdgeConnection::describe).toList())));
  }

  /**
   * Replaces this instance's TLS material for new handshakes; established connections keep theirs.
   * Call it on every instance: the listener's SSL context belongs to the instance that bound first.
   */
  public Future<Boolean> updateTls(ServerSSLOptions options) {
    return Future.future(p -> context.runOnContext(v -> server.updateSSLOptions(options, true).onComplete(p)));
  }

  /**
   * Graceful shutdown of this instance: stop accepting, let in-flight requests finish (HTTP/2 clients
   * get GOAWAY, HTTP/1.1 ones Connection: close), end gRPC streams still open shortly before the
   * grace period is over with UNAVAILABLE, then close what is left. Runs on this verticle's context.
   */
  public Future<Void> drain(Duration grace) {
    return Future.<Void>future(p -> context.runOnContext(v -> {
      long endStreamsIn = Math.max(1, grace.toMillis() - Math.min(1_000, grace.toMillis() / 4));
      vertx.setTimer(endStreamsIn, id -> endOpenStreams());
      server.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS).onComplete(p);
    }));
  }

  private void endOpenStreams() {
    for (EdgeConnection ec : List.copyOf(connections.values())) {
      for (Exchange ex : ec.activeExchanges()) {
        ex.fail(Failure.SHUTTING_DOWN, null);
      }
    }
  }

  @Override
  public Future<?> stop() {
    if (unsubscribe != null) {
      unsubscribe.run();
    }
    vertx.cancelTimer(sweepTimer);
    vertx.cancelTimer(loopProbe);
    return upstreams.close();
  }

  private void onConnection(HttpConnection conn) {
    StrictFraming.HeadClock head = StrictFraming.install(conn, serverOptions);
    if (head == null) {
      LOG.error("op=accept outcome=error cause=\"HTTP/1.1 pipeline without the expected request decoder\"");
      conn.close();
      return;
    }
    FlushCoalescing.install(conn);
    PresentedChain presented = settings.resolver().present(peerChain(conn), settings.trustManager().trust());
    RegistrySnapshot snapshot = settings.registry().snapshot();
    Resolution r = resolve(presented, snapshot);
    EdgeConnection ec = new EdgeConnection(conn, presented, r, snapshot.version(), System.nanoTime());
    ec.head = head;
    connections.put(conn, ec);
    boolean overCap = false;
    if (r.isAccepted()) {
      settings.metrics().handshake("ok", "none", r.tenantSlug());
      overCap = !quotaGate.admitConnection(ec);
      if (!overCap) {
        settings.onAccepted().accept(r.identity().serialHex());
      }
    } else {
      settings.metrics().refusal(r.failure().code(), r.tenantSlug(), "request");
      LOG.info("op=identity outcome=refused reason={} tenant={} peer={}", r.failure().code(), r.tenantSlug(),
          ec.peerHost);
    }
    ec.metricsTenant = r.tenantSlug();
    settings.metrics().connectionOpened(ec.metricsTenant);
    Runnable release = () -> {
      EdgeConnection gone = connections.remove(conn);
      if (gone != null) {
        quotaGate.connectionClosed(gone);
        settings.metrics().connectionClosed(gone.metricsTenant);
      }
    };
    conn.closeHandler(v -> release.run());
    // A WebSocket upgrade replaces Vert.x's HTTP/1.1 connection handler in the pipeline, after which that
    // connection's closeHandler never fires: the channel's own close releases the slot, the gauge and
    // the entry instead (release is idempotent). Runs on the channel's event loop, this verticle's.
    if (conn instanceof io.vertx.core.net.impl.ConnectionBase base) {
      base.channel().closeFuture().addListener(f -> release.run());
    }
    conn.exceptionHandler(err -> {
      if (isFloodGuard(err)) {
        // Netty's HTTP/2 flood guards (RST_STREAM rate: rapid reset; queued control frames of a client
        // that does not read: SETTINGS/PING floods) close the connection with GOAWAY ENHANCE_YOUR_CALM
        settings.metrics().connectionClosedByGateway("h2_flood", ec.tenantSlug());
      }
      LOG.debug("op=connection outcome=error tenant={} peer={} cause={}", ec.tenantSlug(), ec.peerHost,
          err.toString());
    });
    if (overCap) {
      refuseOverCap(conn);
    }
  }

  /**
   * The tenant's connection cap: the connection is closed before anything it sent is read (HTTP/2
   * first gets GOAWAY ENHANCE_YOUR_CALM naming the reason); a request that raced in gets 429.
   */
  private static void refuseOverCap(HttpConnection conn) {
    try {
      conn.goAway(ENHANCE_YOUR_CALM, -1, io.vertx.core.buffer.Buffer.buffer(Failure.TENANT_CONNECTIONS_LIMITED.code()));
    } catch (RuntimeException notHttp2) {
      // HTTP/1.x has no GOAWAY: the close says it
    }
    conn.close();
  }

  /** Errors before a connection exists: failed handshakes the trust manager did not already count. */
  private void onConnectionError(Throwable err) {
    Failure f = HandshakeFailures.classify(err);
    if (f == null) {
      LOG.debug("op=accept outcome=error cause={}", err.toString());
      return;
    }
    settings.metrics().refusal(f.code(), null, "handshake");
    settings.metrics().handshake("failed", f.code(), null);
    LOG.info("op=handshake outcome=refused reason={} cause=\"{}\"", f.code(), err.getMessage());
  }

  private static List<Certificate> peerChain(HttpConnection conn) {
    try {
      List<Certificate> chain = conn.peerCertificates();
      return chain == null ? List.of() : chain;
    } catch (SSLPeerUnverifiedException e) {
      return List.of();
    }
  }

  /**
   * The identity rules on a presented chain, plus its validity: a resumed TLS session skips the
   * handshake's chain check (DESIGN.md rule 1), and a ticket must not carry a certificate past it.
   */
  private Resolution resolve(PresentedChain presented, RegistrySnapshot snapshot) {
    Resolution r = settings.resolver().resolve(presented, snapshot);
    return r.isAccepted() && !settings.resolver().withinValidity(presented, snapshot, System.currentTimeMillis())
        ? Resolution.refused(Failure.EXPIRED, r.tenantSlug()) : r;
  }

  private void onRequest(HttpServerRequest req) {
    // an HTTP/2 request can already be complete here (HEADERS with END_STREAM); pause() would then throw
    if (!req.isEnded()) {
      req.pause();
    }
    EdgeConnection conn = connections.get(req.connection());
    boolean grpc = isGrpc(req);
    RequestMeta meta = RequestMeta.of(req.getHeader(RequestMeta.REQUEST_ID), req.getHeader(RequestMeta.TRACEPARENT),
        conn == null ? "unknown" : conn.peerHost, req.authority() == null ? null : req.authority().toString());
    if (conn == null) {
      ErrorReplies.write(req.response(), Failure.NO_CLIENT_CERT, grpc, meta.requestId(), true)
          .onComplete(v -> req.connection().close());
      return;
    }
    if (!conn.resolution.isAccepted()) {
      exchange(req, conn, meta, grpc, "none").fail(conn.resolution.failure(), null);
      return;
    }
    if (grpc && req.version() != HttpVersion.HTTP_2) {
      exchange(req, conn, meta, false, "none").fail(Failure.GRPC_REQUIRES_HTTP2, null);
      return;
    }
    if (!RouteTable.isCanonical(req.path())) {
      exchange(req, conn, meta, grpc, "none").fail(Failure.BAD_PATH, null);
      return;
    }
    if (!grpc) {
      for (EdgeHandler.Mount m : settings.mounts()) {
        if (req.path().startsWith(m.pathPrefix())) {
          trackMounted(req, conn);
          m.handler().handle(req, conn.resolution.identity(), meta.requestId());
          return;
        }
      }
    }
    RouteConfig route = grpc ? routes.grpc(req.path()) : routes.http(req.path());
    if (route == null) {
      exchange(req, conn, meta, grpc, "none").fail(Failure.NO_ROUTE, null);
      return;
    }
    Exchange ex = exchange(req, conn, meta, grpc, route.name());
    if (!quotaGate.admit(ex)) {
      return;
    }
    stamp(conn).onComplete(stamp -> {
      if (ex.finished()) {
        return; // the client reset or the connection closed while the assertion was being signed
      }
      if (stamp.failed()) {
        ex.fail(Failure.INTERNAL, stamp.cause());
        return;
      }
      try {
        if (!grpc && isWebSocketUpgrade(req)) {
          webSocketRelay.forward(ex, route, stamp.result());
        } else {
          httpRelay.forward(ex, route, stamp.result());
        }
      } catch (RuntimeException e) {
        // a throw here would be swallowed by the future and leave the exchange unanswered
        ex.fail(Failure.INTERNAL, e);
      }
    });
  }

  /**
   * The headers the connection's identity stamps on requests, with its tenant assertion: one per client
   * certificate, shared by its connections through the cache and signed off the event loop; asked for
   * again once 80 % of the assertion's lifetime has passed, so requests never carry an expired one.
   */
  private Future<IdentityStamp> stamp(EdgeConnection conn) {
    long now = System.nanoTime();
    if (conn.stamp != null && !conn.stamp.failed() && now - conn.stampRefreshNanos < 0) {
      return conn.stamp;
    }
    ClientIdentity identity = conn.resolution.identity();
    AssertionCache<IdentityStamp> cache = settings.assertions();
    if (cache == null) {
      conn.stamp = Future.succeededFuture(IdentityStamp.of(identity, null));
      conn.stampRefreshNanos = now + Long.MAX_VALUE / 2;
      return conn.stamp;
    }
    AssertionCache.Lease<IdentityStamp> lease = cache.lease(identity, conn.registryVersion, now,
        task -> vertx.executeBlocking(task, false).toCompletionStage(),
        () -> settings.metrics().assertionSigned(identity.tenantSlug()));
    java.util.concurrent.CompletableFuture<IdentityStamp> signed = lease.assertion();
    // a signature another loop started completes there: its result is handed back to this loop
    conn.stamp = signed.isDone() && !signed.isCompletedExceptionally()
        ? Future.succeededFuture(signed.join()) : Future.fromCompletionStage(signed, context);
    conn.stampRefreshNanos = lease.refreshAtNanos();
    return conn.stamp;
  }

  /** Mounted requests count as activity for the idle sweep; a WebSocket pins its connection. */
  private static void trackMounted(HttpServerRequest req, EdgeConnection conn) {
    if (isWebSocketUpgrade(req)) {
      conn.upgraded = true;
      return;
    }
    conn.mountedActive++;
    boolean[] done = {false};
    Runnable end = () -> {
      if (!done[0]) {
        done[0] = true;
        conn.mountedActive--;
        conn.lastActivityNanos = System.nanoTime();
      }
    };
    req.response().endHandler(v -> end.run());
    req.response().closeHandler(v -> end.run());
  }

  private Exchange exchange(HttpServerRequest req, EdgeConnection conn, RequestMeta meta, boolean grpc, String route) {
    return new Exchange(vertx, req, conn, meta, grpc, route, settings.metrics(), settings.accessLog());
  }

  /**
   * Requests the HTTP codec could not parse: too long a line or header block, or malformed. A head cut
   * short by the connection closing (the client went away, or the header timeout closed it and counted
   * it) is no request to answer or count.
   */
  private void onInvalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    if (cause instanceof io.netty.handler.codec.PrematureChannelClosureException) {
      return;
    }
    Failure f = cause instanceof TooLongHttpHeaderException ? Failure.HEADERS_TOO_LARGE
        : cause instanceof TooLongHttpLineException ? Failure.URI_TOO_LONG
        : cause instanceof StrictFraming.AmbiguousFraming ? Failure.BAD_FRAMING : Failure.BAD_REQUEST;
    EdgeConnection conn = connections.get(req.connection());
    settings.metrics().refusal(f.code(), conn == null ? null : conn.tenantSlug(), "request");
    ErrorReplies.write(req.response(), f, false, null, true).onComplete(v -> req.connection().close());
  }

  /** A new snapshot: connections whose identity no longer holds are closed. */
  private void revalidate(RegistrySnapshot snapshot) {
    for (EdgeConnection ec : List.copyOf(connections.values())) {
      if (!ec.resolution.isAccepted()) {
        continue;
      }
      RegistrySnapshot current = settings.registry().snapshot();
      Resolution now = resolve(ec.presented, current);
      if (now.isAccepted()) {
        if (!now.identity().equals(ec.resolution.identity())) {
          ec.stamp = null;
        }
        ec.resolution = now;
        ec.registryVersion = current.version();
        continue;
      }
      ec.resolution = now;
      settings.metrics().refusal(now.failure().code(), now.tenantSlug(), "revalidation");
      LOG.info("op=identity.revalidate outcome=closed reason={} tenant={} peer={} registry_version={}",
          now.failure().code(), now.tenantSlug(), ec.peerHost, snapshot.version());
      ec.http.close();
    }
  }

  /**
   * Closes connections idle past the idle timeout, HTTP/1.1 connections whose request head is not
   * complete within the header timeout of its first byte (slowloris: closed without an answer, as the
   * client is not reading one; counted {@code header_timeout}), and connections whose client certificate
   * expired while they were open (validity is otherwise only checked in the handshake).
   */
  private void sweep(LimitsConfig limits) {
    long now = System.nanoTime();
    long deadline = now - limits.idleTimeout().toNanos();
    long headDeadline = now - limits.headerTimeout().toNanos();
    long nowMillis = System.currentTimeMillis();
    for (EdgeConnection ec : List.copyOf(connections.values())) {
      if (ec.resolution.isAccepted() && ec.notAfterMillis < nowMillis) {
        settings.metrics().refusal(Failure.EXPIRED.code(), ec.tenantSlug(), "revalidation");
        settings.metrics().connectionClosedByGateway(Failure.EXPIRED.code(), ec.tenantSlug());
        LOG.info("op=identity.revalidate outcome=closed reason=expired tenant={} peer={}", ec.tenantSlug(), ec.peerHost);
        ec.resolution = Resolution.refused(Failure.EXPIRED, ec.tenantSlug());
        ec.http.close();
      } else if (headLate(ec.head.headStartedNanos(), headDeadline)) {
        settings.metrics().refusal(Failure.HEADER_TIMEOUT.code(), ec.tenantSlug(), "request");
        settings.metrics().connectionClosedByGateway(Failure.HEADER_TIMEOUT.code(), ec.tenantSlug());
        LOG.info("op=connection.header_timeout outcome=closed tenant={} peer={} timeout={}", ec.tenantSlug(),
            ec.peerHost, limits.headerTimeout());
        ec.http.close();
      } else if (ec.idleSince(deadline)) {
        settings.metrics().connectionClosedByGateway("idle", ec.tenantSlug());
        LOG.debug("op=connection.idle_close tenant={} peer={}", ec.tenantSlug(), ec.peerHost);
        ec.http.close();
      }
    }
  }

  private static boolean isFloodGuard(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof io.netty.handler.codec.http2.Http2Exception h2
          && h2.error() == io.netty.handler.codec.http2.Http2Error.ENHANCE_YOUR_CALM) {
        return true;
      }
    }
    return false;
  }

  private static boolean headLate(long startedNanos, long deadlineNanos) {
    return startedNanos != 0 && startedNanos - deadlineNanos < 0;
  }

  private static boolean isGrpc(HttpServerRequest req) {
    String ct = req.getHeader("content-type");
    if (ct == null || !ct.regionMatches(true, 0, "application/grpc", 0, 16)) {
      return false;
    }
    // application/grpc, application/grpc+proto, application/grpc;charset=...; not application/grpc-web
    return ct.length() == 16 || ct.charAt(16) == '+' || ct.charAt(16) == ';';
  }

  private static boolean isWebSocketUpgrade(HttpServerRequest req) {
    String upgrade = req.getHeader("upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket") && req.version() != HttpVersion.HTTP_2;
  }
}
