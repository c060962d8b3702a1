package io.tenantgate.ops;

import io.tenantgate.config.RouteConfig;
import io.tenantgate.metrics.HealthCheck;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Probes each distinct core upstream with a TCP connect on a fixed schedule and keeps the latest
 * verdict for readiness. Core being unreachable makes the gateway DEGRADED, not unready: taking
 * every gateway out of the load balancer would not bring core back, and the NATS bridge still works.
 */
final class UpstreamProbe implements HealthCheck {
  private final Vertx vertx;
  private final Map<String, String> targets = new LinkedHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final Map<String, Boolean> seen = new ConcurrentHashMap<>();
  private final NetClient client;
  private long timer = -1;

  UpstreamProbe(Vertx vertx, List<RouteConfig> routes, Duration connectTimeout) {
    this.vertx = vertx;
    for (RouteConfig r : routes) {
      targets.put(r.upstream().getHost() + ":" + r.upstreamPort(), r.name());
    }
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) connectTimeout.toMillis()));
  }

  void start(Duration every) {
    probe();
    timer = vertx.setPeriodic(every.toMillis(), id -> probe());
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    client.close();
  }

  private void probe() {
    for (String target : targets.keySet()) {
      int colon = target.lastIndexOf(':');
      client.connect(Integer.parseInt(target.substring(colon + 1)), target.substring(0, colon))
          .onSuccess(socket -> {
            socket.close();
            failures.remove(target);
            seen.put(target, true);
          })
          .onFailure(err -> {
            failures.put(target, err.getMessage() == null ? err.toString() : err.getMessage());
            seen.put(target, true);
          });
    }
  }

  @Override
  public String name() {
    return "core";
  }

  @Override
  public Result check() {
    if (seen.size() < targets.size()) {
      return Result.up("probing " + targets.keySet());
    }
    if (failures.isEmpty()) {
      return Result.up("reachable: " + targets.keySet());
    }
    return Result.degraded("unreachable: " + failures);
  }
}
