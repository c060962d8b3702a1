package io.tenantgate.config;

import java.time.Duration;

/**
 * Graceful shutdown on SIGTERM: readiness turns false at once, listeners stop accepting, in-flight
 * requests get up to {@code grace} to finish (gRPC streams still open near the end are ended with
 * UNAVAILABLE), then the process exits 0. Keep it below Kubernetes' terminationGracePeriodSeconds.
 */
public record ShutdownConfig(Duration grace) {
  static ShutdownConfig parse(Node n) {
    Duration grace = n.duration("grace", Duration.ofSeconds(25));
    if (grace.compareTo(Duration.ofHours(1)) > 0) {
      n.problem("grace", "must be at most 1h");
    }
    n.rejectUnknownKeys();
    return new ShutdownConfig(grace);
  }
}
