package io.tenantgate.ingress;

import io.tenantgate.config.LimitsConfig;
import io.tenantgate.config.RouteConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.IdentityStamp;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import java.util.Map;

/**
 * Passes a WebSocket upgrade through to core: the client's handshake is checked first
 * ({@link WebSocketHandshake}: an incomplete one never reaches core), then the upstream handshake is made (with the
 * stripped and stamped headers), so a core that refuses has its answer passed to the client; then frames are
 * relayed unchanged in both directions with back-pressure, and a close on one side closes the other
 * with the same status.
 */
final class WebSocketRelay {
  private final Upstreams upstreams;
  private final LimitsConfig limits;

  WebSocketRelay(Upstreams upstreams, LimitsConfig limits) {
    this.upstreams = upstreams;
    this.limits = limits;
  }

  void forward(Exchange ex, RouteConfig route, IdentityStamp stamp) {
    HttpServerRequest req = ex.req;
    Failure refused = WebSocketHandshake.check(req.method(), req.version(), HttpRelay.originForm(req), req.headers());
    if (refused != null) {
      ex.fail(refused, null);
      return;
    }
    MultiMap headers = HeaderPolicy.forUpstream(req.headers(), stamp, ex.meta, false);
    for (String n : new String[] {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"}) {
      headers.remove(n);
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(route.upstream().getHost())
        .setPort(route.upstreamPort())
        .setSsl(route.upstreamTls())
        .setURI(HttpRelay.originForm(req))
        .setConnectTimeout(limits.upstreamConnectTimeout().toMillis());
    for (Map.Entry<String, String> h : headers) {
      if (!h.getKey().equals("sec-websocket-protocol")) {
        options.addHeader(h.getKey(), h.getValue());
      }
    }
    String protocols = req.getHeader("sec-websocket-protocol");
    if (protocols != null) {
      for (String p : protocols.split(",")) {
        options.addSubProtocol(p.trim());
      }
    }
    ex.upstreamAsked();
    connect(route, options)
        .onFailure(err -> {
          if (err instanceof UpgradeRejectedException rejected) {
            relayRejection(ex, rejected);
          } else {
            // a timeout here is getting a connection or core's handshake answer: nothing was relayed yet
            ex.fail(err instanceof java.util.concurrent.TimeoutException ? Failure.UPSTREAM_UNAVAILABLE
                : HttpRelay.failureOf(err), err);
          }
        })
        .onSuccess(upstream -> req.toWebSocket()
            .onFailure(err -> {
              upstream.close();
              ex.fail(Failure.BAD_REQUEST, err);
            })
            .onSuccess(client -> {
              ex.upgraded();
              bridge(ex, client, upstream);
              ex.watchIdle(limits.streamIdleTimeout(), () -> {
                client.close((short) 1001, "idle");
                upstream.close((short) 1001, "idle");
              });
            }));
  }

  /**
   * Core answered the upgrade with something other than 101 (401, 403, 404, 429, 503...): that answer is
   * the client's, as for any other request — status, end-to-end headers and body — not a gateway error.
   */
  private static void relayRejection(Exchange ex, UpgradeRejectedException rejected) {
    if (ex.finished()) {
      return;
    }
    ex.upstreamResponded();
    HttpServerResponse resp = ex.resp;
    resp.setStatusCode(rejected.getStatus());
    if (rejected.getHeaders() != null) {
      // without Content-Length (hop-by-hop unless kept): end(body) sets the length of what is sent
      HeaderPolicy.copyResponseHeaders(rejected.getHeaders(), resp.headers(), false);
    }
    resp.putHeader("x-request-id", ex.meta.requestId());
    Buffer body = rejected.getBody() == null ? Buffer.buffer() : rejected.getBody();
    ex.bytesOut += body.length();
    ex.completed();
    resp.end(body);
  }

  /** The upstream handshake; a client that throws (it should not, once the target is checked) fails the future. */
  private io.vertx.core.Future<WebSocket> connect(RouteConfig route, WebSocketConnectOptions options) {
    try {
      return upstreams.webSockets(route).connect(options);
    } catch (RuntimeException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
  }

  private static void bridge(Exchange ex, WebSocketBase client, WebSocket upstream) {
    pipe(client, upstream, ex, true);
    pipe(upstream, client, ex, false);
    upstream.closeHandler(v -> closeWith(client, upstream));
    client.exceptionHandler(err -> upstream.close());
    upstream.exceptionHandler(err -> client.close());
    client.closeHandler(v -> {
      closeWith(upstream, client);
      ex.completed();
    });
  }

  /**
   * Relays data frames from one side to the other with back-pressure; frames from the client
   * ({@code inbound}) are the tenant's request bytes, charged to its byte rate (which may pause reading).
   */
  private static void pipe(WebSocketBase from, WebSocketBase to, Exchange ex, boolean inbound) {
    from.frameHandler((WebSocketFrame f) -> {
      if (!(f.isText() || f.isBinary() || f.isContinuation())) {
        return;
      }
      int n = f.binaryData().length();
      if (inbound) {
        ex.bytesIn += n;
      } else {
        ex.bytesOut += n;
      }
      ex.activity();
      to.writeFrame(f);
      if (to.writeQueueFull()) {
        from.pause();
        to.drainHandler(v -> {
          if (!inbound || !ex.throttled()) {
            from.resume();
          }
        });
      }
      if (inbound) {
        ex.charge(n, from, () -> !to.writeQueueFull());
      }
    });
  }

  private static void closeWith(WebSocketBase target, WebSocketBase closed) {
    if (target.isClosed()) {
      return;
    }
    Short code = closed.closeStatusCode();
    if (code != null && code != 1005 && code != 1006 && code != 1015) {
      target.close(code, closed.closeReason());
    } else {
      target.close();
    }
  }
}
