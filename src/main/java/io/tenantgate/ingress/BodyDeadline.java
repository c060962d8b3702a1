package io.tenantgate.ingress;

import io.tenantgate.config.LimitsConfig;
import io.tenantgate.error.Failure;
import io.vertx.core.Vertx;

/**
 * How long a plain HTTP request body may take ({@code edge.limits.bodyTimeout} and {@code bodyMinRate},
 * after Apache mod_reqtimeout's {@code body=20,MinRate=500}): from the request's arrival, the timeout
 * plus {@code 1 / bodyMinRate} seconds for every byte received so far. Time in which the gateway itself
 * stopped reading — the tenant's byte rate ({@link Exchange#charge}) or core's back-pressure — does not
 * count; waiting for a pooled connection to core does (it is bounded by {@code upstreamConnectTimeout}).
 * Past the deadline the exchange ends with 408 {@code body_timeout}, which resets the upstream request
 * and so frees its pooled connection: a client trickling a body cannot hold one for long.
 *
 * <p>Only plain HTTP requests get one: a gRPC call streams for as long as it likes (bounded by
 * {@code streamIdleTimeout} and the caller's {@code grpc-timeout}), and a WebSocket has no request body.
 * One timer per body, re-armed at the current deadline; runs on the exchange's event loop.
 */
final class BodyDeadline {
  /** No deadline: the request has no body, or the limit is off. */
  static final BodyDeadline NONE = new BodyDeadline(null, null, 0, 0);

  private final Vertx vertx;
  private final Exchange ex;
  private final long graceNanos;
  private final long minRate;
  private long pausedNanos;
  private long pausedSince = -1;
  private long timer = -1;
  private boolean ended;

  private BodyDeadline(Vertx vertx, Exchange ex, long graceNanos, long minRate) {
    this.vertx = vertx;
    this.ex = ex;
    this.graceNanos = graceNanos;
    this.minRate = minRate;
  }

  /** Starts the clock for {@code ex}'s body; a deadline that does nothing when the limit is off. */
  static BodyDeadline start(Vertx vertx, Exchange ex, LimitsConfig limits) {
    if (limits.bodyTimeout().isZero() || ex.grpc || ex.req.isEnded() || ex.finished()) {
      return NONE;
    }
    BodyDeadline d = new BodyDeadline(vertx, ex, limits.bodyTimeout().toNanos(), limits.bodyMinRate());
    d.arm(d.deadlineNanos() - System.nanoTime());
    // a reset or refused exchange must not leave its timer (and through it the exchange) behind for
    // bodyTimeout: under an HTTP/2 rapid reset that is hundreds of thousands of exchanges
    ex.onFinish(d::ended);
    return d;
  }

  /** The gateway stopped reading the body (core's write queue is full). */
  void paused() {
    if (this != NONE && pausedSince < 0) {
      pausedSince = System.nanoTime();
    }
  }

  /** The gateway reads the body again. */
  void resumed() {
    if (pausedSince >= 0) {
      pausedNanos += System.nanoTime() - pausedSince;
      pausedSince = -1;
    }
  }

  /** The whole body arrived: no deadline any more. */
  void ended() {
    if (this == NONE) {
      return;
    }
    ended = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** The instant the body must be complete by, given what has arrived so far. */
  long deadlineNanos() {
    long bytes = ex.bytesIn;
    long earned = minRate <= 0 ? 0
        : Math.min(bytes / minRate, 1_000_000_000L) * 1_000_000_000L + bytes % minRate * 1_000_000_000L / minRate;
    long paused = pausedNanos + (pausedSince >= 0 ? System.nanoTime() - pausedSince : 0) + ex.throttledNanos();
    return ex.startNanos() + graceNanos + earned + paused;
  }

  private void arm(long inNanos) {
    timer = vertx.setTimer(Math.max(1, inNanos / 1_000_000), id -> check());
  }

  private void check() {
    timer = -1;
    if (ended || ex.finished() || ex.req.isEnded()) {
      return;
    }
    long remaining = deadlineNanos() - System.nanoTime();
    if (pausedSince >= 0 || ex.throttled()) {
      // our own pause: look again once a grace period has passed
      arm(graceNanos);
    } else if (remaining > 0) {
      arm(remaining);
    } else {
      ex.fail(Failure.BODY_TIMEOUT, null);
    }
  }
}
