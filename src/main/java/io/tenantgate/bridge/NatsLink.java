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
  private final Map<Consumer, Runnable> slowConsumerActions = new ConcurrentHashMap<>();
  private volatile Connection connection;
  private volatile JetStream jetStream;
  private volatile State state = State.CONNECTING;
  private volatile String lastError;
  private volatile Runnable onConnected = () -> { };
  private volatile boolean closed;

  NatsLink(NatsConfig config, GatewayMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /** Starts connecting in the background; returns at once. {@code onConnected} runs on the NATS thread. */
  void start(Runnable onConnected) {
    this.onConnected = onConnected;
    connector.execute(this::connect);
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
        // replies the bridge hands to clients are recognised by this root (SubjectMapper.replyFor)
        .inboxPrefix(SubjectMapper.INBOX_ROOT)
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
        blocking.execute(onConnected);
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
    if (error != null) {
      lastError = error;
    }
    metrics.natsConnected(s == State.CONNECTED);
    if (before != s) {
      LOG.info("op=nats.state state={} url={}", s.name().toLowerCase(java.util.Locale.ROOT), config.url());
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
   * Whether the connection's outgoing queue has room. jnats is configured to discard (never block)
   * when it is full, and a discarded publish is only reported to an error listener — so a publish is
   * refused up front when the queue is nearly full (1 % headroom for concurrent event loops), rather
   * than acknowledged and lost.
   */
  boolean hasRoomToSend(Connection c) {
    long max = config.maxOutgoingMessages();
    return c.outgoingPendingMessageCount() < max - Math.max(1, max / 100);
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

  /** Drains subscriptions and pending publishes (up to the drain timeout), closes, stops the NATS thread. */
  Future<Void> close(Context context) {
    closed = true;
    return blocking(context, () -> {
      Connection c = connection;
      if (c != null && c.getStatus() == Connection.Status.CONNECTED) {
        try {
          c.drain(config.drainTimeout()).get(config.drainTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          LOG.warn("op=nats.drain outcome=incomplete cause=\"{}\"", e.toString());
        }
      }
      if (c != null) {
        c.close();
      }
      return (Void) null;
    }).eventually(() -> {
      blocking.shutdownNow();
      connector.shutdownNow();
      setState(State.CLOSED, "closed");
      return Future.succeededFuture();
    });
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
      LOG.debug("op=nats.exception cause=\"{}\"", exp.toString());
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
