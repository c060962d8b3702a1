package io.tenantgate.dev;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;

/**
 * The built-in core of {@code tenantgate dev}: answers every HTTP request (HTTP/1.1 or h2c) with
 * JSON naming the method, path, headers and body size it received, and echoes WebSocket messages.
 * It shows exactly what core would see behind the gateway.
 */
public final class EchoCoreVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final Promise<Integer> boundPort;

  public EchoCoreVerticle(String host, int port, Promise<Integer> boundPort) {
    this.host = host;
    this.port = port;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setHttp2ClearTextEnabled(true))
        .webSocketHandler(this::echo)
        .requestHandler(this::handle)
        .listen()
        .onSuccess(s -> boundPort.tryComplete(s.actualPort()));
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      JsonObject out = new JsonObject()
          .put("method", req.method().name())
          .put("path", req.path())
          .put("uri", req.uri())
          .put("version", req.version().alpnName())
          .put("headers", headers(req.headers()))
          .put("body_bytes", body.length());
      req.response().putHeader("content-type", "application/json").end(out.encodePrettily() + "\n");
    });
  }

  private void echo(ServerWebSocket ws) {
    ws.textMessageHandler(ws::writeTextMessage);
    ws.binaryMessageHandler(ws::writeBinaryMessage);
  }

  /** Header name -> value (or list of values), sorted, lowercase names. */
  static JsonObject headers(MultiMap headers) {
    Map<String, Object> sorted = new TreeMap<>();
    for (String name : headers.names()) {
      var values = headers.getAll(name);
      sorted.put(name.toLowerCase(java.util.Locale.ROOT), values.size() == 1 ? values.get(0) : new JsonArray(values));
    }
    return new JsonObject(sorted);
  }
}
