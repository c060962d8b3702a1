package io.tenantgate.launcher;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Keeps a started gateway running until SIGTERM or SIGINT, then shuts it down gracefully (readiness
 * false, in-flight requests finish within the grace period) and returns the exit code: 0 when the
 * drain completed, 1 when it failed or overran. The signal is handled rather than left to the JVM so
 * that a clean drain exits 0, which is what Kubernetes and systemd expect.
 */
final class Running {
  private static final Logger LOG = LoggerFactory.getLogger(Running.class);

  private Running() {
  }

  static int untilSignal(Gateway gateway, Supplier<Future<Void>> afterClose) {
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger code = new AtomicInteger();
    AtomicBoolean stopping = new AtomicBoolean();
    Runnable stop = () -> {
      try {
        gateway.shutdown().await(gateway.shutdownBudget().toMillis(), TimeUnit.MILLISECONDS);
        afterClose.get().await(Gateway.CLOSE_BUDGET.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("op=shutdown outcome=error cause={}", e.toString());
        code.set(1);
      }
      done.countDown();
    };
    for (String name : List.of("TERM", "INT")) {
      Signal.handle(new Signal(name), sig -> {
        if (stopping.compareAndSet(false, true)) {
          LOG.info("op=shutdown signal=SIG{}", sig.getName());
          new Thread(stop, "tenantgate-shutdown").start();
        }
      });
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    LOG.info("op=shutdown outcome={} exit_code={}", code.get() == 0 ? "clean" : "error", code.get());
    return code.get();
  }
}
