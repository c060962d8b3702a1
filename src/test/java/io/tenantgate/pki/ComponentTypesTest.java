package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ComponentTypesTest {

  @ParameterizedTest
  @CsvSource({
      "agent-001,         agent",
      "poller-1,          poller",
      "checker-snmp-2,    checker",
      "collector-x-y,     collector",
      "gateway-eu,        gateway",
      "poller,            poller",
      "checker,           checker",
      "sensor-1,          agent",
      "pollerx-1,         agent",
      "Poller-1,          agent",
      "POLLER-1,          agent",
      "-poller,           agent",
      "poller_1,          agent",
      "x,                 agent",
  })
  void typeIsTheKnownPrefixBeforeTheFirstDashElseAgent(String componentId, String type) {
    assertEquals(type, ComponentTypes.fromComponentId(componentId));
  }

  @Test
  void theKnownTypesAreTheDocumentedFive() {
    assertEquals(Set.of("agent", "poller", "checker", "collector", "gateway"), ComponentTypes.KNOWN);
    assertEquals("agent", ComponentTypes.DEFAULT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"agent", "poller", "checker", "collector", "gateway"})
  void knownTypesAreKnown(String type) {
    assertTrue(ComponentTypes.isKnown(type));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Agent", "agents", "robot", " agent"})
  void otherTypesAreNot(String type) {
    assertFalse(ComponentTypes.isKnown(type));
  }
}
