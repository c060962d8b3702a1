package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths the deployments probe and scrape are routes of the ops listener (a fast, static guard;
 * {@code ComposeStackIT} asks a running gateway). Renaming one in OpsVerticle fails here until
 * docker/ and k8s/ (and {@link DeployFiles}) follow.
 */
class OpsPathsTest {
  @Test
  void everyPathTheDeploymentsUseIsRoutedByOpsVerticle() {
    String source = DeployFiles.read(DeployFiles.REPO.resolve("src/main/java/io/tenantgate/ops/OpsVerticle.java"));
    for (String path : List.of(DeployFiles.LIVE, DeployFiles.READY, DeployFiles.METRICS)) {
      assertTrue(source.contains("case \"" + path + "\""), "OpsVerticle no longer routes " + path
          + ": change docker/Dockerfile, docker/compose.yaml, k8s/ and DeployFiles with it");
    }
  }
}
