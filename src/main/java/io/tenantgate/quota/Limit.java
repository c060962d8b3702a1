package io.tenantgate.quota;

import io.tenantgate.error.Failure;

/** The per-tenant limits, each with its field name ({@code TenantLimits}) and the refusal it causes. */
public enum Limit {
  CONNECTIONS("connections", Failure.TENANT_CONNECTIONS_LIMITED),
  REQUESTS("rps", Failure.TENANT_RATE_LIMITED),
  BANDWIDTH("bytes_per_second", Failure.TENANT_BANDWIDTH_LIMITED),
  GRPC_STREAMS("grpc_streams", Failure.TENANT_STREAMS_LIMITED),
  NATS_PUBLISHES("nats_publishes_per_second", Failure.OVER_RATE),
  NATS_BANDWIDTH("nats_bytes_per_second", Failure.OVER_BANDWIDTH),
  WS_SUBSCRIPTIONS("ws_subscriptions", Failure.TENANT_SUBSCRIPTIONS_LIMITED);

  private final String field;
  private final Failure failure;

  Limit(String field, Failure failure) {
    this.field = field;
    this.failure = failure;
  }

  /** The limit's name in the registry, the admin API and the CLI ({@code rps}, {@code grpc_streams}, ...). */
  public String field() {
    return field;
  }

  public Failure failure() {
    return failure;
  }
}
