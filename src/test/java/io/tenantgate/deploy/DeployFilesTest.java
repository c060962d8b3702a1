package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy tests' own helpers, and generate.sh's portability (no kubectl needed). */
class DeployFilesTest {
  @TempDir
  Path tmp;

  @Test
  void pinnedRefusesLatestMissingAndSnapshotTagsAndAcceptsReleaseTagsAndDigests() {
    for (String ok : List.of("registry.example.net/tenantgate:0.1.0", "tenantgate:1.2.3-rc1", "nats:2.10.24-alpine",
        "registry.example.net:5000/tenantgate:0.1.0", "tenantgate@sha256:" + "a".repeat(64))) {
      assertTrue(DeployFiles.pinned(ok), ok);
    }
    for (String bad : List.of("tenantgate", "tenantgate:latest", "tenantgate:", "tenantgate:0.1.0-SNAPSHOT",
        "registry.example.net:5000/tenantgate", "tenantgate:0.1.0-snapshot", "tenantgate@sha256:abc")) {
      assertFalse(DeployFiles.pinned(bad), bad);
    }
    // the documented local-development case: an image compose builds from the working tree
    assertTrue(DeployFiles.pinnedOrBuiltLocally("tenantgate:0.1.0-SNAPSHOT", true));
    assertFalse(DeployFiles.pinnedOrBuiltLocally("tenantgate:0.1.0-SNAPSHOT", false));
    assertFalse(DeployFiles.pinnedOrBuiltLocally("tenantgate:latest", true));
  }

  @Test
  void theWorstCaseShutdownIsTheGraceAndLauncherRunningsWaits() {
    GatewayConfig c = DeployFiles.config(DeployFiles.read(DeployFiles.K8S.resolve("base/tenantgate.yaml")));
    // Running waits Gateway.shutdownBudget (grace, the NATS drain: 2 x drainTimeout + 1 s, 10 s to close the
    // gateway), then 10 s to close Vert.x
    assertEquals(c.shutdown().grace().plus(c.nats().drainTimeout().multipliedBy(2)).plusSeconds(21),
        DeployFiles.worstCaseShutdown(c));
  }

  @Test
  void jvmOptionsAreReadTheWayTheJvmReadsThem() {
    String o = "-XX:MaxRAMPercentage=60 -XX:MaxDirectMemorySize=192m -XX:MaxRAMPercentage=45";
    assertEquals("45", DeployFiles.jvmOption(o, "MaxRAMPercentage"), "the last one wins");
    assertEquals(192L << 20, DeployFiles.jvmSize(DeployFiles.jvmOption(o, "MaxDirectMemorySize")));
    assertEquals(null, DeployFiles.jvmOption("-XX:MaxRAMPercentage=45", "MaxDirectMemorySize"));
    long gi = 1L << 30;
    assertEquals((long) (gi * 0.45) + (192L << 20), DeployFiles.heapPlusDirect(o, gi));
    // without a cap, direct memory may grow as large as the heap: 60 % heap can then pass the limit
    assertEquals(2 * (long) (gi * 0.6), DeployFiles.heapPlusDirect("-XX:MaxRAMPercentage=60", gi));
  }

  @Test
  void generateShUsesNoGnuOnlyTools() {
    String script = DeployFiles.read(DeployFiles.K8S.resolve("overlays/tenant-edge/generate.sh"));
    String code = script.lines().filter(l -> !l.strip().startsWith("#")).reduce("", (a, b) -> a + b + "\n");
    for (String gnu : List.of("realpath", "readlink -f", "--relative-to", "sed -i", "grep -P", "sed -r", "mktemp --")) {
      assertFalse(code.contains(gnu), "generate.sh uses `" + gnu + "` (GNU-only; it must run on macOS too)");
    }
  }

  @Test
  void generateShPointsAtTheBaseFromAnyOutputDirectory() throws IOException {
    Path base = DeployFiles.K8S.resolve("base").toRealPath();
    for (Path out : List.of(tmp.resolve("a/b/acme"), tmp.resolve("acme"), DeployFiles.REPO.resolve("target/gen-acme"),
        tmp.resolve("with space/acme"))) {
      Kustomize.run(List.of("bash", DeployFiles.K8S.resolve("overlays/tenant-edge/generate.sh").toString(), "acme",
          out.toString()), 30);
      String k = Files.readString(out.resolve("kustomization.yaml"));
      Matcher m = Pattern.compile("(?m)^resources:\\n  - (\\S.*)$").matcher(k);
      assertTrue(m.find(), k);
      Path relative = Path.of(m.group(1));
      assertFalse(relative.isAbsolute(), "a relative path, so the overlay can move with the repository: " + relative);
      assertEquals(base, out.toRealPath().resolve(relative).normalize().toRealPath(), out + ": resources " + relative);
      assertEquals(out.toRealPath().relativize(base), relative, out + ": the shortest relative path");
    }
  }
}
