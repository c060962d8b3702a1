package io.tenantgate.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.NatsConfig;
import io.tenantgate.config.NatsStreamConfig;
import io.tenantgate.error.Failure;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.pki.ComponentTypes;
import io.tenantgate.testing.FuzzTries;
import io.tenantgate.testing.Hostile;
import io.tenantgate.testing.ValidNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * DESIGN.md section 3 on generated subjects: whatever a client sends, the NATS subject the bridge
 * builds stays under the sender's own {@code <slug>.} prefix (no wildcard, empty token, foreign
 * prefix or {@code edge.} namespace in a publish; wildcards only below the prefix in a subscription),
 * maps back to exactly what the client sent, and anything else is refused with a BridgeException of
 * the subject failures — never another exception. The allow-lists are sound: a subscription they admit
 * only ever matches subjects they would admit one by one.
 */
@AddLifecycleHook(FuzzTries.class)
class SubjectPropertiesTest {
  private static final Set<String> TENANTS = Set.of("acme", "globex", "initech");
  private static final Set<Failure> SUBJECT_FAILURES = Set.of(Failure.SUBJECT_INVALID, Failure.SUBJECT_PREFIXED,
      Failure.SUBJECT_NOT_ALLOWED);
  private final SubjectPolicy policy = new SubjectPolicy(NatsConfig.defaults().allow(), NatsStreamConfig.DEFAULT_SUBJECTS);
  private final SubjectMapper mapper = new SubjectMapper("TENANT_", NatsStreamConfig.DEFAULT_SUBJECTS, policy.roots(),
      TENANTS::contains);

  @Property(tries = 2000)
  void aPublishNeverLeavesTheSendersPrefix(@ForAll("slugs") String slug, @ForAll("subjects") String subject) {
    String nats;
    try {
      nats = mapper.publishSubject(slug, subject);
    } catch (BridgeException e) {
      assertTrue(SUBJECT_FAILURES.contains(e.failure()), e.failure() + " for " + subject);
      assertNotNull(e.reason());
      return;
    }
    assertEquals(slug + "." + subject, nats);
    assertEquals(subject, mapper.toClient(slug, nats));
    String[] tokens = nats.split("\\.", -1);
    assertEquals(slug, tokens[0]);
    assertTrue(tokens.length >= 2 && tokens.length <= SubjectMapper.MAX_TOKENS + 1, nats);
    for (String t : tokens) {
      assertTrue(!t.isEmpty() && t.chars().allMatch(SubjectPropertiesTest::isTokenChar), "token '" + t + "' in " + nats);
    }
    assertFalse(tokens[1].equals(SubjectMapper.EDGE), "the gateway's own namespace: " + nats);
    assertFalse(tokens[1].equals(slug), "prefixed twice: " + nats);
    assertFalse(TENANTS.contains(tokens[1]) && !policy.roots().contains(tokens[1]), "another tenant's prefix: " + nats);
  }

  @Property(tries = 2000)
  void aSubscriptionsWildcardsStayBelowThePrefix(@ForAll("slugs") String slug, @ForAll("patterns") String pattern) {
    String nats;
    try {
      nats = mapper.subscribeSubject(slug, pattern);
    } catch (BridgeException e) {
      assertTrue(SUBJECT_FAILURES.contains(e.failure()), e.failure() + " for " + pattern);
      return;
    }
    String[] tokens = nats.split("\\.", -1);
    assertEquals(slug, tokens[0], "the first token is always the literal slug: " + nats);
    assertTrue(tokens.length >= 2, nats);
    for (int i = 1; i < tokens.length; i++) {
      String t = tokens[i];
      boolean wild = t.equals("*") || t.equals(">") && i == tokens.length - 1;
      assertTrue(wild || !t.isEmpty() && t.chars().allMatch(SubjectPropertiesTest::isTokenChar), "token '" + t + "' in " + nats);
    }
    assertFalse(tokens[1].equals(SubjectMapper.EDGE), nats);
  }

  @Property(tries = 2000)
  void syntaxChecksAndReverseMappingNeverThrow(@ForAll("subjects") String any, @ForAll("slugs") String slug) {
    SubjectMapper.check(any, false);
    SubjectMapper.check(any, true);
    String client = mapper.toClient(slug, any);
    assertTrue(client == null || any.equals(slug + "." + client), any);
    String reply = mapper.replyFor(slug, any);
    assertTrue(reply == null || reply.startsWith("_INBOX.") || reply.startsWith(slug + "."), "reply " + any);
    assertTrue(reply == null || reply.equals(any));
  }

  @Property(tries = 1500)
  void whatTheAllowListsAdmitAsAPatternTheyAdmitForEverySubjectItMatches(@ForAll("types") String type,
      @ForAll("ids") String componentId, @ForAll("allowListPatterns") String pattern, @ForAll long seed) {
    ClientIdentity id = new ClientIdentity(UUID.randomUUID(), "acme", "default", componentId, type, "00", "01",
        "CN=x", null, "00", List.of());
    if (SubjectMapper.check(pattern, true) != null || !policy.maySubscribe(id, pattern)) {
      return;
    }
    Random random = new Random(seed);
    for (int i = 0; i < 5; i++) {
      String subject = instance(pattern, componentId, random);
      assertTrue(policy.maySubscribe(id, subject), pattern + " admitted but not its subject " + subject);
    }
  }

  /** A concrete subject {@code pattern} matches: '*' becomes a token, '>' one to three tokens. */
  private static String instance(String pattern, String componentId, Random random) {
    List<String> out = new ArrayList<>();
    String[] pool = {"x", "agent-001", componentId, "jobs", "run", "logs", "Z_9"};
    for (String t : pattern.split("\\.", -1)) {
      if (t.equals("*")) {
        out.add(pool[random.nextInt(pool.length)]);
      } else if (t.equals(">")) {
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
          out.add(pool[random.nextInt(pool.length)]);
        }
      } else {
        out.add(t);
      }
    }
    return String.join(".", out);
  }

  private static boolean isTokenChar(int c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-';
  }

  // --- generators ---------------------------------------------------------------------------------

  @Provide
  Arbitrary<String> slugs() {
    return Arbitraries.oneOf(Arbitraries.of("acme", "globex"), ValidNames.slugs()
        .filter(s -> !policy.roots().contains(s)));
  }

  /** Hostile strings, and dotted near-valid subjects that name roots, tenants and the edge namespace. */
  @Provide
  Arbitrary<String> subjects() {
    Arbitrary<String> token = Arbitraries.oneOf(Arbitraries.of("acme", "globex", "initech", "logs", "rpc", "jobs",
        "edge", "events", "_INBOX", "$JS", "$SYS", "*", ">", "", " ", "a b", "x\u0000", "é", "ACME"),
        Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('-', '_').ofMinLength(1).ofMaxLength(20));
    return Arbitraries.oneOf(Hostile.strings(), token.list().ofMinSize(1).ofMaxSize(18).map(l -> String.join(".", l)));
  }

  @Provide
  Arbitrary<String> patterns() {
    return subjects();
  }

  /** Patterns near the default allow-lists (jobs.{component_id}.>, rpc.>, logs.>, ...). */
  @Provide
  Arbitrary<String> allowListPatterns() {
    Arbitrary<String> token = Arbitraries.of("jobs", "rpc", "logs", "events", "agents", "agent-001", "collector-001",
        "x", "*", ">");
    return token.list().ofMinSize(1).ofMaxSize(5).map(l -> String.join(".", l));
  }

  @Provide
  Arbitrary<String> types() {
    return Arbitraries.of(ComponentTypes.KNOWN.toArray(new String[0]));
  }

  @Provide
  Arbitrary<String> ids() {
    return Arbitraries.oneOf(Arbitraries.of("agent-001", "collector-001"), ValidNames.ids());
  }
}
