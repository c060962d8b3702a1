package io.tenantgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bucket math, on a clock the test drives (nanoseconds from an arbitrary origin, as nanoTime). */
class RateBucketTest {
  private static final long S = 1_000_000_000L;
  private static final long MS = 1_000_000L;

  private static RateBucket bucket(long t0, long rate, long capacity) {
    RateBucket b = new RateBucket(t0);
    b.resize(rate, capacity, t0);
    return b;
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1_000_000_000L, Long.MAX_VALUE - 2_000_000_000L, Long.MIN_VALUE + 5})
  void aFullBucketAdmitsItsBurstThenOneTokenPerIntervalWhateverTheClockOrigin(long t0) {
    RateBucket b = bucket(t0, 10, 5);
    for (int i = 0; i < 5; i++) {
      assertEquals(0, b.tryTake(1, t0), "token " + i);
    }
    assertEquals(100 * MS, b.tryTake(1, t0), "the sixth waits exactly one interval (1/10 s)");
    assertEquals(50 * MS, b.tryTake(1, t0 + 50 * MS));
    assertEquals(0, b.tryTake(1, t0 + 100 * MS));
    assertEquals(100 * MS, b.tryTake(1, t0 + 100 * MS));
    // a long pause refills to the capacity, never beyond
    long later = t0 + 60 * S;
    for (int i = 0; i < 5; i++) {
      assertEquals(0, b.tryTake(1, later));
    }
    assertTrue(b.tryTake(1, later) > 0);
  }

  @Test
  void aRefusedTakeTakesNothing() {
    RateBucket b = bucket(0, 1, 1);
    assertEquals(0, b.tryTake(1, 0));
    for (int i = 0; i < 1000; i++) {
      assertEquals(S, b.tryTake(1, 0));
    }
    assertEquals(0, b.tryTake(1, S), "a thousand refusals did not push the next token back");
  }

  @Test
  void theAdmittedCountOverTimeIsBurstPlusRateTimesElapsed() {
    long rate = 50;
    long burst = 20;
    RateBucket b = bucket(0, rate, burst);
    int admitted = 0;
    // offered at 10x the rate for 10 s: one attempt every 2 ms
    for (long t = 0; t <= 10 * S; t += 2 * MS) {
      if (b.tryTake(1, t) == 0) {
        admitted++;
      }
    }
    assertEquals(burst + rate * 10, admitted);
  }

  @Test
  void chargeMayGoIntoDebtAndSaysHowLongUntilItIsPaid() {
    RateBucket b = bucket(0, 1000, 1000);
    assertEquals(0, b.waitNanos(0));
    assertEquals(0, b.charge(999, 0), "one token left");
    assertEquals(1 * MS + 1, b.charge(2, 0), "one byte of debt: 1 ms");
    assertEquals(2 * S + 1, b.charge(2000, 1 * MS) + 0 * MS, "2001 bytes owed at 1 ms: paid at 2.001 s");
    assertTrue(b.waitNanos(S) > 0);
    assertEquals(0, b.waitNanos(2 * S + 2 * MS));
    assertTrue(b.tokens(0) < 0);
  }

  @Test
  void debtIsBoundedWhateverIsCharged() {
    RateBucket b = bucket(0, 1, 1);
    long wait = b.charge(Long.MAX_VALUE / 2, 0);
    assertTrue(wait > 0 && wait <= RateBucket.MAX_DEBT_NANOS + S + 1, Long.toString(wait));
    b.charge(Long.MAX_VALUE / 2, 0);
    assertTrue(b.waitNanos(0) <= RateBucket.MAX_DEBT_NANOS + 1);
  }

  @Test
  void nanosNeverOverflowForTheLargestRatesAndCosts() {
    assertEquals(S, RateBucket.nanos(4L << 30, 4L << 30));
    assertEquals(S / 3, RateBucket.nanos(1, 3));
    assertEquals(RateBucket.MAX_NANOS, RateBucket.nanos(Long.MAX_VALUE, 1));
    assertEquals(100, RateBucket.nanos(1, 10_000_000));
  }

  @Test
  void resizingKeepsTheTokensLeftInsteadOfHandingOutAFreshBurst() {
    RateBucket b = bucket(0, 10, 10);
    for (int i = 0; i < 8; i++) {
      assertEquals(0, b.tryTake(1, 0));
    }
    b.resize(1000, 1000, 0);
    assertEquals(2.0, b.tokens(0), 1e-6, "two tokens were left; raising the limit does not refill");
    assertEquals(0, b.tryTake(1, 0));
    assertEquals(0, b.tryTake(1, 0));
    assertEquals(1 * MS, b.tryTake(1, 0), "and the new rate refills at once: 1 ms per token");
    b.resize(1, 1, 0);
    assertTrue(b.tokens(0) <= 0, "lowering the capacity clamps the tokens");
    assertTrue(b.tryTake(1, 0) > 0);
    assertEquals(0, b.tryTake(1, 2 * S));
  }

  @Test
  void resizingKeepsDebt() {
    RateBucket b = bucket(0, 1000, 1000);
    b.charge(3000, 0);
    b.resize(2000, 2000, 0);
    assertEquals(-2000.0, b.tokens(0), 1e-3, "2000 bytes owed before and after");
    assertEquals(1 * S + 1, b.waitNanos(0), "paid twice as fast");
  }

  @Test
  void unlimitedAdmitsEverythingAndChangingToALimitStartsFull() {
    RateBucket b = new RateBucket(0);
    assertTrue(b.unlimited());
    for (int i = 0; i < 10_000; i++) {
      assertEquals(0, b.tryTake(1, 0));
      assertEquals(0, b.charge(1 << 20, 0));
    }
    b.resize(5, 5, 0);
    assertFalse(b.unlimited());
    assertEquals(5.0, b.tokens(0), 1e-9);
    b.resize(0, 0, 0);
    assertTrue(b.unlimited());
    assertEquals(0, b.waitNanos(0));
  }

  @Test
  void concurrentTakesFromManyThreadsAdmitExactlyTheCapacity() throws Exception {
    long capacity = 10_000;
    RateBucket b = bucket(0, 1, capacity);
    AtomicInteger admitted = new AtomicInteger();
    int threads = 4;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int n = 0; n < 50_000; n++) {
          // time frozen at 0: only the capacity can be admitted, however the CASes interleave
          if (b.tryTake(1, 0) == 0) {
            admitted.incrementAndGet();
          }
        }
      });
      t.start();
      all.add(t);
    }
    go.countDown();
    for (Thread t : all) {
      t.join();
    }
    assertEquals(capacity, admitted.get());
  }

  @Test
  void slotsCountWhatIsHeldEvenWhenTheLimitChangesUnderThem() {
    Slots s = new Slots();
    for (int i = 0; i < 5; i++) {
      assertTrue(s.tryAcquire(), "unlimited");
    }
    s.limit(3);
    assertFalse(s.tryAcquire(), "five held, limit three");
    assertEquals(5, s.held());
    s.release();
    s.release();
    assertFalse(s.tryAcquire(), "three held");
    s.release();
    assertTrue(s.tryAcquire());
    assertEquals(3, s.held());
  }
}
