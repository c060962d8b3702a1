package io.tenantgate.config;

import java.time.Duration;

/**
 * Explicit limits of the edge listener.
 *
 * @param maxHeaderSize total size of request headers (HTTP/1.1) or header list (HTTP/2), bytes
 * @param maxInitialLineLength longest HTTP/1.1 request line, bytes
 * @param maxBodySize largest plain HTTP request body forwarded, bytes (gRPC and WebSocket streams are not capped by it)
 * @param idleTimeout a connection with no open request or stream for this long is closed
 * @param streamIdleTimeout a gRPC stream with no bytes in either direction for this long is ended with
 *     UNAVAILABLE; a WebSocket with no frames is closed; zero = never
 * @param upstreamConnectTimeout connecting to core
 * @param upstreamTimeout a plain HTTP exchange with no bytes in either direction for this long, once
 *     core has been asked, gets 504 (or is cut if core's answer already started)
 * @param maxConcurrentStreams HTTP/2 streams a client may have open on one connection
 */
public record LimitsConfig(int maxHeaderSize, int maxInitialLineLength, long maxBodySize,
    Duration idleTimeout, Duration streamIdleTimeout, Duration upstreamConnectTimeout,
    Duration upstreamTimeout, int maxConcurrentStreams) {

  static LimitsConfig parse(Node n) {
    int header = (int) n.bytes("maxHeaderSize", 16 * 1024, 1024, 1024 * 1024);
    int line = (int) n.bytes("maxInitialLineLength", 8 * 1024, 256, 64 * 1024);
    long body = n.bytes("maxBodySize", 10L * 1024 * 1024, 0, Long.MAX_VALUE / 2);
    Duration idle = positive(n, "idleTimeout", Duration.ofMinutes(5));
    Duration streamIdle = n.duration("streamIdleTimeout", Duration.ZERO);
    Duration connect = positive(n, "upstreamConnectTimeout", Duration.ofSeconds(2));
    Duration upstream = positive(n, "upstreamTimeout", Duration.ofSeconds(30));
    int streams = n.integer("maxConcurrentStreams", 256, 1, 100_000);
    n.rejectUnknownKeys();
    return new LimitsConfig(header, line, body, idle, streamIdle, connect, upstream, streams);
  }

  private static Duration positive(Node n, String key, Duration def) {
    Duration d = n.duration(key, def);
    if (d.isZero() || d.isNegative()) {
      n.problem(key, "must be greater than zero");
      return def;
    }
    return d;
  }
}
