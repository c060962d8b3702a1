package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Subject namespaces against the real nats-server: a tenant whose slug is a subject root of the
 * configuration (here tenant b, whose slug is made a collector publish root) is refused by the bridge
 * and gets no stream, while the other tenant may use that root as an ordinary subject; and no client
 * may name the gateway's own {@code edge.…} namespace.
 */
class SubjectNamespacesIT {

  @Test
  void aTenantWhoseSlugIsASubjectRootIsRefusedAndOthersUseTheRootFreely() throws Exception {
    Logger log = (Logger) LoggerFactory.getLogger(NatsBridge.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    log.addAppender(lines);
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.startKnowingSlugs(vertx, "nats://127.0.0.1:4222", (f, n) -> n.put("allow",
        new LinkedHashMap<>(Map.of("collector", new LinkedHashMap<>(Map.of("publish",
            List.of("logs.>", "events.>", f.b + ".>")))))))) {
      fx.awaitConnected();
      fx.awaitStream(fx.a);
      Await.until(() -> refusedLine(lines, fx.b), Duration.ofSeconds(10), "tenant b refused provisioning");
      assertFalse(fx.streamExists(fx.b), "no stream for a tenant whose slug is a subject root");
      Subscription underB = fx.spy(fx.b + ".>");

      // tenant a: b's slug is just a root of its own subjects
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      Subscription mine = fx.spy(fx.a + "." + fx.b + ".x");
      assertEquals(202, BridgeFixture.post(a, "/v1/nats/publish/" + fx.b + ".x", "mine").status());
      assertEquals(1, BridgeFixture.drain(mine, Duration.ofSeconds(2)).size());

      // tenant b: refused over HTTP and WebSocket, and NATS hears nothing under its prefix
      HttpClient b = fx.gw.h1(fx.cert(fx.bCa, fx.b, "collector-001"));
      Http.Response r = BridgeFixture.post(b, "/v1/nats/publish/logs.x", "refused");
      assertEquals(409, r.status(), r.body().toString());
      assertEquals("slug_reserved", r.json().getString("reason"));
      assertEquals(409, BridgeFixture.post(b, "/v1/nats/publish/logs.x?ack=jetstream", "refused").status());
      assertEquals(409, BridgeFixture.post(b, "/v1/nats/request/rpc.x", "refused").status());
      UpgradeRejectedException ws = assertInstanceOf(UpgradeRejectedException.class,
          Await.failure(fx.connect(fx.cert(fx.bCa, fx.b, "collector-001"))));
      assertEquals(409, ws.getStatus());
      assertEquals("slug_reserved", ws.getBody().toJsonObject().getString("reason"));
      List<Message> heard = BridgeFixture.drain(underB, Duration.ofMillis(300));
      assertTrue(heard.isEmpty(), "NATS heard " + heard.stream().map(Message::getSubject).toList());
      assertEquals(4, fx.gw.gateway.metrics().count("tenantgate.nats.denials", "reason", "slug_reserved",
          "tenant", fx.b));
      assertFalse(fx.streamExists(fx.b));
      mine.unsubscribe();
      underB.unsubscribe();
    } finally {
      log.detachAppender(lines);
      Await.result(vertx.close());
    }
  }

  @Test
  void noClientMayNameTheGatewaysEdgeNamespace() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      Subscription edge = fx.spy(fx.a + ".edge.>");
      HttpClient a = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      for (String s : List.of("edge.collector-002.config", "edge.collector-001.x")) {
        Http.Response r = BridgeFixture.post(a, "/v1/nats/publish/" + s, "fake core message");
        assertEquals(400, r.status(), s);
        assertEquals("subject_not_allowed", r.json().getString("reason"));
      }
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "collector-001"));
      var err = ws.call(new io.vertx.core.json.JsonObject().put("op", "sub").put("sid", "spy")
          .put("subject", "edge.>"));
      assertEquals("reserved_namespace", err.getString("detail"), err.encode());
      assertTrue(BridgeFixture.drain(edge, Duration.ofMillis(300)).isEmpty(), "nothing reached the edge namespace");
      assertEquals(3, fx.gw.gateway.metrics().count("tenantgate.nats.denials", "reason", "reserved_namespace",
          "tenant", fx.a));
      edge.unsubscribe();
    } finally {
      Await.result(vertx.close());
    }
  }

  /**
   * A sibling component of the same tenant subscribed where a JetStream publish goes sees the message,
   * but never the gateway's inbox the stream's ack comes back to: it cannot forge the ack. And a
   * JetStream publish to a subject no stream captures is refused up front instead of waiting for an
   * answer only a forger could give.
   */
  @Test
  void aSameTenantSubscriberCannotForgeTheAckOfAJetStreamPublish() throws Exception {
    Vertx vertx = GatewayFixture.testVertx();
    try (BridgeFixture fx = BridgeFixture.start(vertx, "nats://127.0.0.1:4222", n -> {
      n.put("jetstream", new LinkedHashMap<>(Map.of("subjects", List.of("events.>"))));
      n.put("allow", new LinkedHashMap<>(Map.of("collector", new LinkedHashMap<>(Map.of(
          "publish", List.of("logs.>", "events.>"), "subscribe", List.of("logs.>", "events.>"),
          "request", List.of("rpc.>"))))));
    })) {
      fx.awaitConnected();
      fx.awaitStreams();
      BridgeFixture.Ws sibling = fx.ws(fx.cert(fx.aCa, fx.a, "collector-sib"));
      for (String p : List.of("logs.>", "events.>")) {
        JsonObject ok = sibling.call(new JsonObject().put("op", "sub").put("sid", p).put("subject", p));
        assertEquals("ok", ok.getString("op"), ok.encode());
      }
      HttpClient h = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-pub"));
      var metrics = fx.gw.gateway.metrics();

      // stored nowhere: refused before anything is sent, so there is nothing to deliver or answer
      Http.Response unstored = BridgeFixture.post(h, "/v1/nats/publish/logs.x?ack=jetstream", "not stored anywhere");
      assertEquals(400, unstored.status(), unstored.body().toString());
      assertEquals("subject_not_allowed", unstored.json().getString("reason"));
      assertEquals(1, metrics.count("tenantgate.nats.denials", "reason", "not_stored", "tenant", fx.a));
      assertNull(sibling.next(Duration.ofMillis(300)), "nothing was published");
      assertEquals(202, BridgeFixture.post(h, "/v1/nats/publish/logs.x", "core is fine").status());
      assertEquals("logs.x", sibling.next(Duration.ofSeconds(5)).getString("subject"));

      // stored: the sibling gets the message without the ack inbox, and cannot answer it
      var pending = Http.sendAsync(h, new io.vertx.core.http.RequestOptions()
          .setMethod(io.vertx.core.http.HttpMethod.POST).setURI("/v1/nats/publish/events.x?ack=jetstream"),
          io.vertx.core.buffer.Buffer.buffer("stored"));
      JsonObject seen = sibling.next(Duration.ofSeconds(5));
      assertNotNull(seen);
      assertEquals("events.x", seen.getString("subject"));
      assertNull(seen.getString("reply"), "the gateway's ack inbox is never handed out: " + seen.encode());
      for (String token : List.of("r1", "r2", "_TG_INBOX.x", "_INBOX.x")) {
        JsonObject forged = sibling.call(new JsonObject().put("op", "respond").put("reply", token)
            .put("data", new JsonObject().put("stream", fx.stream(fx.a)).put("seq", 4242).encode()));
        assertEquals("unknown_reply", forged.getString("detail"), forged.encode());
      }
      Http.Response r = Await.result(pending, Duration.ofSeconds(15));
      assertEquals(200, r.status(), r.body().toString());
      long seq = r.json().getLong("seq");
      assertEquals("stored", new String(fx.jsm().getMessage(fx.stream(fx.a), seq).getData(),
          java.nio.charset.StandardCharsets.UTF_8), "the 200 names the stored message");
      assertEquals(1, fx.jsm().getStreamInfo(fx.stream(fx.a)).getStreamState().getMsgCount());
      assertTrue(metrics.count("tenantgate.nats.denials", "reason", "reply_stripped", "tenant", fx.a) >= 1);
    } finally {
      Await.result(vertx.close());
    }
  }

  private static boolean refusedLine(ListAppender<ILoggingEvent> lines, String slug) {
    synchronized (lines) {
      return lines.list.stream().anyMatch(e -> e.getFormattedMessage().contains("outcome=refused tenant=" + slug
          + " reason=slug_reserved"));
    }
  }
}
