package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.tenantgate.config.NatsPublishConfig.AckMode;
import io.tenantgate.config.NatsWebSocketConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.quota.Limit;
import io.tenantgate.quota.TenantQuota;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One bridge WebSocket: JSON text messages, one object each. Client to gateway: {@code pub},
 * {@code sub}, {@code unsub}, {@code req}, {@code respond}, {@code ping}; gateway to client:
 * {@code ok}, {@code ack}, {@code reply}, {@code err}, {@code msg} (deliveries, with the unprefixed
 * subject). Each socket has its own jnats dispatcher; deliveries are encoded on the dispatcher's
 * thread and go through the socket's {@link Outbox}, bounded by {@code maxBufferedBytes}. When more
 * than that waits to be written, the client is a slow consumer: its subscriptions stop and the
 * socket is closed with 1008. A delivery's reply subject reaches the client (as a token) only when it
 * is a request inbox or under the tenant's prefix ({@link SubjectMapper#replyFor}). Everything else
 * runs on the socket's event loop, where the socket is also recorded as one call when it closes.
 */
final class WebSocketSession {
  static final short SLOW_CONSUMER = 1008;
  static final String EDGE_SID = "edge";
  private static final int MAX_OPS_IN_FLIGHT = 256;

  private final Context ctx;
  private final ServerWebSocket ws;
  private final ClientIdentity id;
  private final Publisher publisher;
  private final SubjectMapper mapper;
  private final SubjectPolicy policy;
  private final NatsWebSocketConfig limits;
  private final GatewayMetrics metrics;
  private final Dispatcher dispatcher;
  private final Connection conn;
  private final BridgeCalls.Call call;
  private final Outbox outbox;
  private final Map<String, Subscription> subs = new HashMap<>();
  private final ReplyTokens replies = new ReplyTokens();
  /** The tenant's quota; this socket holds {@link #tenantSubs} of its subscription slots. */
  private final TenantQuota quota;
  private int tenantSubs;
  private int opsInFlight;

  /** What every socket of one bridge shares. */
  record Shared(Publisher publisher, SubjectMapper mapper, SubjectPolicy policy, NatsWebSocketConfig limits,
      GatewayMetrics metrics, Outbox.Watermark watermark, NatsLink link) {
  }

  /**
   * @param call the upgrade request, recorded when the socket closes
   * @param onClosed runs once when the socket is gone (the bridge's socket count)
   */
  WebSocketSession(Shared shared, Context ctx, ServerWebSocket ws, ClientIdentity id, Connection conn,
      BridgeCalls.Call call, Runnable onClosed) {
    this.ctx = ctx;
    this.ws = ws;
    this.id = id;
    this.conn = conn;
    this.call = call;
    this.publisher = shared.publisher();
    this.mapper = shared.mapper();
    this.policy = shared.policy();
    this.limits = shared.limits();
    this.metrics = shared.metrics();
    this.outbox = new Outbox(ctx, ws, limits.maxBufferedBytes(), shared.watermark(), call, this::slowConsumer);
    this.quota = publisher.quotas().of(id.tenantId());
    this.dispatcher = conn.createDispatcher();
    this.dispatcher.setPendingLimits(-1, limits.maxBufferedBytes());
    NatsLink link = shared.link();
    link.onSlowConsumer(dispatcher, this::slowConsumer);
    ws.closeHandler(v -> {
      quota.releaseSubscriptions(tenantSubs);
      tenantSubs = 0;
      link.forget(dispatcher);
      stopDispatcher();
      metrics.natsWebSocketClosed(id.tenantSlug());
      onClosed.run();
      call.finish(101, outbox.isShut() ? "slow_consumer" : null);
    });
  }

  void start() {
    metrics.natsWebSocketOpened(id.tenantSlug());
    ws.textMessageHandler(text -> {
      call.received(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      onText(text);
    });
    ws.binaryMessageHandler(b -> {
      call.received(b.length());
      sendError(null, new BridgeException(Failure.BAD_REQUEST, "binary_frame", "send JSON text messages"));
    });
    ws.exceptionHandler(err -> ws.close());
    if (limits.edgeInbox()) {
      subs.put(EDGE_SID, dispatcher.subscribe(mapper.edgeInbox(id.tenantSlug(), id.componentId()),
          m -> deliver(EDGE_SID, m)));
      // read nothing (not even a ping) until NATS has the inbox subscription: once the client hears
      // back from us, core can reach it
      ws.pause();
      ctx.owner().executeBlocking(() -> {
        conn.flush(java.time.Duration.ofSeconds(2));
        return null;
      }, false).onComplete(ar -> ws.resume());
    }
  }

  private void onText(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      sendError(null, new BridgeException(Failure.BAD_REQUEST, "bad_json", "each message must be a JSON object"));
      return;
    }
    String op = String.valueOf(msg.getValue("op"));
    Object reqId = msg.getValue("id");
    Future<JsonObject> result;
    try {
      result = switch (op) {
        case "pub" -> pub(msg);
        case "sub" -> confirmed(msg.getString("sid"), sub(msg));
        case "unsub" -> Future.succeededFuture(unsub(msg));
        case "req" -> req(msg);
        case "respond" -> Future.succeededFuture(respond(msg));
        case "ping" -> Future.succeededFuture(new JsonObject().put("op", "pong"));
        default -> throw new BridgeException(Failure.BAD_REQUEST, "bad_op",
            "op must be pub, sub, unsub, req, respond or ping");
      };
    } catch (BridgeException e) {
      result = Future.failedFuture(e);
    } catch (RuntimeException e) {
      result = Future.failedFuture(new BridgeException(Failure.BAD_REQUEST, "bad_message", "malformed " + op));
    }
    opStarted();
    result.onComplete(ar -> {
      opEnded();
      if (ar.succeeded()) {
        send(ar.result().put("id", reqId));
      } else {
        sendError(reqId, BridgeException.of(ar.cause()));
      }
    });
  }

  private Future<JsonObject> pub(JsonObject msg) {
    String subject = msg.getString("subject");
    String ack = msg.getString("ack");
    AckMode mode = ack == null ? publisher.config().defaultAck() : AckMode.parse(ack);
    if (mode == null) {
      throw new BridgeException(Failure.BAD_REQUEST, "bad_ack", "ack must be core or jetstream");
    }
    return publisher.publish(ctx, id, subject, Payloads.body(msg), msg.getString("msg_id"), mode == AckMode.JETSTREAM)
        .map(p -> p.stream() == null ? new JsonObject().put("op", "ok").put("subject", subject)
            : new JsonObject().put("op", "ack").put("subject", subject).put("stream", p.stream())
                .put("seq", p.seq()).put("duplicate", p.duplicate()));
  }

  private JsonObject sub(JsonObject msg) {
    String sid = msg.getString("sid");
    String pattern = msg.getString("subject");
    if (sid == null || sid.isEmpty() || sid.length() > 64 || sid.equals(EDGE_SID)) {
      throw new BridgeException(Failure.BAD_REQUEST, "bad_sid", "sid must be 1-64 characters and not 'edge'");
    }
    if (subs.containsKey(sid)) {
      throw new BridgeException(Failure.BAD_REQUEST, "duplicate_sid", "sid is already in use");
    }
    if (subs.size() - (subs.containsKey(EDGE_SID) ? 1 : 0) >= limits.maxSubscriptions()) {
      metrics.natsDenied(id.tenantSlug(), "too_many_subscriptions");
      throw new BridgeException(Failure.TOO_MANY_SUBSCRIPTIONS);
    }
    SubjectRefusal r = mapper.refusal(id.tenantSlug(), pattern, true);
    if (r == null && !policy.maySubscribe(id, pattern)) {
      r = SubjectRefusal.NOT_ALLOWED;
    }
    if (r != null) {
      metrics.natsDenied(id.tenantSlug(), r.code());
      throw SubjectMapper.refused(r);
    }
    if (!quota.acquireSubscription()) {
      long now = System.nanoTime();
      quota.refused(Limit.WS_SUBSCRIPTIONS, now);
      metrics.natsDenied(id.tenantSlug(), Failure.TENANT_SUBSCRIPTIONS_LIMITED.code());
      throw new BridgeException(Failure.TENANT_SUBSCRIPTIONS_LIMITED)
          .retryAfter(quota.retryAfterNanos(Limit.WS_SUBSCRIPTIONS, now));
    }
    tenantSubs++;
    subs.put(sid, dispatcher.subscribe(mapper.subscribeSubject(id.tenantSlug(), pattern), m -> deliver(sid, m)));
    return new JsonObject().put("op", "ok").put("sid", sid);
  }

  /**
   * Replies only once the NATS server has the new subscription (a PING/PONG round trip, off the event
   * loop): a client told "ok" must not miss a message published right after.
   */
  private Future<JsonObject> confirmed(String sid, JsonObject ok) {
    return ctx.owner().executeBlocking(() -> {
      conn.flush(java.time.Duration.ofSeconds(2));
      return ok;
    }, false).recover(err -> {
      // not confirmed: the client is told so, and the subscription must not linger under its sid
      Subscription s = subs.remove(sid);
      if (s != null) {
        dispatcher.unsubscribe(s);
        releaseSubscription();
      }
      return Future.failedFuture(new BridgeException(Failure.NATS_UNAVAILABLE));
    });
  }

  private JsonObject unsub(JsonObject msg) {
    String sid = msg.getString("sid");
    Subscription s = sid == null || sid.equals(EDGE_SID) ? null : subs.remove(sid);
    if (s == null) {
      throw new BridgeException(Failure.BAD_REQUEST, "unknown_sid", "no such subscription");
    }
    dispatcher.unsubscribe(s);
    releaseSubscription();
    return new JsonObject().put("op", "ok").put("sid", sid);
  }

  private void releaseSubscription() {
    if (tenantSubs > 0) {
      tenantSubs--;
      quota.releaseSubscriptions(1);
    }
  }

  private Future<JsonObject> req(JsonObject msg) {
    String subject = msg.getString("subject");
    Long timeout = msg.getLong("timeout_ms");
    return publisher.request(ctx, id, subject, Payloads.body(msg), timeout == null ? null : Duration.ofMillis(timeout))
        .map(m -> Payloads.describe(m.getData(), m.getHeaders()).put("op", "reply").put("subject", subject));
  }

  /** Answers a request core sent to this component: the reply subject is the one NATS gave, by token. */
  private JsonObject respond(JsonObject msg) {
    String token = msg.getString("reply");
    String replyTo = replies.take(token);
    if (replyTo == null) {
      throw new BridgeException(Failure.BAD_REQUEST, "unknown_reply", "no pending request with that reply token");
    }
    byte[] body = Payloads.body(msg);
    if (body.length > publisher.config().maxPayload()) {
      throw new BridgeException(Failure.BODY_TOO_LARGE);
    }
    try {
      conn.publish(replyTo, body);
    } catch (IllegalStateException e) {
      throw new BridgeException(Failure.NATS_UNAVAILABLE);
    }
    metrics.natsPublished(id.tenantSlug(), "reply");
    return new JsonObject().put("op", "ok");
  }

  /** On the dispatcher's thread: encode and hand to the outbox. */
  private void deliver(String sid, Message m) {
    if (outbox.isShut()) {
      return;
    }
    String clientSubject = mapper.toClient(id.tenantSlug(), m.getSubject());
    if (clientSubject == null) {
      return;
    }
    JsonObject out = Payloads.describe(m.getData(), m.getHeaders()).put("op", "msg").put("sid", sid)
        .put("subject", clientSubject);
    String reply = mapper.replyFor(id.tenantSlug(), m.getReplyTo());
    if (reply != null) {
      out.put("reply", replies.issue(reply));
    } else if (m.getReplyTo() != null) {
      metrics.natsDenied(id.tenantSlug(), "reply_stripped");
    }
    outbox.offer(out.toBuffer());
  }

  private void send(JsonObject o) {
    outbox.send(o.toBuffer());
  }

  private void sendError(Object reqId, BridgeException e) {
    JsonObject err = new JsonObject().put("op", "err").put("id", reqId).put("status", e.failure().httpStatus())
        .put("reason", e.failure().code()).put("detail", e.reason()).put("message", e.getMessage());
    if (e.retryAfterNanos() > 0) {
      err.put("retry_after_ms", Math.max(1, (e.retryAfterNanos() + 999_999) / 1_000_000));
    }
    send(err);
  }

  /** From any thread, once: stop deliveries now, then close the socket on its loop with 1008. */
  private void slowConsumer() {
    if (!outbox.shut()) {
      return;
    }
    metrics.natsError(id.tenantSlug(), "slow_consumer");
    stopDispatcher();
    ctx.runOnContext(v -> ws.close(SLOW_CONSUMER, "slow consumer: more than " + outbox.maxBytes()
        + " bytes waiting"));
  }

  private void stopDispatcher() {
    try {
      if (dispatcher.isActive()) {
        conn.closeDispatcher(dispatcher);
      }
    } catch (IllegalStateException | IllegalArgumentException e) {
      // connection closed or dispatcher already gone: nothing left to stop
    }
  }

  private void opStarted() {
    if (++opsInFlight >= MAX_OPS_IN_FLIGHT) {
      ws.pause();
    }
  }

  private void opEnded() {
    if (--opsInFlight == MAX_OPS_IN_FLIGHT / 2) {
      ws.resume();
    }
  }
}
