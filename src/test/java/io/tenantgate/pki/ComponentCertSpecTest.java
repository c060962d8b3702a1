package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ComponentCertSpecTest {

  @Test
  void ofAppliesTheProductDefaults() {
    ComponentCertSpec spec = ComponentCertSpec.of("agent-001", "tenant-12345");
    assertEquals("default", spec.partitionId());
    assertEquals("agent", spec.componentType());
    assertEquals("serviceradar", spec.trustDomain());
    assertEquals("serviceradar.local", spec.spiffeTrustDomain());
    assertFalse(spec.serverAuth());
    assertEquals(Duration.ofDays(365), spec.validity());
    assertEquals(KeyAlgorithm.EC_P256, spec.keyAlgorithm());
  }

  @Test
  void defaultPartitionGivesTheThreePartCommonName() {
    ComponentCertSpec spec = ComponentCertSpec.of("agent-001", "tenant-12345");
    assertEquals("agent-001.tenant-12345.serviceradar", spec.commonName());
    assertEquals("agent-001.tenant-12345.serviceradar",
        spec.withPartitionId(null).commonName());
    assertEquals("spiffe://serviceradar.local/agent/tenant-12345/default/agent-001",
        spec.spiffeId());
  }

  @Test
  void namedPartitionGivesTheFourPartCommonName() {
    ComponentCertSpec spec =
        ComponentCertSpec.of("agent-001", "acme-corp").withPartitionId("site-1");
    assertEquals("agent-001.site-1.acme-corp.serviceradar", spec.commonName());
    assertEquals("spiffe://serviceradar.local/agent/acme-corp/site-1/agent-001", spec.spiffeId());
  }

  @Test
  void componentTypeComesFromAKnownIdPrefixElseAgent() {
    assertEquals("poller", ComponentCertSpec.of("poller-7", "acme").componentType());
    assertEquals("checker", ComponentCertSpec.of("checker-a-b", "acme").componentType());
    assertEquals("collector", ComponentCertSpec.of("collector", "acme").componentType());
    assertEquals("gateway", ComponentCertSpec.of("gateway-1", "acme").componentType());
    assertEquals("agent", ComponentCertSpec.of("sensor-1", "acme").componentType());
    assertEquals("agent", ComponentCertSpec.of("Poller-1", "acme").componentType());
  }

  @Test
  void copyMethodsChangeOnlyTheirField() {
    ComponentCertSpec base = ComponentCertSpec.of("agent-001", "acme");
    ComponentCertSpec changed = base.withComponentId("poller-2").withTrustDomain("example.net")
        .withServerAuth(true).withValidity(Duration.ofDays(30))
        .withKeyAlgorithm(KeyAlgorithm.RSA_2048).withTenantSlug("globex")
        .withComponentType("collector");
    assertEquals("poller-2", changed.componentId());
    assertEquals("collector", changed.componentType());
    assertEquals("poller-2.globex.example.net", changed.commonName());
    assertTrue(changed.serverAuth());
    assertEquals(Duration.ofDays(30), changed.validity());
    assertEquals(KeyAlgorithm.RSA_2048, changed.keyAlgorithm());
    assertEquals("agent-001", base.componentId());
  }

  @Test
  void nullSpiffeTrustDomainMeansNoSpiffeId() {
    assertNull(ComponentCertSpec.of("agent-001", "acme").withSpiffeTrustDomain(null).spiffeId());
  }

  @Test
  void rejectsNamesThatCouldEscapeTheirCommonNamePosition() {
    ComponentCertSpec base = ComponentCertSpec.of("agent-001", "acme");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> base.withComponentId("agent.001"));
    assertTrue(e.getMessage().contains("component id"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> base.withTenantSlug("Acme"));
    assertThrows(IllegalArgumentException.class, () -> base.withTenantSlug("acme-"));
    assertThrows(IllegalArgumentException.class, () -> base.withPartitionId("site/1"));
    assertThrows(IllegalArgumentException.class, () -> base.withComponentType("Agent"));
    assertThrows(IllegalArgumentException.class, () -> base.withTrustDomain("serviceradar."));
    assertThrows(IllegalArgumentException.class, () -> base.withSpiffeTrustDomain(""));
    assertThrows(IllegalArgumentException.class, () -> base.withValidity(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ComponentCertSpec.of(null, "acme"));
  }
}
