package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * The hostile part of the soak, all from the flooding tenant's identities (its quota is the one they
 * use up) or from no valid identity at all:
 * <ul>
 *   <li>slowloris: connections that send a request head a header line every few seconds and never
 *       finish it; the gateway must close each within its idle timeout plus one sweep (expected), a
 *       connection still open well after that is an error;</li>
 *   <li>HTTP/2 rapid reset: streams opened and cancelled at once, in bursts; the gateway may GOAWAY the
 *       connection (Netty's RST flood guard), then a new one is made. Every reset sent is "expected";
 *       nothing here is an error, what matters is that everyone else stays served;</li>
 *   <li>bad certificates: a client certificate from a root the gateway does not trust, and no client
 *       certificate at all; a failed handshake (or a refusal status) is expected, a 200 is an error.</li>
 * </ul>
 */
final class SoakHostile {
  private final Vertx vertx;
  private final List<Context> contexts;
  private final Soak.Settings s;
  private final JksOptions trust;
  private final NetClient slowClient;
  private final HttpClientAgent resetClient;
  private final List<HttpClientAgent> badClients = new ArrayList<>();
  private final List<Long> timers = java.util.Collections.synchronizedList(new ArrayList<>());
  private final LongAdder goAways = new LongAdder();
  volatile boolean stopped;

  final Tally slowloris = new Tally("slowloris", true);
  final Tally rapidReset = new Tally("rapid-reset", true);
  final Tally badCert = new Tally("bad-cert", true);

  SoakHostile(Vertx vertx, List<Context> contexts, Soak.Settings s, Identities.Identity hostile,
      List<Identities.Identity> rogue) {
    this.vertx = vertx;
    this.contexts = contexts;
    this.s = s;
    this.trust = Identities.trust(s.ca());
    this.slowClient = vertx.createNetClient(new NetClientOptions().setSsl(true).setTrustOptions(trust)
        .setSslEngineOptions(Tls.engine("auto"))
        .setKeyCertOptions(hostile.keyCert()).setHostnameVerificationAlgorithm("HTTPS")
        .setConnectTimeout((int) s.timeout().toMillis()));
    this.resetClient = vertx.httpClientBuilder().with(new HttpClientOptions().setSsl(true).setUseAlpn(true)
            .setProtocolVersion(HttpVersion.HTTP_2).setKeyCertOptions(hostile.keyCert()).setTrustOptions(trust)
            .setSslEngineOptions(Tls.engine("auto"))
            .setVerifyHost(true).setHttp2MultiplexingLimit(1000).setConnectTimeout((int) s.timeout().toMillis()))
        .with(new PoolOptions().setHttp2MaxSize(1).setMaxWaitQueueSize(-1))
        .withConnectHandler(conn -> conn.goAwayHandler(g -> goAways.increment())).build();
    for (Identities.Identity id : rogue) {
      badClients.add(badClient(id));
    }
    badClients.add(badClient(null));
  }

  private HttpClientAgent badClient(Identities.Identity id) {
    HttpClientOptions o = new HttpClientOptions().setSsl(true).setTrustOptions(trust).setVerifyHost(true)
        .setSslEngineOptions(Tls.engine("auto"))
        .setKeepAlive(false).setConnectTimeout((int) s.timeout().toMillis());
    if (id != null) {
      o.setKeyCertOptions(id.keyCert());
    }
    return vertx.httpClientBuilder().with(o).build();
  }

  List<Tally> tallies() {
    return List.of(slowloris, rapidReset, badCert);
  }

  long goAways() {
    return goAways.sum();
  }

  void start() {
    for (int i = 0; i < s.slowloris(); i++) {
      contexts.get(i % contexts.size()).runOnContext(v -> slowLoop());
    }
    if (s.resetsPerSecond() > 0) {
      // bursts of a tenth of the rate every 100 ms
      int burst = (int) Math.max(1, Math.round(s.resetsPerSecond() / 10));
      contexts.get(0).runOnContext(v -> timers.add(vertx.setPeriodic(100, t -> resetBurst(burst))));
    }
    if (s.badCertsPerSecond() > 0) {
      long every = Math.max(10, Math.round(1000 / s.badCertsPerSecond()));
      int[] n = {0};
      contexts.get(contexts.size() - 1).runOnContext(v -> timers.add(vertx.setPeriodic(every,
          t -> badOne(badClients.get(n[0]++ % badClients.size())))));
    }
  }

  /** The longest a slowloris connection may stay open: the idle timeout, one sweep, and some slack. */
  private Duration slowBound() {
    Duration idle = s.edgeIdleTimeout();
    Duration sweep = idle.dividedBy(4).compareTo(Duration.ofSeconds(5)) < 0 ? idle.dividedBy(4) : Duration.ofSeconds(5);
    return idle.plus(sweep).plusSeconds(10);
  }

  private void slowLoop() {
    if (stopped) {
      return;
    }
    slowClient.connect(s.port(), s.host(), s.host()).onComplete(ar -> {
      if (ar.failed()) {
        slowloris.error("connect: " + Tally.kind(ar.cause()));
        vertx.setTimer(1000, t -> slowLoop());
        return;
      }
      NetSocket so = ar.result();
      long opened = System.nanoTime();
      boolean[] done = {false};
      so.handler(b -> { }); // a 408 or whatever the gateway says before it closes: read and ignored
      so.write("GET /soak/slowloris HTTP/1.1\r\nHost: " + s.host() + "\r\n");
      long trickle = vertx.setPeriodic(2000, t -> so.write("X-Slow: 1\r\n"));
      long watchdog = vertx.setTimer(slowBound().toMillis() + 10_000, t -> {
        if (!done[0] && !stopped) {
          slowloris.error("still open after " + (slowBound().toSeconds() + 10) + " s");
          so.close();
        }
      });
      so.closeHandler(v -> {
        done[0] = true;
        vertx.cancelTimer(trickle);
        vertx.cancelTimer(watchdog);
        if (stopped) {
          return;
        }
        long open = System.nanoTime() - opened;
        if (open <= slowBound().toNanos()) {
          slowloris.expected("closed by the gateway");
        } else {
          slowloris.error("closed after " + open / 1_000_000_000 + " s, bound " + slowBound().toSeconds() + " s");
        }
        vertx.setTimer(500, t -> slowLoop());
      });
    });
  }

  private void resetBurst(int burst) {
    if (stopped) {
      return;
    }
    RequestOptions o = new RequestOptions().setMethod(s.resetWithBody() ? HttpMethod.POST : HttpMethod.GET)
        .setHost(s.host()).setPort(s.port()).setURI("/soak/reset");
    for (int i = 0; i < burst; i++) {
      resetClient.request(o).onComplete(ar -> {
        if (ar.failed()) {
          rapidReset.expected("refused: " + Tally.kind(ar.cause()).replaceAll("[0-9]+", "N"));
          return;
        }
        HttpClientRequest req = ar.result();
        // the classic shape (CVE-2023-44487): a complete request (HEADERS with END_STREAM), then RST_STREAM;
        // --reset-with-body: HEADERS of a POST whose body never comes, then RST_STREAM
        Future<Void> sent = s.resetWithBody() ? req.setChunked(true).sendHead() : req.end();
        sent.compose(v -> req.reset()).onComplete(r -> rapidReset.expected(r.succeeded() ? "reset sent"
            : "connection gone"));
      });
    }
  }

  private void badOne(HttpClientAgent c) {
    if (stopped) {
      return;
    }
    c.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(s.host()).setPort(s.port())
            .setURI("/soak/bad-cert")).compose(req -> req.send()).compose(resp -> resp.body()
            .map(b -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.failed()) {
            badCert.expected("handshake refused");
          } else if (ar.result() == 401 || ar.result() == 403 || ar.result() == 421) {
            badCert.expected("status " + ar.result());
          } else {
            badCert.error("bad certificate answered " + ar.result());
          }
        });
  }

  Future<Void> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    List<Future<?>> closing = new ArrayList<>();
    closing.add(slowClient.close());
    closing.add(resetClient.close());
    badClients.forEach(c -> closing.add(c.close()));
    return Future.join(closing).mapEmpty();
  }
}
