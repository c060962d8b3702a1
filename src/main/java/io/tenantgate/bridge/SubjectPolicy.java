package io.tenantgate.bridge;

import io.tenantgate.config.ConfigException;
import io.tenantgate.config.NatsAllowConfig;
import io.tenantgate.identity.ClientIdentity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-component-type allow-lists: a publish subject must match one of the type's publish
 * patterns; a subscription pattern must lie entirely inside one of its subscribe patterns (so
 * {@code jobs.agent-001.*} is inside {@code jobs.{component_id}.>} but {@code jobs.>} is not).
 * Placeholders are filled from the caller's certificate, never from the request.
 */
final class SubjectPolicy {
  private static final String COMPONENT_ID = "{component_id}";
  private static final String PARTITION_ID = "{partition_id}";

  private final Map<String, List<String[]>> publish = new HashMap<>();
  private final Map<String, List<String[]>> subscribe = new HashMap<>();
  private final Map<String, List<String[]>> request = new HashMap<>();

  SubjectPolicy(NatsAllowConfig allow) {
    List<String> problems = new ArrayList<>();
    allow.byType().forEach((type, rule) -> {
      publish.put(type, compile("nats.allow." + type + ".publish", rule.publish(), problems));
      subscribe.put(type, compile("nats.allow." + type + ".subscribe", rule.subscribe(), problems));
      request.put(type, compile("nats.allow." + type + ".request", rule.request(), problems));
    });
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private static List<String[]> compile(String where, List<String> patterns, List<String> problems) {
    List<String[]> out = new ArrayList<>();
    for (String p : patterns) {
      String probe = p.replace(COMPONENT_ID, "x").replace(PARTITION_ID, "x");
      SubjectRefusal r = SubjectMapper.check(probe, true);
      if (r != null) {
        problems.add(where + ": '" + p + "': " + r.message());
      } else {
        out.add(p.split("\\.", -1));
      }
    }
    return List.copyOf(out);
  }

  boolean mayPublish(ClientIdentity id, String clientSubject) {
    return anyCovers(publish, id, clientSubject);
  }

  boolean mayRequest(ClientIdentity id, String clientSubject) {
    return anyCovers(request, id, clientSubject);
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
