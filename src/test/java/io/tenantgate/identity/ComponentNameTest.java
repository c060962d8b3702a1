package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ComponentNameTest {

  private static final String TD = "serviceradar";

  @ParameterizedTest
  @CsvSource({
      "agent-001.tenant-12345.serviceradar,   agent-001, default, tenant-12345",
      "agent-001.site-1.acme-corp.serviceradar, agent-001, site-1, acme-corp",
      "Agent_01.acme.serviceradar,            Agent_01,  default, acme",
      "poller-7.Site_B.acme.serviceradar,     poller-7,  Site_B,  acme",
      "a.b.serviceradar,                      a,         default, b",
      "1.2.3.serviceradar,                    1,         2,       3",
      "agent-001.default.acme.serviceradar,   agent-001, default, acme",
  })
  void parsesBothCnShapes(String cn, String componentId, String partitionId, String tenantSlug) {
    assertEquals(new ComponentName(componentId, partitionId, tenantSlug), ComponentName.parse(cn, TD));
  }

  @Test
  void threePartCnHasTheDefaultPartition() {
    assertEquals(ComponentName.DEFAULT_PARTITION, ComponentName.parse("agent-001.acme.serviceradar", TD).partitionId());
    assertEquals("default", ComponentName.DEFAULT_PARTITION);
  }

  @Test
  void trustDomainIsConfigurable() {
    assertEquals(new ComponentName("agent-1", "default", "acme"), ComponentName.parse("agent-1.acme.edge", "edge"));
    assertEquals(new ComponentName("agent-1", "site-1", "acme"),
        ComponentName.parse("agent-1.site-1.acme.edge.example.org", "edge.example.org"));
    assertNull(ComponentName.parse("agent-1.acme.serviceradar", "edge"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "serviceradar",
      ".serviceradar",
      "acme.serviceradar",
      "agent-001.acme.example",
      "agent-001.acme.serviceradar.",
      "agent-001.acme.serviceradar.evil.com",
      "agent-001.acme.xserviceradar",
      "agent-001.acme.SERVICERADAR",
      "a.b.c.acme.serviceradar",
      "agent-001..serviceradar",
      "agent-001..acme.serviceradar",
      ".agent-001.acme.serviceradar",
      "agent-001.site-1..serviceradar",
      "agent-001.ACME.serviceradar",
      "agent-001.Acme.serviceradar",
      "agent-001.acme_corp.serviceradar",
      "agent-001.-acme.serviceradar",
      "agent-001.acme-.serviceradar",
      "-agent.acme.serviceradar",
      "agent-.acme.serviceradar",
      "_agent.acme.serviceradar",
      "agent 001.acme.serviceradar",
      "agent*.acme.serviceradar",
      "agent-001.site/1.acme.serviceradar",
      "agent-001.site-.acme.serviceradar",
      "*.acme.serviceradar",
  })
  void rejectsCnsOfAnyOtherShape(String cn) {
    assertNull(ComponentName.parse(cn, TD));
  }

  @Test
  void rejectsSlugWithUppercase() {
    assertNull(ComponentName.parse("agent-001.Acme-Corp.serviceradar", TD));
  }

  @Test
  void acceptsASlugOfSixtyThreeCharactersButNotSixtyFour() {
    String slug63 = "a" + "b".repeat(61) + "c";
    assertEquals(slug63, ComponentName.parse("agent." + slug63 + ".serviceradar", TD).tenantSlug());
    assertNull(ComponentName.parse("agent." + slug63 + "d.serviceradar", TD));
  }

  static Stream<Arguments> idLengths() {
    String id128 = "A" + "_".repeat(126) + "9";
    String id129 = "A" + "-".repeat(127) + "9";
    return Stream.of(
        Arguments.of(id128 + ".acme.serviceradar", true),
        Arguments.of(id129 + ".acme.serviceradar", false),
        Arguments.of("agent." + id128 + ".acme.serviceradar", true),
        Arguments.of("agent." + id129 + ".acme.serviceradar", false));
  }

  @ParameterizedTest
  @MethodSource("idLengths")
  void componentAndPartitionIdsMayHaveAtMost128Characters(String cn, boolean accepted) {
    assertEquals(accepted, ComponentName.parse(cn, TD) != null);
  }

  @Test
  void underscoresAreAllowedInIdsButNotAtTheEdges() {
    assertNotNull(ComponentName.parse("my_agent_1.site_2.acme.serviceradar", TD));
    assertNull(ComponentName.parse("my_agent_.acme.serviceradar", TD));
    assertNull(ComponentName.parse("agent.site_.acme.serviceradar", TD));
  }

  @Test
  void acceptsACnOf253CharactersButNotLonger() {
    String id = "a".repeat(128);
    String slug = "s".repeat(63);
    // 128 + 1 + partition + 1 + 63 + ".serviceradar"(13) = 206 + partition
    String cn253 = id + "." + "p".repeat(47) + "." + slug + ".serviceradar";
    String cn254 = id + "." + "p".repeat(48) + "." + slug + ".serviceradar";
    assertEquals(253, cn253.length());
    assertEquals(254, cn254.length());
    assertNotNull(ComponentName.parse(cn253, TD));
    assertNull(ComponentName.parse(cn254, TD));
  }

  @ParameterizedTest
  @ValueSource(strings = {"agent-001.acme.serviceradar", "agent-001.site-1.acme.serviceradar"})
  void toCnIsTheInverseOfParse(String cn) {
    assertEquals(cn, ComponentName.parse(cn, TD).toCn(TD));
  }

  @Test
  void toCnWritesTheDefaultPartitionAsTheThreePartShape() {
    assertEquals("agent-1.acme.edge", new ComponentName("agent-1", "default", "acme").toCn("edge"));
    assertEquals("agent-1.p.acme.edge", new ComponentName("agent-1", "p", "acme").toCn("edge"));
  }
}
