package io.tenantgate.bridge;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The outgoing side of one bridge WebSocket, bounded in bytes however many messages they are: a frame
 * counts from the moment it is offered (deliveries are encoded on the dispatcher's thread, answers on
 * the event loop) until the socket has written it. Past {@code maxBytes} the client is a slow consumer:
 * the frame is dropped and {@code onOverflow} runs; once {@link #shut} nothing more is written.
 */
final class Outbox {
  private final Context ctx;
  private final ServerWebSocket ws;
  private final long maxBytes;
  private final Watermark watermark;
  private final BridgeCalls.Call call;
  private final Runnable onOverflow;
  private final AtomicLong buffered = new AtomicLong();
  private final AtomicBoolean shut = new AtomicBoolean();

  /** Where the bridge keeps the highest per-socket backlog it has seen (bounded-memory evidence). */
  interface Watermark {
    void observe(long bytes);
  }

  Outbox(Context ctx, ServerWebSocket ws, long maxBytes, Watermark watermark, BridgeCalls.Call call,
      Runnable onOverflow) {
    this.ctx = ctx;
    this.ws = ws;
    this.maxBytes = maxBytes;
    this.watermark = watermark;
    this.call = call;
    this.onOverflow = onOverflow;
  }

  /** From any thread: the frame is written on the socket's event loop, or overflows. */
  void offer(Buffer frame) {
    if (admit(frame)) {
      ctx.runOnContext(v -> write(frame));
    }
  }

  /** On the socket's event loop: written now, or overflows. */
  void send(Buffer frame) {
    if (admit(frame)) {
      write(frame);
    }
  }

  /** Stops all writing; true for the one caller that shut it. */
  boolean shut() {
    return shut.compareAndSet(false, true);
  }

  boolean isShut() {
    return shut.get();
  }

  long maxBytes() {
    return maxBytes;
  }

  private boolean admit(Buffer frame) {
    long now = buffered.addAndGet(frame.length());
    watermark.observe(now);
    if (now > maxBytes) {
      buffered.addAndGet(-frame.length());
      onOverflow.run();
      return false;
    }
    return true;
  }

  private void write(Buffer frame) {
    if (shut.get()) {
      buffered.addAndGet(-frame.length());
      return;
    }
    ws.writeTextMessage(frame.toString()).onComplete(ar -> {
      buffered.addAndGet(-frame.length());
      if (ar.succeeded()) {
        call.sent(frame.length());
      }
    });
  }
}
