package io.tenantgate.ingress;

import io.tenantgate.identity.IdentityStamp;
import io.tenantgate.identity.PresentedChain;
import io.tenantgate.identity.Resolution;
import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
import java.util.ArrayList;
import java.util.HashSet;
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
  /** What the client's chain says, kept to re-resolve the identity when the registry changes. */
  final PresentedChain presented;
  /** When the HTTP/1.1 request head now arriving began, for the header timeout ({@code NONE} on HTTP/2). */
  StrictFraming.HeadClock head = StrictFraming.HeadClock.NONE;
  Resolution resolution;
  /** The registry snapshot version {@link #resolution} was made under. */
  long registryVersion;
  /**
   * Requests and streams in flight: the one an HTTP/1.1 connection has at a time needs no set (so an
   * idle or keep-alive connection allocates none); the set holds concurrent HTTP/2 streams beyond it.
   */
  private Exchange activeOne;
  private Set<Exchange> activeMore;
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
  /** The identity's headers and signed assertion stamped on this connection's requests, and when to renew them. */
  Future<IdentityStamp> stamp;
  long stampRefreshNanos;

  EdgeConnection(HttpConnection http, PresentedChain presented, Resolution resolution, long registryVersion,
      long nowNanos) {
    this.http = http;
    this.presented = presented;
    this.notAfterMillis = presented.notAfterMillis();
    this.resolution = resolution;
    this.registryVersion = registryVersion;
    this.lastActivityNanos = nowNanos;
    this.peerHost = http.remoteAddress() == null ? "unknown" : http.remoteAddress().hostAddress();
  }

  /** What the admin API shows of this connection: identity, peer, age and load; no key material. */
  io.vertx.core.json.JsonObject describe() {
    io.vertx.core.json.JsonObject j = new io.vertx.core.json.JsonObject().put("tenant", resolution.tenantSlug())
        .put("peer", peerHost).put("tls", http.sslSession() == null ? "unknown" : http.sslSession().getProtocol())
        .put("opened_at", java.time.Instant.ofEpochMilli(openedAtMillis).toString())
        .put("active_streams", activeCount() + mountedActive).put("websocket", upgraded);
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
    if (activeOne == null) {
      activeOne = ex;
    } else {
      if (activeMore == null) {
        activeMore = new HashSet<>();
      }
      activeMore.add(ex);
    }
    lastActivityNanos = nowNanos;
  }

  void streamEnded(Exchange ex, long nowNanos) {
    if (activeOne == ex) {
      activeOne = null;
    } else if (activeMore != null) {
      activeMore.remove(ex);
    }
    lastActivityNanos = nowNanos;
  }

  /** A copy of the exchanges in flight (safe to fail them while iterating). */
  List<Exchange> activeExchanges() {
    List<Exchange> all = new ArrayList<>(activeCount());
    if (activeOne != null) {
      all.add(activeOne);
    }
    if (activeMore != null) {
      all.addAll(activeMore);
    }
    return all;
  }

  int activeCount() {
    return (activeOne == null ? 0 : 1) + (activeMore == null ? 0 : activeMore.size());
  }

  boolean idleSince(long deadlineNanos) {
    return activeCount() == 0 && mountedActive == 0 && !upgraded && lastActivityNanos - deadlineNanos < 0;
  }
}
