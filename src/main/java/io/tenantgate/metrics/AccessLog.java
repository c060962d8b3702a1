package io.tenantgate.metrics;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per finished request or stream on the {@code tenantgate.access} logger, which the
 * logging configuration sends through an asynchronous appender. Names the operation, tenant,
 * component and request id; never certificates or key material. Successful requests are sampled;
 * failures and refusals are always written, except 429s (a tenant over its quota): those are sampled like
 * successes, so a flood does not become a log flood — they are counted in the metrics, and the quota
 * logs each burst once.
 */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger("tenantgate.access");

  private final boolean enabled;
  private final double sampleRate;

  public AccessLog(boolean enabled, double sampleRate) {
    this.enabled = enabled;
    this.sampleRate = sampleRate;
  }

  public static AccessLog disabled() {
    return new AccessLog(false, 0);
  }

  /** Whether an entry with this status and reason should be written (cheap; call before building it). */
  public boolean wants(int status, String reason) {
    if (!enabled || !LOG.isInfoEnabled()) {
      return false;
    }
    boolean always = status >= 400 && status != 429 || reason != null && status != 429;
    return always || sampleRate >= 1.0 || ThreadLocalRandom.current().nextDouble() < sampleRate;
  }

  /** Writes one entry. */
  public void write(Entry e) {
    JsonObject line = new JsonObject()
        .put("ts", Instant.now().toString())
        .put("op", e.op())
        .put("request_id", e.requestId())
        .put("tenant", e.tenant())
        .put("component", e.component())
        .put("partition", e.partition())
        .put("route", e.route())
        .put("protocol", e.protocol())
        .put("method", e.method())
        .put("path", e.path())
        .put("status", e.status())
        .put("duration_ms", e.durationNanos() / 1e6)
        .put("bytes_in", e.bytesIn())
        .put("bytes_out", e.bytesOut())
        .put("peer", e.peer());
    if (e.upstreamNanos() >= 0) {
      line.put("upstream_ms", e.upstreamNanos() / 1e6);
    }
    if (e.reason() != null) {
      line.put("reason", e.reason());
    }
    LOG.info(line.encode());
  }

  /** The fields of one access log line. */
  public record Entry(String op, String requestId, String tenant, String component, String partition, String route,
      String protocol, String method, String path, int status, long durationNanos, long upstreamNanos, long bytesIn,
      long bytesOut, String peer, String reason) {
  }
}
