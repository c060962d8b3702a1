package io.tenantgate.metrics;

import java.util.function.Supplier;

/**
 * One dependency's contribution to readiness. Checks are cheap reads of state their owner keeps up
 * to date (probes run on their own schedule), so a readiness request never waits on the network.
 * DOWN makes the gateway not ready (503); DEGRADED is reported but keeps it ready.
 */
public interface HealthCheck {
  /** Severity, in increasing order. */
  enum State { UP, DEGRADED, DOWN }

  /** A check's current verdict. */
  record Result(State state, String detail) {
    public static Result up(String detail) {
      return new Result(State.UP, detail);
    }

    public static Result degraded(String detail) {
      return new Result(State.DEGRADED, detail);
    }

    public static Result down(String detail) {
      return new Result(State.DOWN, detail);
    }
  }

  String name();

  Result check();

  static HealthCheck of(String name, Supplier<Result> check) {
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Result check() {
        return check.get();
      }
    };
  }
}
