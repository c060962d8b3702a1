package io.tenantgate.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Tenant quota overrides: the one validator of their JSON form, and their place in the registry file. */
class TenantLimitsTest {
  private static final UUID ACME = UUID.fromString("00000000-0000-4000-8000-000000000001");

  private static List<String> problems(String json) {
    List<String> out = new ArrayList<>();
    TenantLimits.parse(new JsonObject(json), (field, message) -> out.add(field));
    return out;
  }

  @Test
  void everyFieldParsesAndEncodesBackToTheSameJson() {
    JsonObject all = new JsonObject().put("connections", 200).put("rps", 50).put("burst", 100)
        .put("bytes_per_second", 1 << 20).put("grpc_streams", 20).put("nats_publishes_per_second", 10)
        .put("nats_bytes_per_second", 65536).put("ws_subscriptions", 64);
    TenantLimits l = TenantLimits.parse(all, "t");
    assertEquals(new TenantLimits(200L, 50L, 100L, (long) (1 << 20), 20L, 10L, 65536L, 64L), l);
    assertEquals(all, l.toJson());
    assertEquals(new JsonObject(), TenantLimits.NONE.toJson());
    assertTrue(TenantLimits.parse(new JsonObject().putNull("rps"), "t").isEmpty(), "null: the default");
    assertEquals(50L, l.get("rps"));
    assertNull(l.with("rps", null).rps());
    assertEquals(7L, TenantLimits.NONE.with("ws_subscriptions", 7L).wsSubscriptions());
  }

  @Test
  void everyBadFieldIsNamedAndNothingBadIsKept() {
    assertEquals(List.of("rpss", "rps", "burst", "bytes_per_second", "grpc_streams"), problems("{\"rpss\": 1,"
        + " \"rps\": -1, \"burst\": 1.5, \"bytes_per_second\": \"1MiB\", \"grpc_streams\": 99999999999}"));
    assertEquals(List.of(), problems("{\"rps\": 2.0, \"connections\": 0}"), "integral numbers and 0 are fine");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TenantLimits.parse(new JsonObject("{\"rps\": true}"), "tenants[0].limits"));
    assertTrue(e.getMessage().startsWith("tenants[0].limits.rps: must be an integer"), e.getMessage());
  }

  @Test
  void commandLineValuesAreIntegersSizesForByteRatesOrDefault() {
    assertEquals(50L, TenantLimits.parseValue("rps", "50"));
    assertNull(TenantLimits.parseValue("rps", "default"));
    assertEquals(0L, TenantLimits.parseValue("connections", "0"));
    assertEquals(64L * 1024, TenantLimits.parseValue("bytes_per_second", "64KiB"));
    assertEquals(10L << 20, TenantLimits.parseValue("nats_bytes_per_second", "10m"));
    assertThrows(IllegalArgumentException.class, () -> TenantLimits.parseValue("rps", "10k"));
    assertThrows(IllegalArgumentException.class, () -> TenantLimits.parseValue("rps", "-1"));
    assertThrows(IllegalArgumentException.class, () -> TenantLimits.parseValue("rps", "lots"));
    assertThrows(IllegalArgumentException.class, () -> TenantLimits.parseValue("bytes_per_second", "5GiB"));
  }

  @Test
  void theRegistryFileCarriesLimitsIntoTheSnapshotAndDropsTheKeyWhenCleared() {
    RegistryFile file = RegistryFile.empty().addTenant(new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE));
    assertTrue(!file.encode().contains("limits"), "no overrides, no key");
    assertTrue(file.setTenantLimits("acme", TenantLimits.NONE.with("rps", 5L)));
    RegistryFile reread = RegistryFile.parse(file.encode());
    assertEquals(5L, reread.toSnapshot(Instant.now(), 1).tenantBySlug("acme").limits().rps());
    assertTrue(reread.setTenantLimits("acme", TenantLimits.NONE));
    assertTrue(!reread.encode().contains("limits"));
    assertTrue(!reread.setTenantLimits("globex", TenantLimits.NONE));
    Tenant withLimits = new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE, TenantLimits.NONE.with("connections", 3L));
    assertEquals(withLimits, RegistryFile.parse(RegistryFile.empty().addTenant(withLimits).encode())
        .toSnapshot(Instant.now(), 1).tenant(ACME));
  }

  @Test
  void aBadLimitInTheRegistryFileNamesItsEntry() {
    String json = RegistryFile.empty().addTenant(new Tenant(ACME, "acme", "Acme", TenantStatus.ACTIVE)).encode()
        .replace("\"status\" : \"active\"", "\"status\" : \"active\", \"limits\" : {\"rps\" : \"fast\"}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RegistryFile.parse(json).toSnapshot(Instant.now(), 1));
    assertTrue(e.getMessage().startsWith("tenants[0].limits.rps:"), e.getMessage());
    String notObject = json.replace("{\"rps\" : \"fast\"}", "[1]");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> RegistryFile.parse(notObject)
        .toSnapshot(Instant.now(), 1)).getMessage().contains("tenants[0].limits must be an object"));
  }
}
