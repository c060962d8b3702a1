package io.tenantgate.bench.loadgen;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --flag} options of one subcommand. Every option read is
 * remembered, so {@link #rejectUnknown()} can name the ones nobody asked for (typos fail loudly).
 */
final class Args {
  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final Set<String> read = new HashSet<>();

  Args(String[] argv, int from) {
    for (int i = from; i < argv.length; i++) {
      String a = argv[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'");
      }
      String name = a.substring(2);
      String value = "true";
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
        value = argv[++i];
      }
      values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
  }

  String string(String name, String def) {
    read.add(name);
    List<String> v = values.get(name);
    return v == null ? def : v.get(v.size() - 1);
  }

  String required(String name) {
    String v = string(name, null);
    if (v == null) {
      throw new IllegalArgumentException("--" + name + " is required");
    }
    return v;
  }

  List<String> all(String name) {
    read.add(name);
    return values.getOrDefault(name, List.of());
  }

  int integer(String name, int def) {
    String v = string(name, null);
    return v == null ? def : Integer.parseInt(v);
  }

  long longValue(String name, long def) {
    String v = string(name, null);
    return v == null ? def : Long.parseLong(v);
  }

  double decimal(String name, double def) {
    String v = string(name, null);
    return v == null ? def : Double.parseDouble(v);
  }

  boolean flag(String name) {
    String v = string(name, null);
    return v != null && !v.equals("false");
  }

  /** Seconds as a decimal ({@code 2.5}) or with a unit ({@code 500ms}, {@code 10s}, {@code 2m}). */
  Duration duration(String name, Duration def) {
    String v = string(name, null);
    return v == null ? def : parseDuration(v);
  }

  /** As {@link #duration}: {@code 2.5}, {@code 500ms}, {@code 10s}, {@code 2m}. */
  static Duration parseDuration(String v) {
    if (v.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    }
    if (v.endsWith("m")) {
      return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
    }
    if (v.endsWith("s")) {
      v = v.substring(0, v.length() - 1);
    }
    return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
  }

  void rejectUnknown() {
    List<String> unknown = new ArrayList<>();
    for (String k : values.keySet()) {
      if (!read.contains(k)) {
        unknown.add("--" + k);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown option(s): " + String.join(", ", unknown));
    }
  }
}
