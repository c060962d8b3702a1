package io.tenantgate.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The NATS bridge (DESIGN.md section 3): where NATS is, how the gateway's connection to it behaves,
 * and the limits of what tenants may do through it. The gateway starts whether or not NATS is up.
 *
 * @param enabled whether the bridge is mounted on the edge listener at all
 * @param url NATS server URL ({@code nats://host:port}, or {@code tls://host:port})
 * @param connectionName name the gateway's connection shows in the server's monitoring
 * @param connectTimeout one connection attempt
 * @param reconnectWait first wait between reconnect attempts; doubled per failed attempt up to {@code reconnectMaxWait}
 * @param reconnectMaxWait longest wait between reconnect attempts
 * @param pingInterval how often the connection is checked by a ping
 * @param maxOutgoingMessages messages the connection may queue for the server; beyond it publishes fail (503), never block
 * @param maxOutgoingBytes bytes the connection may queue for the server, however few messages that is; beyond it
 *     publishes fail (503), never block. Default: {@value #OUTGOING_BYTES_FLOOR} bytes or 4 x {@code publish.maxPayload},
 *     whichever is larger
 * @param drainTimeout on shutdown: time in-flight JetStream publishes and subscriptions get to complete
 */
public record NatsConfig(boolean enabled, URI url, String connectionName, Duration connectTimeout,
    Duration reconnectWait, Duration reconnectMaxWait, Duration pingInterval, int maxOutgoingMessages,
    long maxOutgoingBytes, Duration drainTimeout, NatsPublishConfig publish, NatsStreamConfig jetstream, NatsAllowConfig allow,
    NatsWebSocketConfig websocket) {

  public static final String DEFAULT_URL = "nats://127.0.0.1:4222";
  /** Smallest default of {@code maxOutgoingBytes}. */
  public static final long OUTGOING_BYTES_FLOOR = 16L * 1024 * 1024;
  /** Room in a bridge WebSocket message for the JSON around a payload (op, id, subject, msg_id, escapes). */
  static final int WEBSOCKET_ENVELOPE = 64 * 1024;
  /** Vert.x's default WebSocket message limit: the bridge never lowers it. */
  static final int WEBSOCKET_MESSAGE_FLOOR = 256 * 1024;

  static NatsConfig parse(Node n) {
    boolean enabled = n.bool("enabled", true);
    URI url = parseUrl(n);
    String name = n.string("connectionName", "tenantgate");
    Duration connect = positive(n, "connectTimeout", Duration.ofSeconds(2));
    Duration wait = positive(n, "reconnectWait", Duration.ofMillis(250));
    Duration maxWait = positive(n, "reconnectMaxWait", Duration.ofSeconds(5));
    if (maxWait.compareTo(wait) < 0) {
      n.problem("reconnectMaxWait", "must be at least reconnectWait");
    }
    Duration ping = positive(n, "pingInterval", Duration.ofSeconds(20));
    int outgoing = n.integer("maxOutgoingMessages", 50_000, 100, 10_000_000);
    Duration drain = positive(n, "drainTimeout", Duration.ofSeconds(10));
    NatsPublishConfig publish = NatsPublishConfig.parse(n.child("publish"));
    long outgoingBytes = n.bytes("maxOutgoingBytes", Math.max(OUTGOING_BYTES_FLOOR, 4 * publish.maxPayload()),
        64 * 1024, 16L * 1024 * 1024 * 1024);
    if (outgoingBytes < 2 * publish.maxPayload()) {
      n.problem("maxOutgoingBytes", "must be at least twice publish.maxPayload (" + publish.maxPayload() + " bytes)");
    }
    NatsStreamConfig jetstream = NatsStreamConfig.parse(n.child("jetstream"));
    NatsAllowConfig allow = NatsAllowConfig.parse(n.child("allow"));
    NatsWebSocketConfig ws = NatsWebSocketConfig.parse(n.child("websocket"));
    n.rejectUnknownKeys();
    return new NatsConfig(enabled, url, name, connect, wait, maxWait, ping, outgoing, outgoingBytes, drain, publish,
        jetstream, allow, ws);
  }

  /**
   * The largest bridge WebSocket message (and frame) the edge listener must take: a {@code pub} or
   * {@code respond} whose payload is {@code publish.maxPayload} bytes sent as {@code data_b64} (4/3 of the
   * bytes) plus its JSON envelope, and at least 256 KiB. Larger messages close the socket with 1009.
   */
  public int maxWebSocketMessageSize() {
    long b64 = (publish.maxPayload() + 2) / 3 * 4;
    return (int) Math.min(Integer.MAX_VALUE, Math.max(WEBSOCKET_MESSAGE_FLOOR, b64 + WEBSOCKET_ENVELOPE));
  }

  /** The defaults: what an absent {@code nats:} section means. */
  public static NatsConfig defaults() {
    java.util.List<String> problems = new java.util.ArrayList<>();
    return parse(new Node(null, "nats", problems));
  }

  private static URI parseUrl(Node n) {
    String s = n.string("url", DEFAULT_URL);
    try {
      URI u = new URI(s.trim());
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!List.of("nats", "tls").contains(scheme) || u.getHost() == null) {
        n.problem("url", "must be nats://host:port or tls://host:port, got '" + s + "'");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      n.problem("url", "is not a URL: '" + s + "'");
      return URI.create(DEFAULT_URL);
    }
  }

  static Duration positive(Node n, String key, Duration def) {
    Duration d = n.duration(key, def);
    if (d.isZero() || d.isNegative()) {
      n.problem(key, "must be greater than zero");
      return def;
    }
    return d;
  }
}
