package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.tenantgate.config.NatsPublishConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.metrics.GatewayMetrics;
import io.tenantgate.quota.Limit;
import io.tenantgate.quota.TenantQuota;
import io.tenantgate.quota.TenantQuotas;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Publish, request and respond for both surfaces (HTTP and WebSocket), in one order: subject syntax
 * and prefix -> allow-list (and, for JetStream, a stream that captures the subject) -> payload size ->
 * shutdown -> the tenant's publish bytes and rate ({@link TenantQuota}, shared with the edge; per tenant
 * over the whole gateway) -> NATS state and send-queue room -> publish. A core publish is done when
 * the connection took it; a JetStream publish only when the tenant's stream acknowledged it. Results
 * are delivered on the caller's context. Every refusal is counted, and refused messages never reach
 * NATS. A JetStream publish that failed before it was handed to the connection is a 503 (never sent);
 * once handed over, anything but the stream's answer is a 504: the message may or may not be stored.
 */
final class Publisher {
  static final String MSG_ID = "Nats-Msg-Id";
  private static final Pattern MSG_ID_VALUE = Pattern.compile("[\\x21-\\x7e]{1,128}");

  private final NatsLink link;
  private final SubjectMapper mapper;
  private final SubjectPolicy policy;
  private final NatsPublishConfig config;
  private final TenantQuotas quotas;
  private final GatewayMetrics metrics;
  private final java.util.function.Consumer<String> streamMissing;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;

  /** A publish NATS accepted; stream and seq only for JetStream. */
  record Published(String subject, String stream, long seq, boolean duplicate) {
  }

  Publisher(NatsLink link, SubjectMapper mapper, SubjectPolicy policy, NatsPublishConfig config, TenantQuotas quotas,
      GatewayMetrics metrics, java.util.function.Consumer<String> streamMissing) {
    this.link = link;
    this.mapper = mapper;
    this.policy = policy;
    this.config = config;
    this.quotas = quotas;
    this.metrics = metrics;
    this.streamMissing = streamMissing;
  }

  NatsPublishConfig config() {
    return config;
  }

  TenantQuotas quotas() {
    return quotas;
  }

  /** The NATS subject for a publish (or, {@code request}, a request) by {@code id}, or a counted refusal. */
  String authorize(ClientIdentity id, String clientSubject, boolean request) {
    requireUsableSlug(id);
    SubjectRefusal r = mapper.refusal(id.tenantSlug(), clientSubject, false);
    if (r == null && !(request ? policy.mayRequest(id, clientSubject) : policy.mayPublish(id, clientSubject))) {
      r = SubjectRefusal.NOT_ALLOWED;
    }
    if (r != null) {
      metrics.natsDenied(id.tenantSlug(), r.code());
      throw SubjectMapper.refused(r);
    }
    return mapper.publishSubject(id.tenantSlug(), clientSubject);
  }

  /** A tenant whose slug is a subject root cannot use the bridge at all (counted). */
  void requireUsableSlug(ClientIdentity id) {
    if (mapper.slugReserved(id.tenantSlug())) {
      metrics.natsDenied(id.tenantSlug(), Failure.SLUG_RESERVED.code());
      throw new BridgeException(Failure.SLUG_RESERVED);
    }
  }

  /** JetStream publishes waiting for their acknowledgement. */
  int inFlight() {
    return inFlight.get();
  }

  Future<Published> publish(Context ctx, ClientIdentity id, String clientSubject, byte[] body, String msgId,
      boolean jetstream) {
    String slug = id.tenantSlug();
    String subject;
    Connection conn;
    try {
      subject = authorize(id, clientSubject, false);
      if (jetstream) {
        requireStored(id, clientSubject);
      }
      conn = admit(id, body, msgId);
    } catch (BridgeException e) {
      return Future.failedFuture(e);
    }
    Headers headers = headers(id, msgId);
    if (!jetstream) {
      try {
        conn.publish(subject, headers, body);
      } catch (IllegalStateException e) {
        return fail(slug, notSent(e));
      } catch (IllegalArgumentException e) {
        return fail(slug, tooLargeForServer(e));
      }
      metrics.natsPublished(slug, "core");
      return Future.succeededFuture(new Published(clientSubject, null, 0, false));
    }
    JetStream js = link.jetStream();
    if (js == null) {
      return fail(slug, new BridgeException(Failure.NATS_UNAVAILABLE));
    }
    String stream = mapper.streamName(slug);
    PublishOptions opts = PublishOptions.builder().expectedStream(stream).messageId(msgId)
        .streamTimeout(config.ackTimeout()).build();
    CompletableFuture<PublishAck> ack;
    try {
      ack = js.publishAsync(subject, headers, body, opts)
          .orTimeout(config.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (IllegalStateException e) {
      return fail(slug, notSent(e));
    } catch (IllegalArgumentException e) {
      return fail(slug, tooLargeForServer(e));
    }
    inFlight.incrementAndGet();
    metrics.natsPublished(slug, "jetstream");
    return Future.fromCompletionStage(ack, ctx)
        .eventually(() -> {
          inFlight.decrementAndGet();
          return Future.succeededFuture();
        })
        .map(a -> {
          metrics.natsAcked(slug, a.isDuplicate());
          return new Published(clientSubject, a.getStream(), a.getSeqno(), a.isDuplicate());
        })
        .recover(err -> fail(slug, jetStreamFailure(slug, err)));
  }

  /**
   * A reply to a request core sent to this component ({@code replyTo} is the subject NATS gave): the
   * same checks as a publish (size, shutdown, rate, NATS state, send-queue room), counted alike.
   */
  void respond(ClientIdentity id, String replyTo, byte[] body) {
    String slug = id.tenantSlug();
    Connection conn = admit(id, body, null);
    try {
      conn.publish(replyTo, body);
    } catch (IllegalStateException e) {
      throw counted(slug, notSent(e));
    } catch (IllegalArgumentException e) {
      throw counted(slug, tooLargeForServer(e));
    }
    metrics.natsPublished(slug, "reply");
  }

  /** The message never left the gateway: the connection is closed, reconnecting or its queue is full. */
  private static BridgeException notSent(IllegalStateException e) {
    return new BridgeException(Failure.NATS_UNAVAILABLE, "outgoing_queue_full", "NATS did not take the message: "
        + e.getMessage());
  }

  /**
   * jnats refuses (IllegalArgumentException) a message whose body plus headers exceed the server's
   * max_payload: that is the client's body being too large for this NATS, a 413 rather than a 500.
   */
  private static BridgeException tooLargeForServer(IllegalArgumentException e) {
    return new BridgeException(Failure.BODY_TOO_LARGE, "exceeds_server_max_payload",
        "the message (body and headers) exceeds the NATS server's max_payload");
  }

  /** A request: the reply message, or no_responders / request_timeout. */
  Future<Message> request(Context ctx, ClientIdentity id, String clientSubject, byte[] body, Duration timeout) {
    String slug = id.tenantSlug();
    String subject;
    Connection conn;
    try {
      subject = authorize(id, clientSubject, true);
      conn = admit(id, body, null);
    } catch (BridgeException e) {
      return Future.failedFuture(e);
    }
    Duration t = timeout == null || timeout.compareTo(config.requestTimeout()) > 0 ? config.requestTimeout() : timeout;
    CompletableFuture<Message> reply;
    try {
      reply = conn.requestWithTimeout(subject, headers(id, null), body, t)
          .orTimeout(t.toMillis() + 100, TimeUnit.MILLISECONDS);
    } catch (IllegalStateException e) {
      return fail(slug, notSent(e));
    } catch (IllegalArgumentException e) {
      return fail(slug, tooLargeForServer(e));
    }
    metrics.natsPublished(slug, "request");
    return Future.fromCompletionStage(reply, ctx).recover(err -> fail(slug, requestFailure(err)));
  }

  /** A JetStream publish needs a stream that captures its subject (counted denial otherwise). */
  private void requireStored(ClientIdentity id, String clientSubject) {
    if (!policy.stored(id, clientSubject)) {
      metrics.natsDenied(id.tenantSlug(), SubjectRefusal.NOT_STORED.code());
      throw SubjectMapper.refused(SubjectRefusal.NOT_STORED);
    }
  }

  /** Size, rate, shutdown, NATS state and send-queue room: the live connection, or a refusal. */
  private Connection admit(ClientIdentity id, byte[] body, String msgId) {
    String slug = id.tenantSlug();
    if (body.length > config.maxPayload()) {
      throw counted(slug, new BridgeException(Failure.BODY_TOO_LARGE));
    }
    if (msgId != null && !MSG_ID_VALUE.matcher(msgId).matches()) {
      throw counted(slug, new BridgeException(Failure.BAD_REQUEST, "bad_msg_id",
          "Nats-Msg-Id must be 1-128 printable ASCII characters"));
    }
    if (closing) {
      throw counted(slug, new BridgeException(Failure.SHUTTING_DOWN));
    }
    TenantQuota quota = quotas.of(id.tenantId());
    long now = System.nanoTime();
    Limit over = quota.admitNatsPublish(body.length, now);
    if (over != null) {
      quota.refused(over, now);
      throw counted(slug, new BridgeException(over.failure()).retryAfter(quota.retryAfterNanos(over, now)));
    }
    Connection conn = link.connected();
    if (conn == null) {
      throw counted(slug, new BridgeException(Failure.NATS_UNAVAILABLE, "nats_unavailable",
          "NATS is unavailable: " + link.detail()));
    }
    // publishes and requests alike: a full send queue would make jnats discard the message silently
    if (!link.hasRoomToSend(body.length)) {
      throw counted(slug, new BridgeException(Failure.NATS_UNAVAILABLE, "outgoing_queue_full",
          "the gateway's NATS send queue is full; retry"));
    }
    return conn;
  }

  private static Headers headers(ClientIdentity id, String msgId) {
    Headers h = new Headers()
        .put("Tenant-Id", id.tenantId().toString())
        .put("Component-Id", id.componentId())
        .put("Component-Type", id.componentType())
        .put("Partition-Id", id.partitionId());
    if (msgId != null) {
      h.put(MSG_ID, msgId);
    }
    return h;
  }

  /**
   * A JetStream publish that reached the connection and then failed. Only the stream's own answers are
   * definite: its API error (full, too large, refused) or a 503 status (no stream took the subject).
   * Everything else — no ack in time, the connection lost or closed, the request cancelled — leaves the
   * outcome unknown: 504, retry with the same {@code Nats-Msg-Id}.
   */
  private BridgeException jetStreamFailure(String slug, Throwable err) {
    Throwable c = BridgeException.unwrap(err);
    if (c instanceof JetStreamApiException api) {
      String d = String.valueOf(api.getErrorDescription()).toLowerCase(java.util.Locale.ROOT);
      if (d.contains("maximum bytes") || d.contains("maximum messages")) {
        return new BridgeException(Failure.STREAM_FULL, "stream_full", "The tenant's stream is full: " + d);
      }
      if (api.getApiErrorCode() == 10054 || d.contains("exceeds maximum")) {
        return new BridgeException(Failure.BODY_TOO_LARGE, "stream_max_msg_size", d);
      }
      return new BridgeException(Failure.NATS_UNAVAILABLE, "jetstream_error", "JetStream refused: " + d);
    }
    String msg = String.valueOf(c.getMessage());
    if (c instanceof java.io.IOException && msg.contains("Error Publishing") && msg.contains("503")) {
      streamMissing.accept(slug);
      return new BridgeException(Failure.NATS_UNAVAILABLE, "stream_unavailable",
          "The tenant's stream is not available yet");
    }
    if (c instanceof TimeoutException) {
      return new BridgeException(Failure.NATS_ACK_TIMEOUT, "nats_ack_timeout", "JetStream did not acknowledge within "
          + config.ackTimeout().toMillis() + " ms; the message may or may not be stored: retry with the same Nats-Msg-Id");
    }
    return new BridgeException(Failure.NATS_ACK_TIMEOUT, "outcome_unknown", "The message was sent but no"
        + " acknowledgement came back (" + c.getClass().getSimpleName() + "); it may or may not be stored: retry with"
        + " the same Nats-Msg-Id");
  }

  private static BridgeException requestFailure(Throwable err) {
    Throwable c = BridgeException.unwrap(err);
    if (c instanceof CancellationException || c instanceof io.nats.client.JetStreamStatusException) {
      return new BridgeException(Failure.NO_RESPONDERS);
    }
    if (c instanceof TimeoutException) {
      return new BridgeException(Failure.REQUEST_TIMEOUT);
    }
    if (c instanceof IllegalStateException) {
      return new BridgeException(Failure.NATS_UNAVAILABLE);
    }
    return BridgeException.of(c);
  }

  private <T> Future<T> fail(String slug, BridgeException e) {
    return Future.failedFuture(counted(slug, e));
  }

  private BridgeException counted(String slug, BridgeException e) {
    metrics.natsError(slug, e.reason());
    return e;
  }

  /** Refuses new publishes; completes when the JetStream publishes in flight have their outcome (or at the deadline). */
  Future<Void> quiesce(io.vertx.core.Vertx vertx, Duration max) {
    closing = true;
    long deadline = System.nanoTime() + max.toNanos();
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    Runnable[] check = new Runnable[1];
    check[0] = () -> {
      if (inFlight.get() <= 0 || System.nanoTime() - deadline > 0) {
        done.tryComplete();
      } else {
        vertx.setTimer(10, id -> check[0].run());
      }
    };
    check[0].run();
    return done.future();
  }
}
