package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paths the deployments probe and scrape are routes of the ops listener, and the admin and
 * enrollment paths the deployment docs use are routes of those listeners (a fast, static guard;
 * {@code ComposeStackIT} asks a running gateway). Renaming one in the code fails here until docker/,
 * k8s/ and the docs (and {@link DeployFiles}) follow.
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

  @Test
  void theAdminAndEnrollmentPathsTheDocsUseAreRouted() {
    String admin = DeployFiles.read(DeployFiles.REPO.resolve("src/main/java/io/tenantgate/admin/AdminApi.java"));
    assertTrue(admin.contains("\"" + DeployFiles.ADMIN_TENANTS + "\""), "AdminApi no longer routes "
        + DeployFiles.ADMIN_TENANTS + ": change docker/README.md, docs/ and DeployFiles with it");
    String enroll = DeployFiles.read(DeployFiles.REPO.resolve(
        "src/main/java/io/tenantgate/admin/EnrollmentVerticle.java"));
    assertTrue(enroll.contains("\"" + DeployFiles.ENROLL_PREFIX + ":id" + DeployFiles.BUNDLE_SUFFIX + "\""),
        "EnrollmentVerticle no longer routes " + DeployFiles.ENROLL_PREFIX + "<id>" + DeployFiles.BUNDLE_SUFFIX
            + ": change docker/README.md, docs/ and DeployFiles with it");
  }
}
