package io.tenantgate.error;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The one place that writes the gateway's own error replies: {@code application/problem+json}
 * (RFC 9457) for HTTP, trailers-only {@code grpc-status} for gRPC.
 */
public final class ErrorReplies {
  public static final String PROBLEM_JSON = "application/problem+json";
  /** Header (or trailer) naming the reason code on gRPC replies the gateway writes. */
  public static final String REASON_HEADER = "tenantgate-reason";

  private ErrorReplies() {
  }

  /**
   * Writes the reply for {@code failure} unless the response has already started.
   *
   * @param grpc whether the request was a gRPC call
   * @param closeConnection ask an HTTP/1.1 client to close the connection afterwards (never for HTTP/2,
   *     where a Connection header is illegal)
   */
  public static Future<Void> write(HttpServerResponse resp, Failure failure, boolean grpc,
      String requestId, boolean closeConnection) {
    return write(resp, failure, grpc, requestId, closeConnection, 0);
  }

  /**
   * As {@link #write(HttpServerResponse, Failure, boolean, String, boolean)}, telling the client when to
   * retry: {@code Retry-After} (whole seconds, at least 1) on HTTP, {@code grpc-retry-pushback-ms} on
   * gRPC (the gRPC retry design's server pushback).
   *
   * @param retryAfterNanos how long until a retry can succeed; 0 = say nothing
   */
  public static Future<Void> write(HttpServerResponse resp, Failure failure, boolean grpc,
      String requestId, boolean closeConnection, long retryAfterNanos) {
    if (resp.headWritten() || resp.ended() || resp.closed()) {
      return Future.succeededFuture();
    }
    resp.headers().clear();
    if (retryAfterNanos > 0) {
      if (grpc) {
        resp.putHeader("grpc-retry-pushback-ms", Long.toString(Math.max(1, (retryAfterNanos + 999_999) / 1_000_000)));
      } else {
        resp.putHeader("retry-after", Long.toString(retryAfterSeconds(retryAfterNanos)));
      }
    }
    if (closeConnection) {
      resp.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    if (failure == Failure.UNSUPPORTED_WEBSOCKET_VERSION) {
      // RFC 6455 section 4.2.2: the refusal names the version the server speaks
      resp.putHeader("sec-websocket-version", "13");
    }
    if (requestId != null) {
      resp.putHeader("x-request-id", requestId);
    }
    if (grpc) {
      return resp.setStatusCode(200)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/grpc")
          .putHeader("grpc-status", Integer.toString(failure.grpcStatus().code()))
          .putHeader("grpc-message", grpcMessage(failure))
          .putHeader(REASON_HEADER, failure.code())
          .end();
    }
    JsonObject body = new JsonObject()
        .put("type", "urn:tenantgate:problem:" + failure.code())
        .put("title", failure.message())
        .put("status", failure.httpStatus())
        .put("reason", failure.code());
    if (requestId != null) {
      body.put("request_id", requestId);
    }
    return resp.setStatusCode(failure.httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, PROBLEM_JSON)
        .end(body.toBuffer());
  }

  /** Retry-After in whole seconds: rounded up, at least 1. */
  public static long retryAfterSeconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** The grpc-message for {@code failure}: "code: message", percent-encoded. */
  public static String grpcMessage(Failure failure) {
    return percentEncode(failure.code() + ": " + failure.message());
  }

  /** grpc-message is percent-encoded per the gRPC HTTP/2 spec. */
  static String percentEncode(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 0x20 && c <= 0x7e && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }
}
