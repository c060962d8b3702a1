package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.SSLEngineOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Idle connections: opens {@code count} mTLS connections (HTTP/1.1, one request each so the
 * server has resolved the identity and set up its per-connection state), leaves them idle, and
 * reports the server's RSS growth per connection and, for a JVM, the live heap per connection
 * (after a full GC requested with jcmd, before and after).
 */
final class IdleRun {
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

  private IdleRun() {
  }

  static void main(Args args) throws Exception {
    List<Target> targets = args.all("target").stream().map(Target::parse).toList();
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("--target is required");
    }
    Duration pause = args.duration("pause", Duration.ofSeconds(2));
    Duration hold = args.duration("hold", Duration.ZERO);
    Path certs = Path.of(args.required("certs"));
    Path ca = Path.of(args.required("ca"));
    int count = args.integer("count", 1000);
    int concurrency = args.integer("concurrency", 64);
    int maxCerts = args.integer("max-certs", 0);
    int threads = args.integer("threads", 2);
    Duration settle = args.duration("settle", Duration.ofSeconds(2));
    Duration timeout = args.duration("timeout", Duration.ofSeconds(30));
    String path = args.string("path", "/bench");
    String engine = args.string("engine", "auto");
    List<String> tags = args.all("tag");
    String out = args.string("out", null);
    args.rejectUnknown();
    for (int i = 0; i < targets.size(); i++) {
      if (targets.get(i).pid() <= 0) {
        throw new IllegalArgumentException("idle needs the server's pid in --target");
      }
      if (i > 0) {
        Thread.sleep(pause.toMillis());
      }
      one(targets.get(i), certs, ca, count, concurrency, maxCerts, threads, settle, timeout, path, engine, tags, out,
          hold);
    }
  }

  private static void one(Target target, Path certs, Path ca, int count, int concurrency, int maxCerts, int threads,
      Duration settle, Duration timeout, String path, String engine, List<String> tags, String out, Duration hold)
      throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads).setPreferNativeTransport(true));
    ConcurrentLinkedQueue<HttpClientConnection> open = new ConcurrentLinkedQueue<>();
    List<HttpClientAgent> clients = new ArrayList<>();
    try {
      List<Context> contexts = LoadGen.contexts(vertx, threads);
      Identities ids = Identities.load(certs, maxCerts);
      SSLEngineOptions engineOptions = Tls.engine(engine);
      int n = Math.min(ids.size(), count);
      JksOptions trust = Identities.trust(ca);
      for (int j = 0; j < n; j++) {
        clients.add(vertx.httpClientBuilder().with(new HttpClientOptions()
            .setSsl(true)
            .setSslEngineOptions(engineOptions.copy())
            .setKeyCertOptions(ids.get(j).keyCert())
            .setTrustOptions(trust)
            .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
            .setProtocolVersion(HttpVersion.HTTP_1_1)
            .setConnectTimeout((int) timeout.toMillis())
            .setKeepAlive(true)
            .setKeepAliveTimeout(0)
            .setIdleTimeout(0)).build());
      }
      boolean jvm = isJvm(target.pid());
      Long heap0 = jvm ? heapAfterGc(target.pid()) : null;
      long rss0 = ProcStat.rssBytes(target.pid());
      double cpu0 = ProcStat.cpuSeconds(target.pid());

      AtomicLong failed = new AtomicLong();
      AtomicLong closedEarly = new AtomicLong();
      java.util.Map<String, Long> errorKinds = new java.util.concurrent.ConcurrentHashMap<>();
      Semaphore slots = new Semaphore(concurrency);
      long t0 = System.nanoTime();
      RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setURI(path)
          .setHost(target.host()).setPort(target.port()).setIdleTimeout(timeout.toMillis());
      for (int i = 0; i < count; i++) {
        slots.acquire();
        HttpClientAgent client = clients.get(i % n);
        contexts.get(i % contexts.size()).runOnContext(v -> client
            .connect(new HttpConnectOptions().setHost(target.host()).setPort(target.port()).setSsl(true))
            .compose(conn -> conn.request(request)
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(b -> {
                  if (resp.statusCode() != 200) {
                    throw new IllegalStateException("status " + resp.statusCode());
                  }
                  return conn;
                }))
                .onFailure(e -> conn.close()))
            .onComplete(ar -> {
              if (ar.succeeded()) {
                HttpClientConnection conn = ar.result();
                open.add(conn);
                conn.closeHandler(x -> closedEarly.incrementAndGet());
              } else {
                failed.incrementAndGet();
                errorKinds.merge(String.valueOf(ar.cause()), 1L, Long::sum);
              }
              slots.release();
            }));
      }
      if (!slots.tryAcquire(concurrency, timeout.toSeconds() + 60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("connections did not finish opening");
      }
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      double cpu1 = ProcStat.cpuSeconds(target.pid());
      Thread.sleep(settle.toMillis());
      long rss1 = ProcStat.rssBytes(target.pid());
      Long heap1 = jvm ? heapAfterGc(target.pid()) : null;
      long rss2 = ProcStat.rssBytes(target.pid());
      long stillOpen = open.size() - closedEarly.get();

      int opened = open.size();
      long rssDelta = rss1 - rss0;
      JsonObject result = new JsonObject()
          .put("target", target.name())
          .put("mode", "idle")
          .put("requested", count)
          .put("opened", opened)
          .put("still_open", stillOpen)
          .put("errors", failed.get() + closedEarly.get())
          .put("identities", n)
          .put("tenants", ids.tenants(n))
          .put("open_s", LoadRun.round(openSeconds, 2))
          .put("handshakes_per_s", LoadRun.round(opened / openSeconds, 1))
          .put("server_cpu_s", LoadRun.round(cpu1 - cpu0, 2))
          .put("server_cpu_ms_per_conn", opened > 0 ? LoadRun.round((cpu1 - cpu0) * 1000 / opened, 3) : null)
          .put("rss_before_mib", LoadRun.round(rss0 / 1048576.0, 1))
          .put("rss_after_mib", LoadRun.round(rss1 / 1048576.0, 1))
          .put("rss_after_gc_mib", LoadRun.round(rss2 / 1048576.0, 1))
          .put("rss_per_conn_kib", opened > 0 ? LoadRun.round(rssDelta / 1024.0 / opened, 2) : null)
          .put("heap_before_mib", heap0 == null ? null : LoadRun.round(heap0 / 1048576.0, 1))
          .put("heap_after_mib", heap1 == null ? null : LoadRun.round(heap1 / 1048576.0, 1))
          .put("heap_per_conn_kib", heap0 == null || heap1 == null || opened == 0 ? null
              : LoadRun.round((heap1 - heap0) / 1024.0 / opened, 2))
          .put("client_engine", Tls.engineName(engineOptions));
      if (!errorKinds.isEmpty()) {
        JsonObject kinds = new JsonObject();
        errorKinds.entrySet().stream().limit(10).forEach(e -> kinds.put(e.getKey(), e.getValue()));
        result.put("error_kinds", kinds);
      }
      LoadGen.emit(LoadGen.addTags(result, tags), out);
      if (!hold.isZero()) {
        System.err.println("holding " + opened + " connections for " + hold.toSeconds() + " s");
        Thread.sleep(hold.toMillis());
      }
    } finally {
      // thousands of connections: closing is best effort and bounded, the JVM must not hang on it
      for (HttpClientConnection c : open) {
        c.close();
      }
      try {
        io.vertx.core.Future.join(clients.stream().map(HttpClientAgent::close).toList()).await(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("idle: closing the clients: " + e);
      }
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("idle: closing Vert.x: " + e);
      }
    }
  }

  private static boolean isJvm(long pid) {
    try {
      byte[] cmd = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return new String(cmd, StandardCharsets.UTF_8).contains("java");
    } catch (IOException e) {
      return false;
    }
  }

  /** Live heap bytes after a full GC (jcmd GC.run, then GC.heap_info); null when jcmd fails. */
  static Long heapAfterGc(long pid) {
    try {
      jcmd(pid, "GC.run");
      Matcher m = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
      return m.find() ? Long.parseLong(m.group(1)) * 1024 : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(Files.exists(jcmd) ? jcmd.toString() : "jcmd", Long.toString(pid), command)
        .redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("jcmd " + command + " failed: " + text);
    }
    return text;
  }
}
