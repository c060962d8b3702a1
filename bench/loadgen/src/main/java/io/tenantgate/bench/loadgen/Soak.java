package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code loadgen soak}: a mixed, long-running load against one running gateway (bench/soak.sh starts
 * it), sampled every {@code --sample}: well-behaved tenants over HTTP/1.1, HTTP/2, gRPC (unary and
 * recycled bidi streams) and the NATS bridge (HTTP publish and recycled WebSockets), one tenant
 * flooding far over its request quota, and hostile clients (slowloris, HTTP/2 rapid reset, bad
 * certificates). Each sample records the gateway's RSS, heap after a full GC, direct memory, open
 * file descriptors, threads, what every kind of traffic got so far and the gateway's refusals by
 * reason ({@link SoakSampler}); the end prints the verdict: memory and descriptor slopes over the
 * second half, error counts. Exit 1 when the gateway died or any error happened (an error is
 * anything a kind did not expect: a failed well-behaved request, a flooder's reply other than 200 or
 * 429 tenant_rate_limited, a slowloris connection left open, a bad certificate served).
 */
final class Soak {
  private Soak() {
  }

  /** Everything the soak is told. Rates are per second, before {@code rateScale}. */
  record Settings(String host, int port, long pid, String ops, Path ca, Duration duration, Duration sample,
      double rateScale, Duration timeout, int maxInFlight, int clientKeepAliveSeconds, int bidiStreams,
      int bidiMessages, Duration bidiInterval, int webSockets, Duration wsInterval, Duration wsLifetime,
      double floodRateBase, int slowloris, Duration edgeIdleTimeout, double resetsPerSecondBase,
      double badCertsPerSecondBase, boolean gc, Duration ramp, boolean resetWithBody) {

    double rate(double base) {
      return base * rateScale;
    }

    double floodRate() {
      return rate(floodRateBase);
    }

    double resetsPerSecond() {
      return rate(resetsPerSecondBase);
    }

    double badCertsPerSecond() {
      return rate(badCertsPerSecondBase);
    }
  }

  static void main(Args a) throws Exception {
    String target = a.required("target");
    int colon = target.lastIndexOf(':');
    Path certs = Path.of(a.required("certs"));
    String rogueDir = a.string("rogue", null);
    String flood = a.string("flood-tenant", null);
    int threads = a.integer("threads", 2);
    String csv = a.string("csv", null);
    String md = a.string("md", null);
    double maxHeapSlope = a.decimal("max-heap-slope", 0);
    double maxFdSlope = a.decimal("max-fd-slope", 0);
    Settings s = new Settings(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)),
        a.longValue("pid", 0), a.required("ops"), Path.of(a.required("ca")),
        a.duration("duration", Duration.ofMinutes(30)), a.duration("sample", Duration.ofSeconds(30)),
        a.decimal("rate-scale", 1), a.duration("timeout", Duration.ofSeconds(30)), a.integer("max-in-flight", 200),
        a.integer("client-keep-alive", 10), a.integer("bidi-streams", 8), a.integer("bidi-messages", 150),
        a.duration("bidi-interval", Duration.ofMillis(200)), a.integer("websockets", 8),
        a.duration("ws-interval", Duration.ofMillis(250)), a.duration("ws-lifetime", Duration.ofSeconds(60)),
        a.decimal("flood-rate", 50), a.integer("slowloris", 20),
        a.duration("edge-idle-timeout", Duration.ofSeconds(15)), a.decimal("resets-per-second", 50),
        a.decimal("bad-certs-per-second", 2), !a.flag("no-gc"), a.duration("ramp", Duration.ofSeconds(30)),
        a.flag("reset-with-body"));
    a.rejectUnknown();
    if (s.pid() <= 0) {
      throw new IllegalArgumentException("--pid (the gateway's) is required: its memory and descriptors are sampled");
    }

    Identities all = Identities.load(certs, 0);
    List<Identities.Identity> normal = new ArrayList<>();
    List<Identities.Identity> flooder = new ArrayList<>();
    for (Identities.Identity id : all.list()) {
      (id.tenant().equals(flood) ? flooder : normal).add(id);
    }
    if (normal.isEmpty() || (flood != null && flooder.isEmpty())) {
      throw new IllegalArgumentException("--flood-tenant " + flood + ": need its identities and others' under " + certs);
    }
    List<Identities.Identity> rogue = rogueDir == null ? List.of() : Identities.load(Path.of(rogueDir), 0).list();

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads).setPreferNativeTransport(true));
    int status;
    try {
      List<Context> contexts = LoadGen.contexts(vertx, threads);
      SoakTraffic traffic = new SoakTraffic(vertx, contexts, s, normal, flooder);
      SoakHostile hostile = new SoakHostile(vertx, contexts, s,
          flooder.isEmpty() ? normal.get(normal.size() - 1) : flooder.get(0), rogue);
      List<Tally> tallies = new ArrayList<>(traffic.tallies());
      tallies.addAll(hostile.tallies());
      SoakSampler sampler = new SoakSampler(s, tallies, csv == null ? null : Path.of(csv), md == null ? null : Path.of(md));
      System.err.printf("[soak] %d well-behaved identities (%d tenants), flooder %s (%d identities), %d rogue;"
              + " %s, sample every %s, rate scale %.2f%n", normal.size(),
          normal.stream().map(Identities.Identity::tenant).distinct().count(), flood, flooder.size(), rogue.size(),
          s.duration(), s.sample(), s.rateScale());
      sampler.sample(); // the baseline, before any load
      traffic.start();
      hostile.start();
      boolean alive = sampler.runFor(s.duration());
      traffic.stopped = true;
      hostile.stopped = true;
      // let what is in flight finish: errors after this point are the soak's own shutdown, not counted
      Thread.sleep(2000);
      List<Map<String, Object>> finalCounts = sampler.freeze();
      alive = alive && sampler.sample();
      Future.join(traffic.stop(), hostile.stop()).await();
      status = sampler.verdict(alive, finalCounts, hostile.goAways(), maxHeapSlope, maxFdSlope);
    } finally {
      vertx.close().await();
    }
    System.exit(status);
  }
}
