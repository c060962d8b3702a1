package io.tenantgate.ingress;

import io.tenantgate.error.ErrorReplies;
import io.tenantgate.error.Failure;
import io.tenantgate.error.GrpcStatus;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.metrics.AccessLog;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request or stream from arrival to its single outcome. Whatever happens (upstream refused,
 * client reset, limit hit, upstream died mid-stream) {@link #fail} and {@link #completed} make sure
 * exactly one response is written or the stream is torn down, the upstream request is cancelled,
 * the connection's stream count is released and the request is counted once.
 */
final class Exchange {
  private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

  final HttpServerRequest req;
  final HttpServerResponse resp;
  final EdgeConnection conn;
  final RequestMeta meta;
  final boolean grpc;
  final String routeName;
  private final Vertx vertx;
  private final GatewayMetrics metrics;
  private final AccessLog accessLog;
  private final long startNanos;
  private HttpClientRequest upstream;
  private long upstreamSentNanos = -1;
  private long upstreamHeadNanos = -1;
  long bytesIn;
  long bytesOut;
  private boolean finished;
  private boolean upgraded;
  private Failure failure;

  private long idleNanos;
  private long lastActivityNanos;
  private long idleTimer = -1;
  private Runnable onIdle;
  private long deadlineTimer = -1;
  /** Releases what a helper armed for this exchange (the body deadline's timer) when it ends. */
  private Runnable onFinish;
  /** The tenant's gRPC stream slot this exchange holds, released when it ends. */
  private io.tenantgate.quota.TenantQuota streamSlot;
  /** Reading from the client is paused until the tenant's byte debt is paid. */
  private boolean throttled;
  /** Time reading was paused for the tenant's byte rate, which a body's deadline does not count. */
  private long throttledNanos;
  private long retryAfterNanos;

  Exchange(Vertx vertx, HttpServerRequest req, EdgeConnection conn, RequestMeta meta, boolean grpc, String routeName,
      GatewayMetrics metrics, AccessLog accessLog) {
    this.vertx = vertx;
    this.accessLog = accessLog;
    this.req = req;
    this.resp = req.response();
    this.conn = conn;
    this.meta = meta;
    this.grpc = grpc;
    this.routeName = routeName;
    this.metrics = metrics;
    this.startNanos = System.nanoTime();
    conn.streamStarted(this, startNanos);
    resp.closeHandler(v -> {
      if (!upgraded) {
        fail(Failure.CLIENT_CLOSED, null);
      }
    });
    if (grpc) {
      metrics.grpcStream(conn.metricsTenant, 1);
    }
  }

  boolean finished() {
    return finished;
  }

  void upstream(HttpClientRequest creq) {
    this.upstream = creq;
    this.upstreamSentNanos = System.nanoTime();
  }

  /** Core was asked without an HTTP client request of ours (a WebSocket handshake): the upstream clock starts. */
  void upstreamAsked() {
    this.upstreamSentNanos = System.nanoTime();
  }

  /**
   * Ends the exchange with {@code upstream_timeout} once no byte has moved in either direction for
   * {@code idle} (zero: never). One timer per exchange, re-armed lazily: activity only stamps a time.
   */
  void watchIdle(java.time.Duration idle) {
    watchIdle(idle, () -> fail(Failure.UPSTREAM_TIMEOUT, null));
  }

  /** As {@link #watchIdle(java.time.Duration)}, running {@code onIdle} instead of failing the exchange. */
  void watchIdle(java.time.Duration idle, Runnable onIdle) {
    if (idle.isZero() || finished) {
      return;
    }
    this.onIdle = onIdle;
    idleNanos = idle.toNanos();
    lastActivityNanos = System.nanoTime();
    idleTimer = vertx.setTimer(Math.max(1, idle.toMillis()), this::checkIdle);
  }

  /** {@code r} runs once when the exchange ends, however it ends, or now if it has (one per exchange). */
  void onFinish(Runnable r) {
    if (finished) {
      r.run(); // already over: release at once rather than never
    } else {
      onFinish = r;
    }
  }

  /** The caller's own deadline (gRPC {@code grpc-timeout}): past it the call ends DEADLINE_EXCEEDED. */
  void deadline(java.time.Duration d) {
    if (!finished) {
      deadlineTimer = vertx.setTimer(Math.max(1, d.toMillis()), id -> fail(Failure.DEADLINE_EXCEEDED, null));
    }
  }

  /** This exchange holds one of the tenant's gRPC stream slots until it ends. */
  void holdGrpcStream(io.tenantgate.quota.TenantQuota quota) {
    streamSlot = quota;
  }

  /** Ends the exchange with a quota refusal that tells the client when to retry. */
  void failLimited(Failure f, long retryAfterNanos) {
    this.retryAfterNanos = retryAfterNanos;
    fail(f, null);
  }

  /**
   * Request bytes relayed to core: charged to the tenant's byte bucket; when that goes into debt,
   * reading from {@code from} pauses until it is paid (then resumes if {@code canResume} says so; the
   * write-queue drain otherwise does). Shapes uploads and streams to the tenant's bytes per second.
   */
  void charge(long bytes, io.vertx.core.streams.ReadStream<?> from, java.util.function.BooleanSupplier canResume) {
    io.tenantgate.quota.TenantQuota q = conn.quota;
    if (q == null || bytes <= 0) {
      return;
    }
    long pause = q.chargeBytes(bytes, System.nanoTime());
    if (pause <= 0 || throttled || finished) {
      return;
    }
    throttled = true;
    from.pause();
    long pausedAt = System.nanoTime();
    vertx.setTimer(Math.max(1, pause / 1_000_000), id -> {
      throttled = false;
      throttledNanos += System.nanoTime() - pausedAt;
      if (!finished) {
        activity();
        if (canResume.getAsBoolean()) {
          from.resume();
        }
      }
    });
  }

  /** Whether reading from the client is paused for the tenant's byte rate (a drain must not resume it). */
  boolean throttled() {
    return throttled;
  }

  long throttledNanos() {
    return throttledNanos;
  }

  long startNanos() {
    return startNanos;
  }

  /** Bytes moved: the idle clock starts again. */
  void activity() {
    lastActivityNanos = System.nanoTime();
  }

  private void checkIdle(long timerId) {
    if (finished) {
      return;
    }
    long remaining = lastActivityNanos + idleNanos - System.nanoTime();
    if (throttled) {
      // paused by the gateway for the tenant's byte rate: the silence is ours, not the peers'
      remaining = idleNanos;
    }
    if (remaining > 0) {
      idleTimer = vertx.setTimer(Math.max(1, remaining / 1_000_000), this::checkIdle);
    } else {
      idleTimer = -1;
      onIdle.run();
    }
  }

  /** Core's response head arrived. */
  void upstreamResponded() {
    upstreamHeadNanos = System.nanoTime();
  }

  String protocol() {
    if (grpc) {
      return "grpc";
    }
    if (upgraded) {
      return "ws";
    }
    return req.version() == HttpVersion.HTTP_2 ? "h2" : "h1";
  }

  /** The request became a WebSocket: from now on the relay owns its end. */
  void upgraded() {
    upgraded = true;
  }

  /** The exchange ended normally: the response was fully relayed. */
  void completed() {
    finish(resp.getStatusCode());
  }

  /** Ends the exchange with {@code f}: an error reply if nothing was sent yet, else a torn-down stream. */
  void fail(Failure f, Throwable cause) {
    if (finished || failure != null) {
      return;
    }
    failure = f;
    boolean perConnection = f.isIdentityRefusal() || f == Failure.TENANT_CONNECTIONS_LIMITED;
    if (!perConnection && f != Failure.CLIENT_CLOSED) {
      // identity refusals and the connection cap were counted once, when the connection was resolved
      metrics.refusal(f.code(), conn.tenantSlug(), f.code().startsWith("upstream_") ? "upstream" : "request");
    }
    if (f == Failure.INTERNAL) {
      LOG.error("op=forward outcome=error request_id={} tenant={} route={}", meta.requestId(), conn.tenantSlug(),
          routeName, cause);
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("op=forward outcome={} request_id={} tenant={} route={} cause={}", f.code(), meta.requestId(),
          conn.tenantSlug(), routeName, cause == null ? "" : cause.toString());
    }
    if (upstream != null) {
      upstream.reset();
    }
    if (!resp.headWritten()) {
      boolean h1 = req.version() != HttpVersion.HTTP_2;
      boolean unreadBody = f == Failure.BODY_TOO_LARGE || f == Failure.BODY_TIMEOUT;
      // a refused identity or an unread body: this connection has nothing more to offer (HTTP/2: the
      // stream, for a body that came too slowly)
      boolean closeAfter = f == Failure.BODY_TOO_LARGE || perConnection || h1 && f == Failure.BODY_TIMEOUT;
      ErrorReplies.write(resp, f, grpc, meta.requestId(), h1 && closeAfter, retryAfterNanos)
          .onComplete(v -> {
            if (closeAfter && h1 && unreadBody && !req.isEnded()) {
              lingeringClose();
            } else if (closeAfter && h1) {
              conn.http.close();
            } else if (closeAfter) {
              conn.http.shutdown(1, TimeUnit.SECONDS);
            } else if (unreadBody && !req.isEnded()) {
              // RFC 9113 8.1: after a complete response, RST_STREAM NO_ERROR asks for no more of the body
              resp.reset(0);
            }
          });
      // a trailers-only gRPC error travels as HTTP 200; count it by what it means
      finish(f.httpStatus());
      return;
    }
    if (grpc && !resp.ended() && !resp.closed()) {
      resp.trailers().set("grpc-status", Integer.toString(f.grpcStatus() == GrpcStatus.OK
              ? GrpcStatus.UNAVAILABLE.code() : f.grpcStatus().code()))
          .set("grpc-message", ErrorReplies.grpcMessage(f))
          .set(ErrorReplies.REASON_HEADER, f.code());
      resp.end();
    } else if (!resp.ended() && !resp.closed()) {
      if (req.version() == HttpVersion.HTTP_2) {
        resp.reset();
      } else {
        conn.http.close();
      }
    }
    finish(f.httpStatus());
  }

  /**
   * The client is still sending the body we refused: read and drop it for up to a second (or until it
   * ends) before closing, so the client reads the 413 instead of a connection reset (a close with unread
   * data in the socket sends RST, which can discard the reply before the client reads it).
   */
  private void lingeringClose() {
    io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
    if (ctx == null) {
      conn.http.close();
      return;
    }
    long timer = ctx.owner().setTimer(1_000, t -> conn.http.close());
    try {
      req.handler(b -> { });
      req.endHandler(x -> {
        ctx.owner().cancelTimer(timer);
        conn.http.close();
      });
      req.resume();
    } catch (IllegalStateException alreadyEnded) {
      ctx.owner().cancelTimer(timer);
      conn.http.close();
    }
  }

  private void finish(int status) {
    if (finished) {
      return;
    }
    finished = true;
    if (idleTimer >= 0) {
      vertx.cancelTimer(idleTimer);
    }
    if (deadlineTimer >= 0) {
      vertx.cancelTimer(deadlineTimer);
    }
    if (onFinish != null) {
      onFinish.run();
      onFinish = null;
    }
    long now = System.nanoTime();
    conn.streamEnded(this, now);
    if (grpc) {
      metrics.grpcStream(conn.metricsTenant, -1);
    }
    if (streamSlot != null) {
      streamSlot.releaseGrpcStream();
      streamSlot = null;
    }
    long upstreamNanos = upstreamHeadNanos < 0 || upstreamSentNanos < 0 ? -1 : upstreamHeadNanos - upstreamSentNanos;
    metrics.request(routeName, protocol(), status, conn.tenantSlug(), now - startNanos, upstreamNanos,
        upstreamSentNanos < 0 ? -1 : upstreamSentNanos - startNanos, bytesIn, bytesOut);
    String reason = failure == null ? null : failure.code();
    if (accessLog.wants(status, reason)) {
      ClientIdentity id = conn.resolution.identity();
      accessLog.write(new AccessLog.Entry(grpc ? "grpc" : "http", meta.requestId(), conn.tenantSlug(),
          id == null ? null : id.componentId(), id == null ? null : id.partitionId(), routeName, protocol(),
          req.method().name(), req.path(), status, now - startNanos, upstreamNanos, bytesIn, bytesOut, conn.peerHost,
          reason));
    }
  }

  Failure failure() {
    return failure;
  }
}
