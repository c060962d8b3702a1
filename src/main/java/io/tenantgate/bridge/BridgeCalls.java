package io.tenantgate.bridge;

import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.metrics.AccessLog;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

/**
 * Records each bridge call as the edge records the requests it relays: one count, duration and the
 * tenant's bytes in {@code tenantgate_requests_total} and friends (route {@value #PUBLISH},
 * {@value #REQUEST} or {@value #WEBSOCKET}; the tenant tag is bounded by the metrics facade), and one
 * access-log line ({@code op} = {@code nats}). A WebSocket is one call from upgrade to close.
 */
final class BridgeCalls {
  static final String PUBLISH = "nats-publish";
  static final String REQUEST = "nats-request";
  static final String WEBSOCKET = "nats-ws";

  private final GatewayMetrics metrics;
  private final AccessLog accessLog;

  BridgeCalls(GatewayMetrics metrics, AccessLog accessLog) {
    this.metrics = metrics;
    this.accessLog = accessLog;
  }

  /** A call that starts now; everything it needs from the request is read here. */
  Call start(HttpServerRequest req, ClientIdentity id, String requestId, String route) {
    SocketAddress peer = req.remoteAddress();
    return new Call(id, requestId, route, req.version() == HttpVersion.HTTP_2 ? "h2" : "h1", req.method().name(),
        req.path(), peer == null ? null : peer.host());
  }

  /** One call in progress. Confined to the event loop of its connection. */
  final class Call {
    private final long startNanos = System.nanoTime();
    private final ClientIdentity id;
    private final String requestId;
    private final String route;
    private final String method;
    private final String path;
    private final String peer;
    private String protocol;
    private long bytesIn;
    private long bytesOut;
    private boolean finished;

    private Call(ClientIdentity id, String requestId, String route, String protocol, String method, String path,
        String peer) {
      this.id = id;
      this.requestId = requestId;
      this.route = route;
      this.protocol = protocol;
      this.method = method;
      this.path = path;
      this.peer = peer;
    }

    /** The request became a WebSocket: from now on its bytes are frames. */
    void upgraded() {
      protocol = "ws";
    }

    void received(long bytes) {
      bytesIn += bytes;
    }

    void sent(long bytes) {
      bytesOut += bytes;
    }

    /** Records the call once; {@code reason} is the failure or close reason, null when it went well. */
    void finish(int status, String reason) {
      if (finished) {
        return;
      }
      finished = true;
      long nanos = System.nanoTime() - startNanos;
      metrics.request(route, protocol, status, id.tenantSlug(), nanos, -1, 0, bytesIn, bytesOut);
      if (accessLog.wants(status, reason)) {
        accessLog.write(new AccessLog.Entry("nats", requestId, id.tenantSlug(), id.componentId(), id.partitionId(),
            route, protocol, method, path, status, nanos, -1, bytesIn, bytesOut, peer, reason));
      }
    }
  }
}
