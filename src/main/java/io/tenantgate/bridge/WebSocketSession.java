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
 *
 * <p>The event loop never waits for NATS: jnats waits for send-queue room before it queues a SUB or
 * UNSUB, so those are only sent when the queue has room (else 503), closing the dispatcher happens on a
 * worker, and subscriptions are confirmed by one flush at a time for the whole connection
 * ({@link FlushQueue}: jnats drops a connection whose PINGs pile up). A message larger than
 * the edge listener's WebSocket limit closes the socket with 1009.
 */
final class WebSocketSession {
  static final short SLOW_CONSUMER = 1008;
  static final short TOO_LARGE = 1009;
  static final short TRY_AGAIN_LATER = 1013;
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
  private final NatsLink link;
  private final int maxMessageSize;
  private final Map<String, Subscription> subs = new HashMap<>();
  private final ReplyTokens replies = new ReplyTokens();
  /** The tenant's quota; this socket holds {@link #tenantSubs} of its subscription slots. */
  private final TenantQuota quota;
  private int tenantSubs;
  private int opsInFlight;
  private final FlushQueue flushes;
  /** Why the gateway closed the socket (access log), null when the client did. */
  private volatile String closeReason;

  /** What every socket of one bridge shares. */
  record Shared(Publisher publisher, SubjectMapper mapper, SubjectPolicy policy, NatsWebSocketConfig limits,
      GatewayMetrics metrics, Outbox.Watermark watermark, NatsLink link, int maxMessageSize) {
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
    this.maxMessageSize = shared.maxMessageSize();
    this.metrics = shared.metrics();
    this.outbox = new Outbox(ctx, ws, limits.maxBufferedBytes(), shared.watermark(), call, this::slowConsumer);
    this.quota = publisher.quotas().of(id.tenantId());
    this.dispatcher = conn.createDispatcher();
    this.dispatcher.setPendingLimits(-1, limits.maxBufferedBytes());
    this.link = shared.link();
    this.flushes = link.flushes(ctx.owner(), conn);
    link.onSlowConsumer(dispatcher, this::slowConsumer);
    ws.closeHandler(v -> {
      quota.releaseSubscriptions(tenantSubs);
      tenantSubs = 0;
      link.forget(dispatcher);
      outbox.shut();
      stopDispatcher();
      metrics.natsWebSocketClosed(id.tenantSlug());
      onClosed.run();
      call.finish(101, closeReason);
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
    ws.exceptionHandler(this::onSocketError);
    if (limits.edgeInbox()) {
      try {
        requireRoom();
        subs.put(EDGE_SID, dispatcher.subscribe(mapper.edgeInbox(id.tenantSlug(), id.componentId()),
            m -> deliver(EDGE_SID, m)));
      } catch (BridgeException | IllegalStateException e) {
        metrics.natsError(id.tenantSlug(), e instanceof BridgeException be ? be.reason() : "nats_unavailable");
        ws.close(TRY_AGAIN_LATER, "NATS cannot take the subscription now; retry");
        return;
      }
      // read nothing (not even a ping) until NATS has the inbox subscription: once the client hears
      // back from us, core can reach it
      ws.pause();
      flushes.confirm().onComplete(ar -> ws.resume());
    }
  }

  /**
   * A message over the edge listener's WebSocket limit (Vert.x reports it as an IllegalStateException,
   * Netty a single oversized frame as a CorruptedWebSocketFrameException) closes with 1009, counted.
   */
  private void onSocketError(Throwable err) {
    boolean tooLarge = err instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException
        || err instanceof IllegalStateException && String.valueOf(err.getMessage()).contains("max message size");
    if (!tooLarge) {
      ws.close();
      return;
    }
    closeReason = "message_too_large";
    metrics.natsError(id.tenantSlug(), closeReason);
    ws.close(TOO_LARGE, "message larger than " + maxMessageSize + " bytes");
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
    } catch (IllegalStateException e) {
      // jnats: the connection or the dispatcher closed under the operation
      metrics.natsError(id.tenantSlug(), "nats_unavailable");
      result = Future.failedFuture(new BridgeException(Failure.NATS_UNAVAILABLE));
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

  private Subscription sub(JsonObject msg) {
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
    requireRoom();
    if (!quota.acquireSubscription()) {
      long now = System.nanoTime();
      quota.refused(Limit.WS_SUBSCRIPTIONS, now);
      metrics.natsDenied(id.tenantSlug(), Failure.TENANT_SUBSCRIPTIONS_LIMITED.code());
      throw new BridgeException(Failure.TENANT_SUBSCRIPTIONS_LIMITED)
          .retryAfter(quota.retryAfterNanos(Limit.WS_SUBSCRIPTIONS, now));
    }
    tenantSubs++;
    Subscription s;
    try {
      s = dispatcher.subscribe(mapper.subscribeSubject(id.tenantSlug(), pattern), m -> deliver(sid, m));
    } catch (RuntimeException e) {
      releaseSubscription();
      throw e;
    }
    subs.put(sid, s);
    return s;
  }

  private void releaseSubscription() {
    if (tenantSubs > 0) {
      tenantSubs--;
      quota.releaseSubscriptions(1);
    }
  }

  /** A SUB or UNSUB is only queued when jnats will take it without waiting: else a counted 503. */
  private void requireRoom() {
    if (!link.hasRoomToSend(0)) {
      metrics.natsError(id.tenantSlug(), "outgoing_queue_full");
      throw new BridgeException(Failure.NATS_UNAVAILABLE, "outgoing_queue_full",
          "the gateway's NATS send queue is full; retry");
    }
  }

  /**
   * Replies only once the NATS server has the new subscription (a PING/PONG round trip, off the event
   * loop): a client told "ok" must not miss a message published right after.
   */
  private Future<JsonObject> confirmed(String sid, Subscription s) {
    return flushes.confirm().map(v -> new JsonObject().put("op", "ok").put("sid", sid)).recover(err -> {
      // not confirmed: the client is told so, and the subscription must not linger under its sid —
      // unless the client already replaced it (unsub, then sub again with the same sid)
      if (subs.get(sid) == s) {
        subs.remove(sid);
        unsubscribe(s);
        releaseSubscription();
      }
      return Future.failedFuture(new BridgeException(Failure.NATS_UNAVAILABLE));
    });
  }

  private JsonObject unsub(JsonObject msg) {
    String sid = msg.getString("sid");
    Subscription s = sid == null || sid.equals(EDGE_SID) ? null : subs.get(sid);
    if (s == null) {
      throw new BridgeException(Failure.BAD_REQUEST, "unknown_sid", "no such subscription");
    }
    requireRoom();
    subs.remove(sid);
    dispatcher.unsubscribe(s);
    releaseSubscription();
    return new JsonObject().put("op", "ok").put("sid", sid);
  }

  /** UNSUB without ever waiting on the event loop: at once when the send queue has room, else on a worker. */
  private void unsubscribe(Subscription s) {
    if (link.hasRoomToSend(0)) {
      unsubscribeQuietly(s);
    } else {
      ctx.executeBlocking(() -> {
        unsubscribeQuietly(s);
        return null;
      }, false);
    }
  }

  private void unsubscribeQuietly(Subscription s) {
    try {
      dispatcher.unsubscribe(s);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the dispatcher or the connection is closed: nothing left to unsubscribe
    }
  }

  private Future<JsonObject> req(JsonObject msg) {
    String subject = msg.getString("subject");
    Long timeout = msg.getLong("timeout_ms");
    return publisher.request(ctx, id, subject, Payloads.body(msg), timeout == null ? null : Duration.ofMillis(timeout))
        .map(m -> Payloads.describe(m.getData(), m.getHeaders()).put("op", "reply").put("subject", subject));
  }

  /**
   * Answers a request core sent to this component: the reply subject is the one NATS gave, by token, and
   * each token answers once. The reply goes through the publisher's checks (size, shutdown, rate, send
   * queue), counted like a publish.
   */
  private JsonObject respond(JsonObject msg) {
    String token = msg.getString("reply");
    String replyTo = replies.take(token);
    if (replyTo == null) {
      metrics.natsDenied(id.tenantSlug(), "unknown_reply");
      throw new BridgeException(Failure.BAD_REQUEST, "unknown_reply", "no pending request with that reply token");
    }
    publisher.respond(id, replyTo, Payloads.body(msg));
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
    closeReason = "slow_consumer";
    metrics.natsError(id.tenantSlug(), closeReason);
    stopDispatcher();
    ctx.runOnContext(v -> ws.close(SLOW_CONSUMER, "slow consumer: more than " + outbox.maxBytes()
        + " bytes waiting"));
  }

  /** Closing a dispatcher sends an UNSUB per subscription, for which jnats may wait: always on a worker. */
  private void stopDispatcher() {
    ctx.executeBlocking(() -> {
      try {
        if (dispatcher.isActive()) {
          conn.closeDispatcher(dispatcher);
        }
      } catch (IllegalStateException | IllegalArgumentException e) {
        // connection closed or dispatcher already gone: nothing left to stop
      }
      return null;
    }, false);
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
