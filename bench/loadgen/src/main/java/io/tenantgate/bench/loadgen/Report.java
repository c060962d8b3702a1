package io.tenantgate.bench.loadgen;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns the result lines of one bench/run.sh invocation into docs/performance.md: machine,
 * commands, the ratios tenantgate ÷ nginx per round and their median against the issue's targets,
 * and every run. With {@code --check} it instead asserts the runs happened and produced numbers
 * (the smoke mode's contract) and exits 1 naming what is missing.
 */
final class Report {
  static final String GATEWAY = "tenantgate";
  static final String REFERENCE = "nginx";
  /** gRPC modes compare the gateway with the upstream reached directly. */
  static final String DIRECT = "direct";

  private final List<JsonObject> lines;
  private final Map<String, String> machine;

  private Report(List<JsonObject> lines, Map<String, String> machine) {
    this.lines = lines;
    this.machine = machine;
  }

  static void main(Args args) throws IOException {
    Path results = Path.of(args.required("results"));
    Path machineFile = Path.of(args.required("machine"));
    String out = args.string("out", null);
    boolean check = args.flag("check");
    int expectRuns = args.integer("expect-runs", -1);
    String notes = args.string("notes", null);
    String jfr = args.string("jfr", null);
    args.rejectUnknown();

    List<JsonObject> lines = new ArrayList<>();
    for (String l : Files.readAllLines(results, StandardCharsets.UTF_8)) {
      if (!l.isBlank()) {
        lines.add(new JsonObject(l));
      }
    }
    Map<String, String> machine = new LinkedHashMap<>();
    for (String l : Files.readAllLines(machineFile, StandardCharsets.UTF_8)) {
      int colon = l.indexOf(": ");
      if (colon > 0) {
        machine.merge(l.substring(0, colon), l.substring(colon + 2), (a, b) -> a + "\n" + b);
      }
    }
    Report report = new Report(lines, machine);
    if (out != null) {
      String notesText = notes != null && Files.exists(Path.of(notes)) ? Files.readString(Path.of(notes)) : null;
      String profile = jfr != null && Files.exists(Path.of(jfr)) ? Profile.markdown(Path.of(jfr), 15, "through the load and gRPC phases, every mode") : null;
      Files.writeString(Path.of(out), report.markdown(notesText, profile), StandardCharsets.UTF_8);
    }
    if (check) {
      List<String> problems = report.check(expectRuns);
      if (!problems.isEmpty()) {
        problems.forEach(p -> System.err.println("smoke check: " + p));
        System.exit(1);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- check

  List<String> check(int expectRuns) {
    List<String> problems = new ArrayList<>();
    if (expectRuns >= 0 && lines.size() != expectRuns) {
      problems.add("expected " + expectRuns + " result lines, got " + lines.size());
    }
    for (JsonObject l : lines) {
      String what = l.getString("target") + " " + l.getString("mode")
          + (l.containsKey("round") ? " round " + l.getValue("round") : "");
      String mode = l.getString("mode", "");
      if (mode.equals("idle")) {
        if (num(l, "opened") <= 0 || num(l, "still_open") != num(l, "opened")) {
          problems.add(what + ": opened " + l.getValue("opened") + ", still open " + l.getValue("still_open"));
        }
        if (l.getValue("rss_per_conn_kib") == null) {
          problems.add(what + ": no memory figure");
        }
      } else if (mode.equals("snapshot")) {
        if (l.getValue("load_s") == null) {
          problems.add(what + ": no load time");
        }
      } else {
        if (num(l, "requests") <= 0) {
          problems.add(what + ": no requests completed");
        }
        if (l.getValue("p99_ms") == null || l.getValue("server_cpu_s") == null || num(l, "server_cpu_s") < 0) {
          problems.add(what + ": missing latency or server CPU figure");
        }
        if (mode.equals("full") && l.getValue("resumed") != null && num(l, "resumed") > 0) {
          problems.add(what + ": " + l.getValue("resumed") + " handshakes resumed in the full-handshake mode");
        }
        if (mode.equals("resumed") && l.getValue("resumed") != null && num(l, "resumed") <= 0) {
          problems.add(what + ": no handshake resumed a session");
        }
      }
      if (l.getValue("errors") != null && num(l, "errors") != 0) {
        problems.add(what + ": " + l.getValue("errors") + " errors " + l.getValue("error_kinds", ""));
      }
    }
    return problems;
  }

  // ---------------------------------------------------------------------------------------------- markdown

  String markdown(String notes, String profile) {
    StringBuilder md = new StringBuilder();
    md.append("# Performance: tenantgate vs nginx\n\n");
    md.append("<!-- generated by bench/run.sh from measured results; do not edit by hand: rerun the script."
        + " Hand-written findings live in bench/FINDINGS.md and are copied in below. -->\n\n");
    md.append("Measured ").append(machine.getOrDefault("date", "?").replace("\n", " and "))
        .append(" by `bench/run.sh` on one machine: load generator, nginx, tenantgate and the upstream share its ")
        .append(machine.getOrDefault("nproc", "?"))
        .append(" cores, so the comparison is **per server CPU-second** (utime+stime from /proc of the nginx"
            + " master + workers, of the tenantgate JVM, read at the edges of each measurement window) as well as"
            + " throughput. Ratios are tenantgate ÷ nginx within the same round; rounds alternate which target"
            + " runs first.\n\n");
    String before = machine.get("load_before");
    if (before != null) {
      md.append("> Load average (1, 5, 15 min) before the run: ").append(before.replace("\n", " / "))
          .append("; after: ").append(machine.getOrDefault("load_after", "?").replace("\n", " / "))
          .append(". The machine is shared with other work: a load above ~0.5 before the run means other"
              + " processes competed for the cores and absolute numbers are noisy (ratios less so).\n\n");
    }

    if (machine.containsKey("note")) {
      md.append("> ").append(machine.get("note").replace("\n", " ")).append("\n\n");
    }
    md.append("## Machine\n\n| | |\n|---|---|\n");
    for (String key : List.of("nproc", "cpu", "memory", "kernel", "java", "java_vm", "tenantgate_jvm_options", "nginx",
        "nginx_openssl", "system_openssl", "tenantgate_start", "settings", "profile")) {
      if (machine.containsKey(key)) {
        md.append("| ").append(key).append(" | ").append(cell(machine.get(key))).append(" |\n");
      }
    }
    md.append("| load generator TLS | ").append(clientEngine()).append(" |\n\n");

    md.append("## Commands\n\n```sh\n").append(machine.getOrDefault("command", "bench/run.sh")).append('\n');
    for (String key : List.of("loadgen_run", "loadgen_grpc", "loadgen_idle", "loadgen_scale")) {
      if (machine.containsKey(key)) {
        md.append(machine.get(key)).append('\n');
      }
    }
    md.append("```\n\n");
    md.append(SETUP);

    md.append("## Targets (issue 6) — tenantgate ÷ nginx, median of rounds\n\n");
    md.append("| target | measured per round | median | goal | met |\n|---|---|---|---|---|\n");
    ratioRow(md, "keep-alive HTTP/1.1: requests per server CPU-second", "h1", "req_per_cpu_s", ">= 1.3", 1.3, true);
    ratioRow(md, "keep-alive HTTP/1.1: throughput (same closed-loop load)", "h1", "rps", ">= 1.0", 1.0, true);
    ratioRow(md, "keep-alive HTTP/1.1 at half of nginx's max rate: p99 latency", "h1-rate", "p99_ms", "<= 1.0", 1.0,
        false);
    ratioRow(md, "full mTLS handshakes per server CPU-second", "full", "req_per_cpu_s", ">= 1.5", 1.5, true);
    resumedRow(md);
    ratioRow(md, "gRPC bidi streaming messages/s, tenantgate ÷ direct to the upstream", "grpc-bidi", "rps", ">= 0.7",
        0.7, true);
    idleRow(md);
    scaleRows(md);
    md.append("\nOther modes, for the record (no goal in the issue):\n\n");
    md.append("| mode | tenantgate ÷ nginx (gRPC: ÷ direct) per round: req/s · req per CPU-s · p99 | medians |\n"
        + "|---|---|---|\n");
    for (String mode : modes()) {
      List<Double> rps = ratios(mode, "rps");
      if (rps.isEmpty()) {
        continue;
      }
      List<Double> cpu = ratios(mode, "req_per_cpu_s");
      List<Double> p99 = ratios(mode, "p99_ms");
      StringBuilder per = new StringBuilder();
      for (int i = 0; i < rps.size(); i++) {
        per.append(i > 0 ? "; " : "").append(f2(rps.get(i))).append(" · ").append(f2(at(cpu, i))).append(" · ")
            .append(f2(at(p99, i)));
      }
      md.append("| ").append(mode).append(" | ").append(per).append(" | ").append(f2(median(rps))).append(" · ")
          .append(f2(median(cpu))).append(" · ").append(f2(median(p99))).append(" |\n");
    }

    md.append("\n## Every run\n\n");
    md.append("| round | mode | target | conns×streams | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU s"
        + " (user+sys) | req per CPU-s | CPU ms/req | handshakes (resumed) | client CPU s |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (JsonObject l : lines) {
      String mode = l.getString("mode", "");
      if (mode.equals("idle") || mode.equals("snapshot")) {
        continue;
      }
      String loop = "fixed-rate".equals(l.getString("loop")) ? " @" + fmt(l.getValue("rate_target")) + "/s" : "";
      md.append("| ").append(fmt(l.getValue("round"))).append(" | ").append(mode).append(loop)
          .append(" | ").append(l.getString("target"))
          .append(" | ").append(fmt(l.getValue("connections"))).append("×").append(fmt(l.getValue("streams")))
          .append(" | ").append(fmt(l.getValue("rps")))
          .append(" | ").append(fmt(l.getValue("p50_ms")))
          .append(" | ").append(fmt(l.getValue("p99_ms")))
          .append(" | ").append(fmt(l.getValue("p999_ms")))
          .append(" | ").append(fmt(l.getValue("errors")))
          .append(" | ").append(fmt(l.getValue("server_cpu_s")))
          .append(l.getValue("server_user_s") == null ? ""
              : " (" + fmt(l.getValue("server_user_s")) + "+" + fmt(l.getValue("server_sys_s")) + ")")
          .append(" | ").append(fmt(l.getValue("req_per_cpu_s")))
          .append(" | ").append(fmt(l.getValue("server_cpu_ms_per_req")))
          .append(" | ").append(fmt(l.getValue("handshakes")))
          .append(l.getValue("resumed") == null ? "" : " (" + fmt(l.getValue("resumed")) + ")")
          .append(" | ").append(fmt(l.getValue("client_cpu_s"))).append(" |\n");
    }

    List<JsonObject> idle = lines.stream().filter(l -> "idle".equals(l.getString("mode"))).toList();
    if (!idle.isEmpty()) {
      md.append("\n## Idle mTLS connections\n\n");
      md.append("HTTP/1.1 connections, one request each, then idle; memory read from /proc/PID/status (VmRSS,"
          + " master + workers for nginx) before opening and 2 s after the last one opened; heap = used heap after"
          + " a full GC (jcmd GC.run), before and after.\n\n");
      md.append("| target | connections (tenants) | open s | handshakes/s | CPU ms/conn | RSS before MiB | RSS after MiB"
          + " | RSS KiB/conn | heap before MiB | heap after MiB | heap KiB/conn |\n");
      md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (JsonObject l : idle) {
        md.append("| ").append(l.getString("target"))
            .append(" | ").append(fmt(l.getValue("opened"))).append(" (").append(fmt(l.getValue("tenants"))).append(")")
            .append(" | ").append(fmt(l.getValue("open_s")))
            .append(" | ").append(fmt(l.getValue("handshakes_per_s")))
            .append(" | ").append(fmt(l.getValue("server_cpu_ms_per_conn")))
            .append(" | ").append(fmt(l.getValue("rss_before_mib")))
            .append(" | ").append(fmt(l.getValue("rss_after_mib")))
            .append(" | ").append(fmt(l.getValue("rss_per_conn_kib")))
            .append(" | ").append(fmt(l.getValue("heap_before_mib")))
            .append(" | ").append(fmt(l.getValue("heap_after_mib")))
            .append(" | ").append(fmt(l.getValue("heap_per_conn_kib"))).append(" |\n");
      }
    }

    List<JsonObject> snapshots = lines.stream().filter(l -> "snapshot".equals(l.getString("mode"))).toList();
    if (!snapshots.isEmpty()) {
      md.append("\n## Tenant scale\n\n");
      md.append("| registry | tenants | CAs | revoked serials | file MiB | load s (read + parse + build) | CA check s (after"
          + " the load, on a worker) | retained heap MiB | gateway ready ms | gateway heap after GC MiB |\n"
          + "|---|---|---|---|---|---|---|---|---|---|\n");
      for (JsonObject l : snapshots) {
        md.append("| ").append(l.getString("target")).append(" | ").append(fmt(l.getValue("tenants")))
            .append(" | ").append(fmt(l.getValue("cas"))).append(" | ").append(fmt(l.getValue("revoked")))
            .append(" | ").append(fmt(l.getValue("file_mib"))).append(" | ").append(fmt(l.getValue("load_s")))
            .append(" | ").append(fmt(l.getValue("ca_check_s")))
            .append(" | ").append(fmt(l.getValue("retained_heap_mib")))
            .append(" | ").append(fmt(l.getValue("gateway_ready_ms")))
            .append(" | ").append(fmt(l.getValue("gateway_heap_mib"))).append(" |\n");
      }
    }

    if (profile != null) {
      md.append("\n## Profile: tenantgate's Java hot path\n\n").append(profile);
    }
    if (notes != null && !notes.isBlank()) {
      md.append("\n").append(notes.strip()).append('\n');
    }
    return md.toString();
  }

  private static final String SETUP = """
      ## What each side does

      Both terminate TLS 1.3 with client certificates on 127.0.0.1, verify the client chain (leaf +
      tenant CA sent by the client) up to the platform root, pass the identity upstream in headers and
      forward over a pool of keep-alive HTTP/1.1 connections to the same trivial upstream (which answers
      421 when the tenant header is missing: a gateway that drops the identity shows up as errors). One
      PKI, generated with the product's own `pki/` code: ECDSA P-256 root, one pathlen-0 tenant CA per
      tenant with name constraints, component leaves (the product's defaults).

      - **nginx** (Debian's package): `worker_processes 2`, `ssl_verify_client on`, `ssl_protocols
        TLSv1.3`, `ssl_client_certificate` = root, `ssl_trusted_certificate` = root + every tenant CA,
        `X-Client-CN` / `X-Tenant-Slug` from `$ssl_client_s_dn` (regex maps), `proxy_pass` to an
        `upstream` with `keepalive 64`, `keepalive_requests` unlimited, access log off, session tickets on.
      - **tenantgate** `serve` (one JVM, one edge verticle per core, engine `auto` = BoringSSL): the full
        identity rules (registered tenant CA, CN/tenant binding, revocation, SPIFFE), header strip + stamp,
        a signed `X-Tenant-Assertion` (one per client certificate, shared by its connections), session
        tickets with keys rotated every 15 s, access log off, NATS bridge off.

      tenantgate does more per connection than nginx (registry lookups, the assertion); that
      is part of what is measured. The load generator (`bench/loadgen`, Vert.x + BoringSSL + HdrHistogram)
      presents many client certificates of many tenants, one HTTP client (and TLS session cache) per
      certificate; closed loop unless a mode says `@N/s` (fixed rate, latency from the scheduled send
      time: coordinated omission corrected).

      gRPC modes (raw 64-byte messages to the upstream's `bench.Echo` service: `grpc-unary` calls,
      `grpc-bidi` one long-lived stream per worker exchanging a message and waiting for its echo) compare
      tenantgate (mTLS, route `grpcService: "*"`, h2c to the upstream) with the upstream reached
      **directly** over h2c without TLS; there "server CPU" of `direct` is the upstream process.

      """;

  private void ratioRow(StringBuilder md, String label, String mode, String field, String goal, double bound,
      boolean higherIsBetter) {
    List<Double> r = ratios(mode, field);
    if (r.isEmpty()) {
      return;
    }
    Double med = median(r);
    md.append("| ").append(label).append(" | ").append(join(r)).append(" | **").append(f2(med)).append("** | ")
        .append(goal).append(" | ").append(met(med, bound, higherIsBetter)).append(" |\n");
  }

  private void resumedRow(StringBuilder md) {
    List<Double> r = new ArrayList<>();
    for (Object round : rounds()) {
      JsonObject full = find(round, "full", GATEWAY);
      JsonObject resumed = find(round, "resumed", GATEWAY);
      if (full != null && resumed != null && num(full, "req_per_cpu_s") > 0) {
        r.add(num(resumed, "req_per_cpu_s") / num(full, "req_per_cpu_s"));
      }
    }
    if (!r.isEmpty()) {
      Double med = median(r);
      md.append("| tenantgate resumed ÷ full handshakes per server CPU-second (not a ratio to nginx) | ")
          .append(join(r)).append(" | **").append(f2(med)).append("** | >= 3 | ").append(met(med, 3, true))
          .append(" |\n");
    }
  }

  private void idleRow(StringBuilder md) {
    for (JsonObject l : lines) {
      if ("idle".equals(l.getString("mode")) && GATEWAY.equals(l.getString("target"))) {
        double kib = num(l, "rss_per_conn_kib");
        md.append("| idle mTLS connection: tenantgate RSS per connection (KiB, over ").append(fmt(l.getValue("opened")))
            .append(" connections; not a ratio) | ").append(f2(kib)).append(" | **").append(f2(kib))
            .append("** | <= 8 KiB | ").append(met(kib, 8, false)).append(" |\n");
      }
    }
  }

  private void scaleRows(StringBuilder md) {
    List<Double> r = new ArrayList<>();
    for (Object round : rounds()) {
      JsonObject one = find(round, "full", "tenantgate-1-tenant");
      JsonObject many = find(round, "full", "tenantgate-scale");
      if (one != null && many != null && num(one, "rps") > 0) {
        r.add(num(many, "rps") / num(one, "rps"));
      }
    }
    if (!r.isEmpty()) {
      Double med = median(r);
      md.append("| tenant scale: handshake rate, big registry ÷ 1 tenant (not a ratio to nginx) | ").append(join(r))
          .append(" | **").append(f2(med)).append("** | >= 0.95 | ").append(met(med, 0.95, true)).append(" |\n");
    }
    for (JsonObject l : lines) {
      if ("snapshot".equals(l.getString("mode")) && l.getString("target", "").startsWith("tenantgate-scale")) {
        md.append("| tenant scale: snapshot load s / retained heap MiB (").append(fmt(l.getValue("cas")))
            .append(" CAs, ").append(fmt(l.getValue("revoked"))).append(" revoked) | ")
            .append(fmt(l.getValue("load_s"))).append(" s / ").append(fmt(l.getValue("retained_heap_mib"))).append(" MiB")
            .append(l.getValue("ca_check_s") == null ? ""
                : " (then " + fmt(l.getValue("ca_check_s")) + " s checking every CA's certificate on a worker, serving meanwhile)")
            .append(" | | <= 2 s, <= 300 MB | ")
            .append(num(l, "load_s") <= 2 && num(l, "retained_heap_mib") <= 286 ? "yes" : "**no**").append(" |\n");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private Set<Object> rounds() {
    Set<Object> out = new LinkedHashSet<>();
    for (JsonObject l : lines) {
      if (l.getValue("round") != null) {
        out.add(l.getValue("round"));
      }
    }
    return out;
  }

  private Set<String> modes() {
    Set<String> out = new LinkedHashSet<>();
    for (JsonObject l : lines) {
      if (l.getValue("round") != null && (REFERENCE.equals(l.getString("target"))
          || DIRECT.equals(l.getString("target")))) {
        out.add(l.getString("mode"));
      }
    }
    return out;
  }

  private JsonObject find(Object round, String mode, String target) {
    for (JsonObject l : lines) {
      if (Objects.equals(l.getValue("round"), round) && mode.equals(l.getString("mode"))
          && target.equals(l.getString("target"))) {
        return l;
      }
    }
    return null;
  }

  /** tenantgate ÷ nginx of {@code field} for {@code mode}, one value per round that has both. */
  List<Double> ratios(String mode, String field) {
    List<Double> out = new ArrayList<>();
    for (Object round : rounds()) {
      JsonObject g = find(round, mode, GATEWAY);
      JsonObject n = find(round, mode, mode.startsWith("grpc") ? DIRECT : REFERENCE);
      if (g != null && n != null && g.getValue(field) != null && n.getValue(field) != null && num(n, field) > 0) {
        out.add(num(g, field) / num(n, field));
      }
    }
    return out;
  }

  static Double median(List<Double> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private String clientEngine() {
    for (JsonObject l : lines) {
      if (l.getString("client_engine") != null) {
        return l.getString("client_engine") + (Boolean.TRUE.equals(l.getBoolean("client_native_transport"))
            ? ", epoll" : "");
      }
    }
    return "?";
  }

  private static String met(Double value, double bound, boolean higherIsBetter) {
    if (value == null) {
      return "?";
    }
    return (higherIsBetter ? value >= bound : value <= bound) ? "yes" : "**no**";
  }

  private static double num(JsonObject l, String field) {
    Object v = l.getValue(field);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static Double at(List<Double> l, int i) {
    return i < l.size() ? l.get(i) : null;
  }

  private static String join(List<Double> values) {
    return String.join(", ", values.stream().map((Function<Double, String>) Report::f2).toList());
  }

  static String f2(Double v) {
    return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String fmt(Object v) {
    if (v == null) {
      return "–";
    }
    if (v instanceof Double d) {
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString(d.longValue());
      }
      return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.0f", d) : String.format(Locale.ROOT, "%.3g", d);
    }
    return v.toString();
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", "<br>");
  }
}
