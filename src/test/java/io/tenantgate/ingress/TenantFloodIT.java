package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.testing.Await;
import io.tenantgate.testing.GatewayFixture;
import io.tenantgate.testing.TestPki.ClientCert;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's quota behaviour under a flood: one tenant sending at 10x its request quota while another
 * tenant's requests all succeed with their latency close to a solo run. Load comes from a Vert.x instance
 * of its own (the gateway's event loops serve only the gateway), paced by timers: the quiet tenant sends
 * 40 requests per second on its own HTTP/2 connection, the flooder ten times its quota of 20 over HTTP/2,
 * with at most 64 requests in flight (a fleet of 64 agents).
 *
 * <p>It runs 5 s per phase and asserts what is stable on a shared two-core box: every request of the
 * quiet tenant succeeds in both runs, its median and p99 stay within generous bounds of its solo run (or,
 * when the machine was starved during the flood, no worse than the flooder's own), the flooder gets 429s,
 * each counted, and core sees only the admitted ones. The exact bar (p99 and success rate within
 * 10 % of the solo run) is measured by {@code bench/quota-flood.sh}: the gateway, the quiet fleet and the
 * flooding fleet in three processes, minutes per phase after a JIT warm-up.
 */
class TenantFloodIT {
  /** acme's quota: 20, so the flood loads shared CI cores little. */
  private static final int QUOTA = 20;
  private static final int FLOOD_RATE = 10 * QUOTA;
  private static final int QUIET_RATE = 40;
  /** The flooding fleet: this many requests waiting at most (a fleet of this many agents). */
  private static final int FLOOD_IN_FLIGHT = 64;

  /** What one paced load produced. */
  record Load(List<Long> latencies, int ok, int limited, int failed, int notSent) {
    long p99Micros() {
      return percentile(0.99);
    }

    long p50Micros() {
      return percentile(0.50);
    }

    private long percentile(double p) {
      List<Long> sorted = new ArrayList<>(latencies);
      Collections.sort(sorted);
      return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1000;
    }

    double successRate() {
      int all = ok + limited + failed;
      return all == 0 ? 0 : ok / (double) all;
    }

    @Override
    public String toString() {
      return String.format("ok=%d limited=%d failed=%d success=%.4f p50=%dus p99=%dus%s", ok, limited, failed,
          successRate(), p50Micros(), p99Micros(), notSent == 0 ? "" : " not-sent(all in flight)=" + notSent);
    }
  }

  @Test
  void oneTenantFloodingAtTenTimesItsQuotaLeavesAnotherTenantsRequestsSucceedingAndFast() {
    Vertx vertx = GatewayFixture.testVertx();
    Vertx load = Vertx.vertx();
    GatewayFixture gw = GatewayFixture.start(vertx, cfg -> cfg.put("accessLog", java.util.Map.of("enabled", false)));
    try {
      RegistryFile file = gw.pki.registry();
      file.setTenantLimits("acme", TenantLimits.parse(new JsonObject().put("rps", QUOTA), "test"));
      gw.writeRegistry(file);
      Await.until(() -> gw.gateway.quotas().of(io.tenantgate.testing.TestPki.ACME_ID).limits().rps() == QUOTA,
          Duration.ofSeconds(5), "acme's quota applied");
      HttpClient flooder = client(load, gw, gw.pki.component(gw.pki.acmeCa, "agent-flood", "acme"), HttpVersion.HTTP_2);
      // HTTP/2 for both: an HTTP/1.1 pool (5 connections, one request each) would queue the quiet tenant's
      // requests in the client as soon as the machine slows, measuring the client instead of the gateway
      HttpClient quiet = client(load, gw, gw.pki.component(gw.pki.globexCa, "agent-quiet", "globex"),
          HttpVersion.HTTP_2);
      Duration phase = Duration.ofSeconds(5);
      Duration warmUp = Duration.ofSeconds(3);

      // warm-up over both paths, the admitted and the refused, so the JIT does not compile them mid-run;
      // then a pause long enough for acme's bucket to refill
      Await.result(Future.all(paced(load, quiet, "/warm", QUIET_RATE, warmUp),
          paced(load, flooder, "/warm", FLOOD_RATE, warmUp)), warmUp.plusSeconds(30));
      Await.result(Future.future(p -> load.setTimer(1_500, id -> p.complete())));
      LoopDelay soloDelay = LoopDelay.now(gw);
      long cpu0 = cpuNanos();
      Load solo = Await.result(paced(load, quiet, "/solo", QUIET_RATE, phase), phase.plusSeconds(30));
      gw.core.clear();
      double refusedBefore = refusals(gw);
      LoopDelay soloLoops = LoopDelay.since(gw, soloDelay);
      long cpu1 = cpuNanos();
      LoopDelay before = LoopDelay.now(gw);
      Future<Load> flood = paced(load, flooder, "/flood", FLOOD_RATE, phase.plusMillis(500), FLOOD_IN_FLIGHT);
      Load during = Await.result(paced(load, quiet, "/during", QUIET_RATE, phase), phase.plusSeconds(30));
      Load flooded = Await.result(flood, phase.plusSeconds(30));
      LoopDelay floodLoops = LoopDelay.since(gw, before);
      long cpu2 = cpuNanos();

      System.out.printf("%nquota flood (%d s per phase): acme quota %d rps, offered %d rps%n"
              + "  globex solo:         %s%n  globex during flood: %s%n  acme flooding:       %s%n"
              + "  globex p99 during/solo = %.2f%n  gateway event-loop delay: solo %s, flood %s%n"
              + "  test JVM CPU (gateway + load + core): solo %.2f s, flood %.2f s over %d s per phase%n%n",
          phase.toSeconds(), QUOTA, FLOOD_RATE, solo, during, flooded,
          during.p99Micros() / (double) Math.max(1, solo.p99Micros()), soloLoops, floodLoops, (cpu1 - cpu0) / 1e9,
          (cpu2 - cpu1) / 1e9, phase.toSeconds());

      System.out.println("  busiest threads (CPU s since start): " + busiestThreads(6));
      assertEquals(0, solo.failed() + solo.limited(), "globex alone: " + solo);
      assertEquals(0, during.failed() + during.limited(), "globex during acme's flood: " + during);
      assertTrue(flooded.limited() > flooded.ok(), "acme is mostly refused: " + flooded);
      double seconds = phase.toMillis() / 1000.0 + 0.5;
      assertTrue(flooded.ok() <= QUOTA + QUOTA * seconds + QUOTA, "acme admitted at most burst + rate x time: "
          + flooded);
      long acmeAtCore = gw.core.seen().stream().filter(s -> "acme".equals(s.header("x-tenant-slug"))).count();
      assertEquals(flooded.ok(), acmeAtCore, "core saw exactly acme's admitted requests");
      assertEquals(flooded.limited(), refusals(gw) - refusedBefore, 1e-9, "every 429 counted");
      // 5 s on shared CI cores, where JIT compilation and other processes decide a p99 of 200 samples:
      // globex passes when it stays near its solo run, or — when the whole machine was starved during the
      // flood (everyone slow) — when it was served no worse than the flooder itself. A shared bucket or a
      // lock would show as 429s or as globex waiting behind acme; the 10 % bar is bench/quota-flood.sh's
      boolean nearSolo = during.p50Micros() <= 3 * solo.p50Micros() + 100_000
          && during.p99Micros() <= Math.max(5 * solo.p99Micros(), solo.p99Micros() + 1_000_000);
      boolean noWorseThanTheFlooder = during.p50Micros() <= 1.5 * flooded.p50Micros() + 50_000
          && during.p99Micros() <= 1.5 * flooded.p99Micros() + 100_000;
      assertTrue(nearSolo || noWorseThanTheFlooder, "globex's latency during the flood: " + during
          + "; solo: " + solo + "; acme: " + flooded);
    } finally {
      gw.close();
      Await.result(load.close());
      Await.result(vertx.close());
    }
  }

  /**
   * The gateway's event-loop delay over a phase ({@code tenantgate.event.loop.delay}, sampled every 500 ms
   * per loop): how late its loops ran, i.e. whether the gateway itself or the machine was saturated.
   */
  record LoopDelay(long count, double totalMillis, double maxMillis) {
    static LoopDelay now(GatewayFixture gw) {
      var t = gw.gateway.metrics().registry().find("tenantgate.event.loop.delay").timer();
      return t == null ? new LoopDelay(0, 0, 0)
          : new LoopDelay(t.count(), t.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS),
              t.max(java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    static LoopDelay since(GatewayFixture gw, LoopDelay start) {
      LoopDelay end = now(gw);
      return new LoopDelay(end.count - start.count, end.totalMillis - start.totalMillis, end.maxMillis);
    }

    @Override
    public String toString() {
      return String.format("mean %.1f ms, recent max %.0f ms", count == 0 ? 0 : totalMillis / count, maxMillis);
    }
  }

  /** Where this JVM's CPU went: the busiest threads by CPU time (the gateway's loops, the load's, C2, GC). */
  private static String busiestThreads(int n) {
    var mx = java.lang.management.ManagementFactory.getThreadMXBean();
    List<String> out = new ArrayList<>();
    java.util.Arrays.stream(mx.getThreadInfo(mx.getAllThreadIds())).filter(java.util.Objects::nonNull)
        .map(t -> java.util.Map.entry(t.getThreadName(), mx.getThreadCpuTime(t.getThreadId())))
        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .forEach(e -> out.add(String.format("%s=%.1f", e.getKey(), e.getValue() / 1e9)));
    return String.join(", ", out);
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static double refusals(GatewayFixture gw) {
    return gw.gateway.metrics().count("tenantgate.refusals", "reason", "tenant_rate_limited", "tenant", "acme",
        "stage", "request");
  }

  private static HttpClient client(Vertx load, GatewayFixture gw, ClientCert cert, HttpVersion version) {
    HttpClientOptions o = gw.baseOptions(version).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(cert.chainPem().toString()).setKeyPath(cert.keyPem().toString()));
    return load.createHttpClient(o);
  }

  /**
   * {@code perSecond} GETs for {@code d}, started on a 10 ms timer whatever the answers (an open-loop
   * load, as a fleet sends); completes once every request is answered.
   */
  private static Future<Load> paced(Vertx load, HttpClient client, String path, int perSecond, Duration d) {
    return paced(load, client, path, perSecond, d, Integer.MAX_VALUE);
  }

  /**
   * As {@link #paced(Vertx, HttpClient, String, int, Duration)}, with at most {@code maxInFlight} requests
   * waiting for an answer (a fleet has that many agents): when they are all waiting, the next ones are not
   * sent, as an agent would not send them either.
   */
  private static Future<Load> paced(Vertx load, HttpClient client, String path, int perSecond, Duration d,
      int maxInFlight) {
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger pending = new AtomicInteger();
    AtomicInteger notSent = new AtomicInteger();
    Promise<Load> done = Promise.promise();
    long start = System.nanoTime();
    long end = start + d.toNanos();
    long[] sent = {0};
    java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable finishIfIdle = () -> {
      if (stopped.get() && pending.get() == 0) {
        done.tryComplete(new Load(List.copyOf(latencies), ok.get(), limited.get(), failed.get(), notSent.get()));
      }
    };
    load.runOnContext(x -> load.setPeriodic(1, 10, id -> {
      long now = System.nanoTime();
      long due = Math.min(now, end) - start;
      long target = due * perSecond / 1_000_000_000L;
      while (sent[0] < target) {
        sent[0]++;
        if (pending.get() >= maxInFlight) {
          notSent.incrementAndGet();
          continue;
        }
        pending.incrementAndGet();
        long t0 = System.nanoTime();
        client.request(new RequestOptions().setURI(path + "/" + sent[0]))
            .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
            .onComplete(ar -> {
              if (ar.succeeded() && ar.result() == 200) {
                latencies.add(System.nanoTime() - t0);
                ok.incrementAndGet();
              } else if (ar.succeeded() && ar.result() == 429) {
                limited.incrementAndGet();
              } else {
                failed.incrementAndGet();
              }
              pending.decrementAndGet();
              finishIfIdle.run();
            });
      }
      if (now - end >= 0) {
        load.cancelTimer(id);
        stopped.set(true);
        finishIfIdle.run();
      }
    }));
    return done.future();
  }
}
