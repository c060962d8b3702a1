package io.tenantgate.ingress;

import java.time.Duration;

/**
 * The gRPC {@code grpc-timeout} header (a positive integer of at most 8 digits and a unit: H, M, S,
 * m, u, n). The gateway enforces the caller's deadline itself, so a call to a core that never
 * answers ends with DEADLINE_EXCEEDED even with no stream idle timeout configured.
 */
final class GrpcTimeout {
  private GrpcTimeout() {
  }

  /** The deadline, or null when the header is absent or malformed (then no deadline is enforced). */
  static Duration parse(String header) {
    if (header == null || header.length() < 2 || header.length() > 9) {
      return null;
    }
    String digits = header.substring(0, header.length() - 1);
    for (int i = 0; i < digits.length(); i++) {
      if (!Character.isDigit(digits.charAt(i))) {
        return null;
      }
    }
    long n = Long.parseLong(digits);
    return switch (header.charAt(header.length() - 1)) {
      case 'H' -> Duration.ofHours(n);
      case 'M' -> Duration.ofMinutes(n);
      case 'S' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMillis(n);
      case 'u' -> Duration.ofNanos(n * 1_000);
      case 'n' -> Duration.ofNanos(n);
      default -> null;
    };
  }
}
