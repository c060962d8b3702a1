package io.tenantgate.bridge;

import io.tenantgate.config.NatsPublishConfig.AckMode;
import io.tenantgate.error.ErrorReplies;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The HTTP surface: {@code POST <mount>publish/<subject>} (202 once the connection took it; with
 * {@code ?ack=jetstream} 200 with stream and sequence once the stream stored it) and
 * {@code POST <mount>request/<subject>} (200 with the reply). Bodies are read up to the payload
 * limit and no further. One flat chain per request; {@link #reply} and {@link #fail} are the only
 * writers, and every call is recorded (metrics and access log) when its answer is written.
 */
final class HttpBridge {
  private final Publisher publisher;
  private final BridgeCalls calls;

  HttpBridge(Publisher publisher, BridgeCalls calls) {
    this.publisher = publisher;
    this.calls = calls;
  }

  void publish(HttpServerRequest req, ClientIdentity id, String requestId, String subject) {
    BridgeCalls.Call call = calls.start(req, id, requestId, BridgeCalls.PUBLISH);
    Context ctx = Vertx.currentContext();
    Future.succeededFuture(req)
        .compose(r -> r.method() == HttpMethod.POST ? ackMode(r) : Future.failedFuture(notPost()))
        .compose(ack -> body(req).compose(body -> publisher.publish(ctx, id, subject, body.getBytes(),
            req.getHeader(Publisher.MSG_ID), ack == AckMode.JETSTREAM)))
        .map(p -> p.stream() == null
            ? new Reply(202, new JsonObject().put("subject", p.subject()).put("ack", "core"))
            : new Reply(200, new JsonObject().put("subject", p.subject()).put("ack", "jetstream")
                .put("stream", p.stream()).put("seq", p.seq()).put("duplicate", p.duplicate())))
        .onComplete(ar -> finish(req, requestId, call, ar));
  }

  void request(HttpServerRequest req, ClientIdentity id, String requestId, String subject) {
    BridgeCalls.Call call = calls.start(req, id, requestId, BridgeCalls.REQUEST);
    Context ctx = Vertx.currentContext();
    Future.succeededFuture(req)
        .compose(r -> r.method() == HttpMethod.POST ? timeout(r) : Future.failedFuture(notPost()))
        .compose(t -> body(req).compose(body -> publisher.request(ctx, id, subject, body.getBytes(), t)))
        .map(m -> new Reply(200, Payloads.describe(m.getData(), m.getHeaders()).put("subject", subject)))
        .onComplete(ar -> finish(req, requestId, call, ar));
  }

  private record Reply(int status, JsonObject body) {
  }

  private static void finish(HttpServerRequest req, String requestId, BridgeCalls.Call call,
      io.vertx.core.AsyncResult<Reply> ar) {
    if (ar.succeeded()) {
      reply(req, requestId, ar.result());
      finished(req, call, ar.result().status(), null);
    } else {
      BridgeException e = BridgeException.of(ar.cause());
      fail(req, requestId, e);
      finished(req, call, e.failure().httpStatus(), e.failure().code());
    }
  }

  /** Records a call whose answer was just written. */
  static void finished(HttpServerRequest req, BridgeCalls.Call call, int status, String reason) {
    call.received(req.bytesRead());
    call.sent(req.response().bytesWritten());
    call.finish(status, reason);
  }

  private static void reply(HttpServerRequest req, String requestId, Reply r) {
    if (requestId != null) {
      req.response().putHeader("x-request-id", requestId);
    }
    req.response().setStatusCode(r.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .end(r.body().toBuffer());
  }

  /**
   * The problem+json reply. An HTTP/1.1 request whose body was not read to the end also closes the
   * connection, so the unread bytes are never taken for the next request.
   */
  static void fail(HttpServerRequest req, String requestId, BridgeException e) {
    boolean unread = !req.isEnded() && req.version() != HttpVersion.HTTP_2;
    ErrorReplies.write(req.response(), e.failure(), false, requestId, unread, e.retryAfterNanos());
  }

  private static BridgeException notPost() {
    return new BridgeException(Failure.BAD_REQUEST, "method", "Use POST");
  }

  private Future<AckMode> ackMode(HttpServerRequest req) {
    String ack = req.getParam("ack");
    if (ack == null) {
      return Future.succeededFuture(publisher.config().defaultAck());
    }
    AckMode m = AckMode.parse(ack);
    return m == null ? Future.failedFuture(new BridgeException(Failure.BAD_REQUEST, "bad_ack",
        "ack must be core or jetstream")) : Future.succeededFuture(m);
  }

  private static Future<Duration> timeout(HttpServerRequest req) {
    String t = req.getParam("timeout_ms");
    if (t == null) {
      return Future.succeededFuture(null);
    }
    try {
      return Future.succeededFuture(Duration.ofMillis(Math.max(1, Long.parseLong(t))));
    } catch (NumberFormatException e) {
      return Future.failedFuture(new BridgeException(Failure.BAD_REQUEST, "bad_timeout", "timeout_ms must be a number"));
    }
  }

  /** The request body, refused as soon as it passes the payload limit (by Content-Length or by bytes read). */
  private Future<Buffer> body(HttpServerRequest req) {
    long max = publisher.config().maxPayload();
    String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl != null && parseLong(cl) > max) {
      return Future.failedFuture(new BridgeException(Failure.BODY_TOO_LARGE));
    }
    if (req.isEnded()) {
      // an HTTP/2 request can be complete before anyone reads it; handler() would throw. A declared
      // non-empty body that was never delivered must not become an empty publish.
      return cl != null && parseLong(cl) > 0 ? Future.failedFuture(new BridgeException(Failure.BAD_REQUEST))
          : Future.succeededFuture(Buffer.buffer());
    }
    Promise<Buffer> p = Promise.promise();
    Buffer body = Buffer.buffer();
    req.handler(chunk -> {
      if (body.length() + chunk.length() > max) {
        req.pause();
        p.tryFail(new BridgeException(Failure.BODY_TOO_LARGE));
      } else {
        body.appendBuffer(chunk);
      }
    });
    req.exceptionHandler(err -> p.tryFail(new BridgeException(Failure.CLIENT_CLOSED)));
    req.endHandler(v -> p.tryComplete(body));
    req.resume();
    return p.future();
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
