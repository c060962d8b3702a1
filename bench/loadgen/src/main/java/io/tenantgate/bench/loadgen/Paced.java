package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.JksOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One tenant's fleet sending at a fixed mean rate through a schedule of phases ({@code bench/quota-flood.sh}):
 * requests arrive as a Poisson process (independent agents, not a metronome that lines up with another
 * load's ticks), each on one of the tenant's certificates' HTTP/2 (or HTTP/1.1) connections, at most
 * {@code --max-in-flight} waiting (an agent with a request outstanding does not send another). Several
 * processes given the same {@code --start-at} and {@code --phases} share one clock: the quiet tenant sends
 * in every phase, the flooder only in the phases {@code --send-in} names.
 *
 * <p>Per phase it records the latency of every 200 (HdrHistogram, from the arrival's scheduled time to the
 * response's last byte, so time held up in this process counts), 429s (with the gateway's reason and
 * Retry-After checked), other failures by kind, and requests not sent because all were in flight (they
 * count as failures in the success rate). With {@code --compare BASE,UNDER --max-p99-ratio R} it pools
 * the phases of each name and exits 1 when UNDER's p99 exceeds BASE's by more than R, or its success rate
 * is lower than BASE's by more than the fraction {@code --max-success-drop}. With {@code --strict NAME,...}
 * it exits 1 when a phase of those names did not offer its load (a failure, a request held back by the
 * in-flight cap, or under 95 % of rate x length answered). Exit 3: started after {@code --start-at}.
 */
final class Paced {
  /** One phase's numbers; touched only on the client's event loop until the run is over. */
  static final class PhaseStats {
    final String name;
    final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    long ok;
    long limited;
    long limitedWithoutRetryAfter;
    long failed;
    long notSent;
    final Map<String, Long> failures = new LinkedHashMap<>();

    PhaseStats(String name) {
      this.name = name;
    }

    void add(PhaseStats o) {
      latency.add(o.latency);
      ok += o.ok;
      limited += o.limited;
      limitedWithoutRetryAfter += o.limitedWithoutRetryAfter;
      failed += o.failed;
      notSent += o.notSent;
      o.failures.forEach((k, v) -> failures.merge(k, v, Long::sum));
    }

    /** Answered 200 ÷ everything the fleet wanted to send (requests not sent because all were in flight count as failures). */
    double successRate() {
      long all = ok + limited + failed + notSent;
      return all == 0 ? 0 : ok / (double) all;
    }

    long offered() {
      return ok + limited + failed + notSent;
    }

    JsonObject json() {
      JsonObject j = new JsonObject().put("phase", name).put("ok", ok).put("limited", limited)
          .put("limitedWithoutRetryAfter", limitedWithoutRetryAfter).put("failed", failed).put("notSent", notSent)
          .put("successRate", successRate());
      if (latency.getTotalCount() > 0) {
        j.put("p50ms", ms(latency.getValueAtPercentile(50))).put("p99ms", ms(latency.getValueAtPercentile(99)))
            .put("p999ms", ms(latency.getValueAtPercentile(99.9))).put("maxms", ms(latency.getMaxValue()));
      }
      if (!failures.isEmpty()) {
        j.put("failures", new JsonObject(new LinkedHashMap<>(failures)));
      }
      return j;
    }

    private static double ms(long nanos) {
      return Math.round(nanos / 1_000.0) / 1_000.0;
    }
  }

  record Phase(String name, Duration length) {
    static List<Phase> parse(String spec) {
      List<Phase> out = new ArrayList<>();
      for (String p : spec.split(",")) {
        int colon = p.indexOf(':');
        if (colon <= 0) {
          throw new IllegalArgumentException("--phases wants NAME:DURATION,..., got '" + p + "'");
        }
        out.add(new Phase(p.substring(0, colon), Args.parseDuration(p.substring(colon + 1))));
      }
      return out;
    }
  }

  private Paced() {
  }

  static void main(Args args) throws Exception {
    String target = args.required("target");
    Path certs = Path.of(args.required("certs"));
    Path ca = Path.of(args.required("ca"));
    String tenant = args.string("tenant", null);
    int connections = args.integer("connections", 4);
    double rate = args.decimal("rate", 50);
    List<Phase> phases = Phase.parse(args.required("phases"));
    Set<String> sendIn = args.string("send-in", null) == null ? null : Set.of(args.string("send-in", "").split(","));
    long startAt = args.longValue("start-at", System.currentTimeMillis() + 2_000);
    String protocol = args.string("protocol", "h2");
    int maxInFlight = args.integer("max-in-flight", 64);
    String path = args.string("path", "/quota");
    long seed = args.longValue("seed", System.nanoTime());
    Duration timeout = args.duration("timeout", Duration.ofSeconds(10));
    String label = args.string("label", tenant == null ? "load" : tenant);
    String out = args.string("out", null);
    String compare = args.string("compare", null);
    double maxP99Ratio = args.decimal("max-p99-ratio", 1.10);
    double maxSuccessDrop = args.decimal("max-success-drop", 0.10);
    Set<String> strict = args.string("strict", null) == null ? Set.of()
        : new java.util.HashSet<>(List.of(args.string("strict", "").split(",")));
    args.rejectUnknown();
    for (String name : strict) {
      if (phases.stream().noneMatch(p -> p.name().equals(name))) {
        throw new IllegalArgumentException("--strict names a phase not in --phases: " + name);
      }
    }
    if (!protocol.equals("h2") && !protocol.equals("h1")) {
      throw new IllegalArgumentException("--protocol is h2 or h1");
    }
    int colon = target.lastIndexOf(':');
    String host = target.substring(0, colon);
    int port = Integer.parseInt(target.substring(colon + 1));

    List<Identities.Identity> ids = Identities.load(certs, 0).list().stream()
        .filter(id -> tenant == null || id.tenant().equals(tenant)).limit(connections).toList();
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("no certificate of tenant " + tenant + " under " + certs);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
    Context ctx = vertx.getOrCreateContext();
    JksOptions trust = Identities.trust(ca);
    List<HttpClientAgent> clients = new ArrayList<>();
    for (Identities.Identity id : ids) {
      boolean h2 = protocol.equals("h2");
      HttpClientOptions o = new HttpClientOptions().setSsl(true).setUseAlpn(h2)
          .setProtocolVersion(h2 ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1).setSslEngineOptions(Tls.engine("auto"))
          .setKeyCertOptions(id.keyCert()).setTrustOptions(trust).setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
          .setVerifyHost(true).setTcpNoDelay(true).setConnectTimeout((int) timeout.toMillis()).setKeepAlive(true)
          .setKeepAliveTimeout(0).setHttp2KeepAliveTimeout(0).setHttp2MultiplexingLimit(maxInFlight)
          .setDefaultHost(host).setDefaultPort(port);
      clients.add(vertx.httpClientBuilder().with(o)
          .with(new PoolOptions().setHttp1MaxSize(maxInFlight).setHttp2MaxSize(1).setMaxWaitQueueSize(-1)).build());
    }

    List<PhaseStats> stats = new ArrayList<>();
    for (Phase p : phases) {
      stats.add(new PhaseStats(p.name()));
    }
    int[] inFlight = {0};
    long[] sent = {0};
    CountDownLatch drained = new CountDownLatch(1);
    boolean[] senderDone = {false};
    Random random = new Random(seed);
    System.err.printf("paced %s: %.1f req/s (Poisson) over %d %s connection(s) of %s, phases %s, sending in %s%n",
        label, rate, ids.size(), protocol, tenant == null ? "every tenant" : tenant, phases,
        sendIn == null ? "all" : sendIn);

    // the sender: a thread of its own sleeps until each arrival and hands the request to the event loop
    long lead = startAt - System.currentTimeMillis();
    if (lead < 0) {
      // the other fleets started on time: phases would no longer line up (flood spilling into a solo phase)
      System.err.println("paced " + label + ": started " + -lead + " ms after --start-at; the schedule is lost");
      vertx.close();
      System.exit(3);
    }
    long startNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lead);
    long next = startNanos;
    long phaseEnd = startNanos;
    for (int i = 0; i < phases.size(); i++) {
      Phase phase = phases.get(i);
      long phaseStart = phaseEnd;
      phaseEnd = phaseStart + phase.length().toNanos();
      boolean active = sendIn == null || sendIn.contains(phase.name());
      if (!active) {
        next = phaseEnd;
        continue;
      }
      next = Math.max(next, phaseStart);
      while (next < phaseEnd) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
          continue;
        }
        PhaseStats st = stats.get(i);
        long n = ++sent[0];
        long scheduled = next;
        ctx.runOnContext(v -> {
          if (inFlight[0] >= maxInFlight) {
            st.notSent++;
            return;
          }
          inFlight[0]++;
          clients.get((int) (n % clients.size())).request(new RequestOptions().setMethod(HttpMethod.GET)
                  .setURI(path + "/" + st.name + "/" + n).setTimeout(timeout.toMillis()))
              .compose(req -> req.send().compose(resp -> resp.body().map(b -> {
                if (resp.statusCode() == 429) {
                  String reason = b.length() > 0 && b.getByte(0) == '{' ? b.toJsonObject().getString("reason") : null;
                  return resp.getHeader("retry-after") == null ? "429-no-retry-after " + reason : "429 " + reason;
                }
                return Integer.toString(resp.statusCode());
              })))
              .onComplete(ar -> {
                // from the arrival's scheduled time: a request held up in this process counts too
                long took = System.nanoTime() - scheduled;
                String result = ar.succeeded() ? ar.result() : Tally.kind(ar.cause());
                if (result.equals("200")) {
                  st.ok++;
                  st.latency.recordValue(Math.min(took, st.latency.getHighestTrackableValue()));
                } else if (result.startsWith("429 tenant_rate_limited")) {
                  st.limited++;
                } else if (result.startsWith("429-no-retry-after tenant_rate_limited")) {
                  st.limited++;
                  st.limitedWithoutRetryAfter++;
                } else {
                  st.failed++;
                  st.failures.merge(result.length() > 80 ? result.substring(0, 80) : result, 1L, Long::sum);
                }
                if (--inFlight[0] == 0 && senderDone[0]) {
                  drained.countDown();
                }
              });
        });
        // exponential inter-arrival times: a Poisson process of mean rate `rate`
        next += (long) (-Math.log(1 - random.nextDouble()) * 1e9 / rate);
      }
      System.err.printf("paced %s: phase %d (%s) over%n", label, i + 1, phase.name());
    }
    ctx.runOnContext(v -> {
      senderDone[0] = true;
      if (inFlight[0] == 0) {
        drained.countDown();
      }
    });
    if (!drained.await(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
      System.err.println("paced " + label + ": requests still in flight after the timeout");
    }
    CountDownLatch read = new CountDownLatch(1);
    ctx.runOnContext(v -> read.countDown()); // happens-before: the event loop's writes to stats
    read.await();

    List<String> lines = new ArrayList<>();
    for (int i = 0; i < stats.size(); i++) {
      lines.add(stats.get(i).json().put("label", label).put("index", i + 1).put("rate", rate).encode());
    }
    int status = 0;
    for (int i = 0; i < stats.size(); i++) {
      PhaseStats st = stats.get(i);
      if (!strict.contains(st.name)) {
        continue;
      }
      // the offered load must really be the rate asked for: no failures, nothing held back by the
      // in-flight cap (which would turn an open-loop flood into a closed loop), at least 95 % of the expected count
      double expected = rate * phases.get(i).length().toMillis() / 1000.0;
      long delivered = st.ok + st.limited;
      if (st.failed > 0 || st.notSent > 0 || delivered < 0.95 * expected) {
        System.err.printf("paced %s: phase %d (%s) did not offer its load: %d answered of %.0f expected, %d failed,"
            + " %d not sent%n", label, i + 1, st.name, delivered, expected, st.failed, st.notSent);
        status = 1;
      }
    }
    if (compare != null) {
      String[] names = compare.split(",");
      PhaseStats base = pooled(stats, names[0]);
      PhaseStats under = pooled(stats, names[1]);
      if (base.latency.getTotalCount() == 0 || under.latency.getTotalCount() == 0) {
        // an argument error exits 2 at once (an uncaught exception would leave Vert.x's threads holding the JVM)
        throw new IllegalArgumentException("--compare: no successful request in the " + names[0] + " or " + names[1]
            + " phases");
      }
      double ratio = under.latency.getValueAtPercentile(99) / (double) base.latency.getValueAtPercentile(99);
      boolean p99ok = ratio <= maxP99Ratio;
      boolean successOk = under.successRate() >= base.successRate() * (1 - maxSuccessDrop);
      JsonObject verdict = new JsonObject().put("label", label).put("verdict", p99ok && successOk ? "PASS" : "FAIL")
          .put("p99Ratio", Math.round(ratio * 1000) / 1000.0).put("maxP99Ratio", maxP99Ratio)
          .put("successRatio", Math.round(under.successRate() / base.successRate() * 10000) / 10000.0)
          .put(names[0], base.json()).put(names[1], under.json());
      lines.add(verdict.encode());
      status = p99ok && successOk ? status : 1;
    }
    lines.forEach(System.out::println);
    if (out != null) {
      Files.write(Path.of(out), lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    vertx.close().await();
    System.exit(status);
  }

  private static PhaseStats pooled(List<PhaseStats> stats, String name) {
    PhaseStats all = new PhaseStats(name);
    stats.stream().filter(s -> s.name.equals(name)).forEach(all::add);
    if (all.offered() == 0) {
      throw new IllegalArgumentException("--compare: no requests in phases named " + name);
    }
    return all;
  }
}
