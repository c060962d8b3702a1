package io.tenantgate.ingress;

import io.tenantgate.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * A gRPC stand-in for core on a real port (h2c prior knowledge), without generated code: every
 * message is a raw {@link Buffer}. It records each call it receives (method and metadata, and how the
 * call ended) so a test can prove what core saw, or that it saw nothing. Methods of {@code test.Echo}:
 * <ul>
 *   <li>{@code Unary}: echoes the message; the identity metadata it received comes back as
 *       {@code seen-<name>} response trailers;</li>
 *   <li>{@code Bidi}: echoes each message as it arrives (with back-pressure), ends when the client does;</li>
 *   <li>{@code ServerStream}: the request message is a decimal N; answers with N messages "0".."N-1";</li>
 *   <li>{@code ClientStream}: counts the messages and answers once with the decimal count;</li>
 *   <li>{@code Fail}: ends with NOT_FOUND and {@link #FAIL_MESSAGE} plus an {@code x-detail} trailer;
 *       the request message "trailers-only" makes it send no message first, anything else one message.</li>
 * </ul>
 * Unary-request methods answer INVALID_ARGUMENT at once when the call ends without a message; any
 * other method is answered UNIMPLEMENTED.
 */
public final class GrpcStubCore {
  static final String SERVICE = "test.Echo";
  static final String UNARY = SERVICE + "/Unary";
  public static final String BIDI = SERVICE + "/Bidi";
  static final String SERVER_STREAM = SERVICE + "/ServerStream";
  static final String CLIENT_STREAM = SERVICE + "/ClientStream";
  static final String FAIL = SERVICE + "/Fail";
  static final String FAIL_MESSAGE = "no such widget: w-42 (é)";
  /** Request metadata the Unary method reflects back as {@code seen-<name>} trailers. */
  static final Set<String> REFLECTED = Set.of("x-tenant-slug", "x-tenant-id", "x-component-id",
      "x-component-type", "x-partition-id", "x-client-cert-sha256", "x-forwarded-client-cert", "x-request-id");

  /** One call as core received it. Metadata names are lowercase; {@code ended} says how the call ended. */
  record Call(String method, MultiMap metadata, Future<String> ended) {
    String header(String name) {
      return metadata.get(name);
    }
  }

  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private final List<HttpConnection> connections = new ArrayList<>();
  private HttpServer server;

  private GrpcStubCore() {
  }

  public static GrpcStubCore start(Vertx vertx) {
    GrpcStubCore core = new GrpcStubCore();
    GrpcServer grpc = GrpcServer.server(vertx).callHandler(core::handle);
    core.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
            .setHttp2ClearTextEnabled(true))
        .connectionHandler(conn -> {
          synchronized (core.connections) {
            core.connections.add(conn);
          }
          conn.closeHandler(v -> {
            synchronized (core.connections) {
              core.connections.remove(conn);
            }
          });
        })
        .requestHandler(grpc);
    Await.result(core.server.listen());
    return core;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  List<Call> calls() {
    return List.copyOf(calls);
  }

  int callCount() {
    return calls.size();
  }

  void clear() {
    calls.clear();
  }

  /** Core dies: the listener and every open connection close at once, mid-stream or not. */
  public void stop() {
    List<HttpConnection> open;
    synchronized (connections) {
      open = List.copyOf(connections);
    }
    Await.result(Future.join(server.close(), Future.join(open.stream().map(HttpConnection::close).toList())));
  }

  private void handle(GrpcServerRequest<Buffer, Buffer> req) {
    Promise<String> ended = Promise.promise();
    calls.add(new Call(req.fullMethodName(), lowercase(req.headers()), ended.future()));
    GrpcServerResponse<Buffer, Buffer> resp = req.response();
    req.exceptionHandler(err -> ended.tryComplete("error: " + err));
    req.errorHandler(err -> ended.tryComplete("error: " + err));
    resp.exceptionHandler(err -> ended.tryComplete("error: " + err));
    switch (req.fullMethodName()) {
      case UNARY -> single(req, ended, msg -> {
        for (String name : REFLECTED) {
          String v = req.headers().get(name);
          if (v != null) {
            resp.trailers().set("seen-" + name, v);
          }
        }
        return resp.end(msg);
      });
      case BIDI -> req.pipeTo(resp).onComplete(ar -> ended.tryComplete(ar.succeeded() ? "completed"
          : "error: " + ar.cause()));
      case SERVER_STREAM -> single(req, ended, msg -> {
        int n = Integer.parseInt(msg.toString());
        for (int i = 0; i < n; i++) {
          resp.write(Buffer.buffer(Integer.toString(i)));
        }
        return resp.end();
      });
      case CLIENT_STREAM -> {
        int[] count = {0};
        req.handler(msg -> count[0]++);
        req.endHandler(v -> resp.end(Buffer.buffer(Integer.toString(count[0])))
            .onComplete(ar -> ended.tryComplete("completed")));
      }
      case FAIL -> single(req, ended, msg -> {
        if (!msg.toString().equals("trailers-only")) {
          resp.write(Buffer.buffer("partial"));
        }
        resp.trailers().set("x-detail", "widget-store");
        return resp.status(GrpcStatus.NOT_FOUND).statusMessage(FAIL_MESSAGE).end();
      });
      default -> resp.status(GrpcStatus.UNIMPLEMENTED).end().onComplete(ar -> ended.tryComplete("completed"));
    }
  }

  /**
   * A method taking exactly one request message; a call that ends without one is answered
   * INVALID_ARGUMENT at once (so a relay that loses messages shows up as such, not as a hang).
   */
  private static void single(GrpcServerRequest<Buffer, Buffer> req, Promise<String> ended,
      Function<Buffer, Future<Void>> answer) {
    req.last()
        .compose(answer::apply, err -> {
          req.response().status(GrpcStatus.INVALID_ARGUMENT).statusMessage("stub core got no request message").end();
          return Future.failedFuture(err);
        })
        .onComplete(ar -> ended.tryComplete(ar.succeeded() ? "completed" : "error: " + ar.cause()));
  }

  private static MultiMap lowercase(MultiMap in) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> e : in) {
      out.add(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
    return out;
  }
}
