package io.tenantgate.error;

/** A failure from the closed vocabulary travelling through a future chain. Carries no stack trace. */
public final class GatewayException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Failure failure;

  public GatewayException(Failure failure, String detail) {
    super(detail == null ? failure.code() : failure.code() + ": " + detail, null, false, false);
    this.failure = failure;
  }

  public GatewayException(Failure failure) {
    this(failure, null);
  }

  public Failure failure() {
    return failure;
  }

  /** Maps any throwable to the vocabulary: our own failures keep their constant, the rest are INTERNAL. */
  public static Failure failureOf(Throwable t) {
    return t instanceof GatewayException ge ? ge.failure() : Failure.INTERNAL;
  }
}
