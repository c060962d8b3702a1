package io.tenantgate.bridge;

import io.tenantgate.config.ConfigException;
import io.tenantgate.config.NatsAllowConfig;
import io.tenantgate.identity.ClientIdentity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The per-component-type allow-lists: a publish subject must match one of the type's publish
 * patterns; a subscription pattern must lie entirely inside one of its subscribe patterns (so
 * {@code jobs.agent-001.*} is inside {@code jobs.{component_id}.>} but {@code jobs.>} is not).
 * Placeholders are filled from the caller's certificate, never from the request.
 *
 * <p>Checked at start, with every problem reported together: no pattern may reach the gateway's own
 * {@code edge.…} namespace (core's channel to one component), and no stream subject may overlap a
 * request pattern or {@code edge.…} — a stream answers every message that has a reply subject with
 * its publish acknowledgement, so the requester would get a JetStream ack instead of the reply.
 */
final class SubjectPolicy {
  private static final String COMPONENT_ID = "{component_id}";
  private static final String PARTITION_ID = "{partition_id}";
  private static final String[] EDGE_SPACE = {SubjectMapper.EDGE, ">"};

  private final Map<String, List<String[]>> publish = new HashMap<>();
  private final Map<String, List<String[]>> subscribe = new HashMap<>();
  private final Map<String, List<String[]>> request = new HashMap<>();
  private final Set<String> roots = new TreeSet<>();
  private final List<String[]> stream;

  /**
   * @param streamSubjects the patterns (below the tenant prefix) each tenant stream captures
   * @throws ConfigException listing every malformed or overlapping pattern
   */
  SubjectPolicy(NatsAllowConfig allow, List<String> streamSubjects) {
    List<String> problems = new ArrayList<>();
    allow.byType().forEach((type, rule) -> {
      publish.put(type, compile("nats.allow." + type + ".publish", rule.publish(), problems));
      subscribe.put(type, compile("nats.allow." + type + ".subscribe", rule.subscribe(), problems));
      request.put(type, compile("nats.allow." + type + ".request", rule.request(), problems));
    });
    stream = compile("nats.jetstream.subjects", streamSubjects, problems);
    checkStreamOverlaps(allow, stream, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    roots.add(SubjectMapper.EDGE);
  }

  private List<String[]> compile(String where, List<String> patterns, List<String> problems) {
    List<String[]> out = new ArrayList<>();
    for (String p : patterns) {
      String probe = p.replace(COMPONENT_ID, "x").replace(PARTITION_ID, "x");
      SubjectRefusal r = SubjectMapper.check(probe, true);
      String[] tokens = p.split("\\.", -1);
      if (r != null) {
        problems.add(where + ": '" + p + "': " + r.message());
      } else if (intersects(tokens, EDGE_SPACE)) {
        problems.add(where + ": '" + p + "' reaches edge.…, the gateway's own core-to-component namespace");
      } else {
        out.add(tokens);
        if (!isWild(tokens[0])) {
          roots.add(tokens[0]);
        }
      }
    }
    return List.copyOf(out);
  }

  private static void checkStreamOverlaps(NatsAllowConfig allow, List<String[]> stream, List<String> problems) {
    for (String[] s : stream) {
      allow.byType().forEach((type, rule) -> {
        for (String r : rule.request()) {
          if (intersects(s, r.split("\\.", -1))) {
            problems.add("nats.jetstream.subjects: '" + String.join(".", s) + "' overlaps nats.allow." + type
                + ".request '" + r + "': the stream would answer those requests with its JetStream ack");
          }
        }
      });
    }
  }

  /**
   * The first tokens the configuration gives meaning to (every literal pattern root, and {@code edge}):
   * a tenant slug equal to one of them is reserved, since its prefix would read as a subject root.
   */
  Set<String> roots() {
    return Set.copyOf(roots);
  }

  boolean mayPublish(ClientIdentity id, String clientSubject) {
    return anyCovers(publish, id, clientSubject);
  }

  boolean mayRequest(ClientIdentity id, String clientSubject) {
    return anyCovers(request, id, clientSubject);
  }

  /**
   * Whether a tenant stream captures {@code clientSubject}: a JetStream publish to any other subject
   * would be stored nowhere.
   */
  boolean stored(ClientIdentity id, String clientSubject) {
    String[] s = clientSubject.split("\\.", -1);
    for (String[] p : stream) {
      if (covers(p, s, id)) {
        return true;
      }
    }
    return false;
  }

  boolean maySubscribe(ClientIdentity id, String clientPattern) {
    return anyCovers(subscribe, id, clientPattern);
  }

  private static boolean anyCovers(Map<String, List<String[]>> rules, ClientIdentity id, String subject) {
    String[] s = subject.split("\\.", -1);
    for (String[] p : rules.getOrDefault(id.componentType(), List.of())) {
      if (covers(p, s, id)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether every subject {@code pattern} can match is also matched by {@code allowed}. A literal
   * subject is a pattern without wildcards, so this is plain matching for publishes too.
   */
  static boolean covers(String[] allowed, String[] pattern, ClientIdentity id) {
    for (int i = 0; i < allowed.length; i++) {
      String a = resolve(allowed[i], id);
      if (a.equals(">")) {
        return pattern.length > i;
      }
      if (i >= pattern.length) {
        return false;
      }
      String t = pattern[i];
      if (t.equals(">")) {
        return false;
      }
      if (!a.equals("*") && !a.equals(t)) {
        return false;
      }
    }
    return pattern.length == allowed.length;
  }

  /**
   * Whether some subject matches both patterns. A placeholder token stands for any token, since it
   * becomes whatever id a certificate carries.
   */
  static boolean intersects(String[] a, String[] b) {
    for (int i = 0; ; i++) {
      if (i == a.length || i == b.length) {
        return i == a.length && i == b.length;
      }
      String x = wildcardOf(a[i]);
      String y = wildcardOf(b[i]);
      if (x.equals(">") || y.equals(">")) {
        return true;
      }
      if (!x.equals("*") && !y.equals("*") && !x.equals(y)) {
        return false;
      }
    }
  }

  /** {@code *}, {@code >} or a token with a placeholder (any id). */
  private static boolean isWild(String token) {
    return token.equals("*") || token.equals(">") || token.indexOf('{') >= 0;
  }

  /** The token as a matcher sees it: a placeholder matches any one token, like {@code *}. */
  private static String wildcardOf(String token) {
    return token.indexOf('{') >= 0 ? "*" : token;
  }

  private static String resolve(String token, ClientIdentity id) {
    if (token.equals(COMPONENT_ID)) {
      return id.componentId();
    }
    if (token.equals(PARTITION_ID)) {
      return id.partitionId();
    }
    return token;
  }
}
