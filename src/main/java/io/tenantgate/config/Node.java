package io.tenantgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cursor over one YAML/JSON mapping that reads typed values with defaults, records every problem
 * with its dotted path instead of stopping at the first, and reports keys nobody asked for.
 */
final class Node {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|k|m|g)?", Pattern.CASE_INSENSITIVE);


  private final JsonNode json;
  private final String path;
  private final List<String> problems;
  private final Set<String> read = new HashSet<>();
  /** Every key path any reader of this document asked for (list indexes as []), for docs checks. */
  private final Set<String> asked;

  Node(JsonNode json, String path, List<String> problems) {
    this(json, path, problems, new java.util.TreeSet<>());
  }

  private Node(JsonNode json, String path, List<String> problems, Set<String> asked) {
    this.asked = asked;
    this.json = json == null ? MissingNode.getInstance() : json;
    this.path = path;
    this.problems = problems;
    if (!this.json.isMissingNode() && !this.json.isNull() && !this.json.isObject()) {
      problem("", "must be a mapping");
    }
  }

  static Node root(JsonNode json, List<String> problems) {
    return new Node(json, "", problems);
  }

  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void problem(String key, String message) {
    String where = key.isEmpty() ? (path.isEmpty() ? "(root)" : path) : path(key);
    problems.add(where + ": " + message);
  }

  /** Key paths asked for so far in this document. */
  Set<String> asked() {
    return asked;
  }

  private JsonNode get(String key) {
    read.add(key);
    asked.add(path(key).replaceAll("\\[\\d+]", "[]"));
    JsonNode v = json.get(key);
    return v == null || v.isNull() ? null : v;
  }

  boolean has(String key) {
    return json.has(key) && !json.get(key).isNull();
  }

  Node child(String key) {
    return new Node(get(key), path(key), problems, asked);
  }

  List<Node> list(String key) {
    JsonNode v = get(key);
    List<Node> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!v.isArray()) {
      problem(key, "must be a list");
      return out;
    }
    for (int i = 0; i < v.size(); i++) {
      out.add(new Node(v.get(i), path(key) + "[" + i + "]", problems, asked));
    }
    return out;
  }

  String string(String key, String def) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    if (!v.isValueNode()) {
      problem(key, "must be a string");
      return def;
    }
    return v.asText();
  }

  String requiredString(String key) {
    String v = string(key, null);
    if (v == null || v.isBlank()) {
      problem(key, "is required");
    }
    return v;
  }

  List<String> strings(String key, List<String> def) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    if (v.isTextual()) {
      return List.of(v.asText());
    }
    if (!v.isArray()) {
      problem(key, "must be a list of strings");
      return def;
    }
    List<String> out = new ArrayList<>();
    v.forEach(e -> out.add(e.asText()));
    return List.copyOf(out);
  }

  boolean bool(String key, boolean def) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    if (v.isBoolean()) {
      return v.asBoolean();
    }
    String s = v.asText().toLowerCase(Locale.ROOT);
    if (s.equals("true") || s.equals("false")) {
      return Boolean.parseBoolean(s);
    }
    problem(key, "must be true or false, got '" + v.asText() + "'");
    return def;
  }

  int integer(String key, int def, int min, int max) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    BigInteger n;
    try {
      n = v.isIntegralNumber() ? v.bigIntegerValue() : new BigInteger(v.asText().trim());
    } catch (NumberFormatException e) {
      problem(key, "must be a whole number, got '" + v.asText() + "'");
      return def;
    }
    if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      problem(key, "must be between " + min + " and " + max + ", got " + n);
      return def;
    }
    return n.intValue();
  }

  /** Durations: "500ms", "10s", "5m", "1h", "1d", or "0" (disabled where the key allows it). */
  Duration duration(String key, Duration def) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    try {
      return Durations.parse(v.asText());
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return def;
    }
  }

  /** Byte sizes: "16384", "16k", "16KiB", "10m", "10MiB" (binary multiples). */
  long bytes(String key, long def, long min, long max) {
    JsonNode v = get(key);
    if (v == null) {
      return def;
    }
    Matcher m = SIZE.matcher(v.asText().trim());
    if (!m.matches()) {
      problem(key, "must be a size like 16384, 16KiB or 10MiB, got '" + v.asText() + "'");
      return def;
    }
    BigInteger n = new BigInteger(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    long mult = switch (unit) {
      case "k", "kib" -> 1024L;
      case "m", "mib" -> 1024L * 1024;
      case "g", "gib" -> 1024L * 1024 * 1024;
      default -> 1L;
    };
    BigInteger value = n.multiply(BigInteger.valueOf(mult));
    if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
      problem(key, "must be between " + min + " and " + max + " bytes, got " + value);
      return def;
    }
    return value.longValue();
  }

  <E extends Enum<E>> E enumValue(String key, E def, Class<E> type, Function<String, E> parser) {
    String s = string(key, null);
    if (s == null) {
      return def;
    }
    E e = parser.apply(s);
    if (e == null) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      problem(key, "must be one of " + names + ", got '" + s + "'");
      return def;
    }
    return e;
  }

  /** Reports keys present in the mapping that no reader asked for (typos, misplaced keys). */
  void rejectUnknownKeys() {
    if (!json.isObject()) {
      return;
    }
    for (Iterator<String> it = json.fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!read.contains(k)) {
        problems.add(path(k) + ": unknown key");
      }
    }
  }
}
