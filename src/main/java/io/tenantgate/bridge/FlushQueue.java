package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One socket's confirmations that NATS has what it sent (a PING/PONG round trip, which blocks, so it
 * runs on a worker). At most one flush runs per socket: whoever asks while one is running shares the
 * next, so a socket that subscribes many times while NATS is slow holds one worker thread, not one per
 * subscription. Confined to the socket's event loop.
 */
final class FlushQueue {
  private static final Duration MAX_WAIT = Duration.ofSeconds(2);

  private final Context ctx;
  private final Connection conn;
  private List<Promise<Void>> waiting = new ArrayList<>();
  private boolean flushing;

  FlushQueue(Context ctx, Connection conn) {
    this.ctx = ctx;
    this.conn = conn;
  }

  /** Completes once NATS has everything sent before this call; fails when it did not answer in time. */
  Future<Void> confirm() {
    Promise<Void> p = Promise.promise();
    waiting.add(p);
    if (!flushing) {
      next();
    }
    return p.future();
  }

  private void next() {
    if (waiting.isEmpty()) {
      flushing = false;
      return;
    }
    flushing = true;
    List<Promise<Void>> batch = waiting;
    waiting = new ArrayList<>();
    ctx.<Void>executeBlocking(() -> {
      conn.flush(MAX_WAIT);
      return null;
    }, false).onComplete(ar -> {
      batch.forEach(p -> p.handle(ar));
      next();
    });
  }
}
