package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Confirmations that NATS has what the gateway sent: a PING/PONG round trip (jnats' flush, which
 * blocks, so it runs on a worker). One flush at a time for the whole connection; whoever asks while it
 * runs shares the next one. Two reasons. jnats counts a flush's PING against {@code maxPingsOut} (2) and
 * takes one PING over it for a dead server: it drops the connection and reconnects, failing every
 * publish and socket in between — so a flush per socket, with a few sockets subscribing at once while
 * NATS answers slowly, cut the whole gateway off NATS (found by the soak: "Max outgoing Ping count
 * exceeded"). And however many sockets subscribe while NATS is slow, one worker thread waits, not one
 * per socket. Callers get their answer on their own context. Thread-safe.
 */
final class FlushQueue {
  private static final Duration MAX_WAIT = Duration.ofSeconds(2);

  private final Vertx vertx;
  private final Connection conn;
  private List<Waiter> waiting = new ArrayList<>(); // guarded by this
  private boolean flushing; // guarded by this

  private record Waiter(Context ctx, Promise<Void> promise) {
  }

  FlushQueue(Vertx vertx, Connection conn) {
    this.vertx = vertx;
    this.conn = conn;
  }

  boolean isFor(Connection c) {
    return conn == c;
  }

  /** Completes once NATS has everything sent before this call; fails when it did not answer in time. */
  Future<Void> confirm() {
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> p = Promise.promise();
    boolean start;
    synchronized (this) {
      waiting.add(new Waiter(ctx, p));
      start = !flushing;
      flushing = true;
    }
    if (start) {
      next();
    }
    return p.future();
  }

  private void next() {
    List<Waiter> batch;
    synchronized (this) {
      if (waiting.isEmpty()) {
        flushing = false;
        return;
      }
      batch = waiting;
      waiting = new ArrayList<>();
    }
    vertx.<Void>executeBlocking(() -> {
      conn.flush(MAX_WAIT);
      return null;
    }, false).onComplete(ar -> {
      for (Waiter w : batch) {
        w.ctx().runOnContext(v -> w.promise().handle(ar));
      }
      next();
    });
  }
}
