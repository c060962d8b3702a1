package io.tenantgate.ingress;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * A vertx-grpc client for the edge listener, without generated code: TLS with ALPN h2, presenting a
 * component certificate (leaf + tenant CA) and verifying the gateway against the platform root.
 * Messages are raw {@link Buffer}s; every call ends in an {@link Outcome}, whichever way it ended.
 */
public final class GrpcEdgeClient implements AutoCloseable {
  private final GrpcClient grpc;
  private final SocketAddress edge;

  private GrpcEdgeClient(GrpcClient grpc, SocketAddress edge) {
    this.grpc = grpc;
    this.edge = edge;
  }

  public static GrpcEdgeClient connect(Vertx vertx, GatewayFixture fx, ClientCert cert) {
    HttpClientOptions options = fx.baseOptions(HttpVersion.HTTP_2).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(cert.chainPem().toString()).setKeyPath(cert.keyPem().toString()));
    return new GrpcEdgeClient(GrpcClient.client(vertx, options),
        SocketAddress.inetSocketAddress(fx.edgePort(), "localhost"));
  }

  /** A new call to {@code method} ("package.Service/Method"), head not sent yet. */
  Future<GrpcClientRequest<Buffer, Buffer>> request(String method) {
    return grpc.request(edge).map(req -> req.fullMethodName(method));
  }

  /** One message out (with {@code metadata}), everything that comes back collected. */
  Future<Outcome> unary(String method, Buffer msg, Map<String, String> metadata) {
    return request(method).compose(req -> {
      metadata.forEach(req.headers()::add);
      return collect(req.send(msg));
    });
  }

  /** Sends {@code count} messages honouring the write queue (drain before writing more), then ends. */
  Future<Outcome> stream(String method, int count, IntFunction<Buffer> message) {
    return request(method).compose(req -> {
      Future<Outcome> out = collect(req.response());
      int[] sent = {0};
      Runnable[] pump = new Runnable[1];
      pump[0] = () -> {
        while (sent[0] < count) {
          if (req.writeQueueFull()) {
            req.drainHandler(v -> pump[0].run());
            return;
          }
          req.write(message.apply(sent[0]++));
        }
        req.end();
      };
      pump[0].run();
      return out;
    });
  }

  /** Opens an echoing bidi call driven step by step. */
  public Bidi bidi(String method) {
    return Await.result(request(method).map(Bidi::new));
  }

  @Override
  public void close() {
    Await.result(grpc.close());
  }

  static Future<Outcome> collect(Future<GrpcClientResponse<Buffer, Buffer>> response) {
    return collect(response, msg -> { });
  }

  static Future<Outcome> collect(Future<GrpcClientResponse<Buffer, Buffer>> response, Consumer<Buffer> onMessage) {
    Promise<Outcome> p = Promise.promise();
    response.onFailure(err -> p.tryComplete(new Outcome(null, null, null, List.of(), err)));
    response.onSuccess(resp -> {
      List<Buffer> messages = Collections.synchronizedList(new ArrayList<>());
      resp.handler(msg -> {
        messages.add(msg);
        onMessage.accept(msg);
      });
      resp.exceptionHandler(err -> p.tryComplete(new Outcome(resp.status(), resp.headers(), resp.trailers(),
          List.copyOf(messages), err)));
      resp.endHandler(v -> p.tryComplete(new Outcome(resp.status(), resp.headers(), resp.trailers(),
          List.copyOf(messages), null)));
    });
    return p.future();
  }

  /**
   * What a call ended with. {@code status} is null when no HTTP response arrived ({@code failure} says
   * why). {@link #statusMessage()} is decoded here from the trailers or, for a trailers-only reply, the
   * headers: vertx-grpc-client 5.0.7's {@code GrpcClientResponse.statusMessage()} reads only the headers.
   */
  public record Outcome(GrpcStatus status, MultiMap headers, MultiMap trailers, List<Buffer> messages, Throwable failure) {
    List<String> texts() {
      return messages.stream().map(Buffer::toString).toList();
    }

    String statusMessage() {
      String raw = find("grpc-message");
      return raw == null ? null : percentDecode(raw);
    }

    /** The gateway's own reason code, wherever the reply carried it. */
    String reason() {
      return find("tenantgate-reason");
    }

    private String find(String name) {
      if (trailers != null && trailers.contains(name)) {
        return trailers.get(name);
      }
      return headers == null ? null : headers.get(name);
    }

    @Override
    public String toString() {
      return "Outcome[status=" + status + ", headers=" + entries(headers) + ", trailers=" + entries(trailers)
          + ", messages=" + messages.size() + ", failure=" + failure + "]";
    }

    private static String entries(MultiMap m) {
      return m == null ? "null" : m.entries().toString();
    }

    /** gRPC percent-decoding ({@code +} stays literal, unlike form decoding). */
    private static String percentDecode(String s) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '%' && i + 2 < s.length()) {
          out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
          i += 2;
        } else {
          out.write(c);
        }
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** A bidi call against an echoing method: one message out, wait for its echo. */
  public static final class Bidi {
    private final GrpcClientRequest<Buffer, Buffer> req;
    private final Future<Outcome> outcome;
    private volatile Promise<Buffer> next;

    private Bidi(GrpcClientRequest<Buffer, Buffer> req) {
      this.req = req;
      this.outcome = collect(req.response(), msg -> {
        Promise<Buffer> waiting = next;
        if (waiting != null) {
          waiting.tryComplete(msg);
        }
      });
    }

    public Future<Buffer> exchange(Buffer msg) {
      Promise<Buffer> p = Promise.promise();
      next = p;
      req.write(msg).onFailure(p::tryFail);
      outcome.onComplete(ar -> p.tryFail("call ended before the echo: " + ar.result()));
      return p.future();
    }

    public void end() {
      req.end();
    }

    public Future<Outcome> outcome() {
      return outcome;
    }
  }
}
