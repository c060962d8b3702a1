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
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One measured run against one target: warm-up, then a measurement window whose latency
 * histogram, request counts and server CPU seconds (from /proc, read at the window's edges) make
 * the result. Closed loop ({@code rate = 0}: every worker sends its next request when the previous
 * one completes) or fixed rate (requests scheduled at {@code t0 + k / rate}; latency counted from
 * the scheduled time, so a stalled server is charged for the requests it delayed: coordinated
 * omission corrected).
 *
 * <p>Client certificates: one HTTP client per identity (each with its own TLS session cache), so
 * consecutive connections present different certificates of different tenants.
 */
final class LoadRun {

  enum Mode {
    /** HTTP/1.1 keep-alive over {@code connections} connections. */
    H1,
    /** HTTP/2 over {@code connections} connections, {@code streams} concurrent streams each. */
    H2,
    /** A new TLS connection (full handshake) per request. */
    FULL,
    /** A new TLS connection per request, resuming the identity's TLS 1.3 session (ticket). */
    RESUMED,
    /** gRPC unary calls ({@code bench.Echo/Unary}) over {@code connections} h2 connections, {@code streams} each. */
    GRPC_UNARY,
    /** gRPC bidi streams ({@code bench.Echo/Bidi}), {@code streams} per connection, ping-pong messages. */
    GRPC_BIDI;

    static Mode parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "h1", "http1", "keepalive" -> H1;
        case "h2", "http2" -> H2;
        case "full", "handshake" -> FULL;
        case "resumed", "resume" -> RESUMED;
        case "grpc-unary" -> GRPC_UNARY;
        case "grpc-bidi" -> GRPC_BIDI;
        default -> throw new IllegalArgumentException(
            "mode must be h1, h2, full, resumed, grpc-unary or grpc-bidi, got '" + s + "'");
      };
    }

    boolean grpc() {
      return this == GRPC_UNARY || this == GRPC_BIDI;
    }

    /** Modes whose load is connections x streams. */
    boolean multiplexed() {
      return this == H2 || grpc();
    }

    boolean newConnectionPerRequest() {
      return this == FULL || this == RESUMED;
    }

    String wire() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  record Settings(Mode mode, int connections, int streams, double rate, Duration warmup, Duration duration,
      String path, Path caFile, Identities identities, SSLEngineOptions engine, Duration timeout, int maxOutstanding,
      int minRequests) {
  }

  /** How long warm-up or measurement may be stretched to reach {@code minRequests} completions. */
  private static final Duration STRETCH_LIMIT = Duration.ofSeconds(45);

  private final Vertx vertx;
  private final List<Context> contexts;
  private final Settings s;

  private final Recorder recorder = new Recorder(3);
  private final LongAdder ok = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder handshakes = new LongAdder();
  private final LongAdder resumed = new LongAdder();
  private final LongAdder resumeKnown = new LongAdder();
  private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
  private final AtomicLong outstanding = new AtomicLong();
  private final AtomicInteger roundRobin = new AtomicInteger();
  private volatile boolean stopped;

  LoadRun(Vertx vertx, List<Context> contexts, Settings settings) {
    this.vertx = vertx;
    this.contexts = contexts;
    this.s = settings;
  }

  JsonObject run(Target target) throws Exception {
    List<HttpClientAgent> clients = buildClients(target);
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost(target.host())
        .setPort(target.port()).setURI(s.path()).setIdleTimeout(s.timeout().toMillis());
    int workers = s.mode().multiplexed() ? s.connections() * s.streams() : s.connections();
    GrpcLoad grpc = s.mode().grpc() ? new GrpcLoad(clients, target, workers) : null;
    if (s.rate() > 0) {
      if (grpc != null) {
        throw new IllegalArgumentException("gRPC modes run closed loop only (no --rate / -rate)");
      }
      startFixedRate(clients, request);
    } else {
      for (int i = 0; i < workers; i++) {
        int worker = i;
        Op op = grpc != null ? start -> grpc.call(worker, start) : start -> send(pick(clients, worker), request, start);
        contexts.get(i % contexts.size()).runOnContext(v -> closedLoop(op));
      }
    }

    sleep(s.warmup());
    awaitCompletions(0, s.minRequests()); // a slow machine: the warm-up lasts until something completed
    recorder.getIntervalHistogram(); // discard the warm-up
    long okBefore = ok.sum();
    long failedBefore = failed.sum();
    long droppedBefore = dropped.sum();
    long hsBefore = handshakes.sum();
    long resumedBefore = resumed.sum();
    long knownBefore = resumeKnown.sum();
    Map<String, Long> kindsBefore = snapshot(errorKinds);
    double[] serverCpu0 = ProcStat.userSystemSeconds(target.pid());
    double clientCpu0 = ProcStat.cpuSeconds(ProcStat.selfPid());
    long t0 = System.nanoTime();

    sleep(s.duration());
    awaitCompletions(okBefore, s.minRequests());

    Histogram h = recorder.getIntervalHistogram();
    long t1 = System.nanoTime();
    double[] serverCpu1 = ProcStat.userSystemSeconds(target.pid());
    double clientCpu1 = ProcStat.cpuSeconds(ProcStat.selfPid());
    long requests = ok.sum() - okBefore;
    long errors = failed.sum() - failedBefore + dropped.sum() - droppedBefore;
    long hs = handshakes.sum() - hsBefore;
    long res = resumed.sum() - resumedBefore;
    long known = resumeKnown.sum() - knownBefore;
    Map<String, Long> kinds = snapshot(errorKinds);
    stopped = true;
    if (grpc != null) {
      grpc.endStreams();
    }

    // let in-flight requests finish (bounded), then drop the clients and their connections
    long deadline = System.nanoTime() + s.timeout().toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    if (grpc != null) {
      grpc.close();
    }
    for (HttpClientAgent c : clients) {
      c.close().await(5, TimeUnit.SECONDS);
    }

    double seconds = (t1 - t0) / 1e9;
    double serverUser = serverCpu1[0] - serverCpu0[0];
    double serverSystem = serverCpu1[1] - serverCpu0[1];
    double serverCpu = target.pid() > 0 ? serverUser + serverSystem : -1;
    JsonObject errorsByKind = new JsonObject();
    kinds.forEach((k, v) -> {
      long d = v - kindsBefore.getOrDefault(k, 0L);
      if (d > 0) {
        errorsByKind.put(k, d);
      }
    });
    JsonObject out = new JsonObject()
        .put("target", target.name())
        .put("mode", s.mode().wire())
        .put("loop", s.rate() > 0 ? "fixed-rate" : "closed")
        .put("rate_target", s.rate())
        .put("connections", s.connections())
        .put("streams", s.mode().multiplexed() ? s.streams() : 1)
        .put("identities", Math.min(s.identities().size(), s.mode().newConnectionPerRequest() ? s.identities().size() : clients.size()))
        .put("tenants", s.identities().tenants(s.mode().newConnectionPerRequest() ? s.identities().size() : clients.size()))
        .put("duration_s", round(seconds, 3))
        .put("requests", requests)
        .put("errors", errors)
        .put("rps", round(requests / seconds, 1))
        .put("p50_ms", ms(h, 50))
        .put("p90_ms", ms(h, 90))
        .put("p99_ms", ms(h, 99))
        .put("p999_ms", ms(h, 99.9))
        .put("max_ms", round(h.getMaxValue() / 1000.0, 3))
        .put("server_cpu_s", round(serverCpu, 2))
        .put("server_user_s", target.pid() > 0 ? round(serverUser, 2) : null)
        .put("server_sys_s", target.pid() > 0 ? round(serverSystem, 2) : null)
        .put("req_per_cpu_s", serverCpu > 0 ? round(requests / serverCpu, 1) : null)
        .put("server_cpu_ms_per_req", serverCpu > 0 && requests > 0 ? round(serverCpu * 1000 / requests, 4) : null)
        .put("client_cpu_s", round(clientCpu1 - clientCpu0, 2))
        .put("handshakes", hs)
        .put("resumed", known > 0 ? res : null)
        .put("client_engine", target.plain() ? "plain" : Tls.engineName(s.engine()));
    if (!errorsByKind.isEmpty()) {
      out.put("error_kinds", errorsByKind);
    }
    return out;
  }

  private List<HttpClientAgent> buildClients(Target target) {
    Identities ids = s.identities();
    JksOptions trust = Identities.trust(s.caFile());
    int n = s.mode().newConnectionPerRequest() ? ids.size() : Math.min(ids.size(), s.connections());
    List<HttpClientAgent> clients = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      // connections this client holds: the ones whose index maps to it (i % n == j)
      int pool = s.mode().newConnectionPerRequest()
          ? s.connections()
          : s.connections() / n + (j < s.connections() % n ? 1 : 0);
      HttpClientOptions options = new HttpClientOptions()
          .setSsl(!target.plain())
          .setHttp2ClearTextUpgrade(false)
          .setSslEngineOptions(s.engine().copy())
          .setKeyCertOptions(ids.get(j).keyCert())
          .setTrustOptions(trust)
          .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
          .setVerifyHost(true)
          .setTcpNoDelay(true)
          .setConnectTimeout((int) s.timeout().toMillis())
          .setKeepAlive(!s.mode().newConnectionPerRequest())
          .setKeepAliveTimeout(600)
          .setProtocolVersion(s.mode().multiplexed() ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1)
          .setUseAlpn(s.mode().multiplexed() && !target.plain())
          .setHttp2MultiplexingLimit(s.streams())
          .setHttp2KeepAliveTimeout(600);
      PoolOptions poolOptions = new PoolOptions().setHttp1MaxSize(pool).setHttp2MaxSize(pool).setMaxWaitQueueSize(-1);
      clients.add(vertx.httpClientBuilder().with(options).with(poolOptions).withConnectHandler(conn -> {
        handshakes.increment();
        if (s.mode() == Mode.FULL) {
          Tls.disableSessionCache(conn);
        }
        Boolean r = Tls.resumed(conn);
        if (r != null) {
          resumeKnown.increment();
          if (r) {
            resumed.increment();
          }
        }
      }).build());
    }
    return clients;
  }

  private HttpClientAgent pick(List<HttpClientAgent> clients, int worker) {
    if (s.mode().newConnectionPerRequest()) {
      return clients.get(Math.floorMod(roundRobin.getAndIncrement(), clients.size()));
    }
    // H2: worker w rides connection w % connections; connection c belongs to client c % n
    return clients.get((worker % s.connections()) % clients.size());
  }

  /** One operation of a worker: completes when it did (recorded) or failed (counted). */
  interface Op {
    Future<Void> run(long startNanos);
  }

  private void closedLoop(Op op) {
    if (stopped) {
      return;
    }
    op.run(System.nanoTime()).onComplete(ar -> {
      if (ar.succeeded()) {
        closedLoop(op);
      } else {
        // back off a little so a refusing server does not turn the loop into a spin
        vertx.setTimer(5, t -> closedLoop(op));
      }
    });
  }

  private void startFixedRate(List<HttpClientAgent> clients, RequestOptions request) {
    double perContextPerNano = s.rate() / contexts.size() / 1e9;
    for (Context ctx : contexts) {
      ctx.runOnContext(v -> {
        long t0 = System.nanoTime();
        long[] issued = {0};
        AtomicInteger next = new AtomicInteger();
        vertx.setPeriodic(1, id -> {
          if (stopped) {
            vertx.cancelTimer(id);
            return;
          }
          long due = (long) ((System.nanoTime() - t0) * perContextPerNano);
          while (issued[0] < due) {
            long intended = t0 + (long) (issued[0] / perContextPerNano);
            issued[0]++;
            if (outstanding.get() >= s.maxOutstanding()) {
              dropped.increment();
              errorKinds.computeIfAbsent("dropped: over max outstanding", k -> new LongAdder()).increment();
              continue;
            }
            send(pick(clients, next.getAndIncrement()), request, intended);
          }
        });
      });
    }
  }

  /** Sends one request; records its latency from {@code startNanos}; the future fails on any error. */
  private Future<Void> send(HttpClientAgent client, RequestOptions request, long startNanos) {
    outstanding.incrementAndGet();
    return client.request(request)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode()))
        .<Void>transform(ar -> complete(ar.succeeded() && ar.result() == 200, startNanos,
            ar.succeeded() ? "status " + ar.result() : kind(ar.cause())));
  }

  /** Accounts one finished operation (outstanding was incremented when it started). */
  Future<Void> complete(boolean success, long startNanos, String failure) {
    outstanding.decrementAndGet();
    if (success) {
      recorder.recordValue(Math.max(1, (System.nanoTime() - startNanos) / 1000));
      ok.increment();
      return Future.succeededFuture();
    }
    failed.increment();
    if (errorKinds.size() < 32 || errorKinds.containsKey(failure)) {
      errorKinds.computeIfAbsent(failure, k -> new LongAdder()).increment();
    }
    return Future.failedFuture(failure);
  }

  /**
   * gRPC over the same per-identity HTTP clients (raw-buffer messages, no generated code): unary
   * calls, or one long-lived bidi stream per worker exchanging a message and waiting for its echo.
   */
  private final class GrpcLoad {
    private static final String UNARY = "bench.Echo/Unary";
    private static final String BIDI = "bench.Echo/Bidi";
    private final List<GrpcClient> grpcClients = new ArrayList<>();
    private final SocketAddress address;
    private final Buffer message = Buffer.buffer(new byte[64]);
    private final Bidi[] streams;

    GrpcLoad(List<HttpClientAgent> clients, Target target, int workers) {
      for (HttpClientAgent c : clients) {
        grpcClients.add(GrpcClient.client(vertx, c));
      }
      address = SocketAddress.inetSocketAddress(target.port(), target.host());
      streams = new Bidi[workers];
    }

    private GrpcClient client(int worker) {
      return grpcClients.get((worker % s.connections()) % grpcClients.size());
    }

    Future<Void> call(int worker, long start) {
      outstanding.incrementAndGet();
      if (s.mode() == Mode.GRPC_UNARY) {
        return client(worker).request(address)
            .compose(req -> req.fullMethodName(UNARY).send(message))
            .compose(resp -> resp.last().map(m -> resp.status()))
            .transform(ar -> complete(ar.succeeded() && ar.result() == GrpcStatus.OK, start,
                ar.succeeded() ? "grpc-status " + ar.result() : kind(ar.cause())));
      }
      Bidi b = streams[worker];
      if (b == null || b.closed) {
        b = new Bidi(client(worker).request(address).map(req -> req.fullMethodName(BIDI)));
        streams[worker] = b;
      }
      return b.exchange().transform(ar -> complete(ar.succeeded(), start, ar.succeeded() ? "" : kind(ar.cause())));
    }

    void endStreams() {
      for (Bidi b : streams) {
        if (b != null) {
          b.end();
        }
      }
    }

    void close() {
      for (GrpcClient c : grpcClients) {
        c.close();
      }
    }

    /** One bidi call: exchange() writes a message and completes with its echo. Touched by one worker. */
    private final class Bidi {
      private final Future<GrpcClientRequest<Buffer, Buffer>> request;
      private Promise<Void> waiting;
      private boolean closed;

      Bidi(Future<GrpcClientRequest<Buffer, Buffer>> req) {
        this.request = req;
        req.onSuccess(r -> r.response().onComplete(ar -> {
          if (ar.failed()) {
            fail(ar.cause());
            return;
          }
          ar.result().handler(msg -> {
            Promise<Void> p = waiting;
            waiting = null;
            if (p != null) {
              p.tryComplete();
            }
          });
          ar.result().exceptionHandler(this::fail);
          ar.result().endHandler(v -> fail(new IllegalStateException("stream ended: " + ar.result().status())));
        }));
        req.onFailure(this::fail);
      }

      Future<Void> exchange() {
        Promise<Void> p = Promise.promise();
        waiting = p;
        request.onSuccess(r -> r.write(message).onFailure(p::tryFail)).onFailure(p::tryFail);
        return p.future();
      }

      private void fail(Throwable t) {
        closed = true;
        Promise<Void> p = waiting;
        waiting = null;
        if (p != null) {
          p.tryFail(t);
        }
      }

      void end() {
        request.onSuccess(r -> r.end());
      }
    }
  }

  private static String kind(Throwable t) {
    String msg = t.getMessage();
    if (msg != null && msg.length() > 80) {
      msg = msg.substring(0, 80);
    }
    return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new java.util.HashMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Waits (bounded) until {@code min} operations completed since the count was {@code from}. */
  private void awaitCompletions(long from, int min) throws InterruptedException {
    long deadline = System.nanoTime() + STRETCH_LIMIT.toNanos();
    while (ok.sum() - from < min && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(Math.max(0, d.toMillis()));
  }

  private static Double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? null : round(h.getValueAtPercentile(percentile) / 1000.0, 3);
  }

  static Double round(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return null;
    }
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
