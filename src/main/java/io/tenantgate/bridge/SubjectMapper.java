package io.tenantgate.bridge;

import io.tenantgate.error.Failure;
import io.tenantgate.pki.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The only code that builds a tenant subject, and the one validator of client-supplied subjects.
 * A tenant speaks in unprefixed subjects ({@code logs.syslog}); NATS sees {@code <slug>.logs.syslog}.
 * What a client sends can never leave its prefix: tokens are non-empty runs of {@code [A-Za-z0-9_-]},
 * publishes carry no wildcards, subscriptions may use {@code *} and a final {@code >} only below the
 * prefix, and a subject that already names a tenant prefix is refused rather than prefixed twice.
 * Stream names and the core-to-edge inbox are built here too.
 *
 * <p>Namespaces: a tenant prefix {@code <slug>.} never overlaps a NATS system namespace
 * ({@link #SYSTEM_ROOTS}: request inboxes, JetStream API and acks, system events), because a slug is a
 * lowercase DNS label and every system root starts with {@code $}, {@code _} or a capital. Inside the
 * prefix, {@code edge.…} belongs to the gateway (core's channel to one component): clients never name it.
 * A slug equal to a root the configuration uses ({@code logs}, {@code rpc}, {@code edge}, …) is
 * reserved: such a tenant is refused by the bridge, and its slug is never mistaken for a prefix in
 * another tenant's subject.
 */
public final class SubjectMapper {
  /** Longest client subject, in characters. */
  static final int MAX_LENGTH = 256;
  /** Most tokens in a client subject. */
  static final int MAX_TOKENS = 16;
  /** First token of the subjects core uses to reach one component: {@code <slug>.edge.<component_id>.>}. */
  static final String EDGE = "edge";
  /** First token of core's request inboxes (the NATS default): replies a client may be handed. */
  static final String INBOX_ROOT = "_INBOX";
  /**
   * First token of the gateway's own inboxes (its requests' replies and its JetStream publish acks, on
   * every gateway replica): never handed to a client, who could otherwise answer a JetStream publish
   * with a forged ack.
   */
  static final String GATEWAY_INBOX_ROOT = "_TG_INBOX";
  /** Roots of the NATS namespaces no tenant subject may overlap. */
  static final List<String> SYSTEM_ROOTS = List.of(INBOX_ROOT, GATEWAY_INBOX_ROOT, "$JS", "$JSC", "$SYS", "$KV", "$O", "$NRG", "$G",
      "$MQTT");

  static {
    for (String root : SYSTEM_ROOTS) {
      if (Names.isSlug(root)) {
        throw new IllegalStateException("a tenant slug could be the NATS system root " + root);
      }
    }
  }

  private final String streamNamePrefix;
  private final List<String> streamSubjects;
  private final Set<String> reservedRoots;
  private final Predicate<String> isTenantSlug;

  /**
   * @param streamNamePrefix stream name = prefix + slug
   * @param streamSubjects client patterns (below the prefix) each tenant stream captures
   * @param reservedRoots first tokens the configuration uses as subject roots ({@link SubjectPolicy#roots})
   * @param isTenantSlug whether a first token names a registered tenant (refused as a foreign prefix)
   */
  SubjectMapper(String streamNamePrefix, List<String> streamSubjects, Set<String> reservedRoots,
      Predicate<String> isTenantSlug) {
    this.streamNamePrefix = streamNamePrefix;
    this.streamSubjects = List.copyOf(streamSubjects);
    this.reservedRoots = Set.copyOf(reservedRoots);
    this.isTenantSlug = isTenantSlug;
    for (String s : streamSubjects) {
      SubjectRefusal r = check(s, true);
      if (r != null) {
        throw new IllegalArgumentException("stream subject '" + s + "': " + r.message());
      }
    }
  }

  /** Syntax check of a client subject or pattern; null when it is well-formed. */
  static SubjectRefusal check(String subject, boolean pattern) {
    if (subject == null || subject.isEmpty()) {
      return SubjectRefusal.EMPTY;
    }
    if (subject.length() > MAX_LENGTH) {
      return SubjectRefusal.TOO_LONG;
    }
    int tokens = 1;
    int tokenStart = 0;
    for (int i = 0; i <= subject.length(); i++) {
      char c = i == subject.length() ? '.' : subject.charAt(i);
      if (c == '.') {
        if (i == tokenStart) {
          return SubjectRefusal.EMPTY_TOKEN;
        }
        SubjectRefusal r = checkWildcard(subject, tokenStart, i, pattern);
        if (r != null) {
          return r;
        }
        if (i < subject.length() && ++tokens > MAX_TOKENS) {
          return SubjectRefusal.TOO_MANY_TOKENS;
        }
        tokenStart = i + 1;
      } else if (c != '*' && c != '>' && !isTokenChar(c)) {
        return SubjectRefusal.BAD_CHARACTER;
      }
    }
    return null;
  }

  private static SubjectRefusal checkWildcard(String s, int start, int end, boolean pattern) {
    boolean wild = false;
    for (int i = start; i < end; i++) {
      wild |= s.charAt(i) == '*' || s.charAt(i) == '>';
    }
    if (!wild) {
      return null;
    }
    if (!pattern) {
      return SubjectRefusal.WILDCARD;
    }
    boolean whole = end - start == 1;
    boolean fullWildcard = whole && s.charAt(start) == '>';
    if (!whole || (fullWildcard && end != s.length())) {
      return SubjectRefusal.BAD_WILDCARD;
    }
    return null;
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }

  /** The NATS subject for a client's publish (or request); refused with a reason otherwise. */
  String publishSubject(String slug, String clientSubject) {
    return prefixed(slug, clientSubject, false);
  }

  /** The NATS subject pattern for a client's subscription; wildcards stay below the prefix. */
  String subscribeSubject(String slug, String clientPattern) {
    return prefixed(slug, clientPattern, true);
  }

  /** Syntax and prefix checks without building anything: null when acceptable. */
  SubjectRefusal refusal(String slug, String clientSubject, boolean pattern) {
    SubjectRefusal r = check(clientSubject, pattern);
    if (r != null) {
      return r;
    }
    int dot = clientSubject.indexOf('.');
    String first = dot < 0 ? clientSubject : clientSubject.substring(0, dot);
    if (first.equals(EDGE)) {
      return SubjectRefusal.RESERVED;
    }
    if (first.equals(slug)) {
      return SubjectRefusal.PREFIXED;
    }
    if (!reservedRoots.contains(first) && isTenantSlug.test(first)) {
      return SubjectRefusal.FOREIGN_PREFIX;
    }
    return null;
  }

  private String prefixed(String slug, String clientSubject, boolean pattern) {
    requireSlug(slug);
    SubjectRefusal r = refusal(slug, clientSubject, pattern);
    if (r != null) {
      throw refused(r);
    }
    return slug + "." + clientSubject;
  }

  /** Whether {@code slug} equals a subject root: such a tenant cannot use the bridge. */
  boolean slugReserved(String slug) {
    return reservedRoots.contains(slug);
  }

  /**
   * The reply subject a delivery to {@code slug}'s client may carry: core's request inbox
   * ({@code _INBOX.…}) or a subject under the tenant's own prefix. Anything else is stripped (null): a
   * JetStream ack subject ({@code $JS.ACK.…}) would let the client ack, nak or terminate someone else's
   * consumer, and the gateway's own inbox ({@code _TG_INBOX.…}, where a JetStream publish through the
   * bridge waits for its ack) would let it forge the stream's acknowledgement.
   */
  String replyFor(String slug, String replyTo) {
    if (replyTo == null || replyTo.startsWith(GATEWAY_INBOX_ROOT + ".")) {
      return null;
    }
    return replyTo.startsWith(INBOX_ROOT + ".") || toClient(slug, replyTo) != null ? replyTo : null;
  }

  /** The client's view of a NATS subject under its prefix; null when it is not under the prefix. */
  String toClient(String slug, String natsSubject) {
    int n = slug.length();
    if (natsSubject.length() <= n + 1 || !natsSubject.startsWith(slug) || natsSubject.charAt(n) != '.') {
      return null;
    }
    return natsSubject.substring(n + 1);
  }

  /** The tenant's JetStream stream. */
  String streamName(String slug) {
    return streamNamePrefix + requireSlug(slug);
  }

  /** The subjects the tenant's stream captures, all under its prefix. */
  List<String> streamSubjects(String slug) {
    requireSlug(slug);
    List<String> out = new ArrayList<>(streamSubjects.size());
    for (String s : streamSubjects) {
      out.add(slug + "." + s);
    }
    return out;
  }

  /** Where core reaches one component's open WebSockets: {@code <slug>.edge.<component_id>.>}. */
  String edgeInbox(String slug, String componentId) {
    requireSlug(slug);
    if (!Names.isId(componentId)) {
      throw new IllegalArgumentException("not a component id: " + componentId);
    }
    return slug + "." + EDGE + "." + componentId + ".>";
  }

  static BridgeException refused(SubjectRefusal r) {
    Failure f = switch (r) {
      case NOT_ALLOWED, RESERVED, NOT_STORED -> Failure.SUBJECT_NOT_ALLOWED;
      case PREFIXED, FOREIGN_PREFIX -> Failure.SUBJECT_PREFIXED;
      default -> Failure.SUBJECT_INVALID;
    };
    return new BridgeException(f, r.code(), r.message());
  }

  private static String requireSlug(String slug) {
    if (!Names.isSlug(slug)) {
      throw new IllegalArgumentException("not a tenant slug: " + slug);
    }
    return slug;
  }
}
