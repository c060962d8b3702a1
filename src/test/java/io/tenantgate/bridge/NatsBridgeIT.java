package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.Http;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md section 3 against the real nats-server on 127.0.0.1:4222: HTTP and WebSocket publish,
 * request/reply, subscriptions and core-to-edge delivery stay inside the caller's tenant prefix, and
 * every refused subject leaves NATS silent.
 */
class NatsBridgeIT {
  private static final Duration QUIET = Duration.ofMillis(300);
  private static Vertx vertx;
  private static BridgeFixture fx;

  @BeforeAll
  static void start() {
    vertx = GatewayFixture.testVertx();
    fx = BridgeFixture.start(vertx);
    fx.awaitConnected();
  }

  @AfterAll
  static void stop() {
    fx.close();
    Await.result(vertx.close());
  }

  private static ClientCert collector(String id) {
    return fx.cert(fx.aCa, fx.a, id);
  }

  @Test
  void httpPublishReachesTheTenantsSubjectAndNoOtherTenant() throws Exception {
    Subscription mine = fx.spy(fx.a + ".logs.syslog");
    Subscription theirs = fx.spy(fx.b + ".>");
    Http.Response r = BridgeFixture.post(fx.gw.h1(collector("collector-001")), "/v1/nats/publish/logs.syslog",
        "<13>hello");
    assertEquals(202, r.status(), r.body().toString());
    assertEquals("logs.syslog", r.json().getString("subject"));
    Message m = mine.nextMessage(Duration.ofSeconds(5));
    assertNotNull(m, "subscriber on " + fx.a + ".logs.syslog");
    assertEquals("<13>hello", new String(m.getData(), StandardCharsets.UTF_8));
    assertEquals("collector-001", m.getHeaders().getFirst("Component-Id"));
    assertEquals(fx.aId.toString(), m.getHeaders().getFirst("Tenant-Id"));
    assertTrue(BridgeFixture.drain(theirs, QUIET).isEmpty(), "the other tenant hears nothing");
    mine.unsubscribe();
    theirs.unsubscribe();
  }

  @Test
  void jetStreamPublishAnswersWithStreamAndSequenceAfterTheAck() {
    fx.awaitStreams();
    HttpClient h2 = fx.gw.h2(collector("collector-js"));
    Http.Response r = BridgeFixture.post(h2, "/v1/nats/publish/events.up?ack=jetstream", "{\"up\":true}");
    assertEquals(200, r.status(), r.body().toString());
    assertEquals(fx.stream(fx.a), r.json().getString("stream"));
    assertTrue(r.json().getLong("seq") > 0);
    assertEquals(false, r.json().getBoolean("duplicate"));
  }

  @Test
  void webSocketPublishReachesTheTenantsSubjectAndNoOtherTenant() throws Exception {
    Subscription mine = fx.spy(fx.a + ".logs.ws");
    Subscription theirs = fx.spy(fx.b + ".>");
    BridgeFixture.Ws ws = fx.ws(collector("collector-ws"));
    JsonObject ok = ws.call(new JsonObject().put("op", "pub").put("subject", "logs.ws").put("data", "via ws"));
    assertEquals("ok", ok.getString("op"), ok.encode());
    Message m = mine.nextMessage(Duration.ofSeconds(5));
    assertNotNull(m);
    assertEquals("via ws", new String(m.getData(), StandardCharsets.UTF_8));
    fx.awaitStreams();
    JsonObject ack = ws.call(new JsonObject().put("op", "pub").put("subject", "logs.ws").put("data", "stored")
        .put("ack", "jetstream"));
    assertEquals("ack", ack.getString("op"), ack.encode());
    assertEquals(fx.stream(fx.a), ack.getString("stream"));
    assertTrue(BridgeFixture.drain(theirs, QUIET).isEmpty());
    mine.unsubscribe();
    theirs.unsubscribe();
  }

  @Test
  void requestReplyOverHttpAndWebSocketStaysInTheTenant() throws Exception {
    Dispatcher responders = fx.nats.createDispatcher();
    responders.subscribe(fx.a + ".rpc.ping", m -> fx.nats.publish(m.getReplyTo(),
        ("pong " + new String(m.getData(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
    List<Message> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
    responders.subscribe(fx.b + ".rpc.ping", wrong::add);
    fx.nats.flush(Duration.ofSeconds(5));
    try {
      Http.Response r = BridgeFixture.post(fx.gw.h1(collector("collector-rr")), "/v1/nats/request/rpc.ping", "h");
      assertEquals(200, r.status(), r.body().toString());
      assertEquals("pong h", r.json().getString("data"));
      JsonObject reply = fx.ws(collector("collector-rr")).call(new JsonObject().put("op", "req")
          .put("subject", "rpc.ping").put("data", "w"));
      assertEquals("reply", reply.getString("op"), reply.encode());
      assertEquals("pong w", reply.getString("data"));
      Http.Response none = BridgeFixture.post(fx.gw.h1(collector("collector-rr")),
          "/v1/nats/request/rpc.nobody?timeout_ms=500", "x");
      assertEquals(503, none.status(), none.body().toString());
      assertEquals("no_responders", none.json().getString("reason"));
      assertTrue(wrong.isEmpty(), "the other tenant's responder was never asked");
    } finally {
      fx.nats.closeDispatcher(responders);
    }
  }

  /** Item 1's escape attempts and their relatives: each refused, none published anywhere. */
  static final List<String> ESCAPES = List.of(">", "*", "*.x", "logs.*", "logs.>", "logs.sys*", "logs.>.x",
      "..", ".", "logs..syslog", ".logs", "logs.", "logs syslog", " logs", "logs\t", "logs\nsyslog", "logs\r",
      "logs\u0000", "logs\u0007x", "logs\u007f", "logs.sysl\u00f6g", "\u00e9v\u00e9nements", "logs.\u2603",
      "logs/syslog", "logs%2esyslog", "logs$", "$JS.API.STREAM.LIST", "$SYS.REQ.SERVER.PING", "_INBOX..x",
      "logs.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "logs." + "x".repeat(300), "", "logs.:", "logs.@x", "logs,x");

  /**
   * Where a leaked message could land: every subject ({@code >}) and, subscribed to explicitly, the
   * system namespaces (request inboxes, JetStream API and acks, system events, KV and object stores).
   */
  static final List<String> SYSTEM_SPACES = List.of("$JS.>", "_INBOX.>", "_TG_INBOX.>", "$SYS.>", "$KV.>", "$O.>");

  /** Escapes the edge listener refuses as paths (dot segments, encoded slash or NUL) before the bridge sees them. */
  static final java.util.Set<String> NOT_A_PATH = java.util.Set.of(".", "..", "logs/syslog", "logs\u0000");
  static final List<String> SUBJECT_REASONS = List.of("subject_invalid", "subject_prefixed", "subject_not_allowed");

  @Test
  void everyEscapeAttemptIsRefusedOverHttpAndWebSocketAndNatsHearsNothing() {
    List<String> all = new ArrayList<>(ESCAPES);
    all.add(fx.a + ".logs");
    all.add(fx.b + ".logs");
    all.add(fx.b + ".>");
    all.add("edge.collector-escape.x");
    assertTrue(all.size() >= 30);
    // the shared server carries other runs' traffic too: what counts is a message with this run's body
    String marker = "escape-" + java.util.UUID.randomUUID();
    List<Subscription> spies = listening(marker);
    HttpClient http = fx.gw.h1(collector("collector-escape"));
    BridgeFixture.Ws ws = fx.ws(collector("collector-escape"));
    for (String s : all) {
      Http.Response r = BridgeFixture.post(http, "/v1/nats/publish/" + encode(s), marker);
      assertEquals(400, r.status(), s + " -> " + r.body());
      String reason = r.json().getString("reason");
      if (NOT_A_PATH.contains(s)) {
        assertEquals("bad_path", reason, s);
      } else {
        assertTrue(SUBJECT_REASONS.contains(reason), s + " -> " + r.body());
      }
      for (String op : List.of("pub", "req")) {
        JsonObject err = ws.call(new JsonObject().put("op", op).put("subject", s).put("data", marker));
        assertEquals("err", err.getString("op"), op + " " + s + " -> " + err.encode());
        assertEquals(400, err.getInteger("status"), op + " " + s);
        assertTrue(SUBJECT_REASONS.contains(err.getString("reason")), op + " " + s + " -> " + err.encode());
        assertNotNull(err.getString("detail"), op + " " + s);
      }
    }
    // each spy hears a sentinel sent after every attempt: whatever an attempt leaked came before it
    String sentinel = "sentinel-" + Long.toHexString(System.nanoTime());
    for (Subscription spy : spies) {
      String root = spy.getSubject().equals(">") ? fx.a : spy.getSubject().substring(0, spy.getSubject().length() - 2);
      fx.nats.publish(root + ".tgcontrol." + sentinel, sentinel.getBytes(StandardCharsets.UTF_8));
    }
    for (Subscription spy : spies) {
      List<String> leaked = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      int seen = 0;
      Message m;
      do {
        m = next(spy, Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
        seen++;
        if (m != null && new String(m.getData(), StandardCharsets.UTF_8).contains(marker)) {
          leaked.add(m.getSubject());
        }
      } while (m != null && !m.getSubject().endsWith(".tgcontrol." + sentinel));
      assertNotNull(m, spy.getSubject() + " never heard its sentinel (after " + seen + " messages, "
          + fx.nats.getStatistics().getReconnects() + " reconnects): silence is not proven");
      assertTrue(leaked.isEmpty(), spy.getSubject() + " heard " + leaked);
      assertEquals(0, spy.getDroppedCount(), spy.getSubject() + " dropped messages: silence is not proven");
      spy.unsubscribe();
    }
    assertTrue(fx.gw.gateway.metrics().registry().find("tenantgate.nats.denials").tag("tenant", fx.a).counters()
        .stream().mapToDouble(c -> c.count()).sum() >= all.size() * 2);
  }

  /**
   * A reply token answers once, and nothing else is a reply subject: not a raw subject (another tenant's,
   * an inbox, the JetStream API) nor a guessed token. Each refusal is counted; NATS hears none of them.
   */
  @Test
  void aReplyTokenAnswersOnceAndNoRawSubjectIsAccepted() throws Exception {
    BridgeFixture.Ws ws = fx.ws(collector("collector-tokens"));
    assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
    String marker = "forged-" + java.util.UUID.randomUUID();
    Subscription everything = fx.spy(">");
    var reply = fx.nats.request(fx.a + ".edge.collector-tokens.status", "?".getBytes(StandardCharsets.UTF_8));
    JsonObject asked = ws.next(Duration.ofSeconds(5));
    assertNotNull(asked);
    String token = asked.getString("reply");
    double before = fx.gw.gateway.metrics().count("tenantgate.nats.denials", "reason", "unknown_reply", "tenant", fx.a);
    List<String> raw = List.of("globex.x", fx.b + ".x", fx.a + ".logs.x", "_INBOX.x", "_TG_INBOX.x",
        "$JS.API.STREAM.LIST", "r999999", "");
    for (String r : raw) {
      JsonObject err = ws.call(new JsonObject().put("op", "respond").put("reply", r).put("data", marker));
      assertEquals(400, err.getInteger("status"), r + " -> " + err.encode());
      assertEquals("unknown_reply", err.getString("detail"), r);
    }
    assertEquals("ok", ws.call(new JsonObject().put("op", "respond").put("reply", token).put("data", "fine"))
        .getString("op"));
    JsonObject twice = ws.call(new JsonObject().put("op", "respond").put("reply", token).put("data", marker));
    assertEquals("unknown_reply", twice.getString("detail"), "a token answers once: " + twice.encode());
    assertEquals("fine", new String(reply.get(5, java.util.concurrent.TimeUnit.SECONDS).getData(),
        StandardCharsets.UTF_8));
    assertEquals(before + raw.size() + 1, fx.gw.gateway.metrics().count("tenantgate.nats.denials", "reason",
        "unknown_reply", "tenant", fx.a));
    List<String> heard = BridgeFixture.drainAll(everything, QUIET).stream()
        .filter(m -> new String(m.getData(), StandardCharsets.UTF_8).contains(marker)).map(Message::getSubject).toList();
    assertTrue(heard.isEmpty(), "NATS heard " + heard);
    everything.unsubscribe();
  }

  /**
   * Spies on {@code >} and each system namespace, each proven live by a control message of its own
   * (the control bodies never contain {@code marker}).
   */
  private static List<Subscription> listening(String marker) {
    List<Subscription> spies = new ArrayList<>();
    spies.add(fx.spy(">"));
    SYSTEM_SPACES.forEach(space -> spies.add(fx.spy(space)));
    String control = "control-" + Long.toHexString(System.nanoTime());
    for (Subscription spy : spies) {
      String root = spy.getSubject().equals(">") ? fx.a : spy.getSubject().substring(0, spy.getSubject().length() - 2);
      String subject = root + ".tgcontrol." + control;
      fx.nats.publish(subject, control.getBytes(StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      Message m;
      do {
        m = next(spy, Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
      } while (m != null && !m.getSubject().equals(subject));
      assertNotNull(m, spy.getSubject() + " did not hear its control message: it could not prove silence");
    }
    return spies;
  }

  private static Message next(Subscription s, Duration max) {
    try {
      return s.nextMessage(max);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Test
  void aDeliveryKeepsItsReplySubjectOnlyWhenItIsAnInboxOrTheTenantsOwn() throws Exception {
    fx.awaitStreams();
    BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "agent-js"));
    // nats-server only sees a push consumer's interest in a subscription to its exact deliver subject
    for (String[] sub : new String[][] {{"js", "jobs.agent-js.js"}, {"raw", "jobs.agent-js.raw.*"}}) {
      JsonObject ok = ws.call(new JsonObject().put("op", "sub").put("sid", sub[0]).put("subject", sub[1]));
      assertEquals("ok", ok.getString("op"), ok.encode());
    }
    // a real JetStream push consumer delivering into the component's jobs: its messages carry $JS.ACK replies
    String consumer = "leak-" + Long.toHexString(System.nanoTime());
    fx.jsm().addOrUpdateConsumer(fx.stream(fx.a), io.nats.client.api.ConsumerConfiguration.builder()
        .durable(consumer).deliverSubject(fx.a + ".jobs.agent-js.js").filterSubject(fx.a + ".events.leak")
        .ackPolicy(io.nats.client.api.AckPolicy.Explicit).build());
    fx.nats.jetStream().publish(fx.a + ".events.leak", "stored".getBytes(StandardCharsets.UTF_8));
    byte[] body = "raw".getBytes(StandardCharsets.UTF_8);
    fx.nats.publish(fx.a + ".jobs.agent-js.raw.api", "$JS.API.STREAM.DELETE." + fx.stream(fx.a), body);
    fx.nats.publish(fx.a + ".jobs.agent-js.raw.foreign", fx.b + ".steal", body);
    fx.nats.publish(fx.a + ".jobs.agent-js.raw.inbox", "_INBOX.core-request", body);
    fx.nats.publish(fx.a + ".jobs.agent-js.raw.own", fx.a + ".replies.1", body);
    fx.nats.flush(Duration.ofSeconds(5));
    java.util.Map<String, JsonObject> got = new java.util.HashMap<>();
    while (got.size() < 5) {
      JsonObject m = ws.next(Duration.ofSeconds(5));
      assertNotNull(m, "deliveries so far " + got.keySet());
      got.put(m.getString("subject"), m);
    }
    // a push delivery carries the stored message's own subject (under the tenant's prefix)
    JsonObject stored = got.get("events.leak");
    assertEquals("js", stored.getString("sid"), got.toString());
    assertEquals("stored", stored.getString("data"));
    assertNull(stored.getString("reply"), "the $JS.ACK subject is not handed out: " + stored.encode());
    for (String stripped : List.of("raw.api", "raw.foreign")) {
      assertNull(got.get("jobs.agent-js." + stripped).getString("reply"), stripped + ": " + got);
    }
    assertNotNull(got.get("jobs.agent-js.raw.inbox").getString("reply"));
    assertNotNull(got.get("jobs.agent-js.raw.own").getString("reply"));
    // the client answers every reply it was handed; the stored message is still waiting for its ack
    Subscription own = fx.spy(fx.a + ".replies.1");
    for (String kept : List.of("raw.inbox", "raw.own")) {
      JsonObject done = ws.call(new JsonObject().put("op", "respond")
          .put("reply", got.get("jobs.agent-js." + kept).getString("reply")).put("data", "+ACK"));
      assertEquals("ok", done.getString("op"), done.encode());
    }
    assertNotNull(own.nextMessage(Duration.ofSeconds(5)), "the gateway's answers reached NATS");
    own.unsubscribe();
    assertEquals(1, fx.jsm().getConsumerInfo(fx.stream(fx.a), consumer).getNumAckPending());
    assertTrue(fx.streamExists(fx.a));
    assertTrue(fx.gw.gateway.metrics().count("tenantgate.nats.denials", "reason", "reply_stripped", "tenant", fx.a)
        >= 3);
    fx.jsm().deleteConsumer(fx.stream(fx.a), consumer);
  }

  @Test
  void bridgeCallsAreInTheAccessLogAndInTheTenantsRequestAndByteMetrics() {
    ch.qos.logback.classic.Logger access = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger("tenantgate.access");
    var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    lines.start();
    access.addAppender(lines);
    var metrics = fx.gw.gateway.metrics();
    String[] refused = {"route", "nats-publish", "protocol", "h1", "status_class", "4xx", "tenant", fx.a};
    double refusedBefore = metrics.count("tenantgate.requests", refused);
    double bytesIn = metrics.count("tenantgate.bytes.in", "tenant", fx.a);
    double bytesOut = metrics.count("tenantgate.bytes.out", "tenant", fx.a);
    try {
      HttpClient http = fx.gw.h1(collector("collector-acct"));
      assertEquals(202, BridgeFixture.post(http, "/v1/nats/publish/logs.acct", "x".repeat(1000)).status());
      assertEquals(400, BridgeFixture.post(http, "/v1/nats/publish/logs.*", "y").status());
      BridgeFixture.Ws ws = fx.ws(collector("collector-acct"));
      assertEquals("ok", ws.call(new JsonObject().put("op", "pub").put("subject", "logs.acct").put("data", "z"))
          .getString("op"));
      Await.result(ws.socket.close());
      Await.until(() -> entries(lines).stream().anyMatch(l -> "nats-ws".equals(l.getString("route"))),
          Duration.ofSeconds(5), "the WebSocket's access-log line");
    } finally {
      access.detachAppender(lines);
    }
    List<JsonObject> mine = entries(lines).stream().filter(l -> "collector-acct".equals(l.getString("component")))
        .toList();
    assertEquals(3, mine.size(), mine.toString());
    JsonObject published = mine.get(0);
    assertEquals("nats", published.getString("op"));
    assertEquals(fx.a, published.getString("tenant"));
    assertEquals("nats-publish", published.getString("route"));
    assertEquals("h1", published.getString("protocol"));
    assertEquals("POST", published.getString("method"));
    assertEquals("/v1/nats/publish/logs.acct", published.getString("path"));
    assertEquals(202, published.getInteger("status"));
    assertEquals(1000, published.getLong("bytes_in"));
    assertTrue(published.getLong("bytes_out") > 0, published.encode());
    assertNotNull(published.getString("request_id"));
    assertEquals(400, mine.get(1).getInteger("status"));
    assertEquals("subject_invalid", mine.get(1).getString("reason"));
    JsonObject socket = mine.get(2);
    assertEquals("ws", socket.getString("protocol"));
    assertEquals(101, socket.getInteger("status"));
    assertTrue(socket.getLong("bytes_in") > 0 && socket.getLong("bytes_out") > 0, socket.encode());
    assertEquals(refusedBefore + 1, metrics.count("tenantgate.requests", refused));
    assertTrue(metrics.count("tenantgate.requests", "route", "nats-ws", "protocol", "ws", "status_class", "1xx",
        "tenant", fx.a) >= 1);
    assertTrue(metrics.count("tenantgate.bytes.in", "tenant", fx.a) >= bytesIn + 1000 + socket.getLong("bytes_in"));
    assertTrue(metrics.count("tenantgate.bytes.out", "tenant", fx.a) > bytesOut);
  }

  private static List<JsonObject> entries(
      ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines) {
    synchronized (lines) {
      return lines.list.stream().map(e -> new JsonObject(e.getFormattedMessage())).toList();
    }
  }

  @Test
  void subjectsOutsideTheComponentTypesAllowListAreRefusedAndSilent() {
    Subscription everything = fx.spy(">");
    ClientCert agent = fx.cert(fx.aCa, fx.a, "agent-001");
    Http.Response r = BridgeFixture.post(fx.gw.h1(agent), "/v1/nats/publish/logs.syslog", "x");
    assertEquals(400, r.status());
    assertEquals("subject_not_allowed", r.json().getString("reason"));
    assertEquals(202, BridgeFixture.post(fx.gw.h1(agent), "/v1/nats/publish/agents.agent-001.status", "x").status());
    List<Message> heard = BridgeFixture.drain(everything, QUIET);
    assertEquals(List.of(fx.a + ".agents.agent-001.status"), heard.stream().map(Message::getSubject).toList());
    everything.unsubscribe();
  }

  @Test
  void aBodyWithinTheGatewayLimitButOverTheServersMaxPayloadIs413NotA500() throws Exception {
    Subscription mine = fx.spy(fx.a + ".logs.big");
    // exactly nats.publish.maxPayload (1 MiB): the gateway takes it, but body + headers exceed the
    // server's default max_payload of 1 MiB
    Http.Response r = BridgeFixture.post(fx.gw.h1(collector("collector-001")), "/v1/nats/publish/logs.big",
        "x".repeat(1024 * 1024));
    assertEquals(413, r.status(), r.body().toString());
    assertEquals("body_too_large", r.json().getString("reason"));
    assertTrue(BridgeFixture.drain(mine, QUIET).isEmpty(), "nothing published");
  }

  @Test
  void subscriptionsStayBelowThePrefixAndInsideTheAllowList() throws Exception {
    BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "agent-007"));
    for (String bad : List.of(">", "*.x", "jobs.>", "jobs.*.run", "jobs.agent-008.>", fx.a + ".jobs.agent-007.>",
        fx.b + ".>", "jobs..x", "jobs.agent-007.>.x")) {
      JsonObject err = ws.call(new JsonObject().put("op", "sub").put("sid", "bad").put("subject", bad));
      assertEquals("err", err.getString("op"), bad + " -> " + err.encode());
    }
    JsonObject ok = ws.call(new JsonObject().put("op", "sub").put("sid", "jobs").put("subject", "jobs.agent-007.*"));
    assertEquals("ok", ok.getString("op"), ok.encode());
    fx.nats.publish(fx.b + ".jobs.agent-007.run", "theirs".getBytes(StandardCharsets.UTF_8));
    fx.nats.publish(fx.a + ".jobs.agent-007.run", "mine".getBytes(StandardCharsets.UTF_8));
    fx.nats.flush(Duration.ofSeconds(5));
    JsonObject msg = ws.next(Duration.ofSeconds(5));
    assertNotNull(msg);
    assertEquals("msg", msg.getString("op"));
    assertEquals("jobs", msg.getString("sid"));
    assertEquals("jobs.agent-007.run", msg.getString("subject"));
    assertEquals("mine", msg.getString("data"));
    assertNull(ws.next(QUIET), "nothing from the other tenant");
    assertEquals("ok", ws.call(new JsonObject().put("op", "unsub").put("sid", "jobs")).getString("op"));
  }

  @Test
  void eachSocketsSubscriptionsAreBounded() {
    BridgeFixture.Ws ws = fx.ws(fx.cert(fx.aCa, fx.a, "agent-many"));
    for (int i = 0; i < 32; i++) {
      JsonObject ok = ws.call(new JsonObject().put("op", "sub").put("sid", "s" + i)
          .put("subject", "jobs.agent-many.t" + i));
      assertEquals("ok", ok.getString("op"), ok.encode());
    }
    JsonObject err = ws.call(new JsonObject().put("op", "sub").put("sid", "s32").put("subject", "jobs.agent-many.x"));
    assertEquals("too_many_subscriptions", err.getString("reason"), err.encode());
    assertEquals(429, err.getInteger("status"));
  }

  @Test
  void corePublishingOnTheEdgeSubjectReachesOnlyThatComponentsSocket() throws Exception {
    BridgeFixture.Ws target = fx.ws(collector("collector-edge"));
    BridgeFixture.Ws sibling = fx.ws(collector("collector-other"));
    BridgeFixture.Ws otherTenant = fx.ws(fx.cert(fx.bCa, fx.b, "collector-edge"));
    assertEquals("pong", target.call(new JsonObject().put("op", "ping")).getString("op"));
    fx.nats.publish(fx.a + ".edge.collector-edge.config", "reload".getBytes(StandardCharsets.UTF_8));
    fx.nats.flush(Duration.ofSeconds(5));
    JsonObject msg = target.next(Duration.ofSeconds(5));
    assertNotNull(msg, "the component's socket gets core's message");
    assertEquals("edge", msg.getString("sid"));
    assertEquals("edge.collector-edge.config", msg.getString("subject"));
    assertEquals("reload", msg.getString("data"));
    assertNull(sibling.next(QUIET));
    assertNull(otherTenant.next(Duration.ofMillis(50)));
  }

  @Test
  void coreCanRequestAndTheComponentAnswersThroughItsSocket() throws Exception {
    BridgeFixture.Ws ws = fx.ws(collector("collector-answers"));
    assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
    var reply = fx.nats.request(fx.a + ".edge.collector-answers.status", "?".getBytes(StandardCharsets.UTF_8));
    JsonObject msg = ws.next(Duration.ofSeconds(5));
    assertNotNull(msg);
    assertNotNull(msg.getString("reply"));
    assertEquals("ok", ws.call(new JsonObject().put("op", "respond").put("reply", msg.getString("reply"))
        .put("data", "fine")).getString("op"));
    assertEquals("fine", new String(reply.get(5, java.util.concurrent.TimeUnit.SECONDS).getData(),
        StandardCharsets.UTF_8));
  }

  @Test
  void aSlowWebSocketConsumerIsClosedWith1008AndItsBacklogStaysBounded() throws Exception {
    BridgeFixture.Ws ws = fx.ws(collector("collector-slow"));
    assertEquals("pong", ws.call(new JsonObject().put("op", "ping")).getString("op"));
    ws.socket.pause();
    byte[] chunk = "x".repeat(60 * 1024).getBytes(StandardCharsets.UTF_8);
    double before = errors("slow_consumer");
    for (int i = 0; i < 1_000 && errors("slow_consumer") == before; i++) {
      fx.nats.publish(fx.a + ".edge.collector-slow.flood", chunk);
      if (i % 50 == 0) {
        fx.nats.flush(Duration.ofSeconds(5));
      }
    }
    Await.until(() -> errors("slow_consumer") > before, Duration.ofSeconds(10), "slow consumer detected");
    long bound = 1024 * 1024;
    assertTrue(fx.bridge().bufferedHighWater() <= bound + chunk.length * 2L,
        "backlog high water " + fx.bridge().bufferedHighWater());
    ws.socket.resume();
    Await.until(() -> ws.closeCode != 0, Duration.ofSeconds(10), "socket closed");
    assertEquals(WebSocketSession.SLOW_CONSUMER, ws.closeCode);
  }

  private static double errors(String reason) {
    return fx.gw.gateway.metrics().registry().find("tenantgate.nats.errors").tag("reason", reason)
        .counters().stream().mapToDouble(c -> c.count()).sum();
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%2E", ".").replace("*", "*");
  }
}
