package io.tenantgate.config;

import java.time.Duration;

/**
 * Explicit limits of the edge listener.
 *
 * @param maxHeaderSize total size of request headers (HTTP/1.1) or header list (HTTP/2), bytes
 * @param maxInitialLineLength longest HTTP/1.1 request line, bytes
 * @param maxBodySize largest plain HTTP request body forwarded, bytes (gRPC and WebSocket streams are not capped by it)
 * @param idleTimeout a connection with no open request or stream for this long is closed
 * @param headerTimeout an HTTP/1.1 request head not complete this long after its first byte arrived
 *     closes the connection (slowloris); a keep-alive connection waiting between requests is not affected
 * @param streamIdleTimeout a gRPC stream with no bytes in either direction for this long is ended with
 *     UNAVAILABLE; a WebSocket with no frames is closed; zero = never
 * @param upstreamConnectTimeout connecting to core
 * @param upstreamTimeout a plain HTTP exchange with no bytes in either direction for this long, once
 *     core has been asked, gets 504 (or is cut if core's answer already started)
 * @param maxConcurrentStreams HTTP/2 streams a client may have open on one connection
 * @param bodyTimeout how long a plain HTTP request body may take from the request's arrival before
 *     {@code bodyMinRate} extends it (mod_reqtimeout's {@code body=}); past it the request gets 408;
 *     zero = no body time limit. gRPC calls and WebSockets are long-lived by design and not subject to it
 * @param bodyMinRate bytes per second that buy a body more time: each byte received moves the deadline
 *     by {@code 1 / bodyMinRate} seconds (mod_reqtimeout's {@code MinRate}); zero = bodyTimeout is a total limit
 */
public record LimitsConfig(int maxHeaderSize, int maxInitialLineLength, long maxBodySize,
    Duration idleTimeout, Duration headerTimeout, Duration streamIdleTimeout, Duration upstreamConnectTimeout,
    Duration upstreamTimeout, int maxConcurrentStreams, Duration bodyTimeout, long bodyMinRate) {

  static LimitsConfig parse(Node n) {
    int header = (int) n.bytes("maxHeaderSize", 16 * 1024, 1024, 1024 * 1024);
    int line = (int) n.bytes("maxInitialLineLength", 8 * 1024, 256, 64 * 1024);
    long body = n.bytes("maxBodySize", 10L * 1024 * 1024, 0, Long.MAX_VALUE / 2);
    Duration idle = positive(n, "idleTimeout", Duration.ofMinutes(5));
    Duration head = positive(n, "headerTimeout", Duration.ofSeconds(10));
    Duration streamIdle = n.duration("streamIdleTimeout", Duration.ZERO);
    Duration connect = positive(n, "upstreamConnectTimeout", Duration.ofSeconds(2));
    Duration upstream = positive(n, "upstreamTimeout", Duration.ofSeconds(30));
    int streams = n.integer("maxConcurrentStreams", 256, 1, 100_000);
    Duration bodyTimeout = n.duration("bodyTimeout", Duration.ofSeconds(20));
    long bodyMinRate = n.bytes("bodyMinRate", 500, 0, 1L << 30);
    n.rejectUnknownKeys();
    return new LimitsConfig(header, line, body, idle, head, streamIdle, connect, upstream, streams, bodyTimeout,
        bodyMinRate);
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
