package io.tenantgate.bench.loadgen;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one kind of soak traffic did so far: operations that succeeded, refusals the soak expects (a
 * flooder's 429, a bad certificate's failed handshake, a slowloris connection closed on time), errors
 * (anything else: these fail the soak), and operations skipped because too many were still in flight
 * (the gateway, or the machine, not keeping up: reported, not an error). Thread-safe.
 */
final class Tally {
  private static final int MAX_ERROR_KINDS = 32;

  final String kind;
  final boolean hostile;
  private final LongAdder ok = new LongAdder();
  private final LongAdder expected = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> expectedKinds = new ConcurrentHashMap<>();

  Tally(String kind, boolean hostile) {
    this.kind = kind;
    this.hostile = hostile;
  }

  void ok() {
    ok.increment();
  }

  void expected(String what) {
    expected.increment();
    count(expectedKinds, what);
  }

  void error(String what) {
    errors.increment();
    count(errorKinds, what);
  }

  void skipped() {
    skipped.increment();
  }

  private static void count(Map<String, LongAdder> m, String what) {
    if (m.size() < MAX_ERROR_KINDS || m.containsKey(what)) {
      m.computeIfAbsent(what, k -> new LongAdder()).increment();
    } else {
      m.computeIfAbsent("(other)", k -> new LongAdder()).increment();
    }
  }

  long okCount() {
    return ok.sum();
  }

  long expectedCount() {
    return expected.sum();
  }

  long errorCount() {
    return errors.sum();
  }

  long skippedCount() {
    return skipped.sum();
  }

  Map<String, Long> errorKinds() {
    return sorted(errorKinds);
  }

  Map<String, Long> expectedKinds() {
    return sorted(expectedKinds);
  }

  private static Map<String, Long> sorted(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** {@code ok/expected/errors} as the table shows it. */
  String cell() {
    return ok.sum() + "/" + expected.sum() + "/" + errors.sum();
  }

  static String kind(Throwable t) {
    String msg = t.getMessage();
    if (msg != null && msg.length() > 80) {
      msg = msg.substring(0, 80);
    }
    return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }
}
