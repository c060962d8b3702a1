package io.tenantgate.launcher;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps a started gateway running until the JVM is asked to stop, then closes it cleanly. */
final class Running {
  private static final Logger LOG = LoggerFactory.getLogger(Running.class);

  private Running() {
  }

  static int untilShutdown(Gateway gateway, Runnable beforeClose) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("op=shutdown signal=received");
      beforeClose.run();
      try {
        gateway.close().await();
      } catch (RuntimeException e) {
        LOG.warn("op=shutdown outcome=error cause={}", e.toString());
      }
      stopped.countDown();
    }, "tenantgate-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
