package io.tenantgate.ingress;

import io.tenantgate.error.ErrorReplies;
import io.tenantgate.error.Failure;
import io.tenantgate.error.GrpcStatus;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
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
  private final GatewayMetrics metrics;
  private final long startNanos;
  private HttpClientRequest upstream;
  private long upstreamSentNanos = -1;
  private long upstreamHeadNanos = -1;
  long bytesIn;
  long bytesOut;
  private boolean finished;
  private Failure failure;

  Exchange(HttpServerRequest req, EdgeConnection conn, RequestMeta meta, boolean grpc, String routeName,
      GatewayMetrics metrics) {
    this.req = req;
    this.resp = req.response();
    this.conn = conn;
    this.meta = meta;
    this.grpc = grpc;
    this.routeName = routeName;
    this.metrics = metrics;
    this.startNanos = System.nanoTime();
    conn.streamStarted(startNanos);
    if (grpc) {
      metrics.grpcStream(conn.tenantSlug(), 1);
    }
  }

  boolean finished() {
    return finished;
  }

  void upstream(HttpClientRequest creq) {
    this.upstream = creq;
    this.upstreamSentNanos = System.nanoTime();
  }

  /** Core's response head arrived. */
  void upstreamResponded() {
    upstreamHeadNanos = System.nanoTime();
  }

  String protocol() {
    if (grpc) {
      return "grpc";
    }
    return req.version() == HttpVersion.HTTP_2 ? "h2" : "h1";
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
      ErrorReplies.write(resp, f, grpc, meta.requestId(), h1 && f == Failure.BODY_TOO_LARGE)
          .onComplete(v -> {
            if (h1 && f == Failure.BODY_TOO_LARGE) {
              conn.http.close();
            }
          });
      finish(grpc ? 200 : f.httpStatus());
      return;
    }
    if (grpc && !resp.ended() && !resp.closed()) {
      resp.trailers().set("grpc-status", Integer.toString(GrpcStatus.UNAVAILABLE.code()))
          .set("grpc-message", f.code());
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

  private void finish(int status) {
    if (finished) {
      return;
    }
    finished = true;
    long now = System.nanoTime();
    conn.streamEnded(now);
    if (grpc) {
      metrics.grpcStream(conn.tenantSlug(), -1);
    }
    long upstreamNanos = upstreamHeadNanos < 0 ? -1 : upstreamHeadNanos - upstreamSentNanos;
    metrics.request(routeName, protocol(), status, conn.tenantSlug(), now - startNanos, upstreamNanos,
        upstreamSentNanos < 0 ? -1 : upstreamSentNanos - startNanos, bytesIn, bytesOut);
  }

  Failure failure() {
    return failure;
  }
}
