package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * NATS goes away and comes back in the middle of a JetStream publish run (a private nats-server,
 * stopped gracefully or SIGKILLed with publishes in flight, restarted on the same port and file
 * store): every request gets either a success with a sequence or an error, the stream holds every
 * acknowledged message, and the bridge reconnects on its own. Also:
 * with NATS down the gateway still starts and serves core, and publishes get 503.
 */
class NatsRestartIT {

  @Test
  void noAcknowledgedMessageIsLostWhenNatsRestartsMidRun() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), n -> n.put("publish",
            new java.util.LinkedHashMap<>(Map.of("ackTimeout", "2s"))))) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient client = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      run(fx, server, client, 30, 50, (batch) -> server.stop(), true);
    } finally {
      Await.result(vertx.close());
    }
  }

  /**
   * SIGKILL, not a graceful stop: the server dies while JetStream publishes are on their way and
   * being written to its file store, then comes back on the same port and store directory.
   */
  @Test
  void noAcknowledgedMessageIsLostWhenNatsIsKilledDuringInFlightPublishes() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (NatsServerProcess server = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.start(vertx, server.url(), n -> n.put("publish",
            new java.util.LinkedHashMap<>(Map.of("ackTimeout", "2s"))))) {
      fx.awaitConnected();
      fx.awaitStreams();
      assertEquals(io.nats.client.api.StorageType.File,
          fx.jsm().getStreamInfo(fx.stream(fx.a)).getConfiguration().getStorageType());
      HttpClient client = fx.gw.h2(fx.cert(fx.aCa, fx.a, "collector-001"));
      int[] inFlightAtKill = {0};
      run(fx, server, client, 20, 100, batch -> {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (fx.bridge().inFlightPublishes() == 0 && System.nanoTime() - deadline < 0) {
          Thread.onSpinWait();
        }
        inFlightAtKill[0] = fx.bridge().inFlightPublishes();
        server.kill();
      }, false);
      assertTrue(inFlightAtKill[0] > 0, "the kill hit publishes in flight");
    } finally {
      Await.result(vertx.close());
    }
  }

  /** What happens to NATS in round 10, after ({@code afterBatch}) or before that round's requests are sent. */
  private interface Outage {
    void strike(List<Future<Http.Response>> batch) throws Exception;
  }

  /**
   * {@code rounds} rounds of {@code perRound} concurrent JetStream publishes; NATS goes away in round 10
   * and is back from round 14. Every request gets a 200 with a sequence or a problem+json 503/504, no
   * sequence is acknowledged twice, and after the run the stream holds every acknowledged message.
   */
  private static void run(BridgeFixture fx, NatsServerProcess server, HttpClient client, int rounds, int perRound,
      Outage outage, boolean beforeBatch) throws Exception {
    Map<Long, String> acked = new TreeMap<>();
    Map<Integer, Integer> statuses = new HashMap<>();
    int n = 0;
    for (int round = 0; round < rounds; round++) {
      if (round == 10 && beforeBatch) {
        outage.strike(List.of());
      }
      if (round == 14) {
        server.start();
        fx.awaitConnected();
      }
      List<Future<Http.Response>> batch = new ArrayList<>();
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < perRound; i++, n++) {
        String body = "m-" + n;
        bodies.add(body);
        batch.add(Http.sendAsync(client, new RequestOptions().setMethod(HttpMethod.POST)
            .setURI("/v1/nats/publish/logs.restart?ack=jetstream"), Buffer.buffer(body)));
      }
      if (round == 10 && !beforeBatch) {
        outage.strike(batch);
      }
      Await.result(Future.join(batch), Duration.ofSeconds(30));
      for (int i = 0; i < batch.size(); i++) {
        assertTrue(batch.get(i).succeeded(), "every request gets an answer: " + batch.get(i).cause());
        Http.Response r = batch.get(i).result();
        statuses.merge(r.status(), 1, Integer::sum);
        if (r.status() == 200) {
          assertFalse(acked.containsKey(r.json().getLong("seq")), "a sequence acknowledged twice");
          acked.put(r.json().getLong("seq"), bodies.get(i));
        } else {
          assertTrue(r.status() == 503 || r.status() == 504, "error status " + r.status() + " " + r.body());
          assertTrue(r.contentType().startsWith("application/problem+json"));
        }
      }
      if (round == 10) {
        Await.until(() -> !fx.bridge().health().up(), Duration.ofSeconds(10), "the bridge sees NATS gone");
      }
    }
    System.out.printf("restart run: %d requests, statuses %s, %d acknowledged%n", n, statuses, acked.size());
    assertTrue(statuses.getOrDefault(200, 0) >= n / 2, "most publishes succeed: " + statuses);
    assertTrue(statuses.getOrDefault(503, 0) + statuses.getOrDefault(504, 0) > 0, "the outage was seen: " + statuses);
    JetStreamManagement jsm = fx.jsm();
    for (Map.Entry<Long, String> e : acked.entrySet()) {
      MessageInfo m = jsm.getMessage(fx.stream(fx.a), e.getKey());
      assertEquals(e.getValue(), new String(m.getData(), StandardCharsets.UTF_8), "seq " + e.getKey());
    }
  }

  @Test
  void withNatsDownTheGatewayStartsServesCoreAndAnswersPublishesWith503() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (NatsServerProcess nowhere = new NatsServerProcess(); NatsServerProcess witness = new NatsServerProcess().start();
        BridgeFixture fx = BridgeFixture.startWithGatewayUrl(vertx, witness.url(), nowhere.url())) {
      assertFalse(fx.bridge().health().up());
      HttpClient client = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      Http.Response r = BridgeFixture.post(client, "/v1/nats/publish/logs.down", "x");
      assertEquals(503, r.status());
      assertEquals("nats_unavailable", r.json().getString("reason"));
      assertEquals(503, BridgeFixture.post(client, "/v1/nats/publish/logs.down?ack=jetstream", "x").status());
      assertEquals(200, Http.get(client, "/api/hello").status(), "core traffic is unaffected");
      assertEquals(0, fx.gw.gateway.metrics().registry().find("tenantgate.nats.connected").gauge().value());
    } finally {
      Await.result(vertx.close());
    }
  }
}
