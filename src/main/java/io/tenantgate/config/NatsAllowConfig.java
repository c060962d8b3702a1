package io.tenantgate.config;

import io.tenantgate.pki.ComponentTypes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each component type may do on NATS, in unprefixed subjects (the tenant prefix is always
 * added by the bridge). Patterns use NATS wildcards and the placeholders {@code {component_id}} and
 * {@code {partition_id}}, filled from the caller's certificate. A type configured here replaces its
 * default entirely; types not configured keep their defaults. Requests (request/reply) have their
 * own list, by default {@code rpc.>}, a namespace the tenant streams do not capture (a stream would
 * otherwise answer every request with its publish ack). Pattern syntax is checked by the bridge's
 * subject validator at start.
 */
public record NatsAllowConfig(Map<String, Rule> byType) {

  /** The patterns one component type may publish to, subscribe to and send requests to. */
  public record Rule(List<String> publish, List<String> subscribe, List<String> request) {
    public Rule {
      publish = List.copyOf(publish);
      subscribe = List.copyOf(subscribe);
      request = List.copyOf(request);
    }
  }

  private static final List<String> JOBS = List.of("jobs.{component_id}.>");
  private static final List<String> RPC = List.of("rpc.>");

  /** ServiceRadar-like defaults. */
  public static final Map<String, Rule> DEFAULTS = Map.of(
      "collector", new Rule(List.of("logs.>", "otel.>", "flows.>", "events.>", "telemetry.>"), JOBS, RPC),
      "agent", new Rule(List.of("agents.>", "pollers.>", "events.>"), JOBS, RPC),
      "poller", new Rule(List.of("agents.>", "pollers.>", "events.>"), JOBS, RPC),
      "checker", new Rule(List.of("checkers.>", "events.>", "telemetry.>"), JOBS, RPC),
      "gateway", new Rule(List.of("agents.>", "pollers.>", "checkers.>", "events.>", "telemetry.>", "logs.>"), JOBS, RPC));

  public NatsAllowConfig {
    byType = Map.copyOf(byType);
  }

  /** The rule for {@code componentType}; an unknown type may do nothing. */
  public Rule rule(String componentType) {
    Rule r = byType.get(componentType);
    return r == null ? new Rule(List.of(), List.of(), List.of()) : r;
  }

  static NatsAllowConfig parse(Node n) {
    Map<String, Rule> rules = new LinkedHashMap<>(DEFAULTS);
    for (String type : ComponentTypes.KNOWN) {
      if (n.has(type)) {
        Node t = n.child(type);
        rules.put(type, new Rule(patterns(t, "publish"), patterns(t, "subscribe"), patterns(t, "request")));
        t.rejectUnknownKeys();
      }
    }
    n.rejectUnknownKeys();
    return new NatsAllowConfig(rules);
  }

  private static List<String> patterns(Node t, String key) {
    List<String> out = t.strings(key, List.of());
    for (String p : out) {
      if (p == null || p.isBlank()) {
        t.problem(key, "patterns must not be empty");
      }
    }
    return out;
  }
}
