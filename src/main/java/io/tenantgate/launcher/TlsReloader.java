package io.tenantgate.launcher;

import io.tenantgate.config.TlsConfig;
import io.tenantgate.identity.EdgeTlsOptions;
import io.tenantgate.identity.SessionTickets;
import io.tenantgate.identity.AssertionSigner;
import io.tenantgate.identity.EdgeTrustManager;
import io.tenantgate.identity.TlsMaterial;
import io.tenantgate.ingress.EdgeVerticle;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of the edge TLS material: the server certificate, its key and the platform root(s).
 * Files are re-read on a schedule and on demand; a change is validated as a whole
 * ({@link TlsMaterial}) before anything uses it. A valid change swaps the trust anchors in the trust
 * manager and rebuilds the listener's SSL context with {@code updateSSLOptions(full options, force)}:
 * new handshakes use it, established connections keep theirs. An invalid change is refused with a log
 * line and a metric, and the material in force stays.
 */
final class TlsReloader {
  private static final Logger LOG = LoggerFactory.getLogger(TlsReloader.class);

  private final Vertx vertx;
  private final TlsConfig config;
  private final EdgeTrustManager trustManager;
  private final List<EdgeVerticle> edges;
  private final GatewayMetrics metrics;
  private volatile TlsMaterial current;
  private String lastRejected;
  private long timer = -1;
  private Future<JsonObject> inFlight;
  private AssertionSigner assertions;
  private SessionTickets tickets;
  private long ticketTimer = -1;
  /** Side listeners serving the edge's certificate (admin API, enrollment): they follow each reload. */
  private final List<java.util.function.Function<TlsMaterial, Future<?>>> followers =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  TlsReloader(Vertx vertx, TlsConfig config, TlsMaterial initial, EdgeTrustManager trustManager,
      List<EdgeVerticle> edges, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.current = initial;
    this.trustManager = trustManager;
    this.edges = edges;
    this.metrics = metrics;
    metrics.gaugeOf("tenantgate.server.certificate.expiry.seconds", "Seconds until the edge server certificate expires",
        () -> current.serverCertificate().getNotAfter().toInstant().getEpochSecond() - Instant.now().getEpochSecond());
  }

  /**
   * Also re-read the assertion signing key file on every check: a new key becomes the signing key and
   * the old one stays in the JWKS for the rotation overlap.
   */
  TlsReloader withAssertionKey(AssertionSigner signer) {
    this.assertions = signer != null && signer.config().keyFile() != null ? signer : null;
    return this;
  }

  /**
   * The edge's session-ticket keys: rotated on their clock, and re-derived on every applied reload so
   * no ticket outlives the roots, CRLs or certificate it was issued under.
   */
  TlsReloader withSessionTickets(SessionTickets tickets) {
    this.tickets = tickets;
    if (tickets != null) {
      String[] events = {"issued", "resumed", "rejected"};
      for (int i = 0; i < events.length; i++) {
        int at = i;
        metrics.counterOf("tenantgate.tls.tickets", "TLS session tickets issued, resumed and refused (full handshake)",
            tickets, t -> t.stats()[at], "event", events[i]);
      }
    }
    return this;
  }

  /** {@code follower} gets every applied server certificate (its failures are logged, not fatal to the edge). */
  void follow(java.util.function.Function<TlsMaterial, Future<?>> follower) {
    followers.add(follower);
  }

  /** The material in force. */
  TlsMaterial current() {
    return current;
  }

  void start() {
    if (!config.reloadInterval().isZero()) {
      timer = vertx.setPeriodic(config.reloadInterval().toMillis(), id -> reload(false));
    }
    if (tickets != null) {
      ticketTimer = vertx.setPeriodic(tickets.checkIntervalMillis(), id -> {
        if (tickets.rotate(System.currentTimeMillis())) {
          metrics.tlsTicketKeyRotation("scheduled");
          LOG.info("op=tls.tickets.rotate outcome=applied reason=scheduled");
        }
      });
    }
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    if (ticketTimer >= 0) {
      vertx.cancelTimer(ticketTimer);
    }
  }

  /** Reloads now even when nothing looks changed; the reply says what happened. */
  Future<JsonObject> reloadNow() {
    return reload(true);
  }

  private synchronized Future<JsonObject> reload(boolean forced) {
    if (inFlight != null && !inFlight.isComplete()) {
      return inFlight;
    }
    if (assertions != null) {
      vertx.executeBlocking(() -> {
        String before = assertions.currentKid();
        assertions.reload(assertions.config().keyFile(), Instant.now());
        if (!before.equals(assertions.currentKid())) {
          LOG.info("op=assertion.rotate outcome=applied kid={} previous_kid={}", assertions.currentKid(), before);
        }
        return null;
      }, false).onFailure(err -> LOG.error("op=assertion.rotate outcome=rejected reason=\"{}\"", err.getMessage()));
    }
    inFlight = vertx.executeBlocking(() -> TlsMaterial.load(config, Instant.now()), false)
        .transform(ar -> ar.succeeded() ? apply(ar.result(), forced) : Future.succeededFuture(rejected(ar.cause())));
    return inFlight;
  }

  private Future<JsonObject> apply(TlsMaterial next, boolean forced) {
    lastRejected = null;
    if (next.fingerprint().equals(current.fingerprint()) && !forced) {
      return Future.succeededFuture(new JsonObject().put("outcome", "unchanged"));
    }
    var previousTrust = trustManager.trust();
    var options = EdgeTlsOptions.sslOptions(config, next, trustManager);
    // every instance: whichever bound the shared listener first is the one whose SSL context is used.
    // One after the other: instances sharing a listener all forward to that one server, and Vert.x
    // 5.0.7's NetServerImpl.updateSSLOptions retries an update that meets one in progress by calling
    // itself again, which recursed until StackOverflowError when the instances asked at once.
    Future<Boolean> sequence = Future.succeededFuture(false);
    for (EdgeVerticle edge : edges) {
      sequence = sequence.compose(any -> edge.updateTls(options).map(u -> any || u));
    }
    return sequence
        .onFailure(err -> trustManager.replaceTrust(previousTrust))
        .map(updated -> {
          // only now: a reload refused by the SSL layer must not leave new roots behind
          trustManager.replaceTrust(next.trust());
          current = next;
          if (tickets != null) {
            tickets.generation(next.fingerprint());
            metrics.tlsTicketKeyRotation("tls_reload");
          }
          for (var f : followers) {
            f.apply(next).onFailure(err -> LOG.error("op=tls.reload listener=side outcome=failed cause={}",
                err.toString()));
          }
          metrics.tlsReload("applied");
          LOG.info("op=tls.reload outcome=applied updated={} {}", updated, next.describe());
          return new JsonObject().put("outcome", "applied").put("certificate", next.describe());
        })
        .recover(err -> Future.succeededFuture(rejected(err)));
  }

  private JsonObject rejected(Throwable err) {
    String reason = err.getMessage() == null ? err.toString() : err.getMessage();
    metrics.tlsReload("rejected");
    if (!reason.equals(lastRejected)) {
      boolean validation = err instanceof IllegalArgumentException || err instanceof java.io.IOException;
      LOG.error("op=tls.reload outcome=rejected reason=\"{}\" (the material in force stays: {})", reason,
          current.describe(), validation ? null : err);
    }
    lastRejected = reason;
    return new JsonObject().put("outcome", "rejected").put("reason", reason);
  }
}
