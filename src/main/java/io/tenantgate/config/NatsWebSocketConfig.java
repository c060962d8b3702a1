package io.tenantgate.config;

/**
 * Limits of the bridge's WebSocket ({@code GET /v1/nats/ws}).
 *
 * @param maxSubscriptions subscriptions one socket may hold (the component's edge inbox not counted)
 * @param maxBufferedBytes bytes of deliveries waiting to be written to one socket; a client that lets more
 *     pile up is a slow consumer and is closed with code 1008
 * @param edgeInbox whether each socket receives what core publishes on {@code <slug>.edge.<component_id>.>}
 */
public record NatsWebSocketConfig(int maxSubscriptions, long maxBufferedBytes, boolean edgeInbox) {

  static NatsWebSocketConfig parse(Node n) {
    int subs = n.integer("maxSubscriptions", 32, 1, 10_000);
    long buffered = n.bytes("maxBufferedBytes", 1024 * 1024, 1024, 1024L * 1024 * 1024);
    boolean inbox = n.bool("edgeInbox", true);
    n.rejectUnknownKeys();
    return new NatsWebSocketConfig(subs, buffered, inbox);
  }
}
