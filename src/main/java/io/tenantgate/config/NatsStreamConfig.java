package io.tenantgate.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The JetStream stream every active tenant gets: one per tenant over its own prefix, always with
 * finite limits, created or updated idempotently when the tenant becomes active.
 *
 * @param provision whether the gateway creates/updates the streams (off when an operator manages them)
 * @param namePrefix stream name = prefix + tenant slug
 * @param subjects subjects below the tenant prefix the stream captures: by default the telemetry
 *     roots the allow-lists publish to, not {@code rpc.>}, {@code jobs.>} or {@code edge.>} (a stream
 *     answers every message with a reply subject, which would hijack request/reply)
 * @param maxBytes stream byte limit per tenant
 * @param maxMsgs stream message limit per tenant
 * @param maxAge oldest message kept
 * @param maxMsgSize largest single message the stream stores
 * @param duplicateWindow {@code Nats-Msg-Id} de-duplication window
 * @param storage FILE or MEMORY
 * @param replicas stream replicas (1 on a single server)
 */
public record NatsStreamConfig(boolean provision, String namePrefix, List<String> subjects, long maxBytes,
    long maxMsgs, Duration maxAge, long maxMsgSize, Duration duplicateWindow, Storage storage, int replicas) {

  public static final List<String> DEFAULT_SUBJECTS = List.of("logs.>", "otel.>", "flows.>", "events.>",
      "telemetry.>", "agents.>", "pollers.>", "checkers.>");
  private static final Pattern NAME_PREFIX = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  /** Where a stream keeps its messages. */
  public enum Storage {
    FILE, MEMORY;

    static Storage parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  public NatsStreamConfig {
    subjects = List.copyOf(subjects);
  }

  static NatsStreamConfig parse(Node n) {
    boolean provision = n.bool("provision", true);
    String prefix = n.string("namePrefix", "TENANT_");
    if (!NAME_PREFIX.matcher(prefix).matches()) {
      n.problem("namePrefix", "must be 1-32 of A-Z, a-z, 0-9, '_' or '-', got '" + prefix + "'");
    }
    List<String> subjects = n.strings("subjects", DEFAULT_SUBJECTS);
    if (subjects.isEmpty()) {
      n.problem("subjects", "must name at least one subject");
    }
    long maxBytes = n.bytes("maxBytes", 1024L * 1024 * 1024, 1024, Long.MAX_VALUE / 2);
    long maxMsgs = n.integer("maxMsgs", 1_000_000, 1, Integer.MAX_VALUE);
    Duration maxAge = NatsConfig.positive(n, "maxAge", Duration.ofDays(7));
    long maxMsgSize = n.bytes("maxMsgSize", 1024 * 1024, 1, 64L * 1024 * 1024);
    if (maxMsgSize > maxBytes) {
      n.problem("maxMsgSize", "must not exceed maxBytes");
    }
    Duration dup = NatsConfig.positive(n, "duplicateWindow", Duration.ofMinutes(2));
    if (dup.compareTo(maxAge) > 0) {
      n.problem("duplicateWindow", "must not exceed maxAge");
    }
    Storage storage = n.enumValue("storage", Storage.FILE, Storage.class, Storage::parse);
    int replicas = n.integer("replicas", 1, 1, 5);
    n.rejectUnknownKeys();
    return new NatsStreamConfig(provision, prefix, subjects, maxBytes, maxMsgs, maxAge, maxMsgSize, dup, storage,
        replicas);
  }
}
