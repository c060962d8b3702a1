package io.tenantgate.bench.loadgen;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The soak's samples and verdict, on a thread of its own (never an event loop). A sample: the
 * gateway's RSS and threads ({@code /proc/PID/status}), open descriptors ({@code /proc/PID/fd}), heap
 * used right after a full GC ({@code jcmd PID GC.run}, then {@code jvm_memory_used_bytes{area="heap"}}
 * from the ops listener's /metrics), non-heap and direct memory, open connections, the gateway's
 * requests by status class and refusals by reason, and each kind's counts so far. Rows go to a CSV and
 * a markdown table as they are taken, so a soak cut short still leaves its table.
 */
final class SoakSampler {
  private static final double MIB = 1024.0 * 1024.0;

  private final Soak.Settings s;
  private final List<Tally> tallies;
  private final Path csv;
  private final Path md;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Map<String, Object>> rows = new ArrayList<>();
  private final long t0 = System.nanoTime();
  private List<Map<String, Object>> frozen;
  private Map<String, Double> lastRefusals = Map.of();
  private Map<String, Double> lastNatsErrors = Map.of();

  SoakSampler(Soak.Settings s, List<Tally> tallies, Path csv, Path md) {
    this.s = s;
    this.tallies = tallies;
    this.csv = csv;
    this.md = md;
  }

  /** Samples until {@code duration} has passed since the sampler was made; false when the gateway died. */
  boolean runFor(Duration duration) throws InterruptedException {
    long end = t0 + duration.toNanos();
    long next = System.nanoTime() + s.sample().toNanos();
    while (true) {
      long now = System.nanoTime();
      long wake = Math.min(next, end);
      if (wake > now) {
        TimeUnit.NANOSECONDS.sleep(wake - now);
      }
      if (!sample()) {
        return false;
      }
      if (System.nanoTime() >= end) {
        return true;
      }
      next += s.sample().toNanos();
    }
  }

  /** The kinds' counts from now on (the load has stopped): later samples and the verdict use these. */
  List<Map<String, Object>> freeze() {
    frozen = counts();
    return frozen;
  }

  private List<Map<String, Object>> counts() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Tally t : tallies) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", t.kind);
      m.put("hostile", t.hostile);
      m.put("ok", t.okCount());
      m.put("expected", t.expectedCount());
      m.put("errors", t.errorCount());
      m.put("skipped", t.skippedCount());
      m.put("error_kinds", t.errorKinds());
      m.put("expected_kinds", t.expectedKinds());
      out.add(m);
    }
    return out;
  }

  /** Takes one sample; false when the gateway is gone. */
  boolean sample() {
    Path proc = Path.of("/proc", Long.toString(s.pid()));
    if (!Files.isDirectory(proc)) {
      System.err.println("[soak] the gateway (pid " + s.pid() + ") is gone");
      return false;
    }
    if (s.gc()) {
      gc();
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("t_s", Math.round((System.nanoTime() - t0) / 1e9));
    row.put("phase", frozen == null ? (rows.isEmpty() ? "baseline" : "load") : "after");
    Map<String, String> status = procStatus(proc);
    row.put("rss_mib", round(kib(status.get("VmRSS")) / 1024.0));
    List<Metric> metrics = null;
    for (int attempt = 1; metrics == null; attempt++) {
      try {
        metrics = scrape();
      } catch (IOException | InterruptedException e) {
        System.err.println("[soak] /metrics attempt " + attempt + ": " + e);
        if (e instanceof InterruptedException || attempt == 3) {
          return false; // three misses in a row: the gateway is not answering
        }
        sleep(2000);
      }
    }
    row.put("heap_mib", round(sum(metrics, "jvm_memory_used_bytes", "area", "heap") / MIB));
    // what survived the full GC: the old generation (the young one refills between the GC and the scrape)
    row.put("old_mib", round(sum(metrics.stream().filter(m -> m.labels().getOrDefault("id", "").endsWith("Old Gen"))
        .toList(), "jvm_memory_used_bytes", "area", "heap") / MIB));
    row.put("nonheap_mib", round(sum(metrics, "jvm_memory_used_bytes", "area", "nonheap") / MIB));
    row.put("direct_mib", round(sum(metrics, "tenantgate_netty_pool_used_bytes", "memory", "direct") / MIB));
    row.put("fds", countFds(proc));
    row.put("threads", Long.parseLong(status.getOrDefault("Threads", "-1").trim()));
    row.put("conns", (long) sum(metrics, "tenantgate_connections_active", null, null));
    // the machine's 1-minute load average: on shared cores, errors under a high one say little about the gateway
    row.put("load1", loadAverage());
    List<Map<String, Object>> counts = frozen != null ? frozen : counts();
    for (Map<String, Object> c : counts) {
      row.put(c.get("kind") + "", c.get("ok") + "/" + c.get("expected") + "/" + c.get("errors"));
    }
    row.put("skipped", counts.stream().mapToLong(c -> (Long) c.get("skipped")).sum());
    Map<String, Double> classes = by(metrics, "tenantgate_requests_total", "status_class");
    row.put("gw_2xx", classes.getOrDefault("2xx", 0.0).longValue());
    row.put("gw_4xx", classes.getOrDefault("4xx", 0.0).longValue());
    row.put("gw_5xx", classes.getOrDefault("5xx", 0.0).longValue());
    lastRefusals = by(metrics, "tenantgate_refusals_total", "reason");
    lastNatsErrors = by(metrics, "tenantgate_nats_errors_total", "reason");
    row.put("refusals", compact(lastRefusals));
    rows.add(row);
    System.err.println("[soak] " + row.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(" ")));
    write(row);
    return true;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void gc() {
    try {
      Process p = new ProcessBuilder("jcmd", Long.toString(s.pid()), "GC.run").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        System.err.println("[soak] jcmd GC.run took over 60 s");
      }
    } catch (IOException e) {
      System.err.println("[soak] jcmd GC.run: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static Map<String, String> procStatus(Path proc) {
    Map<String, String> m = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(proc.resolve("status"))) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          m.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
      }
    } catch (IOException e) {
      // the process ended between the check and the read: the next sample says so
    }
    return m;
  }

  private static long kib(String v) {
    return v == null ? -1 : Long.parseLong(v.replace("kB", "").trim());
  }

  private static long countFds(Path proc) {
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** One Prometheus sample line: name, labels, value. */
  record Metric(String name, Map<String, String> labels, double value) {
  }

  private List<Metric> scrape() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s.ops() + "/metrics"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("/metrics answered " + r.statusCode());
    }
    List<Metric> out = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      if (space < 0) {
        continue;
      }
      String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0 && brace < space) {
        String inner = line.substring(brace + 1, line.lastIndexOf('}'));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(inner);
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      try {
        out.add(new Metric(name, labels, Double.parseDouble(line.substring(space + 1))));
      } catch (NumberFormatException e) {
        // NaN and friends parse; anything else is not a sample line
      }
    }
    return out;
  }

  private static double sum(List<Metric> ms, String name, String label, String value) {
    return ms.stream().filter(m -> m.name().equals(name) && (label == null || value.equals(m.labels().get(label))))
        .mapToDouble(Metric::value).filter(v -> !Double.isNaN(v)).sum();
  }

  private static Map<String, Double> by(List<Metric> ms, String name, String label) {
    Map<String, Double> out = new TreeMap<>();
    for (Metric m : ms) {
      if (m.name().equals(name) && m.labels().containsKey(label)) {
        out.merge(m.labels().get(label), m.value(), Double::sum);
      }
    }
    return out;
  }

  private static String compact(Map<String, Double> m) {
    return m.entrySet().stream().filter(e -> e.getValue() > 0)
        .map(e -> e.getKey() + "=" + e.getValue().longValue()).collect(Collectors.joining(" "));
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private void write(Map<String, Object> row) {
    try {
      if (csv != null) {
        if (rows.size() == 1) {
          Files.writeString(csv, String.join(",", row.keySet()) + "\n", StandardCharsets.UTF_8);
        }
        Files.writeString(csv, row.values().stream().map(v -> v.toString().contains(",") || v.toString().contains(" ")
                ? "\"" + v + "\"" : v.toString()).collect(Collectors.joining(",")) + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.APPEND);
      }
      if (md != null) {
        Files.writeString(md, table(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      System.err.println("[soak] writing the table: " + e);
    }
  }

  /** Every row so far as a markdown table (kind cells are ok/expected/errors, cumulative). */
  String table() {
    StringBuilder b = new StringBuilder();
    List<String> keys = new ArrayList<>(rows.get(0).keySet());
    b.append("| ").append(String.join(" | ", keys)).append(" |\n|");
    keys.forEach(k -> b.append("---|"));
    b.append('\n');
    for (Map<String, Object> r : rows) {
      b.append("| ").append(keys.stream().map(k -> String.valueOf(r.get(k))).collect(Collectors.joining(" | ")))
          .append(" |\n");
    }
    return b.toString();
  }

  /** Least-squares slope of {@code key} per 10 minutes over the load samples of the second half. */
  private double slope(String key) {
    List<Map<String, Object>> load = rows.stream().filter(r -> "load".equals(r.get("phase"))).toList();
    long last = load.isEmpty() ? 0 : (Long) load.get(load.size() - 1).get("t_s");
    List<Map<String, Object>> half = load.stream().filter(r -> (Long) r.get("t_s") >= last / 2.0).toList();
    if (half.size() < 3) {
      half = load;
    }
    if (half.size() < 2) {
      return Double.NaN;
    }
    double n = half.size();
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (Map<String, Object> r : half) {
      double x = ((Long) r.get("t_s")) / 600.0;
      double y = ((Number) r.get(key)).doubleValue();
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    double d = n * sxx - sx * sx;
    return d == 0 ? Double.NaN : (n * sxy - sx * sy) / d;
  }

  /** Prints (and appends to the markdown file) the verdict; returns the exit status. */
  int verdict(boolean alive, List<Map<String, Object>> counts, long goAways, double maxHeapSlope, double maxFdSlope) {
    StringBuilder v = new StringBuilder("\n## Verdict\n\n");
    List<String> failures = new ArrayList<>();
    if (!alive) {
      failures.add("the gateway died or stopped answering /metrics");
    }
    Map<String, Object> first = rows.stream().filter(r -> !"baseline".equals(r.get("phase"))).findFirst()
        .orElse(rows.get(0));
    Map<String, Object> last = rows.get(rows.size() - 1);
    double heapSlope = slope("old_mib");
    double fdSlope = slope("fds");
    long lastLoad = rows.stream().filter(r -> "load".equals(r.get("phase"))).mapToLong(r -> (Long) r.get("t_s")).max()
        .orElse(0);
    // a slope over less than five minutes says nothing about a leak: judged only on longer runs
    boolean judged = lastLoad / 2 >= 300;
    v.append(String.format("- samples: %d over %s (every %s)%n", rows.size(), s.duration(), s.sample()));
    v.append(String.format("- old generation after a full GC: %s MiB at the first load sample, %s MiB at the end; slope"
        + " over the second half %.2f MiB / 10 min (heap used, young generation included: %s -> %s MiB)%n",
        first.get("old_mib"), last.get("old_mib"), heapSlope, first.get("heap_mib"), last.get("heap_mib")));
    v.append(String.format("- RSS: %s -> %s MiB; slope %.2f MiB / 10 min%n", first.get("rss_mib"), last.get("rss_mib"),
        slope("rss_mib")));
    v.append(String.format("- direct memory: %s -> %s MiB; slope %.2f MiB / 10 min%n", first.get("direct_mib"),
        last.get("direct_mib"), slope("direct_mib")));
    v.append(String.format("- open fds: %s -> %s; slope %.1f / 10 min; threads %s -> %s%n", first.get("fds"),
        last.get("fds"), slope("fds"), first.get("threads"), last.get("threads")));
    v.append("- HTTP/2 GOAWAYs received by the rapid-reset client: ").append(goAways).append('\n');
    v.append("- gateway refusals by reason: ").append(compact(lastRefusals)).append('\n');
    if (!lastNatsErrors.isEmpty()) {
      v.append("- gateway NATS errors by reason: ").append(compact(lastNatsErrors)).append('\n');
    }
    v.append("\n| kind | ok | expected refusals | errors | skipped (in flight cap) | detail |\n|---|---|---|---|---|---|\n");
    for (Map<String, Object> c : counts) {
      @SuppressWarnings("unchecked")
      Map<String, Long> errs = (Map<String, Long>) c.get("error_kinds");
      @SuppressWarnings("unchecked")
      Map<String, Long> exp = (Map<String, Long>) c.get("expected_kinds");
      v.append(String.format("| %s | %s | %s | %s | %s | %s |%n", c.get("kind"), c.get("ok"), c.get("expected"),
          c.get("errors"), c.get("skipped"), (errs.isEmpty() ? "" : "errors: " + errs + " ")
              + (exp.isEmpty() ? "" : "expected: " + exp)));
      if ((Long) c.get("errors") > 0) {
        failures.add(c.get("kind") + ": " + c.get("errors") + " unexpected errors " + errs);
      }
      if (!(Boolean) c.get("hostile") && (Long) c.get("ok") == 0) {
        failures.add(c.get("kind") + ": nothing succeeded");
      }
    }
    if (!judged) {
      v.append("- memory and fd slopes not judged: the second half of the load is under 5 minutes\n");
    } else {
      if (maxHeapSlope > 0 && !(heapSlope <= maxHeapSlope)) {
        failures.add(String.format("old-generation slope %.2f MiB / 10 min over --max-heap-slope %.2f", heapSlope,
            maxHeapSlope));
      }
      if (maxFdSlope > 0 && !(fdSlope <= maxFdSlope)) {
        failures.add(String.format("open-fd slope %.1f / 10 min over --max-fd-slope %.1f", fdSlope, maxFdSlope));
      }
    }
    v.append('\n').append(failures.isEmpty() ? "**PASS**: the gateway stayed up, nothing unexpected failed"
        + (judged ? ", memory and fds stayed within the slope bounds." : " (slopes not judged: too short).")
        : "**FAIL**: " + String.join("; ", failures)).append('\n');
    System.out.println(table() + v);
    if (md != null) {
      try {
        Files.writeString(md, table() + v, StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("[soak] writing the verdict: " + e);
      }
    }
    return failures.isEmpty() ? 0 : 1;
  }
}
