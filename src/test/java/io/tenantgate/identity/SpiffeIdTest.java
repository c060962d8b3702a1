package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTest {

  @ParameterizedTest
  @CsvSource({
      "spiffe://serviceradar.local/agent/acme/default/agent-001, serviceradar.local, agent, acme, default, agent-001",
      "spiffe://example.org/poller/acme-corp/site-1/poller_7,    example.org,        poller, acme-corp, site-1, poller_7",
      "spiffe://td/collector/t1/P/C,                             td,                 collector, t1, P, C",
  })
  void parsesTheFiveSegments(String uri, String td, String type, String slug, String partition, String id) {
    SpiffeId s = SpiffeId.parse(uri);
    assertEquals(new SpiffeId(td, type, slug, partition, id), s);
    assertEquals(uri, s.uri());
  }

  @ParameterizedTest
  @ValueSource(strings = {"agent", "poller", "checker", "collector", "gateway"})
  void acceptsEveryKnownComponentType(String type) {
    assertNotNull(SpiffeId.parse("spiffe://serviceradar.local/" + type + "/acme/default/x-1"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "spiffe://",
      "https://serviceradar.local/agent/acme/default/agent-001",
      "SPIFFE://serviceradar.local/agent/acme/default/agent-001",
      "spiffe:///agent/acme/default/agent-001",
      "spiffe://serviceradar.local/robot/acme/default/agent-001",
      "spiffe://serviceradar.local/Agent/acme/default/agent-001",
      "spiffe://serviceradar.local/agent/Acme/default/agent-001",
      "spiffe://serviceradar.local/agent/acme_corp/default/agent-001",
      "spiffe://serviceradar.local/agent/acme/default",
      "spiffe://serviceradar.local/agent/acme/default/agent-001/extra",
      "spiffe://serviceradar.local/agent/acme/default/agent-001/",
      "spiffe://serviceradar.local/agent/acme//agent-001",
      "spiffe://serviceradar.local/agent/acme/default/agent.001",
      "spiffe://serviceradar.local/agent/acme/site.1/agent-001",
      "spiffe://serviceradar.local/agent/acme/default/-agent",
  })
  void rejectsAnythingElse(String uri) {
    assertNull(SpiffeId.parse(uri));
  }

  @Test
  void rejectsUrisLongerThan2048Characters() {
    String prefix = "spiffe://";
    String tail = "/agent/acme/default/agent-001";
    String td2048 = "a".repeat(2048 - prefix.length() - tail.length());
    assertNotNull(SpiffeId.parse(prefix + td2048 + tail));
    assertNull(SpiffeId.parse(prefix + td2048 + "a" + tail));
  }
}
