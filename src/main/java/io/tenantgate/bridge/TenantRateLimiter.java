package io.tenantgate.bridge;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per tenant over the whole gateway (every event loop shares it). One bucket per
 * registered tenant, so the map is bounded by the registry.
 */
final class TenantRateLimiter {
  private final int ratePerSecond;
  private final int burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  TenantRateLimiter(int ratePerSecond, int burst) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
  }

  /** Takes one token for {@code slug}; false when the tenant is over its rate. Always true when unlimited. */
  boolean tryAcquire(String slug) {
    if (ratePerSecond <= 0) {
      return true;
    }
    return buckets.computeIfAbsent(slug, s -> new Bucket(burst)).take(ratePerSecond, burst, System.nanoTime());
  }

  private static final class Bucket {
    private double tokens;
    private long lastNanos = System.nanoTime();

    Bucket(int burst) {
      this.tokens = burst;
    }

    synchronized boolean take(int rate, int burst, long now) {
      tokens = Math.min(burst, tokens + (now - lastNanos) * rate / 1e9);
      lastNanos = now;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }
  }
}
