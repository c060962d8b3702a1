package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.NatsAllowConfig;
import io.tenantgate.config.NatsConfig;
import io.tenantgate.config.NatsStreamConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SubjectMapperTest {
  private final SubjectMapper mapper = new SubjectMapper("TENANT_", NatsStreamConfig.DEFAULT_SUBJECTS,
      Set.of("acme", "globex")::contains);

  @Test
  void prefixesAClientSubjectWithItsTenant() {
    assertEquals("acme.logs.syslog", mapper.publishSubject("acme", "logs.syslog"));
    assertEquals("acme.jobs.agent-001.>", mapper.subscribeSubject("acme", "jobs.agent-001.>"));
    assertEquals("acme.jobs.*.run", mapper.subscribeSubject("acme", "jobs.*.run"));
    assertEquals("logs.syslog", mapper.toClient("acme", "acme.logs.syslog"));
    assertNull(mapper.toClient("acme", "acmex.logs"));
    assertNull(mapper.toClient("acme", "globex.logs"));
    assertEquals("TENANT_acme", mapper.streamName("acme"));
    assertTrue(mapper.streamSubjects("acme").stream().allMatch(s -> s.startsWith("acme.")));
    assertEquals("acme.edge.collector-001.>", mapper.edgeInbox("acme", "collector-001"));
  }

  @Test
  void everyEscapeAttemptIsRefusedWithAReason() {
    List<String> all = new java.util.ArrayList<>(NatsBridgeIT.ESCAPES);
    all.addAll(List.of("acme.logs", "globex.logs", "globex", "acme"));
    assertTrue(all.size() >= 30, "table size " + all.size());
    for (String s : all) {
      BridgeException e = assertThrows(BridgeException.class, () -> mapper.publishSubject("acme", s), s);
      assertTrue(Set.of(Failure.SUBJECT_INVALID, Failure.SUBJECT_PREFIXED).contains(e.failure()), s);
      assertNotNull(e.reason(), s);
    }
    assertEquals(SubjectRefusal.PREFIXED, mapper.refusal("acme", "acme.logs", false));
    assertEquals(SubjectRefusal.FOREIGN_PREFIX, mapper.refusal("acme", "globex.logs", false));
    assertEquals(SubjectRefusal.WILDCARD, mapper.refusal("acme", "*.x", false));
    assertEquals(SubjectRefusal.EMPTY_TOKEN, mapper.refusal("acme", "..", false));
    assertEquals(SubjectRefusal.BAD_CHARACTER, mapper.refusal("acme", "logs syslog", false));
    assertEquals(SubjectRefusal.BAD_WILDCARD, mapper.refusal("acme", "logs.>.x", true));
    assertEquals(SubjectRefusal.BAD_WILDCARD, mapper.refusal("acme", "logs.sys*", true));
  }

  @Test
  void allowListsCoverPatternsOnlyInsideThem() {
    SubjectPolicy policy = new SubjectPolicy(NatsConfig.defaults().allow());
    ClientIdentity agent = identity("agent-001", "agent");
    ClientIdentity collector = identity("collector-001", "collector");
    assertTrue(policy.mayPublish(collector, "logs.syslog"));
    assertFalse(policy.mayPublish(collector, "logs"), "'logs.>' needs at least one more token");
    assertFalse(policy.mayPublish(agent, "logs.syslog"));
    assertTrue(policy.mayPublish(agent, "agents.agent-001.status"));
    assertTrue(policy.maySubscribe(agent, "jobs.agent-001.>"));
    assertTrue(policy.maySubscribe(agent, "jobs.agent-001.*"));
    assertFalse(policy.maySubscribe(agent, "jobs.>"));
    assertFalse(policy.maySubscribe(agent, "jobs.*.run"));
    assertFalse(policy.maySubscribe(agent, "jobs.agent-002.>"));
    assertTrue(policy.mayRequest(agent, "rpc.config"));
    assertFalse(policy.mayRequest(agent, "events.x"));
  }

  @Test
  void aMalformedAllowListPatternStopsTheStart() {
    NatsAllowConfig bad = new NatsAllowConfig(Map.of("agent",
        new NatsAllowConfig.Rule(List.of("logs..x", ">.x"), List.of(), List.of())));
    var e = assertThrows(io.tenantgate.config.ConfigException.class, () -> new SubjectPolicy(bad));
    assertEquals(2, e.problems().size(), e.getMessage());
  }

  private static ClientIdentity identity(String componentId, String type) {
    return new ClientIdentity(UUID.randomUUID(), "acme", "default", componentId, type, "00", "01",
        "CN=" + componentId + ".acme.serviceradar", null, "00", List.of());
  }
}
