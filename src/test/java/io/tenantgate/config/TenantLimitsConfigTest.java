package io.tenantgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The {@code tenantLimits} section and the NATS publish byte rate. */
class TenantLimitsConfigTest {
  private static final String MINIMAL = """
      edge: {tls: {certFile: s.pem, keyFile: s-key.pem, clientCaFile: root.pem}}
      registry: {file: registry.json}
      routes: [{name: core, pathPrefix: /, upstream: 'http://core:8080'}]
      """;

  private static GatewayConfig parse(String extra) {
    return GatewayConfig.parseYaml(MINIMAL + extra, Path.of("/etc/tenantgate"));
  }

  @Test
  void withoutTheSectionTheDefaultsCapConnectionsAndStreamsAndLeaveRatesOpen() {
    GatewayConfig c = parse("");
    assertEquals(TenantLimitsConfig.DEFAULTS, c.tenantLimits());
    assertEquals(new TenantLimitsConfig(10_000, 0, 0, 0, 10_000, 0), c.tenantLimits());
    assertEquals(0, c.nats().publish().bytesPerSecond());
  }

  @Test
  void theExampleConfigurationSpellsOutTheDefaults() {
    GatewayConfig c = GatewayConfig.load(Path.of("conf/tenantgate.yaml"));
    assertEquals(TenantLimitsConfig.DEFAULTS, c.tenantLimits());
    assertEquals(0, c.nats().publish().bytesPerSecond());
  }

  @Test
  void everyKeyIsRead() {
    GatewayConfig c = parse("""
        tenantLimits: {connections: 200, requestsPerSecond: 50, burst: 100, bytesPerSecond: 1MiB, grpcStreams: 20,
          wsSubscriptions: 64}
        nats: {publish: {ratePerSecond: 10, bytesPerSecond: 64KiB}}
        """);
    assertEquals(new TenantLimitsConfig(200, 50, 100, 1 << 20, 20, 64), c.tenantLimits());
    assertEquals(64 * 1024, c.nats().publish().bytesPerSecond());
    assertEquals(10, c.nats().publish().ratePerSecond());
  }

  @Test
  void badValuesAreAllReportedWithTheirPaths() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse("""
        tenantLimits: {connections: -1, requestsPerSecond: fast, bytesPerSecond: 5GiB, rps: 3}
        nats: {publish: {bytesPerSecond: -5}}
        """));
    String all = String.join("\n", e.problems());
    for (String path : new String[] {"tenantLimits.connections", "tenantLimits.requestsPerSecond",
        "tenantLimits.bytesPerSecond", "tenantLimits.rps", "nats.publish.bytesPerSecond"}) {
      assertTrue(all.contains(path), path + " in\n" + all);
    }
  }
}
