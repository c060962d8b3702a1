package io.tenantgate.quota;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A count of things a tenant holds at once (connections, gRPC streams, subscriptions) against a limit
 * that may change while they are held: always counted, so a limit set later is enforced on the true
 * number; lowering it below what is held refuses new ones until enough are released.
 */
final class Slots {
  private final AtomicInteger held = new AtomicInteger();
  private volatile long limit;

  /** Takes one; false (nothing taken) when the limit is reached. Limit 0: always taken. */
  boolean tryAcquire() {
    int n = held.incrementAndGet();
    long l = limit;
    if (l > 0 && n > l) {
      held.decrementAndGet();
      return false;
    }
    return true;
  }

  void release() {
    held.decrementAndGet();
  }

  int held() {
    return held.get();
  }

  void limit(long l) {
    limit = l;
  }

  long limit() {
    return limit;
  }
}
