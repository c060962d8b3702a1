package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** JetStream through the bridge against the real nats-server: acks, counts, dedup, a full stream. */
class JetStreamIT {

  @Test
  void tenThousandAckedHttpPublishesFromTwoTenantsLandInTheirOwnStreamsAndDuplicatesAreStoredOnce() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient a = fx.gw.h2(fx.cert(fx.aCa, fx.a, "collector-001"));
      HttpClient b = fx.gw.h2(fx.cert(fx.bCa, fx.b, "collector-001"));
      long start = System.nanoTime();
      List<Long> seqA = publishAll(a, 5_000, "a");
      List<Long> seqB = publishAll(b, 5_000, "b");
      long millis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf("jetstream: 10000 acked HTTP/2 publishes in %d ms (%.0f/s)%n", millis, 10_000_000.0 / millis);
      Set<Long> expected = LongStream.rangeClosed(1, 5_000).boxed().collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, new TreeSet<>(seqA), "acme-like tenant: sequences 1..5000, each once");
      assertEquals(expected, new TreeSet<>(seqB));
      StreamInfo ia = fx.jsm().getStreamInfo(fx.stream(fx.a));
      StreamInfo ib = fx.jsm().getStreamInfo(fx.stream(fx.b));
      assertEquals(5_000, ia.getStreamState().getMsgCount());
      assertEquals(5_000, ib.getStreamState().getMsgCount());
      assertEquals(5_000, ia.getStreamState().getLastSequence());
      assertTrue(ia.getConfiguration().getSubjects().contains(fx.a + ".logs.>"));
      assertTrue(ia.getConfiguration().getSubjects().stream().allMatch(x -> x.startsWith(fx.a + ".")),
          "a tenant stream captures only its own prefix: " + ia.getConfiguration().getSubjects());

      List<Http.Response> first = new ArrayList<>();
      List<Http.Response> again = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        first.add(publish(a, "logs.dedup", "dup-" + i));
      }
      for (int i = 0; i < 20; i++) {
        again.add(publish(a, "logs.dedup", "dup-" + i));
      }
      for (int i = 0; i < 20; i++) {
        assertEquals(200, first.get(i).status());
        assertEquals(false, first.get(i).json().getBoolean("duplicate"));
        assertEquals(200, again.get(i).status());
        assertEquals(true, again.get(i).json().getBoolean("duplicate"));
        assertEquals(first.get(i).json().getLong("seq"), again.get(i).json().getLong("seq"));
      }
      assertEquals(5_020, fx.jsm().getStreamInfo(fx.stream(fx.a)).getStreamState().getMsgCount());
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void aStreamAtItsByteLimitRefusesPublishesClearlyWhileOtherTenantsCarryOn() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx, "nats://127.0.0.1:4222",
        n -> n.put("jetstream", new java.util.LinkedHashMap<>(java.util.Map.of("maxBytes", "64KiB", "maxMsgSize", "8KiB"))))) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      HttpClient b = fx.gw.h1(fx.cert(fx.bCa, fx.b, "collector-001"));
      String kib = "x".repeat(1024);
      Http.Response r = null;
      int stored = 0;
      for (int i = 0; i < 200; i++) {
        r = BridgeFixture.post(a, "/v1/nats/publish/logs.fill?ack=jetstream", kib);
        if (r.status() != 200) {
          break;
        }
        stored++;
      }
      assertEquals(507, r.status(), r.body().toString());
      assertEquals("stream_full", r.json().getString("reason"));
      assertTrue(stored > 10 && stored < 64, "stored " + stored);
      assertEquals(stored, fx.jsm().getStreamInfo(fx.stream(fx.a)).getStreamState().getMsgCount());
      assertEquals(507, BridgeFixture.post(a, "/v1/nats/publish/logs.fill?ack=jetstream", kib).status());
      assertEquals(200, BridgeFixture.post(b, "/v1/nats/publish/logs.fill?ack=jetstream", kib).status());
    } finally {
      Await.result(vertx.close());
    }
  }

  @Test
  void aTenantOverItsPublishRateGets429ForTheExcessAndNothingOfItReachesNats() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx, "nats://127.0.0.1:4222",
        n -> n.put("publish", new java.util.LinkedHashMap<>(java.util.Map.of("ratePerSecond", 1, "burst", 5))))) {
      fx.awaitConnected();
      var heardA = fx.spy(fx.a + ".>");
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      HttpClient b = fx.gw.h1(fx.cert(fx.bCa, fx.b, "collector-001"));
      int accepted = 0;
      int limited = 0;
      for (int i = 0; i < 20; i++) {
        Http.Response r = BridgeFixture.post(a, "/v1/nats/publish/logs.burst", "m" + i);
        if (r.status() == 202) {
          accepted++;
        } else {
          assertEquals(429, r.status(), r.body().toString());
          assertEquals("over_rate", r.json().getString("reason"));
          limited++;
        }
      }
      assertTrue(accepted >= 5 && accepted <= 7, "burst of 5 plus at most the refill: " + accepted);
      assertEquals(20, accepted + limited);
      assertEquals(accepted, BridgeFixture.drain(heardA, Duration.ofMillis(500)).size(),
          "NATS got exactly the accepted publishes, none of the refused ones");
      assertEquals(limited, (int) fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "over_rate",
          "tenant", fx.a), "every refusal counted");
      assertEquals(202, BridgeFixture.post(b, "/v1/nats/publish/logs.burst", "other tenant").status(),
          "the other tenant has its own bucket");
    } finally {
      Await.result(vertx.close());
    }
  }

  /**
   * A stream deleted under the gateway: the publishes that find it missing get 503 and the stream is
   * provisioned again, once for the whole burst rather than once per failed publish.
   */
  @Test
  void aMissingStreamIsProvisionedAgainOnceForABurstOfFailedPublishes() throws Exception {
    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger(StreamProvisioner.class);
    var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    lines.start();
    log.addAppender(lines);
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      fx.awaitStreams();
      HttpClient a = fx.gw.h2(fx.cert(fx.aCa, fx.a, "collector-001"));
      fx.jsm().deleteStream(fx.stream(fx.a));
      int before = provisioned(lines, fx.a);
      List<Future<Http.Response>> burst = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        burst.add(Http.sendAsync(a, new RequestOptions().setMethod(HttpMethod.POST)
            .setURI("/v1/nats/publish/logs.gone?ack=jetstream"), Buffer.buffer("m" + i)));
      }
      Await.result(Future.join(burst), Duration.ofSeconds(30));
      int unavailable = 0;
      for (Future<Http.Response> f : burst) {
        assertTrue(f.result().status() == 200 || f.result().status() == 503, f.result().body().toString());
        unavailable += f.result().status() == 503 ? 1 : 0;
      }
      assertTrue(unavailable > 0, "the burst found the stream missing");
      fx.awaitStream(fx.a);
      Await.until(() -> BridgeFixture.post(a, "/v1/nats/publish/logs.gone?ack=jetstream", "after").status() == 200,
          Duration.ofSeconds(10), "publishes stored again");
      int passes = provisioned(lines, fx.a) - before;
      assertTrue(passes >= 1 && passes <= 3, passes + " provisioning passes for " + unavailable + " failed publishes");
    } finally {
      log.detachAppender(lines);
      Await.result(vertx.close());
    }
  }

  private static int provisioned(ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines,
      String slug) {
    synchronized (lines) {
      return (int) lines.list.stream().filter(e -> e.getFormattedMessage().startsWith("op=nats.stream.provision")
          && e.getFormattedMessage().contains(" tenant=" + slug + " ")).count();
    }
  }

  /** Publishes {@code n} messages with ack=jetstream, at most 200 in flight; the sequences acknowledged. */
  static List<Long> publishAll(HttpClient client, int n, String tag) {
    List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
    int window = 200;
    for (int from = 0; from < n; from += window) {
      List<Future<Http.Response>> batch = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + window); i++) {
        batch.add(Http.sendAsync(client, new RequestOptions().setMethod(HttpMethod.POST)
            .setURI("/v1/nats/publish/logs.load?ack=jetstream"), Buffer.buffer(tag + "-" + i)));
      }
      Await.result(Future.all(batch), Duration.ofSeconds(60));
      for (Future<Http.Response> f : batch) {
        assertEquals(200, f.result().status(), f.result().body().toString());
        seqs.add(f.result().json().getLong("seq"));
      }
    }
    return seqs;
  }

  static Http.Response publish(HttpClient client, String subject, String msgId) {
    return Http.send(client, new RequestOptions().setMethod(HttpMethod.POST)
        .setURI("/v1/nats/publish/" + subject + "?ack=jetstream").addHeader("Nats-Msg-Id", msgId),
        Buffer.buffer("payload of " + msgId));
  }
}
