package io.tenantgate.quota;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket shared by every event loop, lock-free: GCRA (the generic cell rate algorithm), whose
 * whole state is one {@code long} — the theoretical arrival time (TAT) of the next unit, in
 * {@link System#nanoTime()} — updated with one compare-and-set. No lock, no allocation, and exact: two
 * loops admitting the same tenant at once retry a CAS instead of splitting the quota between them.
 *
 * <p>With rate {@code r} per second and capacity {@code b}, one unit costs {@code T = 1e9 / r} ns and the
 * bucket is full when TAT &lt;= now. It holds {@code b - (TAT - now) / T} tokens; {@link #tryTake} admits a
 * cost only if that many are there; {@link #charge} always takes (the bucket may go into debt) and
 * {@link #waitNanos} says how long until the debt is paid, for byte limits, where a body larger than
 * the bucket must still pass, just slowly.
 *
 * <p>{@link #resize} keeps the tokens the tenant has (debt included, clamped to the new capacity), so a
 * new limit applies at once without a restart and without handing out a fresh burst. A take racing a
 * resize may use the old rate once; nothing else is affected.
 */
final class RateBucket {
  /** Debt is bounded: whatever is charged, the bucket refills within this long. */
  static final long MAX_DEBT_NANOS = 3_600_000_000_000L;
  /** Durations saturate here (36 years): differences of nanoTime values stay far from overflow. */
  static final long MAX_NANOS = 1L << 60;
  private static final long NANOS = 1_000_000_000L;

  private final AtomicLong tat;
  private volatile Rate rate = Rate.UNLIMITED;

  /** Rate and capacity; {@code tolerance} is the capacity in nanoseconds. */
  record Rate(long perSecond, long capacity, long tolerance) {
    static final Rate UNLIMITED = new Rate(0, 0, 0);

    static Rate of(long perSecond, long capacity) {
      if (perSecond <= 0) {
        return UNLIMITED;
      }
      long cap = Math.max(1, capacity);
      return new Rate(perSecond, cap, nanos(cap, perSecond));
    }

    boolean unlimited() {
      return perSecond <= 0;
    }
  }

  RateBucket(long nowNanos) {
    this.tat = new AtomicLong(nowNanos);
  }

  /** {@code cost} units at {@code perSecond} in nanoseconds, without overflow (saturates at {@link #MAX_NANOS}). */
  static long nanos(long cost, long perSecond) {
    long whole = cost / perSecond;
    if (whole >= MAX_NANOS / NANOS) {
      return MAX_NANOS;
    }
    // perSecond is at most 2^32, so the remainder times 1e9 stays below 2^62
    return whole * NANOS + (cost % perSecond) * NANOS / perSecond;
  }

  Rate rate() {
    return rate;
  }

  boolean unlimited() {
    return rate.unlimited();
  }

  /**
   * Takes {@code cost} if the bucket holds it: 0 when taken, else the nanoseconds until it would hold it
   * (nothing taken). Unlimited: always 0, without touching the shared state.
   */
  long tryTake(long cost, long now) {
    Rate r = rate;
    if (r.unlimited()) {
      return 0;
    }
    long inc = nanos(cost, r.perSecond());
    while (true) {
      long t = tat.get();
      long next = (t - now > 0 ? t : now) + inc;
      long excess = next - now - r.tolerance();
      if (excess > 0) {
        return excess;
      }
      if (tat.compareAndSet(t, next)) {
        return 0;
      }
    }
  }

  /**
   * Takes {@code cost} unconditionally (debt allowed, bounded by {@link #MAX_DEBT_NANOS}) and returns how
   * long until the bucket holds a token again: 0 when it still does.
   */
  long charge(long cost, long now) {
    Rate r = rate;
    if (r.unlimited() || cost <= 0) {
      return r.unlimited() ? 0 : waitNanos(now);
    }
    long inc = nanos(cost, r.perSecond());
    while (true) {
      long t = tat.get();
      long next = (t - now > 0 ? t : now) + inc;
      long cap = now + r.tolerance() + MAX_DEBT_NANOS;
      if (next - cap > 0) {
        next = cap;
      }
      if (tat.compareAndSet(t, next)) {
        long wait = next - now - r.tolerance();
        return wait >= 0 ? wait + 1 : 0;
      }
    }
  }

  /** Nanoseconds until the bucket holds at least a token again; 0 when it does now. */
  long waitNanos(long now) {
    Rate r = rate;
    if (r.unlimited()) {
      return 0;
    }
    long wait = tat.get() - now - r.tolerance();
    return wait >= 0 ? wait + 1 : 0;
  }

  /** Tokens in the bucket now (negative: debt); the capacity when unlimited. For tests and views. */
  double tokens(long now) {
    Rate r = rate;
    if (r.unlimited()) {
      return Double.POSITIVE_INFINITY;
    }
    return r.capacity() - Math.max(0, tat.get() - now) * (double) r.perSecond() / NANOS;
  }

  /**
   * Applies a new rate and capacity in place. From or to unlimited the bucket starts full; otherwise it
   * keeps its tokens (at most the new capacity) and its debt.
   */
  void resize(long perSecond, long capacity, long now) {
    Rate old = rate;
    Rate next = Rate.of(perSecond, capacity);
    if (next.equals(old)) {
      return;
    }
    if (old.unlimited() || next.unlimited()) {
      tat.set(now);
    } else {
      double tokens = Math.min(next.capacity(), tokens(now));
      double owed = (next.capacity() - tokens) * NANOS / next.perSecond();
      tat.set(now + (long) Math.min(owed, next.tolerance() + (double) MAX_DEBT_NANOS));
    }
    rate = next;
  }
}
