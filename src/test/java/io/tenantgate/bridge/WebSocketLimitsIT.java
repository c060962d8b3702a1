package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Subscription;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.vertx.core.Vertx;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bridge WebSocket's configured limits against the real nats-server: the gateway-wide cap on open
 * sockets, and the per-socket outgoing buffer, which is bounded in bytes however few messages fill it.
 */
class WebSocketLimitsIT {
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  private BridgeFixture bridge(String key, Object value) {
    return BridgeFixture.start(vertx, "nats://127.0.0.1:4222",
        n -> n.put("websocket", new LinkedHashMap<>(Map.of(key, value))));
  }

  @Test
  void socketsBeyondTheGatewaysCapAreRefusedWith503AndCountedAndTheirSlotComesBack() throws Exception {
    try (BridgeFixture fx = bridge("maxSockets", 2)) {
      fx.awaitConnected();
      BridgeFixture.Ws first = fx.ws(fx.cert(fx.aCa, fx.a, "collector-1"));
      // another tenant's socket takes the second slot: the cap is the gateway's, not a tenant's
      BridgeFixture.Ws second = fx.ws(fx.cert(fx.bCa, fx.b, "collector-2"));
      assertEquals("pong", first.call(new JsonObject().put("op", "ping")).getString("op"));
      assertEquals("pong", second.call(new JsonObject().put("op", "ping")).getString("op"));
      Subscription heard = fx.spy(fx.a + ".>");

      Throwable refused = Await.failure(fx.connect(fx.cert(fx.aCa, fx.a, "collector-3")));
      UpgradeRejectedException rejected = assertInstanceOf(UpgradeRejectedException.class, refused);
      assertEquals(503, rejected.getStatus());
      assertTrue(rejected.getHeaders().get("content-type").startsWith("application/problem+json"));
      assertEquals("too_many_websockets", rejected.getBody().toJsonObject().getString("reason"));
      var metrics = fx.gw.gateway.metrics();
      assertEquals(1, metrics.count("tenantgate.nats.errors", "reason", "too_many_websockets", "tenant", fx.a));
      assertEquals(1, metrics.count("tenantgate.requests", "route", "nats-ws", "protocol", "h1", "status_class", "5xx",
          "tenant", fx.a));
      assertEquals(2, fx.bridge().openSockets(), "the refused upgrade holds no slot");
      // core's message for the refused component reaches no socket, and the refusal published nothing
      fx.nats.publish(fx.a + ".edge.collector-3.config", "for nobody".getBytes(StandardCharsets.UTF_8));
      assertEquals(1, BridgeFixture.drain(heard, Duration.ofMillis(300)).size(), "only core's own publish");
      assertEquals(null, first.next(Duration.ofMillis(50)));

      Await.result(first.socket.close());
      Await.until(() -> fx.bridge().openSockets() == 1, Duration.ofSeconds(5), "the closed socket's slot freed");
      BridgeFixture.Ws third = fx.ws(fx.cert(fx.aCa, fx.a, "collector-3"));
      assertEquals("pong", third.call(new JsonObject().put("op", "ping")).getString("op"));
      assertEquals(2, fx.bridge().openSockets());
      heard.unsubscribe();
    }
  }

  @Test
  void theOutgoingBufferIsBoundedInBytesSoAFewLargeDeliveriesCloseASlowSocket() throws Exception {
    long bound = 64 * 1024;
    try (BridgeFixture fx = bridge("maxBufferedBytes", "64KiB")) {
      fx.awaitConnected();
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "collector-slow"));
      assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
      ws.socket.pause();
      // 16 KiB each: four of them fill the bound. A count bound of even a few dozen messages would let
      // megabytes wait for this socket.
      byte[] chunk = "x".repeat(16 * 1024).getBytes(StandardCharsets.UTF_8);
      var metrics = fx.gw.gateway.metrics();
      for (int i = 0; i < 20_000 && metrics.count("tenantgate.nats.errors", "reason", "slow_consumer", "tenant", fx.a)
          == 0; i++) {
        fx.nats.publish(fx.a + ".edge.collector-slow.flood", chunk);
        if (i % 50 == 0) {
          fx.nats.flush(Duration.ofSeconds(5));
        }
      }
      Await.until(() -> metrics.count("tenantgate.nats.errors", "reason", "slow_consumer", "tenant", fx.a) == 1,
          Duration.ofSeconds(10), "slow consumer detected");
      long frame = chunk.length + 512;
      assertTrue(fx.bridge().bufferedHighWater() <= bound + frame,
          "bytes waiting for the socket peaked at " + fx.bridge().bufferedHighWater() + ", bound " + bound);
      ws.socket.resume();
      Await.until(() -> ws.closeCode != 0, Duration.ofSeconds(10), "socket closed");
      assertEquals(WebSocketSession.SLOW_CONSUMER, ws.closeCode);
      Await.until(() -> fx.bridge().openSockets() == 0, Duration.ofSeconds(5), "its slot freed");
    }
  }

  /**
   * A bridge WebSocket takes a message carrying a full nats.publish.maxPayload (as data_b64, 4/3 of the
   * bytes, in its JSON); a message over that limit closes the socket with 1009, counted.
   */
  @Test
  void aWebSocketMessageUpToTheBridgesLimitIsTakenAndALargerOneClosesWith1009() throws Exception {
    try (BridgeFixture fx = BridgeFixture.start(vertx)) {
      fx.awaitConnected();
      int limit = io.tenantgate.config.NatsConfig.defaults().maxWebSocketMessageSize();
      Subscription heard = fx.spy(fx.a + ".logs.big");
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "collector-big"));
      // a payload just under the server's max_payload (headers travel too), base64 in JSON: ~1.33 MiB
      byte[] payload = new byte[1000 * 1024];
      java.util.Arrays.fill(payload, (byte) 0xff);
      JsonObject ok = ws.call(new JsonObject().put("op", "pub").put("subject", "logs.big")
          .put("data_b64", java.util.Base64.getEncoder().encodeToString(payload)));
      assertEquals("ok", ok.getString("op"), ok.encode().substring(0, Math.min(200, ok.encode().length())));
      assertEquals(payload.length, heard.nextMessage(Duration.ofSeconds(5)).getData().length);

      String tooLarge = new JsonObject().put("op", "pub").put("id", "big").put("subject", "logs.big")
          .put("data", "x".repeat(limit)).encode();
      ws.socket.writeTextMessage(tooLarge);
      Await.until(() -> ws.closeCode != 0, Duration.ofSeconds(10), "socket closed");
      assertEquals(WebSocketSession.TOO_LARGE, ws.closeCode);
      assertEquals(1, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "message_too_large",
          "tenant", fx.a));
      assertEquals(List.of(), BridgeFixture.drain(heard, Duration.ofMillis(300)), "nothing of it was published");
      heard.unsubscribe();
    }
  }

  /** A reply over the NATS server's max_payload (the gateway's own limit is higher here) is a 413 like a publish. */
  @Test
  void aReplyOverTheServersMaxPayloadIs413AndCounted() throws Exception {
    try (BridgeFixture fx = BridgeFixture.start(vertx, "nats://127.0.0.1:4222",
        n -> n.put("publish", new LinkedHashMap<>(Map.of("maxPayload", "2MiB"))))) {
      fx.awaitConnected();
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "collector-answers"));
      assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
      var reply = fx.nats.request(fx.a + ".edge.collector-answers.status", "?".getBytes(StandardCharsets.UTF_8));
      JsonObject asked = ws.next(Duration.ofSeconds(5));
      JsonObject err = ws.call(new JsonObject().put("op", "respond").put("reply", asked.getString("reply"))
          .put("data", "x".repeat(1536 * 1024)));
      assertEquals(413, err.getInteger("status"), err.encode());
      assertEquals("exceeds_server_max_payload", err.getString("detail"));
      assertEquals(1, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason",
          "exceeds_server_max_payload", "tenant", fx.a));
      assertFalse(reply.isDone(), "nothing reached the requester");
      reply.cancel(true);
    }
  }
}
