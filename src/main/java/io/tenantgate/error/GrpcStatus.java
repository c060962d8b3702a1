package io.tenantgate.error;

/** The gRPC status codes the gateway produces itself (numeric values from the gRPC spec). */
public enum GrpcStatus {
  OK(0), CANCELLED(1), UNKNOWN(2), INVALID_ARGUMENT(3), DEADLINE_EXCEEDED(4), NOT_FOUND(5),
  PERMISSION_DENIED(7), RESOURCE_EXHAUSTED(8), UNIMPLEMENTED(12), INTERNAL(13), UNAVAILABLE(14),
  UNAUTHENTICATED(16);

  private final int code;

  GrpcStatus(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
