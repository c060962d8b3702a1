package io.tenantgate.error;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The one place that writes the gateway's own error replies: {@code application/problem+json}
 * (RFC 9457) for HTTP, trailers-only {@code grpc-status} for gRPC.
 */
public final class ErrorReplies {
  public static final String PROBLEM_JSON = "application/problem+json";
  /** Header (or trailer) naming the reason code on gRPC replies the gateway writes. */
  public static final String REASON_HEADER = "tenantgate-reason";

  /** Per failure, the problem+json body up to the request id, encoded once (refusals can come by the thousand). */
  private static final byte[][] PROBLEM_PREFIX = new byte[Failure.values().length][];
  /** Per failure, grpc-message and grpc-status as sent. */
  private static final String[] GRPC_MESSAGE = new String[Failure.values().length];
  private static final String[] GRPC_STATUS = new String[Failure.values().length];
  private static final byte[] REQUEST_ID_FIELD = ",\"request_id\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "}".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] QUOTE_END = "\"}".getBytes(StandardCharsets.US_ASCII);

  static {
    for (Failure f : Failure.values()) {
      String full = problem(f, null).encode();
      // {"type":...,"reason":"code"} without its closing brace: the request id, when there is one, follows
      PROBLEM_PREFIX[f.ordinal()] = full.substring(0, full.length() - 1).getBytes(StandardCharsets.UTF_8);
      GRPC_MESSAGE[f.ordinal()] = percentEncode(f.code() + ": " + f.message());
      GRPC_STATUS[f.ordinal()] = Integer.toString(f.grpcStatus().code());
    }
  }

  private ErrorReplies() {
  }

  /** The problem+json document for {@code failure} (RFC 9457 members, then the gateway's reason and request id). */
  static JsonObject problem(Failure failure, String requestId) {
    JsonObject body = new JsonObject()
        .put("type", "urn:tenantgate:problem:" + failure.code())
        .put("title", failure.message())
        .put("status", failure.httpStatus())
        .put("reason", failure.code());
    if (requestId != null) {
      body.put("request_id", requestId);
    }
    return body;
  }

  /**
   * {@link #problem} encoded: from the per-failure prefix when the request id needs no JSON escaping (the
   * gateway's own ids and the ones it accepts from clients never do), else through the JSON encoder.
   */
  static Buffer problemBody(Failure failure, String requestId) {
    byte[] prefix = PROBLEM_PREFIX[failure.ordinal()];
    if (requestId == null) {
      return Buffer.buffer(prefix.length + 1).appendBytes(prefix).appendBytes(END);
    }
    if (!jsonPlain(requestId)) {
      return problem(failure, requestId).toBuffer();
    }
    Buffer b = Buffer.buffer(prefix.length + REQUEST_ID_FIELD.length + requestId.length() + QUOTE_END.length);
    return b.appendBytes(prefix).appendBytes(REQUEST_ID_FIELD).appendString(requestId, "US-ASCII").appendBytes(QUOTE_END);
  }

  /** Printable ASCII other than '"' and '\\': written into a JSON string as is. */
  private static boolean jsonPlain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
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
          .putHeader("grpc-status", GRPC_STATUS[failure.ordinal()])
          .putHeader("grpc-message", GRPC_MESSAGE[failure.ordinal()])
          .putHeader(REASON_HEADER, failure.code())
          .end();
    }
    return resp.setStatusCode(failure.httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, PROBLEM_JSON)
        .end(problemBody(failure, requestId));
  }

  /** Retry-After in whole seconds: rounded up, at least 1. */
  public static long retryAfterSeconds(long nanos) {
    return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
  }

  /** The grpc-message for {@code failure}: "code: message", percent-encoded. */
  public static String grpcMessage(Failure failure) {
    return GRPC_MESSAGE[failure.ordinal()];
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
