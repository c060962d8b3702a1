package io.tenantgate.admin;

import io.tenantgate.config.OnboardingConfig;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.pki.EdgePackage;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.StoreException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrollment listener: TLS with the gateway's server certificate and no client certificate (an
 * edge has none yet). It spends download tokens, which travel only in the
 * {@code x-serviceradar-download-token} header, never in a URL:
 * <ul>
 *   <li>{@code POST /api/edge-packages/<id>/bundle} -> the {@code edge-package-<id8>.tar.gz} key bundle;</li>
 *   <li>{@code POST /api/edge-packages/<id>/enroll} with a PKCS#10 CSR (PEM body, or JSON {@code {"csr": ...}})
 *       -> JSON with the certificate, the CA chain and the component configuration.</li>
 * </ul>
 * Each token works once; every refusal is problem+json with a reason, logged and counted.
 */
public final class EnrollmentVerticle extends VerticleBase {
  public static final String TOKEN_HEADER = "x-serviceradar-download-token";
  private static final Logger LOG = LoggerFactory.getLogger(EnrollmentVerticle.class);

  private final OnboardingConfig config;
  private final String certPem;
  private final String keyPem;
  private final PackageStore packages;
  private final GatewayMetrics metrics;
  private final Promise<Integer> bound;
  private final AtomicInteger inFlight;

  public EnrollmentVerticle(OnboardingConfig config, String certPem, String keyPem, PackageStore packages,
      GatewayMetrics metrics, AtomicInteger inFlight, Promise<Integer> bound) {
    this.config = config;
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.packages = packages;
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.bound = bound;
  }

  private io.vertx.core.http.HttpServer server;

  /** Serves a renewed server certificate (the edge's, after a TLS reload) without dropping connections. */
  public Future<Boolean> updateCertificate(String newCertPem, String newKeyPem) {
    return server.updateSSLOptions(new io.vertx.core.net.ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(newCertPem))
            .setKeyValue(Buffer.buffer(newKeyPem)))
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3", "TLSv1.2")), true);
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodySize()));
    router.post("/api/edge-packages/:id/bundle").handler(ctx -> serve(ctx, "bundle"));
    router.post("/api/edge-packages/:id/enroll").handler(ctx -> serve(ctx, "csr"));
    router.route().last().handler(ctx -> write(ctx, "none", null, Reply.problem(404, "no_route", "Not found",
        "enrollment serves POST /api/edge-packages/<id>/bundle and /enroll", null)));
    router.route().failureHandler(ctx -> write(ctx, "none", null, ctx.statusCode() == 413
        ? Reply.problem(413, "body_too_large", "Body too large", "the body exceeds onboarding.maxBodySize", null)
        : Reply.problem(400, "bad_request", "Bad request", "the request could not be read", null)));
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port()).setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem)).setKeyValue(Buffer.buffer(keyPem)))
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3", "TLSv1.2"));
    return vertx.createHttpServer(options).requestHandler(router).listen()
        .onSuccess(s -> {
          server = s;
          bound.tryComplete(s.actualPort());
        })
        .onFailure(bound::tryFail);
  }

  private void serve(RoutingContext ctx, String delivery) {
    if (ctx.request().query() != null && ctx.request().query().toLowerCase(java.util.Locale.ROOT).contains("token")) {
      write(ctx, delivery, null, Reply.problem(400, "token_in_url", "Bad request",
          "download tokens go in the " + TOKEN_HEADER + " header, never in the URL (URLs are logged)", null));
      return;
    }
    String token = ctx.request().getHeader(TOKEN_HEADER);
    if (token == null || token.isBlank()) {
      write(ctx, delivery, null, Reply.problem(401, "token_missing", "Unauthorized",
          "send the package's download token in the " + TOKEN_HEADER + " header", null));
      return;
    }
    String csr = null;
    if ("csr".equals(delivery)) {
      csr = csrOf(ctx);
      if (csr == null) {
        write(ctx, delivery, null, Reply.problem(400, "csr_malformed", "Invalid input",
            "send a PEM certificate request as the body, or JSON {\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----...\"}",
            null));
        return;
      }
    }
    if (inFlight.incrementAndGet() > config.maxConcurrent()) {
      inFlight.decrementAndGet();
      ctx.response().putHeader("retry-after", "1");
      write(ctx, delivery, null, Reply.problem(503, "enrollment_busy", "Busy",
          "too many enrollments in progress (onboarding.maxConcurrent); retry shortly", null));
      return;
    }
    String remote = String.valueOf(ctx.request().remoteAddress());
    Future<Outcome> outcome;
    UUID id = null;
    try {
      id = AdminApi.uuid(ctx.pathParam("id"));
      outcome = packages.deliver(id, token.trim(), csr, remote).map(d -> "bundle".equals(delivery)
          ? new Outcome(d.bundle(), null, d.pkg().tenantSlug())
          : new Outcome(null, Reply.ok(enrolled(d)), d.pkg().tenantSlug()));
    } catch (RuntimeException e) {
      outcome = Future.failedFuture(e);
    }
    UUID pkg = id;
    // exactly one reply, and the in-flight slot is released whatever happened
    outcome.recover(err -> Future.succeededFuture(new Outcome(null, failed(pkg, err), null)))
        .onComplete(ar -> {
          inFlight.decrementAndGet();
          Outcome o = ar.result();
          if (o.archive != null) {
            metrics.enrollment(delivery, "ok", o.tenant);
            LOG.info("op=enroll.bundle tenant={} package={} remote={} outcome=ok", o.tenant, pkg, remote);
            ctx.response().putHeader("content-type", "application/gzip")
                .putHeader("content-disposition", "attachment; filename=\"" + EdgePackage.fileName(pkg) + "\"")
                .putHeader("cache-control", "no-store")
                .end(Buffer.buffer(o.archive));
          } else {
            write(ctx, delivery, o.tenant, o.reply);
          }
        });
  }

  /** What a delivery produced: a tarball, or a JSON reply (CSR result or problem). */
  private record Outcome(byte[] archive, Reply reply, String tenant) {
  }

  private static JsonObject enrolled(PackageStore.Delivery d) {
    return new JsonObject().put("package_id", d.pkg().id().toString())
        .put("serial", d.pkg().certificateSerial())
        .put("certificate", Pem.certificates(d.leaf()))
        .put("ca_chain", Pem.certificates(d.caChain()))
        .put("config", new JsonObject(d.configJson()));
  }

  private Reply failed(UUID id, Throwable err) {
    Reply reply = Reply.of(err);
    if (reply.status() >= 500) {
      LOG.error("op=enroll package={} outcome=internal", id, err);
    }
    return reply;
  }

  private static String csrOf(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      return null;
    }
    String text = body.toString(StandardCharsets.UTF_8).trim();
    if (text.startsWith("{")) {
      try {
        Object csr = new JsonObject(text).getValue("csr");
        return csr instanceof String s ? s : null;
      } catch (RuntimeException e) {
        return null;
      }
    }
    return text;
  }

  private void write(RoutingContext ctx, String delivery, String tenant, Reply reply) {
    if (ctx.response().ended()) {
      return;
    }
    metrics.enrollment(delivery, reply.outcome(), tenant);
    if (reply.isProblem()) {
      LOG.warn("op=enroll.{} tenant={} path={} remote={} status={} outcome={}", delivery, tenant,
          ctx.request().path(), ctx.request().remoteAddress(), reply.status(), reply.outcome());
    } else {
      LOG.info("op=enroll.{} tenant={} path={} status={} outcome=ok", delivery, tenant, ctx.request().path(),
          reply.status());
    }
    ctx.response().setStatusCode(reply.status())
        .putHeader("content-type", reply.isProblem() ? "application/problem+json" : "application/json")
        .putHeader("cache-control", "no-store")
        .end(reply.body().encode());
  }
}
