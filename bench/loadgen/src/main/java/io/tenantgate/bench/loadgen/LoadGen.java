package io.tenantgate.bench.loadgen;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The benchmark's load generator (bench/run.sh). Subcommands:
 * <ul>
 *   <li>{@code run}: drive one or more targets, one after the other, with the same load; one JSON
 *       line per target;</li>
 *   <li>{@code idle}: hold N idle mTLS connections and report the server's memory per connection;</li>
 *   <li>{@code soak}: a long mixed load (h1/h2/gRPC/NATS, a flooder, hostile clients) against one
 *       gateway, sampling its memory, descriptors and refusals (bench/soak.sh);</li>
 *   <li>{@code paced}: one tenant's Poisson-paced requests through a schedule of phases, latency per
 *       phase (bench/quota-flood.sh);</li>
 *   <li>{@code upstream}: the trivial upstream both gateways forward to;</li>
 *   <li>{@code report}: turn result lines into docs/performance.md.</li>
 * </ul>
 * wrk and h2load cannot present client certificates, hence a generator of our own.
 */
public final class LoadGen {
  private LoadGen() {
  }

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h")) {
      usage();
      System.exit(argv.length == 0 ? 2 : 0);
    }
    try {
      switch (argv[0]) {
        case "run" -> run(new Args(argv, 1));
        case "idle" -> IdleRun.main(new Args(argv, 1));
        case "soak" -> Soak.main(new Args(argv, 1));
        case "paced" -> Paced.main(new Args(argv, 1));
        case "profile" -> profile(new Args(argv, 1));
        case "upstream" -> Upstream.main(new Args(argv, 1));
        case "report" -> Report.main(new Args(argv, 1));
        default -> {
          System.err.println("unknown command '" + argv[0] + "'");
          usage();
          System.exit(2);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("loadgen " + argv[0] + ": " + e.getMessage());
      System.exit(2);
    }
  }

  private static void usage() {
    System.err.println("""
        usage: java -jar loadgen.jar COMMAND [options]
          run      --target NAME,HOST:PORT[,PID] (repeatable) --certs DIR --ca FILE
                   [--modes h1,h1-rate,h2,full,resumed,grpc-unary,grpc-bidi] [--rounds 1] [--prewarm 0s] [--warmup 5s] [--duration 10s]
                   [--connections 50 (h1)] [--h2-connections 10] [--streams 10] [--handshake-concurrency 32]
                   [--rate 0 (closed loop)] [--rate-fraction 0.5] [--rate-reference FIRST-TARGET]
                   [--threads 2] [--path /bench] [--max-certs 0 (all)] [--engine auto|openssl|jdk]
                   [--timeout 10s] [--pause 1s] [--min-requests 0] [--tag KEY=VALUE]... [--out FILE]
                   --min-requests N stretches warm-up and measurement (up to 45 s each) until N completed.
                   Each round runs every mode against every target (order reversed on even rounds);
                   MODE-rate runs MODE at fixed rate = rate-fraction x the reference target's h1 req/s.
          idle     --target NAME,HOST:PORT,PID (repeatable; one after the other) --certs DIR --ca FILE
                   [--count 1000] [--concurrency 64] [--max-certs 0] [--settle 2s] [--pause 2s] [--hold 0s]
                   [--tag KEY=VALUE]... [--out FILE]
          soak     --target HOST:PORT --pid GATEWAY-PID --ops http://HOST:OPS-PORT --certs DIR --ca FILE
                   [--duration 30m] [--sample 30s] [--flood-tenant SLUG] [--rogue DIR] [--rate-scale 1]
                   [--csv FILE] [--md FILE] [--edge-idle-timeout 15s] [--max-heap-slope 0 (MiB/10min, 0 = report only)]
                   [--threads 2] [--timeout 30s] [--max-in-flight 200] [--client-keep-alive 10 (s)]
                   [--bidi-streams 8] [--bidi-messages 150] [--bidi-interval 200ms] [--websockets 8]
                   [--ws-interval 250ms] [--ws-lifetime 60s] [--flood-rate 50] [--slowloris 20]
                   [--resets-per-second 50] [--bad-certs-per-second 2] [--ramp 30s] [--no-gc]
                   [--reset-with-body (rapid reset of POSTs whose body never comes, instead of complete GETs)]
                   Rates (per second: h1 40, h2 40, gRPC unary 20, NATS HTTP publish 20, and the ones above)
                   are multiplied by --rate-scale. Exit 1 when the gateway died or anything unexpected failed.
          paced    --target HOST:PORT --certs DIR --ca FILE --phases NAME:DURATION,... [--tenant SLUG]
                   [--rate 50 (mean req/s, Poisson arrivals)] [--send-in NAME,... (default: every phase)]
                   [--start-at EPOCH-MS (shared by the processes of one run)] [--connections 4 (certificates)]
                   [--protocol h2|h1] [--max-in-flight 64] [--path /quota] [--timeout 10s] [--seed N]
                   [--label NAME] [--out FILE] [--compare BASE,UNDER [--max-p99-ratio 1.10] [--max-success-drop 0.10]]
                   [--strict NAME,... (phases that must offer their full load)]
                   One JSON line per phase; with --compare a verdict line, exit 1 when UNDER missed the bar
                   or a --strict phase fell short; exit 3 when started after --start-at.
          profile  --jfr FILE [--top 15] [--during TEXT] the Java hot path of a JFR recording, as docs/performance.md shows it
          upstream [--host 127.0.0.1] [--port 0] [--body-size 64] [--threads 1] [--require-header x-tenant-slug]
          report   --results FILE --machine FILE [--out docs/performance.md] [--notes FINDINGS.md]
                   [--jfr tenantgate.jfr] [--check [--expect-runs N]]
        """);
  }

  private static void profile(Args args) throws java.io.IOException {
    Path jfr = Path.of(args.required("jfr"));
    int top = args.integer("top", 15);
    String during = args.string("during", "during the recording");
    args.rejectUnknown();
    System.out.println(Profile.markdown(jfr, top, during));
  }

  private static void run(Args args) throws Exception {
    List<String> modes = List.of(args.string("modes", args.string("mode", "h1")).split(","));
    List<Target> targets = args.all("target").stream().map(Target::parse).toList();
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("--target is required");
    }
    int rounds = args.integer("rounds", 1);
    Duration prewarm = args.duration("prewarm", Duration.ZERO);
    int threads = args.integer("threads", 2);
    Path certs = Path.of(args.required("certs"));
    Path ca = Path.of(args.required("ca"));
    int maxCerts = args.integer("max-certs", 0);
    String engine = args.string("engine", "auto");
    Duration pause = args.duration("pause", Duration.ofSeconds(1));
    List<String> tags = args.all("tag");
    String out = args.string("out", null);
    int connections = args.integer("connections", 50);
    int h2Connections = args.integer("h2-connections", 10);
    int streams = args.integer("streams", 10);
    int handshakeConcurrency = args.integer("handshake-concurrency", 32);
    double rate = args.decimal("rate", 0);
    double rateFraction = args.decimal("rate-fraction", 0.5);
    String rateReference = args.string("rate-reference", targets.get(0).name());
    Duration warmup = args.duration("warmup", Duration.ofSeconds(5));
    Duration duration = args.duration("duration", Duration.ofSeconds(10));
    String path = args.string("path", "/bench");
    Duration timeout = args.duration("timeout", Duration.ofSeconds(10));
    int maxOutstanding = args.integer("max-outstanding", 20000);
    int minRequests = args.integer("min-requests", 0);
    args.rejectUnknown();

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads).setPreferNativeTransport(true));
    try {
      List<Context> contexts = contexts(vertx, threads);
      Identities ids = Identities.load(certs, maxCerts);
      // JIT warm-up of every target (and of this generator): results discarded
      if (!prewarm.isZero()) {
        Duration each = prewarm.dividedBy(modes.size());
        for (Target t : targets) {
          for (String m : modes) {
            LoadRun.Mode mode = LoadRun.Mode.parse(m.replace("-rate", ""));
            int conns = mode.multiplexed() ? h2Connections
                : mode.newConnectionPerRequest() ? handshakeConcurrency : connections;
            JsonObject r = new LoadRun(vertx, contexts, new LoadRun.Settings(mode, conns, streams, 0, Duration.ZERO,
                each, path, ca, ids, Tls.engine(engine), timeout, maxOutstanding, 0)).run(t);
            System.err.println("prewarm " + t.name() + " " + m + ": " + r.getValue("rps") + " req/s, "
                + r.getValue("errors") + " errors");
          }
        }
      }
      boolean first = true;
      for (int round = 1; round <= rounds; round++) {
        // alternate the order so neither target always runs first (or on a warmer machine)
        List<Target> order = new ArrayList<>(targets);
        if (round % 2 == 0) {
          Collections.reverse(order);
        }
        java.util.Map<String, Double> h1Rps = new java.util.HashMap<>();
        for (String m : modes) {
          boolean fixedRate = m.endsWith("-rate");
          LoadRun.Mode mode = LoadRun.Mode.parse(m.replace("-rate", ""));
          double runRate = rate;
          if (fixedRate) {
            Double ref = h1Rps.get(rateReference);
            if (ref == null) {
              throw new IllegalArgumentException(m + " needs a closed-loop h1 run of '" + rateReference
                  + "' earlier in the same round (list h1 before " + m + " in --modes)");
            }
            runRate = Math.max(1, Math.round(ref * rateFraction)); // 1/s when the reference failed
          }
          int conns = mode.multiplexed() ? h2Connections
              : mode.newConnectionPerRequest() ? handshakeConcurrency : connections;
          for (Target t : order) {
            if (!first) {
              Thread.sleep(pause.toMillis());
            }
            first = false;
            LoadRun.Settings settings = new LoadRun.Settings(mode, conns, streams, runRate, warmup, duration, path,
                ca, ids, Tls.engine(engine), timeout, maxOutstanding, minRequests);
            JsonObject result = new LoadRun(vertx, contexts, settings).run(t);
            if (mode == LoadRun.Mode.H1 && !fixedRate) {
              h1Rps.put(t.name(), result.getDouble("rps"));
            }
            JsonObject line = new JsonObject().put("round", round).mergeIn(result)
                .put("mode", m)
                .put("client_native_transport", vertx.isNativeTransportEnabled());
            emit(addTags(line, tags), out);
          }
        }
      }
    } finally {
      vertx.close().await();
    }
  }

  /** One event-loop context per thread: workers are spread over them. */
  static List<Context> contexts(Vertx vertx, int threads) {
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(threads)).await();
    return List.copyOf(contexts);
  }

  static JsonObject addTags(JsonObject result, List<String> tags) {
    JsonObject out = new JsonObject();
    for (String t : tags) {
      int eq = t.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--tag must be KEY=VALUE, got '" + t + "'");
      }
      String v = t.substring(eq + 1);
      out.put(t.substring(0, eq), v.matches("-?\\d+") ? (Object) Long.parseLong(v) : v);
    }
    return out.mergeIn(result);
  }

  static void emit(JsonObject result, String outFile) throws IOException {
    String line = result.encode();
    System.out.println(line);
    System.out.flush();
    if (outFile != null) {
      Files.writeString(Path.of(outFile), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }
}
