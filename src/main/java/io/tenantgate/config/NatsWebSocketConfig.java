package io.tenantgate.config;

/**
 * Limits of the bridge's WebSocket ({@code GET /v1/nats/ws}).
 *
 * @param maxSockets bridge WebSockets open at once over the whole gateway (each holds a jnats dispatcher
 *     and its thread); an upgrade beyond it is refused with 503 {@code too_many_websockets}
 * @param maxSubscriptions subscriptions one socket may hold (the component's edge inbox not counted)
 * @param maxBufferedBytes bytes of deliveries and answers waiting to be written to one socket, however
 *     many messages they are; a client that lets more pile up is a slow consumer and is closed with 1008
 * @param edgeInbox whether each socket receives what core publishes on {@code <slug>.edge.<component_id>.>}
 */
public record NatsWebSocketConfig(int maxSockets, int maxSubscriptions, long maxBufferedBytes, boolean edgeInbox) {

  static NatsWebSocketConfig parse(Node n) {
    int sockets = n.integer("maxSockets", 1_000, 1, 100_000);
    int subs = n.integer("maxSubscriptions", 32, 1, 10_000);
    long buffered = n.bytes("maxBufferedBytes", 1024 * 1024, 1024, 1024L * 1024 * 1024);
    boolean inbox = n.bool("edgeInbox", true);
    n.rejectUnknownKeys();
    return new NatsWebSocketConfig(sockets, subs, buffered, inbox);
  }
}
