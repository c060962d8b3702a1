package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The bridge across the gateway's life: shutdown drains JetStream publishes in flight (each gets its
 * ack or an error, none hangs), a changed stream configuration updates the tenant's stream in place
 * (and an unchanged one leaves it alone), and readiness follows NATS going away and coming back.
 * NATS is frozen (SIGSTOP) or stopped only when it is a private nats-server.
 */
class BridgeLifecycleIT {
  private static final int IN_FLIGHT = 20;
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  private static Consumer<Map<String, Object>> ackTimeout(String t) {
    return n -> n.put("publish", new LinkedHashMap<>(Map.of("ackTimeout", t)));
  }

  /**
   * The bridge's own drain, apart from the edge listener's grace (which would keep these HTTP requests
   * open by itself): closing the bridge refuses new publishes with 503 shutting_down at once, but keeps
   * the connection until every JetStream publish in flight has its ack.
   */
  @Test
  void jetStreamPublishesInFlightWhenTheBridgeClosesGetTheirAckBeforeItsConnectionDrains() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), n -> {
          n.put("publish", new LinkedHashMap<>(Map.of("ackTimeout", "20s")));
          n.put("drainTimeout", "20s");
        })) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h2(fx.cert(fx.aCa, fx.a, "collector-001"));
      HttpClient late = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-002"));
      assertEquals(200, Await.result(publish(client, "warm-up")).status());
      List<Future<Http.Response>> inFlight;
      Future<Void> stopped;
      int[] inFlightAtStop = {-1};
      server.freeze();
      try {
        inFlight = publishes(client, fx);
        stopped = fx.bridge().close();
        stopped.onComplete(v -> inFlightAtStop[0] = fx.bridge().inFlightPublishes());
        Http.Response refused = Await.result(publish(late, "too late"));
        assertEquals(503, refused.status(), refused.body().toString());
        assertEquals("shutting_down", refused.json().getString("reason"));
        assertEquals(IN_FLIGHT, fx.bridge().inFlightPublishes());
        assertTrue(fx.bridge().link().connected() != null, "the connection is not drained while acks are awaited");
        assertFalse(stopped.isComplete(), "the bridge's drain waits for the acks in flight");
      } finally {
        server.thaw();
      }
      Await.result(Future.join(inFlight), Duration.ofSeconds(20));
      Await.result(stopped, Duration.ofSeconds(20));
      assertEquals(0, inFlightAtStop[0], "closed only once every publish had its outcome");
      for (int i = 0; i < IN_FLIGHT; i++) {
        assertTrue(inFlight.get(i).succeeded(), "answered: " + inFlight.get(i).cause());
        Http.Response r = inFlight.get(i).result();
        assertEquals(200, r.status(), r.body().toString());
        long seq = r.json().getLong("seq");
        assertEquals("drain-" + i, new String(fx.jsm().getMessage(fx.stream(fx.a), seq).getData(),
            StandardCharsets.UTF_8), "acknowledged message " + seq + " is stored");
      }
    }
  }

  /**
   * jnats gives up on a JetStream publish after its own request timeout (5 s by default) whatever the
   * gateway's ackTimeout: the gateway waits ackTimeout, and a publish that was sent but never
   * acknowledged is a 504 (outcome unknown), never a 503 (which says: not sent, safe to treat as lost).
   */
  @Test
  void aPublishSentButNeverAcknowledgedIsA504AfterTheConfiguredAckTimeout() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), ackTimeout("12s"))) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      assertEquals(200, Await.result(publish(client, "warm-up")).status());
      server.freeze();
      try {
        long t0 = System.nanoTime();
        Http.Response r = Await.result(publish(client, "slow"), Duration.ofSeconds(30));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.status(), "after " + ms + " ms: " + r.body());
        assertEquals("nats_ack_timeout", r.json().getString("reason"));
        assertTrue(ms >= 11_500, "waited the configured ackTimeout: " + ms + " ms");
        assertEquals(1, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "nats_ack_timeout",
            "tenant", fx.a));
      } finally {
        server.thaw();
      }
    }
  }

  /** The connection closing under a publish that was sent is not "NATS unavailable" either: 504. */
  @Test
  void aPublishSentWhenTheConnectionClosesIsA504OutcomeUnknown() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), n -> {
          n.put("publish", new LinkedHashMap<>(Map.of("ackTimeout", "30s")));
          n.put("drainTimeout", "1s");
        })) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      assertEquals(200, Await.result(publish(client, "warm-up")).status());
      server.freeze();
      try {
        Future<Http.Response> sent = publish(client, "cut off");
        Await.until(() -> fx.bridge().inFlightPublishes() == 1, Duration.ofSeconds(10), "the publish in flight");
        Future<Void> closed = fx.bridge().close();
        Http.Response r = Await.result(sent, Duration.ofSeconds(20));
        assertEquals(504, r.status(), r.body().toString());
        assertEquals("nats_ack_timeout", r.json().getString("reason"));
        assertEquals(1, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "outcome_unknown",
            "tenant", fx.a));
        Await.result(closed, Duration.ofSeconds(20));
      } finally {
        server.thaw();
      }
    }
  }

  /** Closing never waits behind stream provisioning queued on the NATS thread. */
  @Test
  void closingDoesNotWaitForQueuedNatsWork() throws Exception {
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      try {
        fx.bridge().link().blocking(vertx.getOrCreateContext(), () -> release.await(60, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        Await.result(fx.bridge().close(), Duration.ofSeconds(10));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void jetStreamPublishesStillUnacknowledgedWhenNatsHangsFailToTheClientAndShutdownStillEnds() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), ackTimeout("1s"))) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h2(fx.cert(fx.aCa, fx.a, "collector-001"));
      assertEquals(200, Await.result(publish(client, "warm-up")).status());
      server.freeze();
      try {
        List<Future<Http.Response>> inFlight = publishes(client, fx);
        Future<Void> stopped = fx.gw.gateway.shutdown();
        Await.result(Future.join(inFlight), Duration.ofSeconds(20));
        for (Future<Http.Response> f : inFlight) {
          assertTrue(f.succeeded(), "answered: " + f.cause());
          assertEquals(504, f.result().status(), f.result().body().toString());
          assertEquals("nats_ack_timeout", f.result().json().getString("reason"));
        }
        Await.result(stopped, Duration.ofSeconds(20));
      } finally {
        server.thaw();
      }
    }
  }

  /** {@value #IN_FLIGHT} JetStream publishes, returned once the bridge holds all of them waiting for acks. */
  private static List<Future<Http.Response>> publishes(HttpClient client, BridgeFixture fx) {
    List<Future<Http.Response>> out = new ArrayList<>();
    for (int i = 0; i < IN_FLIGHT; i++) {
      out.add(publish(client, "drain-" + i));
    }
    Await.until(() -> fx.bridge().inFlightPublishes() == IN_FLIGHT, Duration.ofSeconds(10),
        IN_FLIGHT + " publishes waiting for NATS");
    return out;
  }

  private static Future<Http.Response> publish(HttpClient client, String body) {
    return Http.sendAsync(client, new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/v1/nats/publish/logs.drain?ack=jetstream"), Buffer.buffer(body));
  }

  @Test
  void changedStreamLimitsUpdateTheTenantsStreamInPlaceAndUnchangedOnesLeaveItAlone() throws Exception {
    Logger log = (Logger) LoggerFactory.getLogger(StreamProvisioner.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    log.addAppender(lines);
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      for (int i = 0; i < 3; i++) {
        assertEquals(200, Await.result(publish(client, "kept-" + i)).status());
      }
      StreamInfo before = fx.jsm().getStreamInfo(fx.stream(fx.a));
      assertEquals(1024L * 1024 * 1024, before.getConfiguration().getMaxBytes());

      Consumer<Map<String, Object>> tighter = n -> n.put("jetstream", new LinkedHashMap<>(Map.of("maxBytes", "2MiB",
          "maxMsgs", 500, "maxAge", "1h", "maxMsgSize", "64KiB", "duplicateWindow", "1m")));
      restart(fx, tighter, lines, "updated");
      StreamInfo after = fx.jsm().getStreamInfo(fx.stream(fx.a));
      StreamConfiguration c = after.getConfiguration();
      assertEquals(2L * 1024 * 1024, c.getMaxBytes());
      assertEquals(500, c.getMaxMsgs());
      assertEquals(Duration.ofHours(1), c.getMaxAge());
      assertEquals(64 * 1024, c.getMaxMsgSize());
      assertEquals(Duration.ofMinutes(1), c.getDuplicateWindow());
      assertEquals(before.getCreateTime(), after.getCreateTime(), "updated in place, not recreated");
      assertEquals(3, after.getStreamState().getMsgCount(), "the stored messages are kept");

      restart(fx, tighter, lines, "unchanged");
      StreamInfo again = fx.jsm().getStreamInfo(fx.stream(fx.a));
      assertEquals(c.toJson(), again.getConfiguration().toJson());
      assertEquals(3, again.getStreamState().getMsgCount());
      assertEquals(1, outcomes(lines, fx.a, "updated"), "the second start did not update again");
    } finally {
      log.detachAppender(lines);
    }
  }

  /** Restarts the gateway with {@code nats} and waits until it provisioned tenant a's stream with {@code outcome}. */
  private static void restart(BridgeFixture fx, Consumer<Map<String, Object>> nats, ListAppender<ILoggingEvent> lines,
      String outcome) {
    int seen = outcomes(lines, fx.a, outcome);
    fx.restartGateway(nats);
    Await.until(() -> outcomes(lines, fx.a, outcome) > seen, Duration.ofSeconds(10),
        "stream of " + fx.a + " " + outcome);
  }

  private static int outcomes(ListAppender<ILoggingEvent> lines, String slug, String outcome) {
    String needle = "outcome=" + outcome + " tenant=" + slug + " ";
    synchronized (lines) {
      return (int) lines.list.stream().filter(e -> e.getFormattedMessage().contains(needle)).count();
    }
  }

  @Test
  void readinessReportsNatsGoingAwayAndComingBack() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), n -> { })) {
      fx.awaitConnected();
      HttpClient ops = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setDefaultHost("127.0.0.1")
          .setDefaultPort(fx.gw.gateway.opsPort()));
      String url = "/health/ready";
      awaitNats(ops, url, "UP");

      server.stop();
      JsonObject down = awaitNats(ops, url, "DEGRADED");
      assertTrue(down.getJsonObject("checks").getJsonObject("nats").getString("detail").startsWith("disconnected"),
          down.encode());
      assertEquals("DEGRADED", down.getString("status"), "NATS away: reported, still ready (docs/operations.md)");
      Http.Response r = Http.get(ops, url);
      assertEquals(200, r.status(), "DEGRADED keeps the gateway in the load balancer: core traffic still flows");

      server.start();
      JsonObject up = awaitNats(ops, url, "UP");
      assertTrue(up.getJsonObject("checks").getJsonObject("nats").getString("detail").contains(server.url()),
          up.encode());
      Await.result(ops.close());
    }
  }

  /** Polls readiness until its {@code nats} check has {@code state}; the last answer. */
  private static JsonObject awaitNats(HttpClient ops, String url, String state) {
    JsonObject[] last = new JsonObject[1];
    Await.until(() -> {
      last[0] = Http.get(ops, url).json();
      return state.equals(last[0].getJsonObject("checks").getJsonObject("nats").getString("status"));
    }, Duration.ofSeconds(15), "nats readiness " + state);
    return last[0];
  }
}
