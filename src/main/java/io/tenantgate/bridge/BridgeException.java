package io.tenantgate.bridge;

import io.tenantgate.error.Failure;
import io.tenantgate.error.GatewayException;
import java.util.concurrent.CompletionException;

/**
 * A bridge failure on its way to the client: the closed {@link Failure}, a reason from a closed set
 * (metric tag; e.g. {@code wildcard}, {@code stream_full}) and a message safe to show. No stack trace.
 */
final class BridgeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Failure failure;
  private final String reason;
  private long retryAfterNanos;

  BridgeException(Failure failure, String reason, String message) {
    super(message, null, false, false);
    this.failure = failure;
    this.reason = reason;
  }

  BridgeException(Failure failure) {
    this(failure, failure.code(), failure.message());
  }

  /** Tells the client when to retry (a quota refusal); returns this. */
  BridgeException retryAfter(long nanos) {
    this.retryAfterNanos = nanos;
    return this;
  }

  /** When a retry can succeed, nanoseconds; 0 = not said. */
  long retryAfterNanos() {
    return retryAfterNanos;
  }

  Failure failure() {
    return failure;
  }

  /** Closed-set reason: the metric tag. */
  String reason() {
    return reason;
  }

  /** The cause behind CompletionException / ExecutionException / jnats' RuntimeException wrappers. */
  static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && (c instanceof CompletionException
        || c instanceof java.util.concurrent.ExecutionException || c.getClass() == RuntimeException.class)) {
      c = c.getCause();
    }
    return c;
  }

  static BridgeException of(Throwable t) {
    Throwable c = unwrap(t);
    if (c instanceof BridgeException be) {
      return be;
    }
    if (c instanceof GatewayException ge) {
      return new BridgeException(ge.failure());
    }
    return new BridgeException(Failure.INTERNAL);
  }
}
