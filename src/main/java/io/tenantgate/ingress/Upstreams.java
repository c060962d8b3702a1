package io.tenantgate.ingress;

import io.tenantgate.config.LimitsConfig;
import io.tenantgate.config.RouteConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The upstream clients of one edge verticle (so of one event loop): a pooled client per upstream
 * and protocol, shared by the routes that name the same one, plus one WebSocket client. gRPC gets
 * an HTTP/2 client (h2c prior knowledge for http://, ALPN h2 for https://) whatever the route's
 * plain-HTTP protocol.
 */
final class Upstreams {
  private final Vertx vertx;
  private final LimitsConfig limits;
  private final Map<String, HttpClient> clients = new HashMap<>();
  private final Map<RouteConfig, HttpClient> plain = new HashMap<>();
  private final Map<RouteConfig, HttpClient> grpc = new HashMap<>();
  private final Map<RouteConfig, WebSocketClient> webSockets = new HashMap<>();

  Upstreams(Vertx vertx, List<RouteConfig> routes, LimitsConfig limits) {
    this.vertx = vertx;
    this.limits = limits;
    for (RouteConfig r : routes) {
      grpc.put(r, client(r, true));
      if (!r.isGrpc()) {
        plain.put(r, client(r, false));
      }
    }
    for (RouteConfig r : routes) {
      if (!r.isGrpc()) {
        WebSocketClientOptions o = new WebSocketClientOptions()
            .setConnectTimeout((int) limits.upstreamConnectTimeout().toMillis())
            .setMaxFrameSize(65536).setMaxMessageSize(16 * 1024 * 1024);
        if (r.upstreamTls()) {
          o.setSsl(true).setVerifyHost(true);
          if (r.upstreamCaFile() != null) {
            o.setTrustOptions(new PemTrustOptions().addCertPath(r.upstreamCaFile().toString()));
          }
        }
        webSockets.put(r, vertx.createWebSocketClient(o));
      }
    }
  }

  HttpClient plain(RouteConfig route) {
    return plain.get(route);
  }

  HttpClient grpc(RouteConfig route) {
    return grpc.get(route);
  }

  /** The WebSocket client for {@code route}, with the route's upstream trust. */
  WebSocketClient webSockets(RouteConfig route) {
    return webSockets.get(route);
  }

  private HttpClient client(RouteConfig r, boolean forGrpc) {
    boolean h2 = forGrpc || r.protocol() != RouteConfig.UpstreamProtocol.HTTP1;
    String key = r.upstream() + "|" + h2 + "|" + r.upstreamCaFile() + "|" + r.maxConnections();
    return clients.computeIfAbsent(key, k -> {
      HttpClientOptions o = new HttpClientOptions()
          .setConnectTimeout((int) limits.upstreamConnectTimeout().toMillis())
          .setMaxHeaderSize(limits.maxHeaderSize())
          .setKeepAlive(true)
          .setKeepAliveTimeout(60)
          .setHttp2KeepAliveTimeout(60)
          .setDecompressionSupported(false)
          .setTcpNoDelay(true);
      if (h2) {
        o.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
      }
      if (r.upstreamTls()) {
        o.setSsl(true).setUseAlpn(h2).setVerifyHost(true);
        if (r.upstreamCaFile() != null) {
          o.setTrustOptions(new PemTrustOptions().addCertPath(r.upstreamCaFile().toString()));
        }
      }
      return vertx.httpClientBuilder().with(o)
          .with(new PoolOptions().setHttp1MaxSize(r.maxConnections()).setHttp2MaxSize(r.maxConnections()))
          .withConnectHandler(FlushCoalescing::install)
          .build();
    });
  }

  Future<Void> close() {
    List<Future<Void>> all = new ArrayList<>();
    clients.values().forEach(c -> all.add(c.close()));
    webSockets.values().forEach(c -> all.add(c.close()));
    return Future.join(all).mapEmpty();
  }
}
