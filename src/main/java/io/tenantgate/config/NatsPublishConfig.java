package io.tenantgate.config;

import java.time.Duration;
import java.util.Locale;

/**
 * How tenants publish through the bridge.
 *
 * @param maxPayload largest message body a client may publish, bytes
 * @param defaultAck acknowledgement when the request does not ask: CORE (accepted by the connection, 202)
 *     or JETSTREAM (stored by the tenant's stream, 200 with its sequence)
 * @param ackTimeout longest wait for a JetStream acknowledgement before the client gets 504
 * @param requestTimeout default and longest wait for a reply to a request
 * @param ratePerSecond publishes per second per tenant over the whole gateway (the default of a tenant's
 *     {@code nats_publishes_per_second}); 0 = unlimited
 * @param burst publishes a tenant may make at once above its rate
 * @param bytesPerSecond payload bytes per second per tenant over the whole gateway; 0 = unlimited
 */
public record NatsPublishConfig(long maxPayload, AckMode defaultAck, Duration ackTimeout, Duration requestTimeout,
    int ratePerSecond, int burst, long bytesPerSecond) {

  /** When a publish counts as done. */
  public enum AckMode {
    CORE, JETSTREAM;

    public static AckMode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  static NatsPublishConfig parse(Node n) {
    long max = n.bytes("maxPayload", 1024 * 1024, 1, 64L * 1024 * 1024);
    AckMode ack = n.enumValue("defaultAck", AckMode.CORE, AckMode.class, AckMode::parse);
    Duration ackTimeout = NatsConfig.positive(n, "ackTimeout", Duration.ofSeconds(5));
    Duration requestTimeout = NatsConfig.positive(n, "requestTimeout", Duration.ofSeconds(5));
    int rate = n.integer("ratePerSecond", 0, 0, 10_000_000);
    int burst = n.integer("burst", Math.max(rate, 1), 1, 10_000_000);
    long bytesPerSecond = n.bytes("bytesPerSecond", 0, 0, 4L << 30);
    n.rejectUnknownKeys();
    return new NatsPublishConfig(max, ack, ackTimeout, requestTimeout, rate, burst, bytesPerSecond);
  }
}
