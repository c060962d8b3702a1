package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the deployment and operations docs tell operators, checked against the code and the manifests:
 * the environment variables the gateway reads, the config path the image uses, how one gateway process
 * is reached in Kubernetes, and where the CLI runs.
 */
class DeployDocsTest {
  private static final Path DOCS = DeployFiles.REPO.resolve("docs");

  /** Every Markdown page an operator reads about running tenantgate. */
  private static List<Path> pages() throws IOException {
    try (Stream<Path> s = Files.list(DOCS)) {
      List<Path> pages = new java.util.ArrayList<>(s.filter(p -> p.toString().endsWith(".md")).sorted().toList());
      pages.add(DeployFiles.REPO.resolve("docker/README.md"));
      pages.add(DeployFiles.K8S.resolve("README.md"));
      return pages;
    }
  }

  /** The environment variables the gateway, its logging, its JVM and the ./tenantgate wrapper read. */
  static Set<String> environmentVariablesRead() throws IOException {
    Set<String> vars = new TreeSet<>();
    try (Stream<Path> files = Files.walk(DeployFiles.REPO.resolve("src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String code = Files.readString(f);
        Matcher literal = Pattern.compile("\"(TENANTGATE_[A-Z0-9_]+)\"").matcher(code);
        while (literal.find()) {
          vars.add(literal.group(1));
        }
        Matcher getenv = Pattern.compile("getenv\\(\"([A-Za-z0-9_]+)\"\\)").matcher(code);
        while (getenv.find()) {
          vars.add(getenv.group(1));
        }
      }
    }
    Matcher logback = Pattern.compile("\\$\\{([A-Za-z0-9_]+)(:-[^}]*)?}")
        .matcher(DeployFiles.read(DeployFiles.REPO.resolve("src/main/resources/logback.xml")));
    while (logback.find()) {
      vars.add(logback.group(1));
    }
    Matcher wrapper = Pattern.compile("\\$\\{(TENANTGATE_[A-Z0-9_]+)")
        .matcher(DeployFiles.read(DeployFiles.REPO.resolve("tenantgate")));
    while (wrapper.find()) {
      vars.add(wrapper.group(1));
    }
    // the JVM options the image sets (read by the java launcher itself)
    Dockerfile.parse(DeployFiles.read(DeployFiles.DOCKERFILE)).runtime().all("ENV")
        .forEach(e -> vars.add(e.substring(0, e.indexOf('='))));
    return vars;
  }

  @Test
  void theConfigurationReferenceListsEveryEnvironmentVariableAndNoOther() throws IOException {
    String md = DeployFiles.read(DOCS.resolve("configuration.md"));
    int start = md.indexOf("\n## Environment variables");
    assertTrue(start >= 0, "docs/configuration.md has a section `## Environment variables`");
    int end = md.indexOf("\n## ", start + 1);
    String section = md.substring(start, end < 0 ? md.length() : end);
    Set<String> documented = new TreeSet<>();
    // rows: | `$NAME` | … (the $ keeps ConfigDocsTest from reading them as config keys)
    Matcher row = Pattern.compile("(?m)^\\| `\\$([A-Za-z0-9_]+)`").matcher(section);
    while (row.find()) {
      documented.add(row.group(1));
    }
    Set<String> read = environmentVariablesRead();
    assertTrue(read.containsAll(Set.of("TENANTGATE_LOG_LEVEL", "TENANTGATE_ACCESS_LOG_LEVEL", "TENANTGATE_MASTER_KEY",
        "TENANTGATE_DB_PASSWORD", "JDK_JAVA_OPTIONS")), "the scan finds what the code reads: " + read);
    assertEquals(read, documented, "docs/configuration.md `## Environment variables` rows vs what the code, "
        + "logback.xml, the image and ./tenantgate read");
  }

  @Test
  void everyConfigPathInTheDocsIsTheOneTheImageReads() throws IOException {
    String image = DeployFiles.configArg(Dockerfile.exec(Dockerfile.parse(DeployFiles.read(DeployFiles.DOCKERFILE))
        .runtime().last("CMD")));
    Pattern config = Pattern.compile("--config[ =](/etc/tenantgate/[A-Za-z0-9_./-]*\\.ya?ml)");
    for (Path page : pages()) {
      Matcher m = config.matcher(DeployFiles.read(page));
      while (m.find()) {
        assertEquals(image, m.group(1), DeployFiles.REPO.relativize(page) + ": --config " + m.group(1)
            + " is not where the image (and compose, and the Deployment) mounts the config");
      }
    }
  }

  @Test
  void onePodIsReachedByPortForwardNotByStatefulSetNames() throws IOException {
    // the gateway is a Deployment: pods have no stable DNS names, and the tenantgate Service has no ops port
    Pattern statefulSet = Pattern.compile("tenantgate-\\d+\\.tenantgate");
    for (Path page : pages()) {
      Matcher m = statefulSet.matcher(DeployFiles.read(page));
      if (m.find()) {
        throw new AssertionError(DeployFiles.REPO.relativize(page) + " addresses a pod as " + m.group()
            + " (StatefulSet DNS): use kubectl port-forward pod/<name> or Prometheus' pod discovery");
      }
    }
    String ops = DeployFiles.read(DOCS.resolve("operations.md"));
    assertTrue(ops.contains("kubectl -n tenantgate port-forward pod/"), "operations.md reaches one pod's ops port");
    assertTrue(ops.contains("kubernetes_sd_configs"), "operations.md scrapes every pod through discovery");
  }

  @Test
  void noDocRunsASecondJvmInsideAGatewayPod() throws IOException {
    Pattern execIntoGateway = Pattern.compile("exec\\s+(?:-\\S+\\s+)*(deploy|deployment|pod)/tenantgate(?!-cli)\\b");
    for (Path page : pages()) {
      Matcher m = execIntoGateway.matcher(DeployFiles.read(page));
      if (m.find()) {
        throw new AssertionError(DeployFiles.REPO.relativize(page) + ": `" + m.group() + "` starts a second JVM "
            + "under the gateway's memory limit: use the admin API or the CLI pod (k8s/overlays/cli)");
      }
    }
  }

  @Test
  void theTestScriptProvidesTheRendererBeforeRunningTheSuite() {
    String script = DeployFiles.read(DeployFiles.REPO.resolve("scripts/test.sh"));
    int ensure = script.indexOf("\nensure_kubectl\n");
    int mvn = script.indexOf("exec mvn -B ${MAVEN_ARGS:-} verify");
    assertTrue(ensure > 0 && mvn > ensure, "scripts/test.sh runs ensure_kubectl before `mvn verify`");
    assertTrue(script.contains("TENANTGATE_KUBECTL"), "and hands the renderer to the deploy tests");
  }
}
