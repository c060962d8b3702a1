package io.tenantgate.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A stand-in for core on a real port: records every HTTP request and WebSocket it receives (so a
 * test can prove core saw nothing) and answers with JSON of what it saw. Paths with special
 * behaviour: {@code /slow?ms=N} answers after N ms, {@code /stall} sends its head and a first chunk, then
 * nothing, {@code /upload} answers with the body size,
 * {@code /status/N} answers status N; WebSockets echo.
 */
public final class RecordingCore {
  private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
  private HttpServer server;

  /** What core received. Header names lowercase. */
  public record Seen(String method, String path, String uri, MultiMap headers, long bodyBytes, boolean webSocket) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  public static RecordingCore start(Vertx vertx) {
    RecordingCore core = new RecordingCore();
    core.server = vertx.createHttpServer(new HttpServerOptions().setPort(0).setHost("127.0.0.1")
            .setHttp2ClearTextEnabled(true))
        // /ws/refuse/NNN: core answers the upgrade with status NNN instead of 101
        .webSocketHandshakeHandler(hs -> {
          if (hs.path().startsWith("/ws/refuse/")) {
            core.seen.add(new Seen("GET", hs.path(), hs.uri(), copy(hs.headers()), 0, false));
            hs.reject(Integer.parseInt(hs.path().substring("/ws/refuse/".length())));
          } else {
            hs.accept();
          }
        })
        .webSocketHandler(ws -> {
          core.seen.add(new Seen("GET", ws.path(), ws.uri(), copy(ws.headers()), 0, true));
          ws.textMessageHandler(ws::writeTextMessage);
          ws.binaryMessageHandler(ws::writeBinaryMessage);
        })
        .requestHandler(core::handle)
        .listen().await();
    return core;
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      seen.add(new Seen(req.method().name(), req.path(), req.uri(), copy(req.headers()), body.length(), false));
      String path = req.path();
      JsonObject out = new JsonObject().put("path", path).put("body_bytes", body.length())
          .put("version", req.version().alpnName());
      if (path.startsWith("/status/")) {
        req.response().setStatusCode(Integer.parseInt(path.substring(8))).end(out.encode());
      } else if (path.equals("/stall")) {
        req.response().setChunked(true).write("first bytes, then silence");
      } else if (path.equals("/slow")) {
        long ms = Long.parseLong(req.getParam("ms", "1000"));
        req.response().setChunked(true);
        Vertx.currentContext().owner().setTimer(ms, id -> req.response().end(out.encode()));
      } else {
        req.response().putHeader("content-type", "application/json").end(out.encode());
      }
    });
  }

  private static MultiMap copy(MultiMap in) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> e : in) {
      out.add(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue());
    }
    return out;
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port();
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public Seen last() {
    List<Seen> all = seen();
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  public int count() {
    return seen.size();
  }

  public void clear() {
    seen.clear();
  }

  public Future<Void> close() {
    return server.close();
  }

  /** Closes now, for tests that need core gone. */
  public void stop() {
    Await.result(server.close());
  }
}
