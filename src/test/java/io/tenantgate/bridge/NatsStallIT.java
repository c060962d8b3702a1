package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A private nats-server that stops reading (SIGSTOP) while the gateway keeps sending: the gateway's
 * send queue stays bounded in bytes (publishes, replies and subscriptions beyond it get 503 at once,
 * never block an event loop), and a socket that subscribes many times holds one worker at a time.
 */
class NatsStallIT {
  private static final long BOUND = 1024 * 1024;
  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = GatewayFixture.testVertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close());
  }

  private BridgeFixture bridge(NatsServerProcess server) {
    return BridgeFixture.start(vertx, server.url(), n -> {
      n.put("maxOutgoingBytes", "1MiB");
      n.put("maxOutgoingMessages", 100);
      n.put("publish", new LinkedHashMap<>(Map.of("maxPayload", "256KiB")));
    });
  }

  @Test
  void aStalledServerFillsTheSendQueueOnlyUpToItsByteBoundAndEverySendBeyondIsRefusedAtOnce() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start(); BridgeFixture fx = bridge(server)) {
      fx.awaitConnected();
      HttpClient http = fx.gw.h1(fx.cert(fx.aCa, fx.a, "collector-001"));
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "collector-ws"));
      assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
      // core asks the component something; the component answers once NATS has stalled
      fx.nats.publish(fx.a + ".edge.collector-ws.status", "_INBOX.core-asks", "?".getBytes(StandardCharsets.UTF_8));
      JsonObject asked = ws.next(Duration.ofSeconds(5));
      assertNotNull(asked, "core's request reached the socket");
      NatsLink link = fx.bridge().link();
      var metrics = fx.gw.gateway.metrics();
      String body = "x".repeat(200 * 1024);
      server.freeze();
      try {
        Http.Response r = null;
        long peak = 0;
        int accepted = 0;
        int refused = 0;
        // 500 x 200 KiB = 100 MB: far more than the kernel's socket buffers and the bound together. The
        // first refusal can come while the kernel still takes bytes (jnats' writer draining the queue
        // slower than the loop fills it, on a busy machine): then the queue empties and filling goes on
        // until the refusal finds the writer stuck, the queue still holding what was refused on.
        for (int i = 0; i < 500; i++) {
          r = BridgeFixture.post(http, "/v1/nats/publish/logs.flood", body);
          peak = Math.max(peak, link.pendingBytes());
          if (r.status() == 202) {
            accepted++;
            continue;
          }
          assertEquals(503, r.status(), "after " + accepted + " accepted: " + r.body());
          assertEquals("nats_unavailable", r.json().getString("reason"));
          refused++;
          if (writerStuck(link)) {
            break;
          }
        }
        assertEquals(503, r.status(), "after " + accepted + " accepted: " + r.body());
        assertTrue(refused >= 1);
        assertEquals(refused, metrics.count("tenantgate.nats.errors", "reason", "outgoing_queue_full", "tenant",
            fx.a), "every refusal counted");
        assertTrue(peak <= BOUND + body.length() + 4096, "send queue peaked at " + peak + " bytes");
        assertTrue(accepted < 200, accepted + " x 200 KiB accepted with NATS not reading");

        // small messages still fit in bytes, up to the bound in messages
        int small = 0;
        for (; small < 200 && BridgeFixture.post(http, "/v1/nats/publish/logs.flood", "s").status() == 202; small++) {
          assertTrue(link.pendingBytes() <= BOUND);
        }
        assertTrue(small > 0 && small < 100, small + " small messages queued, bound 100");
        assertEquals(refused + 1, metrics.count("tenantgate.nats.errors", "reason", "outgoing_queue_full", "tenant",
            fx.a));

        // nothing else queues or waits either: a subscription, an unsubscription and a reply
        long t0 = System.nanoTime();
        JsonObject sub = ws.call(new JsonObject().put("op", "sub").put("sid", "jobs").put("subject",
            "jobs.collector-ws.>"));
        JsonObject unsub = ws.call(new JsonObject().put("op", "unsub").put("sid", "jobs"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("err", sub.getString("op"), sub.encode());
        assertEquals(503, sub.getInteger("status"));
        assertEquals("outgoing_queue_full", sub.getString("detail"));
        assertEquals("unknown_sid", unsub.getString("detail"), "the refused subscription was not kept");
        assertTrue(ms < 1_000, "refused at once, not after jnats' wait or a flush: " + ms + " ms");
        JsonObject reply = ws.call(new JsonObject().put("op", "respond").put("reply", asked.getString("reply"))
            .put("data", "fine"));
        assertEquals(503, reply.getInteger("status"), reply.encode());
        assertEquals("outgoing_queue_full", reply.getString("detail"));
        assertEquals(refused + 3, metrics.count("tenantgate.nats.errors", "reason", "outgoing_queue_full", "tenant",
            fx.a));
        assertTrue(link.pendingBytes() <= BOUND + body.length() + 4096);
      } finally {
        server.thaw();
      }
      Await.until(() -> BridgeFixture.post(http, "/v1/nats/publish/logs.flood", "again").status() == 202,
          Duration.ofSeconds(20), "the queue drained and publishes are accepted again");
    }
  }

  /**
   * Whether jnats' writer is blocked on the frozen server: what the queue holds stays over half the
   * bound for half a second (a writer the kernel still takes bytes from empties it in far less).
   */
  private static boolean writerStuck(NatsLink link) throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      Thread.sleep(100);
      if (link.pendingBytes() < BOUND / 2) {
        return false;
      }
    }
    return true;
  }

  @Test
  void aSocketSubscribingManyTimesWhileNatsIsStalledHoldsOneWorkerAndKeepsTheSubscriptionItReplaced()
      throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start(); BridgeFixture fx = bridge(server)) {
      fx.awaitConnected();
      BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "agent-007"));
      assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
      server.freeze();
      try {
        ws.send(new JsonObject().put("op", "sub").put("id", "first").put("sid", "jobs").put("subject",
            "jobs.agent-007.run"));
        for (int i = 0; i < 10; i++) {
          ws.send(new JsonObject().put("op", "sub").put("id", "s" + i).put("sid", "s" + i)
              .put("subject", "jobs.agent-007.t" + i));
        }
        Await.until(() -> flushing() >= 1, Duration.ofSeconds(5), "a confirmation waiting for NATS");
        for (int i = 0; i < 20; i++) {
          int n = flushing();
          assertTrue(n <= 1, n + " worker threads wait on NATS for one socket");
          Thread.onSpinWait();
        }
        // the client drops "jobs" and subscribes again under the same sid while the first is unconfirmed
        assertEquals("ok", ws.call(new JsonObject().put("op", "unsub").put("sid", "jobs")).getString("op"));
        ws.send(new JsonObject().put("op", "sub").put("id", "again").put("sid", "jobs").put("subject",
            "jobs.agent-007.run"));
        JsonObject first = answer(ws, "first");
        assertEquals(503, first.getInteger("status"), "the first was not confirmed: " + first.encode());
      } finally {
        server.thaw();
      }
      JsonObject again = answer(ws, "again");
      assertEquals("ok", again.getString("op"), "the replacement is confirmed once NATS answers: " + again.encode());
      // the failed first confirmation did not take the replacement with it
      fx.nats.publish(fx.a + ".jobs.agent-007.run", "go".getBytes(StandardCharsets.UTF_8));
      fx.nats.flush(Duration.ofSeconds(5));
      JsonObject msg = nextDelivery(ws);
      assertNotNull(msg, "the replacement subscription delivers");
      assertEquals("jobs", msg.getString("sid"));
      assertEquals("ok", ws.call(new JsonObject().put("op", "unsub").put("sid", "jobs")).getString("op"));
    }
  }

  /** Worker threads inside a jnats flush right now. */
  /**
   * Ten sockets subscribing while NATS is slow to answer share one flush. jnats counts a flush's PING
   * against {@code maxPingsOut} (2) and takes one more for a dead server — it drops the connection and
   * reconnects — so one flush per socket cut every publisher and socket off NATS (the soak found it as
   * "Max outgoing Ping count exceeded", a reconnect and 503s). Every subscription is confirmed once NATS
   * answers, and the connection is never dropped.
   */
  @Test
  void manySocketsSubscribingWhileNatsIsSlowShareOneFlushAndTheConnectionStaysUp() throws Exception {
    try (NatsServerProcess server = new NatsServerProcess().start(); BridgeFixture fx = bridge(server)) {
      fx.awaitConnected();
      List<BridgeFixture.Ws> sockets = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "agent-" + (100 + i)));
        assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
        sockets.add(ws);
      }
      io.nats.client.Connection nats = fx.bridge().link().connected();
      assertNotNull(nats);
      long reconnects = nats.getStatistics().getReconnects();
      server.freeze();
      try {
        for (int i = 0; i < sockets.size(); i++) {
          sockets.get(i).send(new JsonObject().put("op", "sub").put("id", "jobs").put("sid", "jobs")
              .put("subject", "jobs.agent-" + (100 + i) + ".run"));
        }
        Await.until(() -> flushing() >= 1, Duration.ofSeconds(5), "a confirmation waiting for NATS");
        for (int i = 0; i < 20; i++) {
          int n = flushing();
          assertTrue(n <= 1, n + " flushes wait on NATS at once");
          Thread.sleep(15);
        }
      } finally {
        server.thaw();
      }
      for (BridgeFixture.Ws ws : sockets) {
        JsonObject a = answer(ws, "jobs");
        assertEquals("ok", a.getString("op"), a.encode());
      }
      assertEquals(reconnects, nats.getStatistics().getReconnects(), "the connection to NATS was never dropped");
      assertEquals(NatsLink.State.CONNECTED, fx.bridge().link().state());
      assertEquals(0, fx.gw.gateway.metrics().count("tenantgate.nats.errors", "reason", "nats_unavailable",
          "tenant", fx.a));
    }
  }

  private static int flushing() {
    int n = 0;
    for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
      for (StackTraceElement e : stack) {
        if (e.getClassName().equals("io.nats.client.impl.NatsConnection") && e.getMethodName().equals("flush")) {
          n++;
          break;
        }
      }
    }
    return n;
  }

  private static JsonObject answer(BridgeFixture.Ws ws, String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject m = ws.next(Duration.ofMillis(200));
      if (m != null && id.equals(m.getString("id"))) {
        return m;
      }
    }
    throw new AssertionError("no answer to " + id);
  }

  private static JsonObject nextDelivery(BridgeFixture.Ws ws) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < deadline) {
      JsonObject m = ws.next(Duration.ofMillis(200));
      if (m != null && "msg".equals(m.getString("op"))) {
        return m;
      }
    }
    return null;
  }
}
