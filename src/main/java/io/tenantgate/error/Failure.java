package io.tenantgate.error;

/**
 * The closed vocabulary of failures a client can see. Every refusal, limit hit or upstream problem
 * the gateway itself reports is one constant: it fixes the HTTP status, the gRPC status, the
 * reason code used in problem+json bodies, logs and metric tags, and the public message.
 */
public enum Failure {
  NO_CLIENT_CERT("no_client_cert", 401, GrpcStatus.UNAUTHENTICATED, "A client certificate is required"),
  TLS_HANDSHAKE("tls_handshake", 400, GrpcStatus.UNAVAILABLE, "The TLS handshake failed"),
  UNKNOWN_CA("unknown_ca", 401, GrpcStatus.UNAUTHENTICATED, "The certificate was not issued by a registered tenant CA"),
  BAD_CHAIN("bad_chain", 401, GrpcStatus.UNAUTHENTICATED, "The certificate chain does not validate to the platform root"),
  EXPIRED("expired", 401, GrpcStatus.UNAUTHENTICATED, "The certificate has expired"),
  NOT_YET_VALID("not_yet_valid", 401, GrpcStatus.UNAUTHENTICATED, "The certificate is not yet valid"),
  NOT_CLIENT_CERT("not_client_cert", 401, GrpcStatus.UNAUTHENTICATED, "The certificate is not a client certificate"),
  LEAF_IS_CA("leaf_is_ca", 401, GrpcStatus.UNAUTHENTICATED, "A CA certificate cannot be used as a client certificate"),
  BAD_CN("bad_cn", 401, GrpcStatus.UNAUTHENTICATED, "The certificate subject does not name a component of a tenant"),
  SPIFFE_MISMATCH("spiffe_mismatch", 401, GrpcStatus.UNAUTHENTICATED, "The SPIFFE ID does not agree with the certificate subject"),
  REVOKED("revoked", 401, GrpcStatus.UNAUTHENTICATED, "The certificate has been revoked"),
  TENANT_MISMATCH("tenant_mismatch", 403, GrpcStatus.PERMISSION_DENIED, "The certificate names a tenant other than its issuing CA's"),
  TENANT_SUSPENDED("tenant_suspended", 403, GrpcStatus.PERMISSION_DENIED, "The tenant is suspended"),
  CA_DISABLED("ca_disabled", 403, GrpcStatus.PERMISSION_DENIED, "The issuing tenant CA is disabled"),
  PINNED_TENANT("pinned_tenant", 403, GrpcStatus.PERMISSION_DENIED, "This listener does not serve the certificate's tenant"),

  NO_ROUTE("no_route", 404, GrpcStatus.UNIMPLEMENTED, "No route matches the request"),
  BAD_PATH("bad_path", 400, GrpcStatus.INVALID_ARGUMENT, "The request path has dot segments or encoded separators"),
  BAD_REQUEST("bad_request", 400, GrpcStatus.INVALID_ARGUMENT, "The request is malformed"),
  GRPC_REQUIRES_HTTP2("grpc_requires_http2", 426, GrpcStatus.INTERNAL, "gRPC requires HTTP/2"),
  HEADERS_TOO_LARGE("headers_too_large", 431, GrpcStatus.RESOURCE_EXHAUSTED, "The request headers exceed the configured limit"),
  URI_TOO_LONG("uri_too_long", 414, GrpcStatus.INVALID_ARGUMENT, "The request line exceeds the configured limit"),
  BODY_TOO_LARGE("body_too_large", 413, GrpcStatus.RESOURCE_EXHAUSTED, "The request body exceeds the configured limit"),
  BODY_TIMEOUT("body_timeout", 408, GrpcStatus.DEADLINE_EXCEEDED, "The request body did not arrive in time"),
  HEADER_TIMEOUT("header_timeout", 408, GrpcStatus.DEADLINE_EXCEEDED, "The request head did not arrive in time"),
  // RFC 9112 section 6.1 / 6.3: Transfer-Encoding with Content-Length, or not ending in chunked
  BAD_FRAMING("bad_framing", 400, GrpcStatus.INVALID_ARGUMENT, "The request's message framing is ambiguous"),
  BAD_TARGET("bad_target", 400, GrpcStatus.INVALID_ARGUMENT, "The request target is not a valid URI"),
  BAD_WEBSOCKET_HANDSHAKE("bad_websocket_handshake", 400, GrpcStatus.INVALID_ARGUMENT,
      "The WebSocket handshake is incomplete or malformed"),
  UNSUPPORTED_WEBSOCKET_VERSION("unsupported_websocket_version", 426, GrpcStatus.INVALID_ARGUMENT,
      "Only WebSocket version 13 is supported"),
  UPSTREAM_UNAVAILABLE("upstream_unavailable", 502, GrpcStatus.UNAVAILABLE, "The upstream service is unavailable"),
  UPSTREAM_TIMEOUT("upstream_timeout", 504, GrpcStatus.UNAVAILABLE, "The upstream service did not answer in time"),
  DEADLINE_EXCEEDED("deadline_exceeded", 504, GrpcStatus.DEADLINE_EXCEEDED, "The call's deadline passed"),
  UPSTREAM_RESET("upstream_reset", 502, GrpcStatus.UNAVAILABLE, "The upstream service reset the stream"),
  CLIENT_CLOSED("client_closed", 499, GrpcStatus.CANCELLED, "The client closed the request"),
  SHUTTING_DOWN("shutting_down", 503, GrpcStatus.UNAVAILABLE, "The gateway is shutting down"),
  SUBJECT_INVALID("subject_invalid", 400, GrpcStatus.INVALID_ARGUMENT, "The subject is not a valid tenant subject"),
  SUBJECT_PREFIXED("subject_prefixed", 400, GrpcStatus.INVALID_ARGUMENT, "Send subjects without a tenant prefix"),
  // 400, not 403: 401/403 are reserved for identity refusals (FailureTest)
  SUBJECT_NOT_ALLOWED("subject_not_allowed", 400, GrpcStatus.INVALID_ARGUMENT, "This component may not use this subject"),
  TOO_MANY_SUBSCRIPTIONS("too_many_subscriptions", 429, GrpcStatus.RESOURCE_EXHAUSTED, "The socket holds the most subscriptions allowed"),
  TOO_MANY_WEBSOCKETS("too_many_websockets", 503, GrpcStatus.UNAVAILABLE, "The gateway holds the most NATS WebSockets it allows; retry later"),
  // 409, not 403: the tenant's identity is fine, its slug collides with a NATS subject root
  SLUG_RESERVED("slug_reserved", 409, GrpcStatus.PERMISSION_DENIED, "The tenant's slug is a reserved NATS subject root; it cannot use the NATS bridge"),
  OVER_RATE("over_rate", 429, GrpcStatus.RESOURCE_EXHAUSTED, "The tenant is over its publish rate"),
  OVER_BANDWIDTH("over_bandwidth", 429, GrpcStatus.RESOURCE_EXHAUSTED, "The tenant is over its publish bandwidth"),
  TENANT_RATE_LIMITED("tenant_rate_limited", 429, GrpcStatus.RESOURCE_EXHAUSTED, "The tenant is over its request rate"),
  TENANT_BANDWIDTH_LIMITED("tenant_bandwidth_limited", 429, GrpcStatus.RESOURCE_EXHAUSTED,
      "The tenant is over its request bandwidth"),
  TENANT_STREAMS_LIMITED("tenant_streams_limited", 429, GrpcStatus.RESOURCE_EXHAUSTED,
      "The tenant has the most concurrent gRPC streams it is allowed"),
  TENANT_CONNECTIONS_LIMITED("tenant_connections_limited", 429, GrpcStatus.RESOURCE_EXHAUSTED,
      "The tenant has the most connections it is allowed"),
  TENANT_SUBSCRIPTIONS_LIMITED("tenant_subscriptions_limited", 429, GrpcStatus.RESOURCE_EXHAUSTED,
      "The tenant has the most WebSocket subscriptions it is allowed"),
  NATS_UNAVAILABLE("nats_unavailable", 503, GrpcStatus.UNAVAILABLE, "NATS is unavailable"),
  NO_RESPONDERS("no_responders", 503, GrpcStatus.UNAVAILABLE, "Nothing is subscribed to the request subject"),
  NATS_ACK_TIMEOUT("nats_ack_timeout", 504, GrpcStatus.DEADLINE_EXCEEDED, "JetStream did not acknowledge in time; the message may or may not be stored"),
  REQUEST_TIMEOUT("request_timeout", 504, GrpcStatus.DEADLINE_EXCEEDED, "No reply arrived in time"),
  STREAM_FULL("stream_full", 507, GrpcStatus.RESOURCE_EXHAUSTED, "The tenant's stream is full"),
  INTERNAL("internal", 500, GrpcStatus.INTERNAL, "Internal gateway error");

  private final String code;
  private final int httpStatus;
  private final GrpcStatus grpcStatus;
  private final String message;

  Failure(String code, int httpStatus, GrpcStatus grpcStatus, String message) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.grpcStatus = grpcStatus;
    this.message = message;
  }

  /** Reason code: stable, lowercase, used in problem+json, logs and metric tags. */
  public String code() {
    return code;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public GrpcStatus grpcStatus() {
    return grpcStatus;
  }

  /** Message safe to show to any client. */
  public String message() {
    return message;
  }

  /** True for a tenant quota refusal (429 with Retry-After; counted, logged once per burst). */
  public boolean isQuota() {
    return switch (this) {
      case OVER_RATE, OVER_BANDWIDTH, TENANT_RATE_LIMITED, TENANT_BANDWIDTH_LIMITED, TENANT_STREAMS_LIMITED,
          TENANT_CONNECTIONS_LIMITED, TENANT_SUBSCRIPTIONS_LIMITED -> true;
      default -> false;
    };
  }

  /** True for refusals of the client's identity (as opposed to routing or upstream failures). */
  public boolean isIdentityRefusal() {
    return httpStatus == 401 || httpStatus == 403;
  }
}
