package io.tenantgate.ops;

import io.tenantgate.identity.AssertionSigner;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.tenant.TenantRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * The operations listener: {@code /metrics} (Prometheus text), {@code /health/live} and
 * {@code /health/ready} (JSON with per-dependency detail), {@code /.well-known/jwks.json} (the keys
 * that verify X-Tenant-Assertion). Plain HTTP on its own port.
 */
public final class OpsVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final GatewayMetrics metrics;
  private final TenantRegistry registry;
  private final AssertionSigner assertions;
  private final BooleanSupplier edgeReady;
  private final Promise<Integer> boundPort;

  public OpsVerticle(String host, int port, GatewayMetrics metrics, TenantRegistry registry,
      AssertionSigner assertions, BooleanSupplier edgeReady, Promise<Integer> boundPort) {
    this.assertions = assertions;
    this.host = host;
    this.port = port;
    this.metrics = metrics;
    this.registry = registry;
    this.edgeReady = edgeReady;
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(this::handle)
        .listen()
        .onSuccess(s -> boundPort.tryComplete(s.actualPort()));
  }

  private void handle(HttpServerRequest req) {
    switch (req.path()) {
      case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP"));
      case "/health/ready" -> ready(req);
      case "/.well-known/jwks.json" -> req.response().putHeader("content-type", "application/jwk-set+json")
          .putHeader("cache-control", "max-age=60")
          .end((assertions == null ? new JsonObject().put("keys", new io.vertx.core.json.JsonArray())
              : assertions.jwks(Instant.now())).encode());
      case "/metrics" -> vertx.executeBlocking(metrics::scrape, false)
          .onSuccess(text -> req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
              .end(text))
          .onFailure(err -> req.response().setStatusCode(500).end());
      default -> json(req, 404, new JsonObject().put("status", 404).put("title", "not found"));
    }
  }

  private void ready(HttpServerRequest req) {
    TenantRegistry.RegistryHealth rh = registry.health();
    boolean edge = edgeReady.getAsBoolean();
    boolean ok = edge && rh.snapshotAgeMillis() >= 0;
    String status = !ok ? "DOWN" : rh.upToDate() ? "UP" : "DEGRADED";
    JsonObject body = new JsonObject().put("status", status)
        .put("checks", new JsonObject()
            .put("edge", new JsonObject().put("status", edge ? "UP" : "DOWN"))
            .put("registry", new JsonObject().put("status", rh.upToDate() ? "UP" : "DEGRADED")
                .put("detail", rh.detail()).put("snapshot_age_ms", rh.snapshotAgeMillis())));
    json(req, ok ? 200 : 503, body);
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
