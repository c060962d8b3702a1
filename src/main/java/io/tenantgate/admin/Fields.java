package io.tenantgate.admin;

import io.tenantgate.pki.Names;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a JSON request body field by field and collects every problem, so one 400 names them all
 * ({@link #done()}). Names are checked by {@link Names}, the one validator per name kind.
 */
final class Fields {
  private final JsonObject body;
  private final List<JsonObject> errors = new ArrayList<>();
  private final Set<String> allowed;

  private Fields(JsonObject body, Set<String> allowed) {
    this.body = body;
    this.allowed = allowed;
  }

  /** The body as a JSON object whose keys the caller's validator checks itself (see {@link #body()}). */
  static Fields ofAnyKeys(Buffer raw) {
    return of(raw, null);
  }

  /** The body as a JSON object with only {@code allowed} keys; an empty body is an empty object. */
  static Fields of(Buffer raw, Set<String> allowed) {
    JsonObject body;
    if (raw == null || raw.length() == 0) {
      body = new JsonObject();
    } else {
      try {
        body = raw.toJsonObject();
      } catch (DecodeException | ClassCastException e) {
        throw new InvalidRequest(List.of(error("(body)", "must be a JSON object")));
      }
    }
    Fields f = new Fields(body, allowed);
    for (String k : body.fieldNames()) {
      if (allowed != null && !allowed.contains(k)) {
        f.errors.add(error(k, "unknown field (allowed: " + new java.util.TreeSet<>(allowed) + ")"));
      }
    }
    return f;
  }

  /** The whole body, for values validated by their own type (e.g. tenant limits). */
  JsonObject body() {
    return body;
  }

  String slug(String key, boolean required) {
    String v = text(key, required);
    if (v != null && !Names.isSlug(v)) {
      errors.add(error(key, "must be lowercase letters, digits and '-' (1-63 characters, no leading or trailing '-')"));
    }
    return v;
  }

  String id(String key, boolean required) {
    String v = text(key, required);
    if (v != null && !Names.isId(v)) {
      errors.add(error(key, "must be letters, digits, '_' and '-' (1-128 characters, starting and ending with a letter or digit, no dots)"));
    }
    return v;
  }

  String text(String key, boolean required) {
    Object v = body.getValue(key);
    if (v == null) {
      if (required) {
        errors.add(error(key, "is required"));
      }
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      errors.add(error(key, "must be a non-empty string"));
      return null;
    }
    if (s.length() > 16_384) {
      errors.add(error(key, "is longer than 16384 characters"));
      return null;
    }
    return s;
  }

  /** A duration such as {@code 24h}, {@code 30m}, {@code 7d} or ISO-8601 {@code PT24H}. */
  Duration duration(String key) {
    String v = text(key, false);
    if (v == null) {
      return null;
    }
    try {
      return parseDuration(v);
    } catch (IllegalArgumentException e) {
      errors.add(error(key, "must be a duration like 30m, 24h, 7d or PT24H"));
      return null;
    }
  }

  static Duration parseDuration(String v) {
    return io.tenantgate.config.Durations.parse(v);
  }

  /** Adds a problem found by the caller (e.g. two fields that exclude each other). */
  void problem(String key, String message) {
    errors.add(error(key, message));
  }

  /** Throws {@link InvalidRequest} naming every problem found so far. */
  void done() {
    if (!errors.isEmpty()) {
      throw new InvalidRequest(errors);
    }
  }

  private static JsonObject error(String field, String message) {
    return new JsonObject().put("field", field).put("message", message);
  }
}
