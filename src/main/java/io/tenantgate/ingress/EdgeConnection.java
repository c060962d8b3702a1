package io.tenantgate.ingress;

import io.tenantgate.identity.Resolution;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import java.security.cert.Certificate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One client connection on an event loop: its resolved identity (computed once after the
 * handshake, replaced only when the registry changes) and how busy it is, for idle closing.
 * Touched only from its event loop.
 */
final class EdgeConnection {
  final HttpConnection http;
  final String peerHost;
  /** The chain the client sent, kept to re-resolve the identity when the registry changes. */
  final List<Certificate> peerChain;
  Resolution resolution;
  /** Requests and streams in flight on this connection. */
  final Set<Exchange> active = new LinkedHashSet<>();
  /** Requests served by edge mounts (they bypass Exchange); a WebSocket upgrade pins the connection. */
  int mountedActive;
  boolean upgraded;
  /** When the client certificate (or its CA) expires; the sweep closes the connection then. */
  final long notAfterMillis;
  /** The tenant tag metrics counted this connection under at open; the same one is used at close. */
  String metricsTenant;
  long lastActivityNanos;
  final long openedAtMillis = System.currentTimeMillis();
  /** The tenant's quota (null for a refused identity), and whether this connection holds one of its slots. */
  io.tenantgate.quota.TenantQuota quota;
  boolean holdsConnectionSlot;
  /** The signed tenant assertion in use on this connection, and when to sign a fresh one. */
  Future<String> assertion;
  long assertionRefreshNanos;

  EdgeConnection(HttpConnection http, List<Certificate> peerChain, Resolution resolution, long nowNanos) {
    this.http = http;
    this.peerChain = peerChain;
    long notAfter = Long.MAX_VALUE;
    for (Certificate c : peerChain) {
      if (c instanceof java.security.cert.X509Certificate x) {
        notAfter = Math.min(notAfter, x.getNotAfter().getTime());
      }
    }
    this.notAfterMillis = notAfter;
    this.resolution = resolution;
    this.lastActivityNanos = nowNanos;
    this.peerHost = http.remoteAddress() == null ? "unknown" : http.remoteAddress().hostAddress();
  }

  /** What the admin API shows of this connection: identity, peer, age and load; no key material. */
  io.vertx.core.json.JsonObject describe() {
    io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject().put("tenant", resolution.tenantSlug())
        .put("peer", peerHost).put("tls", http.sslSession() == null ? "unknown" : http.sslSession().getProtocol())
        .put("opened_at", java.time.Instant.ofEpochMilli(openedAtMillis).toString())
        .put("active_streams", active.size() + mountedActive).put("websocket", upgraded);
    if (resolution.isAccepted()) {
      var id = resolution.identity();
      j.put("component_id", id.componentId()).put("component_type", id.componentType())
          .put("partition", id.partitionId()).put("serial", id.serialHex()).put("cert_sha256", id.certSha256());
    } else {
      j.put("refused", resolution.failure().code());
    }
    return j;
  }

  String tenantSlug() {
    return resolution.tenantSlug();
  }

  void streamStarted(Exchange ex, long nowNanos) {
    active.add(ex);
    lastActivityNanos = nowNanos;
  }

  void streamEnded(Exchange ex, long nowNanos) {
    active.remove(ex);
    lastActivityNanos = nowNanos;
  }

  boolean idleSince(long deadlineNanos) {
    return active.isEmpty() && mountedActive == 0 && !upgraded && lastActivityNanos - deadlineNanos < 0;
  }
}
