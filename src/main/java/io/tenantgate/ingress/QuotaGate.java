package io.tenantgate.ingress;

import io.tenantgate.error.Failure;
import io.tenantgate.identity.Resolution;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.quota.Limit;
import io.tenantgate.quota.TenantQuota;
import io.tenantgate.quota.TenantQuotas;

/**
 * The tenant's quotas on the edge's path, in one place: the connection cap right after the identity is
 * known (before anything is read from the connection), then per request to core, in this order: byte
 * debt (takes nothing), a gRPC stream slot, a request token. Each refusal is counted per tenant and
 * reason ({@code tenantgate_refusals_total}, stage {@code connection} or {@code request}) and logged
 * once per burst by the quota; request bytes are charged as they are relayed ({@link Exchange#charge}).
 */
final class QuotaGate {
  private final TenantQuotas quotas;
  private final GatewayMetrics metrics;

  QuotaGate(TenantQuotas quotas, GatewayMetrics metrics) {
    this.quotas = quotas;
    this.metrics = metrics;
  }

  /**
   * An accepted connection takes one of its tenant's connection slots. Over the cap its resolution
   * becomes {@code tenant_connections_limited} (so a request already sent gets that, never core) and
   * false is returned: the caller closes the connection.
   */
  boolean admitConnection(EdgeConnection ec) {
    TenantQuota q = quotas.of(ec.resolution.identity().tenantId());
    ec.quota = q;
    if (q.acquireConnection()) {
      ec.holdsConnectionSlot = true;
      return true;
    }
    q.refused(Limit.CONNECTIONS, System.nanoTime());
    metrics.refusal(Failure.TENANT_CONNECTIONS_LIMITED.code(), ec.tenantSlug(), "connection");
    ec.resolution = Resolution.refused(Failure.TENANT_CONNECTIONS_LIMITED, ec.tenantSlug());
    return false;
  }

  /** The connection is gone: its slot goes back to the tenant. */
  void connectionClosed(EdgeConnection ec) {
    if (ec.holdsConnectionSlot) {
      ec.holdsConnectionSlot = false;
      ec.quota.releaseConnection();
    }
  }

  /** A request to core: true when admitted; otherwise {@code ex} has failed with 429 / RESOURCE_EXHAUSTED. */
  boolean admit(Exchange ex) {
    TenantQuota q = ex.conn.quota;
    long now = System.nanoTime();
    long wait = q.bandwidthWait(now);
    if (wait > 0) {
      return refuse(ex, q, Limit.BANDWIDTH, wait, now);
    }
    if (ex.grpc) {
      if (!q.acquireGrpcStream()) {
        return refuse(ex, q, Limit.GRPC_STREAMS, q.retryAfterNanos(Limit.GRPC_STREAMS, now), now);
      }
      // from here the exchange gives the slot back when it ends, whatever ends it
      ex.holdGrpcStream(q);
    }
    wait = q.admitRequest(now);
    if (wait > 0) {
      return refuse(ex, q, Limit.REQUESTS, wait, now);
    }
    return true;
  }

  private static boolean refuse(Exchange ex, TenantQuota q, Limit limit, long retryAfterNanos, long now) {
    q.refused(limit, now);
    ex.failLimited(limit.failure(), retryAfterNanos);
    return false;
  }
}
