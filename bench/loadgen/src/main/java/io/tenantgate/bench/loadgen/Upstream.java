package io.tenantgate.bench.loadgen;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.Arrays;

/**
 * The trivial upstream both gateways forward to: answers every request 200 with a small fixed
 * body, or 421 when the request lacks the tenant header a gateway must stamp (so a gateway that
 * forgot the identity shows up as errors in the load generator). HTTP/1.1 and h2c. gRPC (h2c prior
 * knowledge, raw buffers) {@code bench.Echo/Unary} echoes the message, {@code bench.Echo/Bidi} echoes
 * each message as it arrives.
 */
final class Upstream {
  private Upstream() {
  }

  static void main(Args args) throws Exception {
    String host = args.string("host", "127.0.0.1");
    int port = args.integer("port", 0);
    int bodySize = args.integer("body-size", 64);
    int threads = args.integer("threads", 1);
    String header = args.string("require-header", "x-tenant-slug");
    args.rejectUnknown();

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads).setPreferNativeTransport(true));
    byte[] bytes = new byte[bodySize];
    Arrays.fill(bytes, (byte) 'x');
    if (bodySize > 0) {
      bytes[bodySize - 1] = '\n';
    }
    Buffer body = Buffer.buffer(bytes);
    Buffer refusal = Buffer.buffer("missing " + header + "\n");
    String length = Integer.toString(bodySize);
    GrpcServer grpc = GrpcServer.server(vertx).callHandler(Upstream::grpcCall);
    int bound = port;
    for (int i = 0; i < threads; i++) {
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(bound)
          .setTcpNoDelay(true).setHttp2ClearTextEnabled(true).setIdleTimeout(0));
      server.requestHandler(req -> {
        String type = req.getHeader("content-type");
        if (type != null && type.startsWith("application/grpc")) {
          grpc.handle(req);
          return;
        }
        String tenant = header.isEmpty() ? "-" : req.getHeader(header);
        if (tenant == null || tenant.isEmpty()) {
          req.response().setStatusCode(421).end(refusal);
        } else {
          req.response().putHeader("content-length", length).putHeader("content-type", "text/plain").end(body);
        }
      });
      // each server created from the main thread gets its own event loop; they share the port
      bound = server.listen().await().actualPort();
    }
    System.out.println("upstream listening " + host + ":" + bound + " native=" + vertx.isNativeTransportEnabled());
    System.out.flush();
    Thread.currentThread().join();
  }

  private static void grpcCall(GrpcServerRequest<Buffer, Buffer> req) {
    switch (req.fullMethodName()) {
      case "bench.Echo/Unary" -> req.last().onSuccess(msg -> req.response().end(msg))
          .onFailure(err -> req.response().status(GrpcStatus.INVALID_ARGUMENT).end());
      case "bench.Echo/Bidi" -> req.pipeTo(req.response());
      default -> req.response().status(GrpcStatus.UNIMPLEMENTED).end();
    }
  }
}
