package io.tenantgate.bridge;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.tenantgate.config.NatsConfig;
import io.tenantgate.metrics.GatewayMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one NATS connection. Connecting, JetStream management and draining block, so they
 * run on a dedicated thread ({@link #blocking}), never on an event loop; the first connect is
 * retried forever with exponential backoff, so the gateway runs (and says NATS is down) while NATS
 * is away. Publishing never blocks either: nothing is buffered while disconnected and a full
 * outgoing queue throws instead of waiting. jnats callbacks only flip volatile state here.
 */
final class NatsLink {
  private static final Logger LOG = LoggerFactory.getLogger(NatsLink.class);

  /** What readiness shows. */
  enum State { CONNECTING, CONNECTED, DISCONNECTED, CLOSED }

  private final NatsConfig config;
  private final GatewayMetrics metrics;
  /** Management calls and draining. */
  private final ExecutorService blocking = singleThread("tenantgate-nats");
  /** The first connect, which may retry for as long as NATS is away. */
  private final ExecutorService connector = singleThread("tenantgate-nats-connect");
  /** Samples the send queue's size every few milliseconds ({@link SendQueue}); may wait for jnats' writer. */
  private final java.util.concurrent.ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "tenantgate-nats-queue");
        t.setDaemon(true);
        return t;
      });
  private final SendQueue sendQueue;
  private final Map<Consumer, Runnable> slowConsumerActions = new ConcurrentHashMap<>();
  private FlushQueue flushQueue; // guarded by this
  private volatile Connection connection;
  private volatile JetStream jetStream;
  private volatile State state = State.CONNECTING;
  private volatile String lastError;
  private volatile Runnable onConnected = () -> { };
  private volatile boolean closed;

  NatsLink(NatsConfig config, GatewayMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.sendQueue = new SendQueue(config.maxOutgoingMessages(), config.maxOutgoingBytes());
  }

  /** Starts connecting in the background; returns at once. {@code onConnected} runs on the NATS thread. */
  void start(Runnable onConnected) {
    this.onConnected = onConnected;
    connector.execute(this::connect);
    sampler.scheduleWithFixedDelay(this::sampleSendQueue, 5, 5, TimeUnit.MILLISECONDS);
  }

  private void sampleSendQueue() {
    Connection c = connection;
    try {
      if (c != null) {
        sendQueue.sample(c);
      }
    } catch (RuntimeException e) {
      // a connection being replaced or closed: the next sample reads the new one
    }
  }

  private static ExecutorService singleThread(String name) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  private void connect() {
    try {
      Connection c = Nats.connectReconnectOnConnect(options());
      if (closed) {
        c.close();
        return;
      }
      connection = c;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      lastError = e.getMessage();
      LOG.error("op=nats.connect outcome=failed url={} cause=\"{}\"", config.url(), e.toString());
    }
  }

  private Options options() {
    Duration base = config.reconnectWait();
    Duration max = config.reconnectMaxWait();
    return new Options.Builder()
        .server(config.url().toString())
        .connectionName(config.connectionName())
        // the gateway's own inboxes (request replies and JetStream acks): never handed to a client
        // (SubjectMapper.replyFor), so no client can answer in NATS' or JetStream's name
        .inboxPrefix(SubjectMapper.GATEWAY_INBOX_ROOT)
        // jnats gives a JetStream publish future this long before cancelling it (publishAsync ignores
        // PublishOptions.streamTimeout): longer than ackTimeout, so the gateway's own timeout decides
        .requestCleanupInterval(config.publish().ackTimeout().plusSeconds(1))
        .connectionTimeout(config.connectTimeout())
        .pingInterval(config.pingInterval())
        .maxReconnects(-1)
        .reconnectDelayHandler(tries -> backoff(base, max, tries))
        .reconnectBufferSize(0)
        .maxMessagesInOutgoingQueue(config.maxOutgoingMessages())
        .discardMessagesWhenOutgoingQueueFull()
        .connectionListener(this::onEvent)
        .errorListener(new Errors())
        .build();
  }

  static Duration backoff(Duration base, Duration max, long tries) {
    long ms = base.toMillis() << Math.min(Math.max(tries - 1, 0), 16);
    ms = Math.min(ms, max.toMillis());
    return Duration.ofMillis(ms + ThreadLocalRandom.current().nextLong(ms / 5 + 1));
  }

  private void onEvent(Connection c, ConnectionListener.Events event) {
    if (closed && event != ConnectionListener.Events.CLOSED) {
      // closed while the first connect was still in progress: nobody else will close it
      Thread t = new Thread(() -> closeQuietly(c), "tenantgate-nats-close");
      t.setDaemon(true);
      t.start();
      return;
    }
    connection = c;
    switch (event) {
      case CONNECTED, RECONNECTED -> {
        jetStream = null;
        setState(State.CONNECTED, null);
        try {
          blocking.execute(onConnected);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          // closing: nothing to provision
        }
      }
      case DISCONNECTED -> setState(closed ? State.CLOSED : State.DISCONNECTED, "disconnected from " + config.url());
      case CLOSED -> setState(State.CLOSED, "closed");
      default -> { }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void setState(State s, String error) {
    State before = state;
    state = s;
    if (s == State.CONNECTED) {
      lastError = null; // what the next drop logs is its own cause
    } else if (error != null && lastError == null) {
      lastError = error; // an exception jnats reported since the connection was up says more
    }
    metrics.natsConnected(s == State.CONNECTED);
    if (before != s) {
      if (s != State.DISCONNECTED || lastError == null) {
        LOG.info("op=nats.state state={} url={}", s.name().toLowerCase(java.util.Locale.ROOT), config.url());
      } else {
        LOG.info("op=nats.state state={} url={} last_error=\"{}\"", s.name().toLowerCase(java.util.Locale.ROOT),
            config.url(), lastError);
      }
    }
  }

  State state() {
    return state;
  }

  String detail() {
    return state == State.CONNECTED ? "connected to " + config.url()
        : state.name().toLowerCase(java.util.Locale.ROOT) + (lastError == null ? "" : ": " + lastError);
  }

  /** The connection when it is up right now, else null. */
  Connection connected() {
    Connection c = connection;
    return state == State.CONNECTED && c != null && c.getStatus() == Connection.Status.CONNECTED ? c : null;
  }

  /**
   * Whether the connection's outgoing queue has room for one more message of {@code bytes}, and if so
   * takes it. jnats is configured to discard (never block) when it holds {@code maxOutgoingMessages},
   * and a discarded publish is only reported to an error listener; jnats has no byte bound at all. So a
   * send is refused up front when the queue is nearly full in messages or in bytes
   * ({@code maxOutgoingBytes}), rather than acknowledged and lost or left to grow. Control messages (SUB,
   * UNSUB) ask too: jnats waits for room for them, which would block an event loop. Never waits.
   */
  boolean hasRoomToSend(long bytes) {
    return sendQueue.reserve(bytes);
  }

  /** The confirmations (flushes) of connection {@code c}: one queue for all of its sockets, see {@link FlushQueue}. */
  synchronized FlushQueue flushes(io.vertx.core.Vertx vertx, Connection c) {
    if (flushQueue == null || !flushQueue.isFor(c)) {
      flushQueue = new FlushQueue(vertx, c);
    }
    return flushQueue;
  }

  /** Bytes waiting to be written to NATS, as the send-queue bound sees them (never waits). */
  long pendingBytes() {
    return sendQueue.bytes();
  }

  /** JetStream on the live connection, else null. */
  JetStream jetStream() {
    Connection c = connected();
    if (c == null) {
      return null;
    }
    JetStream js = jetStream;
    if (js == null) {
      try {
        js = c.jetStream();
        jetStream = js;
      } catch (java.io.IOException e) {
        return null;
      }
    }
    return js;
  }

  JetStreamManagement management() throws java.io.IOException {
    Connection c = connected();
    if (c == null) {
      throw new java.io.IOException("NATS is not connected");
    }
    return c.jetStreamManagement();
  }

  /** Runs blocking NATS work on the NATS thread; the result is delivered on {@code context}. */
  <T> Future<T> blocking(Context context, Callable<T> work) {
    CompletableFuture<T> cf = new CompletableFuture<>();
    try {
      blocking.execute(() -> {
        try {
          cf.complete(work.call());
        } catch (Throwable t) {
          cf.completeExceptionally(t);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      cf.completeExceptionally(new java.io.IOException("NATS link is closed"));
    }
    return Future.fromCompletionStage(cf, context);
  }

  /** Runs {@code action} once when jnats reports {@code consumer} (a dispatcher) as a slow consumer. */
  void onSlowConsumer(Consumer consumer, Runnable action) {
    slowConsumerActions.put(consumer, action);
  }

  void forget(Consumer consumer) {
    slowConsumerActions.remove(consumer);
  }

  /**
   * Drains subscriptions and pending publishes (up to the drain timeout), closes, stops the NATS thread.
   * Runs on a thread of its own: management work still queued (stream provisioning) is dropped, never
   * waited for.
   */
  Future<Void> close(Context context) {
    closed = true;
    blocking.shutdownNow();
    connector.shutdownNow();
    sampler.shutdownNow();
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        drainAndClose();
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, "tenantgate-nats-close");
    t.setDaemon(true);
    t.start();
    return Future.fromCompletionStage(done, context).eventually(() -> {
      setState(State.CLOSED, "closed");
      return Future.succeededFuture();
    });
  }

  private void drainAndClose() throws InterruptedException {
    Connection c = connection;
    if (c != null && c.getStatus() == Connection.Status.CONNECTED) {
      try {
        c.drain(config.drainTimeout()).get(config.drainTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        LOG.warn("op=nats.drain outcome=incomplete cause=\"{}\"", e.toString());
      }
    }
    if (c != null) {
      c.close();
    }
  }

  private final class Errors implements ErrorListener {
    @Override
    public void errorOccurred(Connection conn, String error) {
      lastError = error;
      LOG.warn("op=nats.error error=\"{}\"", error);
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
      lastError = exp.toString();
      if (state == State.CONNECTED) {
        // on a live connection: usually what is about to drop it, so the operator needs it
        LOG.warn("op=nats.exception cause=\"{}\"", exp.toString(), exp);
      } else {
        LOG.debug("op=nats.exception cause=\"{}\"", exp.toString()); // failed reconnect attempts repeat
      }
    }

    @Override
    public void slowConsumerDetected(Connection conn, Consumer consumer) {
      Runnable r = slowConsumerActions.remove(consumer);
      if (r != null) {
        r.run();
      }
    }
  }
}
