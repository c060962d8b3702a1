package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The well-behaved part of the soak, and the over-quota flooder: HTTP/1.1 and HTTP/2 requests, gRPC
 * unary calls and recycled bidi streams, NATS publishes over the bridge's HTTP endpoint (core and
 * JetStream acks) and over recycled bridge WebSockets (subscribe + publish), each at a fixed rate
 * spread over every identity of the well-behaved tenants; and one tenant sending far over its
 * request quota (429 {@code tenant_rate_limited} expected). Every client presents its identity's
 * certificate and verifies the gateway.
 */
final class SoakTraffic {
  /** Tick of the fixed-rate pacers. */
  private static final long TICK_MS = 20;

  private final Vertx vertx;
  private final List<Context> contexts;
  private final Soak.Settings s;
  private final JksOptions trust;
  private final List<HttpClientAgent> h1 = new ArrayList<>();
  private final List<HttpClientAgent> h2 = new ArrayList<>();
  private final List<GrpcClient> grpc = new ArrayList<>();
  private final List<Identities.Identity> ids;
  private final List<HttpClientAgent> flood = new ArrayList<>();
  private final List<Runnable> stops = new ArrayList<>();
  private final SocketAddress address;
  private final Buffer message = Buffer.buffer(new byte[64]);
  private final Buffer payload = Buffer.buffer("x".repeat(128));
  private final AtomicInteger next = new AtomicInteger();
  volatile boolean stopped;

  final Tally h1Tally = new Tally("h1", false);
  final Tally h2Tally = new Tally("h2", false);
  final Tally grpcTally = new Tally("grpc", false);
  final Tally bidiTally = new Tally("grpc-bidi", false);
  final Tally natsTally = new Tally("nats-http", false);
  final Tally wsTally = new Tally("nats-ws", false);
  final Tally floodTally = new Tally("flood", true);

  SoakTraffic(Vertx vertx, List<Context> contexts, Soak.Settings s, List<Identities.Identity> wellBehaved,
      List<Identities.Identity> flooder) {
    this.vertx = vertx;
    this.contexts = contexts;
    this.s = s;
    this.trust = Identities.trust(s.ca());
    this.ids = wellBehaved;
    this.address = SocketAddress.inetSocketAddress(s.port(), s.host());
    for (Identities.Identity id : wellBehaved) {
      h1.add(client(id, HttpVersion.HTTP_1_1, 2));
      HttpClientAgent c2 = client(id, HttpVersion.HTTP_2, 1);
      h2.add(c2);
      grpc.add(GrpcClient.client(vertx, c2));
    }
    for (Identities.Identity id : flooder) {
      flood.add(client(id, HttpVersion.HTTP_2, 1));
    }
  }

  List<Tally> tallies() {
    return List.of(h1Tally, h2Tally, grpcTally, bidiTally, natsTally, wsTally, floodTally);
  }

  HttpClientAgent client(Identities.Identity id, HttpVersion version, int pool) {
    HttpClientOptions o = new HttpClientOptions().setSsl(true).setUseAlpn(version == HttpVersion.HTTP_2)
        .setProtocolVersion(version).setKeyCertOptions(id.keyCert()).setTrustOptions(trust).setVerifyHost(true)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3")).setConnectTimeout((int) s.timeout().toMillis())
        // below the gateway's idle timeout: the client closes an idle connection first, no race on reuse
        .setKeepAliveTimeout(s.clientKeepAliveSeconds()).setHttp2KeepAliveTimeout(s.clientKeepAliveSeconds())
        .setHttp2MultiplexingLimit(100).setSslEngineOptions(Tls.engine("auto"));
    return vertx.httpClientBuilder().with(o).with(new PoolOptions().setHttp1MaxSize(pool).setHttp2MaxSize(pool)
        .setMaxWaitQueueSize(-1)).build();
  }

  void start() {
    pace("h1", s.rate(40), h1Tally, () -> get(h1.get(pick(h1.size())), "/soak/h1", h1Tally));
    pace("h2", s.rate(40), h2Tally, () -> get(h2.get(pick(h2.size())), "/soak/h2", h2Tally));
    pace("grpc", s.rate(20), grpcTally, this::unary);
    pace("nats-http", s.rate(20), natsTally, this::publish);
    if (!flood.isEmpty()) {
      pace("flood", s.floodRate(), floodTally, () -> floodOne(flood.get(pick(flood.size()))));
    }
    for (int i = 0; i < s.bidiStreams(); i++) {
      int n = i;
      contexts.get(i % contexts.size()).runOnContext(v -> bidiLoop(n));
    }
    for (int i = 0; i < s.webSockets(); i++) {
      int n = i;
      contexts.get(i % contexts.size()).runOnContext(v -> webSocketLoop(n));
    }
  }

  private int pick(int size) {
    return Math.floorMod(next.getAndIncrement(), size);
  }

  /**
   * Runs {@code op} {@code rate} times a second, spread over the contexts; an op that would take the
   * kind's in-flight count over {@code maxInFlight} is skipped (and counted as such).
   */
  private void pace(String name, double rate, Tally tally, Supplier<Future<?>> op) {
    if (rate <= 0) {
      return;
    }
    AtomicInteger inFlight = new AtomicInteger();
    double perTick = rate / contexts.size() * TICK_MS / 1000.0;
    for (Context ctx : contexts) {
      ctx.runOnContext(v -> {
        double[] due = {0};
        long t0 = System.nanoTime();
        long ramp = Math.max(1, s.ramp().toNanos());
        long timer = vertx.setPeriodic(TICK_MS, id -> {
          if (stopped) {
            vertx.cancelTimer(id);
            return;
          }
          // from a tenth of the rate to all of it over the ramp: no handshake storm on a cold JIT
          double share = Math.min(1.0, 0.1 + 0.9 * (System.nanoTime() - t0) / (double) ramp);
          due[0] += perTick * share;
          while (due[0] >= 1) {
            due[0] -= 1;
            if (inFlight.get() >= s.maxInFlight()) {
              tally.skipped();
              continue;
            }
            inFlight.incrementAndGet();
            op.get().onComplete(ar -> inFlight.decrementAndGet());
          }
        });
        synchronized (stops) {
          stops.add(() -> vertx.cancelTimer(timer));
        }
      });
    }
  }

  private RequestOptions request(HttpMethod method, String uri) {
    return new RequestOptions().setMethod(method).setHost(s.host()).setPort(s.port()).setURI(uri)
        .setIdleTimeout(s.timeout().toMillis());
  }

  private Future<Void> get(HttpClientAgent c, String uri, Tally t) {
    return c.request(request(HttpMethod.GET, uri)).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode()))
        .transform(ar -> {
          if (ar.succeeded() && ar.result() == 200) {
            t.ok();
          } else {
            t.error(ar.succeeded() ? "status " + ar.result() : Tally.kind(ar.cause()));
          }
          return Future.succeededFuture();
        });
  }

  private Future<Void> floodOne(HttpClientAgent c) {
    return c.request(request(HttpMethod.GET, "/soak/flood")).compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> resp.statusCode() == 429
            ? "429 " + b.toJsonObject().getString("reason") : "status " + resp.statusCode()))
        .transform(ar -> {
          if (ar.succeeded() && ar.result().equals("status 200")) {
            floodTally.ok();
          } else if (ar.succeeded() && ar.result().equals("429 tenant_rate_limited")) {
            floodTally.expected("429 tenant_rate_limited");
          } else {
            floodTally.error(ar.succeeded() ? ar.result() : Tally.kind(ar.cause()));
          }
          return Future.succeededFuture();
        });
  }

  private Future<Void> unary() {
    return grpc.get(pick(grpc.size())).request(address)
        .compose(req -> req.fullMethodName("bench.Echo/Unary").send(message))
        .compose(resp -> resp.last().map(m -> resp.status()))
        .transform(ar -> {
          if (ar.succeeded() && ar.result() == GrpcStatus.OK) {
            grpcTally.ok();
          } else {
            grpcTally.error(ar.succeeded() ? "grpc-status " + ar.result() : Tally.kind(ar.cause()));
          }
          return Future.succeededFuture();
        });
  }

  /** Core publishes (202) and JetStream publishes (200 with the stream's ack), alternately. */
  private Future<Void> publish() {
    int n = pick(h1.size());
    boolean js = (n & 1) == 0;
    return h1.get(n).request(request(HttpMethod.POST, "/v1/nats/publish/events.soak" + (js ? "?ack=jetstream" : "")))
        .compose(req -> req.send(payload)).compose(resp -> resp.body().map(b -> resp.statusCode()))
        .transform(ar -> {
          int want = js ? 200 : 202;
          if (ar.succeeded() && ar.result() == want) {
            natsTally.ok();
          } else {
            natsTally.error((js ? "jetstream " : "core ") + (ar.succeeded() ? "status " + ar.result()
                : Tally.kind(ar.cause())));
          }
          return Future.succeededFuture();
        });
  }

  /**
   * One bidi stream at a time for slot {@code n}: a message out, wait for its echo, every
   * {@code bidiInterval}; after {@code bidiMessages} the stream ends (OK expected) and a new one opens.
   */
  private void bidiLoop(int n) {
    if (stopped) {
      return;
    }
    grpc.get(n % grpc.size()).request(address).onComplete(ar -> {
      if (ar.failed()) {
        bidiTally.error("open: " + Tally.kind(ar.cause()));
        vertx.setTimer(1000, t -> bidiLoop(n));
        return;
      }
      new BidiSession(ar.result().fullMethodName("bench.Echo/Bidi"), n).start();
    });
  }

  /** One bidi call; confined to the context it was opened on. */
  private final class BidiSession {
    private final GrpcClientRequest<Buffer, Buffer> req;
    private final int slot;
    private Promise<Void> waiting;
    private boolean ending;
    private boolean done;

    BidiSession(GrpcClientRequest<Buffer, Buffer> req, int slot) {
      this.req = req;
      this.slot = slot;
    }

    void start() {
      req.response().onComplete(r -> {
        if (r.failed()) {
          finish("response: " + Tally.kind(r.cause()));
          return;
        }
        GrpcClientResponse<Buffer, Buffer> resp = r.result();
        resp.handler(msg -> {
          Promise<Void> p = waiting;
          waiting = null;
          if (p != null) {
            p.tryComplete();
          }
        });
        resp.exceptionHandler(err -> finish("stream: " + Tally.kind(err)));
        resp.endHandler(v -> finish(ending && resp.status() == GrpcStatus.OK ? null : "stream ended: " + resp.status()));
      });
      exchange(0);
    }

    private void exchange(int sent) {
      if (done) {
        return;
      }
      if (stopped || sent >= s.bidiMessages()) {
        ending = true;
        req.end();
        return;
      }
      Promise<Void> p = Promise.promise();
      waiting = p;
      long timer = vertx.setTimer(s.timeout().toMillis(), t -> p.tryFail("no echo within " + s.timeout()));
      req.write(message).onFailure(p::tryFail);
      p.future().onComplete(ar -> {
        vertx.cancelTimer(timer);
        if (done) {
          return;
        }
        if (ar.failed()) {
          req.cancel();
          finish("message: " + Tally.kind(ar.cause()));
          return;
        }
        bidiTally.ok();
        vertx.setTimer(s.bidiInterval().toMillis(), t -> exchange(sent + 1));
      });
    }

    private void finish(String error) {
      if (done) {
        return;
      }
      done = true;
      Promise<Void> p = waiting;
      waiting = null;
      if (p != null) {
        p.tryFail("stream finished");
      }
      if (stopped) {
        return;
      }
      if (error != null) {
        bidiTally.error(error);
      }
      vertx.setTimer(error == null ? 10 : 1000, t -> bidiLoop(slot));
    }
  }

  /**
   * Bridge WebSocket slot {@code n}: connect, subscribe to the component's job subject, publish every
   * {@code wsInterval} (core and JetStream alternately) and count each answer; after
   * {@code wsLifetime} close and open a new socket (sessions come and go for the whole soak).
   */
  private void webSocketLoop(int n) {
    if (stopped) {
      return;
    }
    Identities.Identity id = ids.get(n % ids.size());
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setSslEngineOptions(Tls.engine("auto"))
        .setVerifyHost(true).setTrustOptions(trust).setKeyCertOptions(id.keyCert())
        .setConnectTimeout((int) s.timeout().toMillis()));
    client.connect(s.port(), s.host(), "/v1/nats/ws").onComplete(ar -> {
      if (ar.failed()) {
        wsTally.error("connect: " + Tally.kind(ar.cause()));
        client.close();
        vertx.setTimer(1000, t -> webSocketLoop(n));
        return;
      }
      new WsSession(ar.result(), client, id, n).start();
    });
  }

  private final class WsSession {
    private final WebSocket ws;
    private final WebSocketClient client;
    private final Identities.Identity id;
    private final int slot;
    private final Map<String, Long> pending = new ConcurrentHashMap<>();
    private int seq;
    private long timer;
    private final long opened = System.nanoTime();
    private boolean closing;

    WsSession(WebSocket ws, WebSocketClient client, Identities.Identity id, int slot) {
      this.ws = ws;
      this.client = client;
      this.id = id;
      this.slot = slot;
    }

    void start() {
      ws.textMessageHandler(this::answer);
      ws.closeHandler(v -> closed());
      send(new JsonObject().put("op", "sub").put("sid", "jobs").put("subject", "jobs." + id.name() + ".>"));
      timer = vertx.setPeriodic(s.wsInterval().toMillis(), t -> tick());
    }

    private void send(JsonObject op) {
      String key = "m" + seq++;
      pending.put(key, System.nanoTime());
      ws.writeTextMessage(op.put("id", key).encode());
    }

    private void tick() {
      long now = System.nanoTime();
      pending.entrySet().removeIf(e -> {
        if (now - e.getValue() > s.timeout().toNanos()) {
          wsTally.error("no answer within " + s.timeout());
          return true;
        }
        return false;
      });
      if (stopped || now - opened > s.wsLifetime().toNanos()) {
        closing = true;
        vertx.cancelTimer(timer);
        ws.close();
        return;
      }
      JsonObject pub = new JsonObject().put("op", "pub").put("subject", "events.soak").put("data", "ws " + seq);
      if ((seq & 1) == 0) {
        pub.put("ack", "jetstream");
      }
      send(pub);
    }

    private void answer(String text) {
      JsonObject j;
      try {
        j = new JsonObject(text);
      } catch (RuntimeException e) {
        wsTally.error("not JSON: " + text.substring(0, Math.min(60, text.length())));
        return;
      }
      String op = j.getString("op");
      if ("msg".equals(op)) {
        return; // a delivery (nothing publishes to jobs.* in the soak; edge inbox messages are fine)
      }
      String key = j.getString("id");
      if (key == null || pending.remove(key) == null) {
        return;
      }
      if ("ok".equals(op) || "ack".equals(op)) {
        wsTally.ok();
      } else {
        wsTally.error("err " + j.getString("reason"));
      }
    }

    private void closed() {
      vertx.cancelTimer(timer);
      if (!closing && !stopped) {
        wsTally.error("socket closed by the gateway: " + ws.closeStatusCode() + " " + ws.closeReason());
      }
      pending.clear();
      client.close();
      if (!stopped) {
        vertx.setTimer(200, t -> webSocketLoop(slot));
      }
    }
  }

  Future<Void> stop() {
    stopped = true;
    synchronized (stops) {
      stops.forEach(Runnable::run);
    }
    List<Future<?>> closing = new ArrayList<>();
    grpc.forEach(g -> closing.add(g.close()));
    h1.forEach(c -> closing.add(c.close()));
    h2.forEach(c -> closing.add(c.close()));
    flood.forEach(c -> closing.add(c.close()));
    return Future.join(closing).mapEmpty();
  }
}
