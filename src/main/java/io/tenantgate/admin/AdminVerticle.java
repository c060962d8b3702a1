package io.tenantgate.admin;

import io.tenantgate.config.AdminConfig;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API listener: its own port, TLS with a required client certificate that chains to the
 * platform admin CA (edge certificates chain to another root and fail the handshake), then the
 * certificate's CN must be on {@code admin.allowedSubjects}. One instance; admin traffic is small.
 * Order per request: body limit, caller check, route, one reply written by {@link #write}.
 */
public final class AdminVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AdminVerticle.class);
  private static final String ACTOR = "tenantgate.admin.actor";

  private final AdminConfig config;
  private final String certPem;
  private final String keyPem;
  private final String adminCaPem;
  private final AdminApi api;
  private final GatewayMetrics metrics;
  private final Promise<Integer> bound;

  /** @param certPem/keyPem the listener's server certificate; adminCaPem the CA(s) operator certificates chain to */
  public AdminVerticle(AdminConfig config, String certPem, String keyPem, String adminCaPem, AdminServices services,
      GatewayMetrics metrics, Promise<Integer> bound) {
    this.config = config;
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.adminCaPem = adminCaPem;
    this.api = new AdminApi(services.tenants(), services.certs(), services.packages(), services.connections(),
        services.trustDomain(), services.spiffeTrustDomain(), services.limitDefaults());
    this.metrics = metrics;
    this.bound = bound;
  }

  private io.vertx.core.http.HttpServer server;

  /** Serves a renewed server certificate (the edge's, after a TLS reload) without dropping connections. */
  public Future<Boolean> updateCertificate(String newCertPem, String newKeyPem) {
    return server.updateSSLOptions(new io.vertx.core.net.ServerSSLOptions()
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(newCertPem))
            .setKeyValue(Buffer.buffer(newKeyPem)))
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(adminCaPem)))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3", "TLSv1.2")), true);
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodySize()));
    router.route().handler(this::authenticate);
    for (AdminApi.Route r : api.routes()) {
      router.route(r.method(), r.path()).handler(ctx -> {
        Future<Reply> reply;
        try {
          reply = r.handler().apply(ctx, ctx.get(ACTOR));
        } catch (RuntimeException e) {
          reply = Future.failedFuture(e);
        }
        reply.recover(err -> Future.succeededFuture(failed(r.operation(), ctx, err)))
            .onComplete(ar -> write(ctx, r.operation(), ar.result()));
      });
    }
    router.route().last().handler(ctx -> write(ctx, "unknown", Reply.problem(404, "no_route", "Not found",
        "no admin API route " + ctx.request().method() + " " + ctx.request().path() + " (see docs/onboarding.md)", null)));
    router.route().failureHandler(ctx -> {
      int status = ctx.statusCode() == 413 ? 413 : ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
      write(ctx, "unknown", status == 413
          ? Reply.problem(413, "body_too_large", "Body too large", "the body exceeds admin.maxBodySize", null)
          : Reply.problem(status, "bad_request", "Bad request", "the request could not be read", null));
    });
    HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port()).setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem)).setKeyValue(Buffer.buffer(keyPem)))
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(adminCaPem)))
        .setClientAuth(ClientAuth.REQUIRED)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3", "TLSv1.2"));
    // refused in the handshake (no certificate, an edge certificate, another CA): counted and logged here,
    // since no request ever arrives
    return vertx.createHttpServer(options).requestHandler(router)
        .exceptionHandler(err -> {
          if (err instanceof javax.net.ssl.SSLException || err.getCause() instanceof javax.net.ssl.SSLException) {
            metrics.adminCall("handshake", 0, "tls_refused");
            LOG.info("op=admin.handshake outcome=refused cause={}", String.valueOf(err.getMessage()));
          }
        })
        .listen()
        .onSuccess(s -> {
          server = s;
          bound.tryComplete(s.actualPort());
        })
        .onFailure(bound::tryFail);
  }

  /** The TLS layer proved the certificate chains to the admin CA; here its CN must be allowed. */
  private void authenticate(RoutingContext ctx) {
    String cn = null;
    try {
      List<Certificate> chain = ctx.request().connection().peerCertificates();
      if (!chain.isEmpty() && chain.get(0) instanceof X509Certificate leaf) {
        cn = commonName(leaf);
      }
    } catch (SSLPeerUnverifiedException e) {
      cn = null;
    }
    if (cn == null || !config.allows(cn)) {
      write(ctx, "auth", Reply.problem(403, "admin_not_allowed", "Forbidden",
          "this client certificate is not an allowed admin certificate (admin.allowedSubjects)", null));
      return;
    }
    ctx.put(ACTOR, "admin:" + cn);
    ctx.next();
  }

  private Reply failed(String operation, RoutingContext ctx, Throwable err) {
    Reply reply = Reply.of(err);
    if (reply.status() >= 500) {
      LOG.error("op=admin.{} actor={} outcome=internal", operation, (Object) ctx.get(ACTOR), err);
    }
    return reply;
  }

  private void write(RoutingContext ctx, String operation, Reply reply) {
    if (ctx.response().ended()) {
      return;
    }
    metrics.adminCall(operation, reply.status(), reply.outcome());
    LOG.info("op=admin.{} actor={} method={} path={} status={} outcome={}", operation, ctx.get(ACTOR),
        ctx.request().method(), ctx.request().path(), reply.status(), reply.outcome());
    ctx.response().setStatusCode(reply.status())
        .putHeader("content-type", reply.isProblem() ? "application/problem+json" : "application/json")
        .putHeader("cache-control", "no-store")
        .end(reply.body().encode());
  }

  static String commonName(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if ("CN".equalsIgnoreCase(rdn.getType())) {
          return rdn.getValue().toString();
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      return null;
    }
    return null;
  }
}
