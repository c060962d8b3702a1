package io.tenantgate.bridge;

import io.nats.client.Connection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much the gateway's NATS connection has waiting to be written, known without ever waiting for
 * jnats: jnats reads its queue's size under the writer's lock, and its writer holds that lock for as
 * long as a socket write blocks — that is, exactly when a NATS server stops reading. So a sampler
 * thread reads jnats' numbers ({@link #sample}), and the event loops add what they queued since that
 * sample began ({@link #reserve}). The estimate is never below the truth by more than the sends racing
 * a sample, and when the writer is stuck it keeps growing with every accepted send, so the bound holds.
 */
final class SendQueue {
  /** Protocol line and the gateway's headers, per message: generously over-estimated. */
  static final long PER_MESSAGE = 512;

  private final long maxMessages;
  private final long maxBytes;
  private final AtomicLong reservedBytes = new AtomicLong();
  private final AtomicLong reservedMessages = new AtomicLong();
  private volatile Sample last = new Sample(0, 0, 0, 0);

  private record Sample(long bytes, long messages, long bytesMark, long messagesMark) {
  }

  SendQueue(long maxMessages, long maxBytes) {
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /** On the sampler thread only: may wait for jnats' writer. */
  void sample(Connection c) {
    long bytesMark = reservedBytes.get();
    long messagesMark = reservedMessages.get();
    long bytes = Math.max(0, c.outgoingPendingBytes());
    long messages = Math.max(0, c.outgoingPendingMessageCount());
    last = new Sample(bytes, messages, bytesMark, messagesMark);
  }

  long bytes() {
    Sample s = last;
    return s.bytes() + reservedBytes.get() - s.bytesMark();
  }

  long messages() {
    Sample s = last;
    return s.messages() + reservedMessages.get() - s.messagesMark();
  }

  /**
   * Takes room for one message of {@code bytes} when the queue has it, with 1 % headroom for the event
   * loops racing each other (jnats discards a publish silently when it holds {@code maxMessages}).
   */
  boolean reserve(long bytes) {
    if (messages() >= maxMessages - Math.max(1, maxMessages / 100)
        || bytes() + bytes + PER_MESSAGE > maxBytes - maxBytes / 100) {
      return false;
    }
    reservedBytes.addAndGet(bytes + PER_MESSAGE);
    reservedMessages.incrementAndGet();
    return true;
  }
}
