package io.tenantgate.ops;

import io.tenantgate.config.GatewayConfig;
import io.tenantgate.identity.AssertionSigner;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.metrics.HealthCheck;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operations listener: {@code /metrics} (Prometheus text), {@code /health/live},
 * {@code /health/ready} (JSON with per-dependency detail: edge, registry, core upstreams, NATS,
 * server certificate expiry) and {@code /.well-known/jwks.json} (the keys that verify
 * X-Tenant-Assertion). Plain HTTP on its own port, meant for the cluster network.
 */
public final class OpsVerticle extends VerticleBase {
  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final AssertionSigner assertions;
  private final BooleanSupplier serving;
  private final List<HealthCheck> checks;
  private final Supplier<Future<JsonObject>> reloadTls;
  private final Promise<Integer> boundPort;
  private UpstreamProbe probe;

  /**
   * @param serving true while the edge listener is up and not draining
   * @param checks dependency checks the launcher collected (registry, NATS, certificates)
   * @param reloadTls re-reads the edge TLS files now ({@code POST /-/reload-tls})
   */
  public OpsVerticle(GatewayConfig config, GatewayMetrics metrics, AssertionSigner assertions, BooleanSupplier serving,
      List<HealthCheck> checks, Supplier<Future<JsonObject>> reloadTls, Promise<Integer> boundPort) {
    this.reloadTls = reloadTls;
    this.config = config;
    this.metrics = metrics;
    this.assertions = assertions;
    this.serving = serving;
    this.checks = List.copyOf(checks);
    this.boundPort = boundPort;
  }

  @Override
  public Future<?> start() {
    probe = new UpstreamProbe(vertx, config.routes(), config.edge().limits().upstreamConnectTimeout());
    probe.start(config.ops().probeInterval());
    return vertx.createHttpServer(new HttpServerOptions().setHost(config.ops().host()).setPort(config.ops().port()))
        .requestHandler(this::handle)
        .listen()
        .onSuccess(s -> boundPort.tryComplete(s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    probe.stop();
    return Future.succeededFuture();
  }

  private void handle(HttpServerRequest req) {
    switch (req.path()) {
      case "/health/live" -> json(req, 200, new JsonObject().put("status", "UP"));
      case "/health/ready" -> ready(req);
      case "/-/reload-tls" -> {
        if (req.method() != io.vertx.core.http.HttpMethod.POST) {
          json(req, 405, new JsonObject().put("status", 405).put("title", "use POST"));
        } else {
          reloadTls.get().onComplete(ar -> json(req, ar.succeeded() && "rejected".equals(ar.result().getString("outcome"))
              ? 422 : ar.succeeded() ? 200 : 500, ar.succeeded() ? ar.result() : new JsonObject().put("error", "reload failed")));
        }
      }
      case "/metrics" -> vertx.executeBlocking(metrics::scrape, false)
          .onSuccess(text -> req.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
              .end(text))
          .onFailure(err -> req.response().setStatusCode(500).end());
      case "/.well-known/jwks.json" -> req.response().putHeader("content-type", "application/jwk-set+json")
          .putHeader("cache-control", "max-age=60")
          .end((assertions == null ? new JsonObject().put("keys", new JsonArray())
              : assertions.jwks(Instant.now())).encode());
      default -> json(req, 404, new JsonObject().put("status", 404).put("title", "not found"));
    }
  }

  /** Evaluated on a worker: a check may read a small file (the server certificate). */
  private void ready(HttpServerRequest req) {
    vertx.executeBlocking(this::readiness, false)
        .onSuccess(body -> json(req, "DOWN".equals(body.getString("status")) ? 503 : 200, body))
        .onFailure(err -> json(req, 503, new JsonObject().put("status", "DOWN").put("error", err.toString())));
  }

  private JsonObject readiness() {
    List<HealthCheck> all = new ArrayList<>(checks);
    all.add(probe);
    boolean up = serving.getAsBoolean();
    HealthCheck.State worst = up ? HealthCheck.State.UP : HealthCheck.State.DOWN;
    JsonObject details = new JsonObject().put("edge", new JsonObject()
        .put("status", up ? "UP" : "DOWN").put("detail", up ? "accepting" : "not accepting (starting or draining)"));
    for (HealthCheck c : all) {
      HealthCheck.Result r = c.check();
      details.put(c.name(), new JsonObject().put("status", r.state().name()).put("detail", r.detail()));
      if (r.state().compareTo(worst) > 0) {
        worst = r.state();
      }
    }
    return new JsonObject().put("status", worst.name()).put("checks", details);
  }

  private static void json(HttpServerRequest req, int status, JsonObject body) {
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
