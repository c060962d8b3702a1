package io.tenantgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md and the config records cannot drift apart: every key both ways. */
class ConfigDocsTest {
  private static final Pattern ROW_KEY = Pattern.compile("^\\| `([A-Za-z0-9_.<>\\[\\]]+)`", Pattern.MULTILINE);

  private static Set<String> documented() throws Exception {
    String md = Files.readString(Path.of("docs/configuration.md"));
    Set<String> keys = new TreeSet<>();
    Matcher m = ROW_KEY.matcher(md);
    while (m.find()) {
      String key = m.group(1);
      // "nats.allow.<type>.publish" documents the map "nats.allow" whose keys are component types
      int placeholder = key.indexOf(".<");
      keys.add(placeholder < 0 ? key : key.substring(0, placeholder));
    }
    return keys;
  }

  /** Keys with no keys below them: the ones an operator sets. */
  private static Set<String> leaves() {
    Set<String> all = GatewayConfig.knownKeys();
    Set<String> out = new TreeSet<>();
    for (String k : all) {
      boolean parent = all.stream().anyMatch(o -> o.startsWith(k + ".") || o.startsWith(k + "[]"));
      if (!parent) {
        out.add(k);
      }
    }
    return out;
  }

  @Test
  void everyKeyTheRecordsReadIsDocumented() throws Exception {
    Set<String> missing = new TreeSet<>(leaves());
    missing.removeAll(documented());
    assertEquals(Set.of(), missing, "keys read by the config records but missing from docs/configuration.md");
  }

  @Test
  void everyDocumentedKeyIsOneTheRecordsRead() throws Exception {
    Set<String> unknown = new TreeSet<>(documented());
    unknown.removeAll(GatewayConfig.knownKeys());
    assertEquals(Set.of(), unknown, "keys in docs/configuration.md that no config record reads");
  }

  @Test
  void theSkeletonCoversEverySection() {
    Set<String> keys = GatewayConfig.knownKeys();
    for (String section : new String[] {"identity", "edge", "edge.tls", "edge.limits", "ops", "registry", "assertion",
        "accessLog", "shutdown", "nats", "routes"}) {
      assertTrue(keys.contains(section), section);
    }
  }
}
