package io.tenantgate.ingress;

import io.tenantgate.identity.Resolution;
import io.vertx.core.http.HttpConnection;

/**
 * One client connection on an event loop: its resolved identity (computed once after the
 * handshake, replaced only when the registry changes) and how busy it is, for idle closing.
 * Touched only from its event loop.
 */
final class EdgeConnection {
  final HttpConnection http;
  final String peerHost;
  Resolution resolution;
  int activeStreams;
  long lastActivityNanos;

  EdgeConnection(HttpConnection http, Resolution resolution, long nowNanos) {
    this.http = http;
    this.resolution = resolution;
    this.lastActivityNanos = nowNanos;
    this.peerHost = http.remoteAddress() == null ? "unknown" : http.remoteAddress().hostAddress();
  }

  String tenantSlug() {
    return resolution.tenantSlug();
  }

  void streamStarted(long nowNanos) {
    activeStreams++;
    lastActivityNanos = nowNanos;
  }

  void streamEnded(long nowNanos) {
    activeStreams--;
    lastActivityNanos = nowNanos;
  }

  boolean idleSince(long deadlineNanos) {
    return activeStreams == 0 && lastActivityNanos - deadlineNanos < 0;
  }
}
