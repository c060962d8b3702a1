package io.tenantgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tenantgate.config.GatewayConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * k8s/base/tenantgate.yaml is "derived from conf/tenantgate.yaml" (docs/deployment.md): the same
 * settings except where a cluster must differ. This test holds them to that: with the cluster-specific
 * keys below taken from the Kubernetes file, both files parse (with the gateway's own parser, defaults
 * filled in) into equal configurations. A limit, timeout or default changed in one file only fails here.
 */
class ConfigDriftTest {
  /**
   * The keys a cluster sets differently from the example, and why: in-pod paths of the mounted Secrets,
   * the Postgres store (the example runs the file store of `./tenantgate dev`) and the listeners the
   * base leaves off, cluster service names, the NATS cluster's size.
   */
  static final List<String> CLUSTER_SPECIFIC = List.of(
      "/edge/tls/certFile", "/edge/tls/keyFile", "/edge/tls/clientCaFile", // Secret mounts
      "/registry", "/admin", "/onboarding",                                // Postgres store, edge-only base
      "/assertion/keyFile",                                                // Secret tenantgate-assertion-key
      "/nats/url", "/nats/jetstream/replicas",                             // the NATS cluster
      "/routes/*/upstream");                                               // core's Service

  @Test
  void theKubernetesConfigEqualsTheExampleOutsideTheClusterSpecificKeys() {
    JsonNode example = DeployFiles.yaml(DeployFiles.read(DeployFiles.REPO.resolve("conf/tenantgate.yaml")));
    JsonNode k8s = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/tenantgate.yaml")));
    assertEquals(names(example.path("routes")), names(k8s.path("routes")), "the same routes, in the same order");
    ObjectNode adjusted = example.deepCopy();
    for (String key : CLUSTER_SPECIFIC) {
      if (key.startsWith("/routes/*/")) {
        String field = key.substring("/routes/*/".length());
        for (int i = 0; i < k8s.path("routes").size(); i++) {
          copy(k8s, adjusted, "/routes/" + i + "/" + field);
        }
      } else {
        copy(k8s, adjusted, key);
      }
    }
    GatewayConfig want = DeployFiles.config(adjusted.toString());
    GatewayConfig got = DeployFiles.config(DeployFiles.read(DeployFiles.K8S.resolve("base/tenantgate.yaml")));
    Map<String, Function<GatewayConfig, Object>> sections = new java.util.LinkedHashMap<>();
    sections.put("identity", GatewayConfig::identity);
    sections.put("edge", GatewayConfig::edge);
    sections.put("ops", GatewayConfig::ops);
    sections.put("registry", GatewayConfig::registry);
    sections.put("assertion", GatewayConfig::assertion);
    sections.put("accessLog", GatewayConfig::accessLog);
    sections.put("shutdown", GatewayConfig::shutdown);
    sections.put("nats", GatewayConfig::nats);
    sections.put("admin", GatewayConfig::admin);
    sections.put("onboarding", GatewayConfig::onboarding);
    sections.put("routes", GatewayConfig::routes);
    sections.forEach((name, section) -> assertEquals(section.apply(want), section.apply(got),
        "k8s/base/tenantgate.yaml and conf/tenantgate.yaml differ in `" + name + "` outside the cluster-specific keys "
            + CLUSTER_SPECIFIC + ": change both (or, if the cluster must differ, add the key to "
            + "ConfigDriftTest.CLUSTER_SPECIFIC and say why in docs/deployment.md)"));
    assertEquals(want, got);
  }

  @Test
  void theClusterSpecificKeysReallyDifferOrAreUnsetInTheExample() {
    // a key listed as cluster-specific that is equal in both files is no exception: drop it from the list
    JsonNode example = DeployFiles.yaml(DeployFiles.read(DeployFiles.REPO.resolve("conf/tenantgate.yaml")));
    JsonNode k8s = DeployFiles.yaml(DeployFiles.read(DeployFiles.K8S.resolve("base/tenantgate.yaml")));
    for (String key : CLUSTER_SPECIFIC) {
      String at = key.replace("/*/", "/0/");
      assertTrue(!example.at(at).equals(k8s.at(at)), key + " is the same in both files: not cluster-specific");
    }
  }

  private static List<String> names(JsonNode routes) {
    List<String> names = new java.util.ArrayList<>();
    routes.forEach(r -> names.add(r.path("name").asText()));
    return names;
  }

  /** Sets {@code to[pointer]} to {@code from[pointer]}, or removes it when {@code from} has none. */
  private static void copy(JsonNode from, ObjectNode to, String pointer) {
    int slash = pointer.lastIndexOf('/');
    String parentPointer = pointer.substring(0, slash);
    String field = pointer.substring(slash + 1);
    JsonNode value = from.at(pointer);
    JsonNode parent = to.at(parentPointer);
    if (parent.isMissingNode()) {
      if (value.isMissingNode()) {
        return;
      }
      parent = ensure(to, parentPointer);
    }
    if (parent instanceof ObjectNode o) {
      if (value.isMissingNode()) {
        o.remove(field);
      } else {
        o.set(field, value.deepCopy());
      }
    } else if (parent instanceof ArrayNode a) {
      a.set(Integer.parseInt(field), value.deepCopy());
    }
  }

  private static ObjectNode ensure(ObjectNode root, String pointer) {
    ObjectNode node = root;
    for (String part : pointer.substring(1).split("/")) {
      JsonNode next = node.get(part);
      if (!(next instanceof ObjectNode)) {
        next = node.putObject(part);
      }
      node = (ObjectNode) next;
    }
    return node;
  }
}
