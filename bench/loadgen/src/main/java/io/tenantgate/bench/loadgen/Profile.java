package io.tenantgate.bench.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * The Java hot path of tenantgate during the bench, from its JFR recording: execution samples
 * (threads running Java code; time in BoringSSL and the kernel is not sampled) grouped by what
 * they were doing, and the hottest methods. Rendered into docs/performance.md.
 */
final class Profile {
  /** A sample belongs to the innermost frame that matches a rule (who was doing the work). */
  private static final Map<String, List<String>> CATEGORIES = new LinkedHashMap<>();

  static {
    CATEGORIES.put("Ed25519 signing (JDK, X-Tenant-Assertion)", List.of("sun.security.ec.ed.", "EdDSA"));
    CATEGORIES.put("ECDSA P-256 (JDK: client chain check)", List.of("sun.security.ec.ECDSA", "sun.security.ec.ECOperations"));
    CATEGORIES.put("certificate path / X.509 parsing (JDK)", List.of("sun.security.provider.certpath", "sun.security.x509"));
    CATEGORIES.put("metrics (GatewayMetrics, Micrometer)", List.of("io.tenantgate.metrics", "io.micrometer"));
    CATEGORIES.put("tenantgate code (identity, headers, relay)", List.of("io.tenantgate."));
    CATEGORIES.put("TLS record layer (Netty SslHandler, JNI)", List.of("io.netty.handler.ssl"));
    CATEGORIES.put("HTTP codec and client/server (Vert.x)", List.of("io.vertx.core.http", "io.netty.handler.codec.http"));
    CATEGORIES.put("Netty transport and buffers", List.of("io.netty."));
    CATEGORIES.put("Vert.x other", List.of("io.vertx."));
  }

  private Profile() {
  }

  /** {@code during}: when the recording ran, for the first sentence ("through the load and gRPC phases"). */
  static String markdown(Path jfr, int topMethods, String during) throws IOException {
    Map<String, Integer> byCategory = new LinkedHashMap<>();
    CATEGORIES.keySet().forEach(k -> byCategory.put(k, 0));
    byCategory.put("other (JDK, GC helpers, ...)", 0);
    Map<String, Integer> self = new TreeMap<>();
    Map<String, Integer> inclusiveTenantgate = new TreeMap<>();
    int samples = 0;
    try (RecordingFile file = new RecordingFile(jfr)) {
      while (file.hasMoreEvents()) {
        RecordedEvent e = file.readEvent();
        if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
          continue;
        }
        RecordedStackTrace st = e.getStackTrace();
        if (st == null || st.getFrames().isEmpty()) {
          continue;
        }
        samples++;
        List<RecordedFrame> frames = st.getFrames();
        self.merge(name(frames.get(0)), 1, Integer::sum);
        String category = "other (JDK, GC helpers, ...)";
        outer:
        for (RecordedFrame f : frames) {
          String n = name(f);
          for (Map.Entry<String, List<String>> c : CATEGORIES.entrySet()) {
            for (String key : c.getValue()) {
              if (n.contains(key)) {
                category = c.getKey();
                break outer;
              }
            }
          }
        }
        byCategory.merge(category, 1, Integer::sum);
        Set<String> seen = new LinkedHashSet<>();
        for (RecordedFrame f : frames) {
          String n = name(f);
          if (n.startsWith("io.tenantgate.") && !n.contains("$$Lambda") && seen.add(n)) {
            inclusiveTenantgate.merge(n, 1, Integer::sum);
          }
        }
      }
    }
    StringBuilder md = new StringBuilder();
    if (samples == 0) {
      return md.append("No execution samples in ").append(jfr.getFileName()).append(".\n").toString();
    }
    md.append(samples).append(" execution samples (JFR on the gateway ").append(during).append(")."
        + " Where tenantgate's Java threads were:\n\n");
    md.append("| activity (innermost matching frame) | samples | share |\n|---|---|---|\n");
    int total = samples;
    byCategory.entrySet().stream().filter(en -> en.getValue() > 0)
        .sorted((a, b) -> b.getValue() - a.getValue())
        .forEach(en -> md.append("| ").append(en.getKey()).append(" | ").append(en.getValue()).append(" | ")
            .append(pct(en.getValue(), total)).append(" |\n"));
    md.append("\nHottest methods (self):\n\n| method | samples | share |\n|---|---|---|\n");
    self.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(topMethods)
        .forEach(en -> md.append("| `").append(en.getKey()).append("` | ").append(en.getValue()).append(" | ")
            .append(pct(en.getValue(), total)).append(" |\n"));
    md.append("\ntenantgate methods on the stack (inclusive):\n\n| method | samples | share |\n|---|---|---|\n");
    inclusiveTenantgate.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(topMethods)
        .forEach(en -> md.append("| `").append(en.getKey()).append("` | ").append(en.getValue()).append(" | ")
            .append(pct(en.getValue(), total)).append(" |\n"));
    return md.toString();
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String pct(int n, int total) {
    return String.format(Locale.ROOT, "%.1f %%", 100.0 * n / total);
  }
}
