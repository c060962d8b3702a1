package io.tenantgate.testing;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** Blocking helpers for test threads (never for event loops). */
public final class Await {
  private Await() {
  }

  /** The future's result, waiting at most 30 s; its failure is rethrown unchecked. */
  public static <T> T result(Future<T> f) {
    return result(f, Duration.ofSeconds(30));
  }

  public static <T> T result(Future<T> f, Duration max) {
    try {
      return f.await(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      dumpThreads("future did not complete within " + max);
      throw new AssertionError("future did not complete within " + max, e);
    }
  }

  /** On a hang, every thread's stack goes to stderr (the test report keeps it) to show who waits on what. */
  static void dumpThreads(String why) {
    StringBuilder b = new StringBuilder("=== thread dump: ").append(why).append('\n');
    Thread.getAllStackTraces().forEach((t, stack) -> {
      b.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
      for (StackTraceElement e : stack) {
        b.append("    at ").append(e).append('\n');
      }
    });
    System.err.println(b);
  }

  /** The failure of {@code f}, failing the test when it succeeds instead. */
  public static Throwable failure(Future<?> f) {
    try {
      f.await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("future did not complete within 30 s", e);
    } catch (Exception e) {
      // await() rethrows the failure as is, checked exceptions included
      return f.cause() != null ? f.cause() : e;
    }
    throw new AssertionError("expected a failure, got " + f.result());
  }

  /** Polls {@code condition} every 10 ms until it holds or {@code max} passes. */
  public static void until(BooleanSupplier condition, Duration max, String what) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + max + " waiting for " + what);
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }
}
