package io.tenantgate.bridge;

import io.tenantgate.error.Failure;
import io.tenantgate.pki.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The only code that builds a tenant subject, and the one validator of client-supplied subjects.
 * A tenant speaks in unprefixed subjects ({@code logs.syslog}); NATS sees {@code <slug>.logs.syslog}.
 * What a client sends can never leave its prefix: tokens are non-empty runs of {@code [A-Za-z0-9_-]},
 * publishes carry no wildcards, subscriptions may use {@code *} and a final {@code >} only below the
 * prefix, and a subject that already names a tenant prefix is refused rather than prefixed twice.
 * Stream names and the core-to-edge inbox are built here too.
 */
public final class SubjectMapper {
  /** Longest client subject, in characters. */
  static final int MAX_LENGTH = 256;
  /** Most tokens in a client subject. */
  static final int MAX_TOKENS = 16;
  /** First token of the subjects core uses to reach one component: {@code <slug>.edge.<component_id>.>}. */
  static final String EDGE = "edge";

  private final String streamNamePrefix;
  private final List<String> streamSubjects;
  private final Predicate<String> isTenantSlug;

  /**
   * @param streamNamePrefix stream name = prefix + slug
   * @param streamSubjects client patterns (below the prefix) each tenant stream captures
   * @param isTenantSlug whether a first token names a registered tenant (refused as a foreign prefix)
   */
  SubjectMapper(String streamNamePrefix, List<String> streamSubjects, Predicate<String> isTenantSlug) {
    this.streamNamePrefix = streamNamePrefix;
    this.streamSubjects = List.copyOf(streamSubjects);
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
    if (first.equals(slug)) {
      return SubjectRefusal.PREFIXED;
    }
    if (isTenantSlug.test(first)) {
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
      case NOT_ALLOWED -> Failure.SUBJECT_NOT_ALLOWED;
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
