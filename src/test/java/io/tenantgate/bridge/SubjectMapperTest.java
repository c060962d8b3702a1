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
  private final SubjectPolicy defaults = new SubjectPolicy(NatsConfig.defaults().allow(),
      NatsStreamConfig.DEFAULT_SUBJECTS);
  private final SubjectMapper mapper = new SubjectMapper("TENANT_", NatsStreamConfig.DEFAULT_SUBJECTS,
      defaults.roots(), Set.of("acme", "globex", "logs", "rpc")::contains);

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
    SubjectPolicy policy = defaults;
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
    var e = assertThrows(io.tenantgate.config.ConfigException.class,
        () -> new SubjectPolicy(bad, NatsStreamConfig.DEFAULT_SUBJECTS));
    assertEquals(2, e.problems().size(), e.getMessage());
  }

  @Test
  void noTenantPrefixCanOverlapANatsSystemNamespace() {
    assertTrue(SubjectMapper.SYSTEM_ROOTS.containsAll(List.of("_INBOX", "_TG_INBOX", "$JS", "$SYS", "$KV")));
    for (String root : SubjectMapper.SYSTEM_ROOTS) {
      assertFalse(io.tenantgate.pki.Names.isSlug(root), root + " could be a slug");
      assertFalse(io.tenantgate.pki.Names.isSlug(root.toLowerCase(java.util.Locale.ROOT)), root + " lowercased");
      String[] space = {root, ">"};
      assertFalse(SubjectPolicy.intersects("acme.>".split("\\."), space), root);
    }
  }

  @Test
  void clientsNeverNameTheGatewaysEdgeNamespace() {
    assertEquals(SubjectRefusal.RESERVED, mapper.refusal("acme", "edge.collector-001.config", false));
    assertEquals(SubjectRefusal.RESERVED, mapper.refusal("acme", "edge.>", true));
    assertEquals(Failure.SUBJECT_NOT_ALLOWED,
        assertThrows(BridgeException.class, () -> mapper.publishSubject("acme", "edge.x")).failure());
    assertEquals("acme.edge.collector-001.>", mapper.edgeInbox("acme", "collector-001"), "the gateway's own use");
  }

  @Test
  void aSlugEqualToASubjectRootIsReservedAndNeverReadAsAnotherTenantsPrefix() {
    assertTrue(defaults.roots().containsAll(Set.of("logs", "events", "jobs", "rpc", "edge", "checkers")),
        defaults.roots().toString());
    assertTrue(mapper.slugReserved("logs"));
    assertTrue(mapper.slugReserved("edge"));
    assertFalse(mapper.slugReserved("acme"));
    // tenants named 'logs' and 'rpc' exist in this registry: the other tenants' subjects are still roots
    assertNull(mapper.refusal("acme", "logs.syslog", false));
    assertNull(mapper.refusal("acme", "rpc.config", false));
    assertEquals(SubjectRefusal.FOREIGN_PREFIX, mapper.refusal("acme", "globex.logs", false));
  }

  @Test
  void allowListsThatReachTheEdgeNamespaceStopTheStart() {
    NatsAllowConfig wide = new NatsAllowConfig(Map.of("collector", new NatsAllowConfig.Rule(
        List.of(">", "logs.>"), List.of("*.{component_id}.>", "edge.{component_id}.>"), List.of("rpc.>"))));
    var e = assertThrows(io.tenantgate.config.ConfigException.class,
        () -> new SubjectPolicy(wide, NatsStreamConfig.DEFAULT_SUBJECTS));
    assertEquals(3, e.problems().size(), e.getMessage());
    assertTrue(e.problems().stream().allMatch(p -> p.contains("edge.")), e.getMessage());
  }

  @Test
  void streamSubjectsOverlappingARequestPatternOrTheEdgeNamespaceStopTheStart() {
    NatsAllowConfig allow = NatsConfig.defaults().allow();
    var rpc = assertThrows(io.tenantgate.config.ConfigException.class,
        () -> new SubjectPolicy(allow, List.of("logs.>", "rpc.config")));
    assertEquals(allow.byType().size(), rpc.problems().size(), "one per component type: " + rpc.getMessage());
    assertTrue(rpc.problems().get(0).startsWith("nats.jetstream.subjects: 'rpc.config' overlaps nats.allow."),
        rpc.getMessage());
    var wild = assertThrows(io.tenantgate.config.ConfigException.class,
        () -> new SubjectPolicy(allow, List.of("*.config")));
    assertTrue(wild.getMessage().contains("reaches edge."), wild.getMessage());
    NatsAllowConfig placeholder = new NatsAllowConfig(Map.of("agent", new NatsAllowConfig.Rule(List.of(),
        List.of(), List.of("jobs.{component_id}.status"))));
    assertThrows(io.tenantgate.config.ConfigException.class,
        () -> new SubjectPolicy(placeholder, List.of("jobs.agent-001.>")), "a placeholder stands for any id");
    new SubjectPolicy(allow, NatsStreamConfig.DEFAULT_SUBJECTS);
  }

  @Test
  void patternsIntersectWhenOneSubjectMatchesBoth() {
    assertTrue(intersects("rpc.>", "rpc.config"));
    assertTrue(intersects("*.config", "rpc.>"));
    assertTrue(intersects("a.*.c", "a.b.*"));
    assertTrue(intersects(">", "x"));
    assertFalse(intersects("rpc.>", "rpc"), "'>' needs one more token");
    assertFalse(intersects("logs.>", "rpc.>"));
    assertFalse(intersects("a.b", "a.b.c"));
    assertFalse(intersects("a.*", "a.b.c"));
  }

  @Test
  void onlyRequestInboxesAndTheTenantsOwnSubjectsAreHandedOutAsReplies() {
    assertEquals("_INBOX.abc.1", mapper.replyFor("acme", "_INBOX.abc.1"));
    assertEquals("acme.replies.7", mapper.replyFor("acme", "acme.replies.7"));
    for (String stripped : List.of("$JS.ACK.TENANT_acme.core.1.5.5.1700000000000000000.0",
        "$JS.API.STREAM.DELETE.TENANT_acme", "$JS.FC.TENANT_acme.x.y", "$SYS.REQ.SERVER.PING", "globex.replies.1",
        "acmex.replies.1", "acme", "_INBOXX.a", "rpc.reply", "_TG_INBOX.jK2x9.1", "_TG_INBOX.other-replica.7")) {
      assertNull(mapper.replyFor("acme", stripped), stripped);
    }
    assertNull(mapper.replyFor("acme", null));
  }

  @Test
  void aJetStreamPublishNeedsAStreamThatCapturesItsSubject() {
    SubjectPolicy p = new SubjectPolicy(new NatsAllowConfig(NatsAllowConfig.DEFAULTS), List.of("events.>", "logs.app.*"));
    ClientIdentity c = identity("collector-001", "collector");
    assertTrue(p.stored(c, "events.up"));
    assertTrue(p.stored(c, "logs.app.x"));
    for (String notStored : List.of("logs.x", "logs.app.x.y", "logs.app", "events", "otel.trace", "rpc.ping")) {
      assertFalse(p.stored(c, notStored), notStored);
    }
    assertEquals(Failure.SUBJECT_NOT_ALLOWED, SubjectMapper.refused(SubjectRefusal.NOT_STORED).failure());
  }

  private static boolean intersects(String a, String b) {
    boolean one = SubjectPolicy.intersects(a.split("\\."), b.split("\\."));
    assertEquals(one, SubjectPolicy.intersects(b.split("\\."), a.split("\\.")), "symmetric: " + a + " " + b);
    return one;
  }

  private static ClientIdentity identity(String componentId, String type) {
    return new ClientIdentity(UUID.randomUUID(), "acme", "default", componentId, type, "00", "01",
        "CN=" + componentId + ".acme.serviceradar", null, "00", List.of());
  }
}
