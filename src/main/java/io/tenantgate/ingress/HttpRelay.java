package io.tenantgate.ingress;

import io.tenantgate.config.LimitsConfig;
import io.tenantgate.config.RouteConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.IdentityStamp;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Relays a plain HTTP request or a gRPC call to core over a pooled client, streaming both
 * directions with back-pressure (a full write queue pauses the other side), copying response
 * trailers (gRPC status), and mapping every upstream failure into the error vocabulary.
 */
final class HttpRelay {
  private final io.vertx.core.Vertx vertx;
  private final Upstreams upstreams;
  private final LimitsConfig limits;

  HttpRelay(io.vertx.core.Vertx vertx, Upstreams upstreams, LimitsConfig limits) {
    this.vertx = vertx;
    this.upstreams = upstreams;
    this.limits = limits;
  }

  void forward(Exchange ex, RouteConfig route, IdentityStamp stamp) {
    HttpServerRequest req = ex.req;
    long declared = contentLength(req);
    if (!ex.grpc && limits.maxBodySize() > 0 && declared > limits.maxBodySize()) {
      ex.fail(Failure.BODY_TOO_LARGE, null);
      return;
    }
    HttpClient client = ex.grpc ? upstreams.grpc(route) : upstreams.plain(route);
    MultiMap headers = HeaderPolicy.forUpstream(req.headers(), stamp, ex.meta, ex.grpc);
    RequestOptions options = new RequestOptions()
        .setMethod(req.method())
        .setHost(route.upstream().getHost())
        .setPort(route.upstreamPort())
        .setSsl(route.upstreamTls())
        .setURI(originForm(req))
        .setHeaders(headers)
        .setConnectTimeout(limits.upstreamConnectTimeout().toMillis());
    req.exceptionHandler(err -> ex.fail(err instanceof StreamResetException ? Failure.CLIENT_CLOSED
        : Failure.BAD_REQUEST, err));
    if (ex.grpc) {
      java.time.Duration deadline = GrpcTimeout.parse(req.getHeader("grpc-timeout"));
      if (deadline != null) {
        ex.deadline(deadline);
      }
    }
    // from here, also while waiting for a pooled connection: a trickled body must not hold one for long
    BodyDeadline body = declared > 0 || declared < 0 && mayHaveBody(req) ? BodyDeadline.start(vertx, ex, limits)
        : BodyDeadline.NONE;
    client.request(options).onComplete(ar -> {
      if (ar.failed()) {
        // no connection to core: refused, or not connected / not free in the pool within
        // upstreamConnectTimeout (a TimeoutException too, but nothing reached core: not upstream_timeout)
        ex.fail(Failure.UPSTREAM_UNAVAILABLE, ar.cause());
        return;
      }
      HttpClientRequest creq = ar.result();
      if (ex.finished()) {
        creq.reset();
        return;
      }
      ex.upstream(creq);
      // Vert.x's request idle timeout stops at the response head; ours covers the whole exchange
      ex.watchIdle(ex.grpc ? limits.streamIdleTimeout() : limits.upstreamTimeout());
      sendBody(ex, creq, declared, body);
      creq.response()
          .onSuccess(cresp -> relayResponse(ex, cresp))
          .onFailure(err -> ex.fail(failureOf(err), err));
    });
  }

  /**
   * Streams the client's body to core. With a declared length it is passed on; without one an
   * HTTP/2 upstream gets the head at once (a bidi gRPC client may wait for core before it sends),
   * while an HTTP/1.1 upstream gets chunked encoding only once a first byte exists, so a bodiless
   * HTTP/2 GET stays a bodiless GET.
   */
  private void sendBody(Exchange ex, HttpClientRequest creq, long declared, BodyDeadline body) {
    HttpServerRequest req = ex.req;
    // an already ended request gets no endHandler call any more: nothing left to stream
    if (declared == 0 || req.isEnded() || declared < 0 && !mayHaveBody(req)) {
      body.ended();
      creq.end();
      if (!req.isEnded()) {
        req.resume();
      }
      return;
    }
    boolean h2Upstream = creq.version() == HttpVersion.HTTP_2;
    boolean[] headSent = {declared > 0 || h2Upstream};
    if (declared > 0) {
      creq.putHeader("content-length", Long.toString(declared));
    } else if (h2Upstream) {
      // HTTP/2 frames the body itself; Vert.x still insists on a length or "chunked" before a write
      creq.setChunked(true);
    }
    if (headSent[0]) {
      creq.sendHead();
    }
    long max = ex.grpc ? 0 : limits.maxBodySize();
    long[] received = {0};
    req.handler(buf -> {
      received[0] += buf.length();
      ex.bytesIn += buf.length();
      if (max > 0 && received[0] > max) {
        req.handler(null);
        ex.fail(Failure.BODY_TOO_LARGE, null);
        return;
      }
      if (!headSent[0]) {
        creq.setChunked(true);
        headSent[0] = true;
      }
      ex.activity();
      creq.write(buf).onFailure(err -> ex.fail(failureOf(err), err));
      if (creq.writeQueueFull()) {
        req.pause();
        body.paused();
        creq.drainHandler(v -> {
          body.resumed();
          if (!ex.throttled()) {
            req.resume();
          }
        });
      }
      ex.charge(buf.length(), req, () -> !creq.writeQueueFull());
    });
    req.endHandler(v -> {
      body.ended();
      creq.end();
    });
    creq.exceptionHandler(err -> ex.fail(failureOf(err), err));
    req.resume();
  }

  private void relayResponse(Exchange ex, HttpClientResponse cresp) {
    if (ex.finished()) {
      return;
    }
    ex.upstreamResponded();
    ex.activity();
    HttpServerResponse resp = ex.resp;
    resp.setStatusCode(cresp.statusCode());
    boolean h1 = ex.req.version() != HttpVersion.HTTP_2;
    if (h1 && cresp.statusMessage() != null) {
      resp.setStatusMessage(cresp.statusMessage());
    }
    boolean hasLength = cresp.headers().contains("content-length");
    HeaderPolicy.copyResponseHeaders(cresp.headers(), resp.headers(), true);
    resp.putHeader("x-request-id", ex.meta.requestId());
    if (h1 && !hasLength && bodyAllowed(ex.req.method(), cresp.statusCode())) {
      resp.setChunked(true);
    }
    cresp.handler(buf -> {
      ex.bytesOut += buf.length();
      ex.activity();
      resp.write(buf);
      if (resp.writeQueueFull()) {
        cresp.pause();
        resp.drainHandler(v -> cresp.resume());
      }
    });
    cresp.exceptionHandler(err -> ex.fail(failureOf(err), err));
    cresp.endHandler(v -> {
      if (ex.finished()) {
        return;
      }
      MultiMap trailers = cresp.trailers();
      if (!trailers.isEmpty()) {
        resp.trailers().addAll(trailers);
      }
      // completed first: ending an HTTP/2 stream fires the response close handler synchronously
      ex.completed();
      resp.end();
    });
  }

  /** Path and query only: an absolute-form target (http://host/path) must not reach core as such. */
  static String originForm(HttpServerRequest req) {
    String q = req.query();
    return q == null ? req.path() : req.path() + "?" + q;
  }

  private static boolean bodyAllowed(HttpMethod method, int status) {
    return method != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
  }

  private static boolean mayHaveBody(HttpServerRequest req) {
    if (req.version() == HttpVersion.HTTP_2) {
      return true;
    }
    String te = req.getHeader("transfer-encoding");
    return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked");
  }

  /** Declared Content-Length, -1 when absent; a malformed one is treated as absent (Vert.x rejects those). */
  private static long contentLength(HttpServerRequest req) {
    String cl = req.getHeader("content-length");
    if (cl == null) {
      return -1;
    }
    try {
      return Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static Failure failureOf(Throwable err) {
    if (err instanceof TimeoutException) {
      return Failure.UPSTREAM_TIMEOUT;
    }
    if (err instanceof ConnectException || err instanceof java.nio.channels.ClosedChannelException
        || err instanceof javax.net.ssl.SSLException) {
      return Failure.UPSTREAM_UNAVAILABLE;
    }
    if (err instanceof StreamResetException || err instanceof io.vertx.core.VertxException) {
      return Failure.UPSTREAM_RESET;
    }
    if (err instanceof java.io.IOException) {
      return Failure.UPSTREAM_UNAVAILABLE;
    }
    return Failure.UPSTREAM_UNAVAILABLE;
  }
}
