package io.tenantgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Renders a kustomization with kustomize v5 — the one built into kubectl ({@code kubectl kustomize},
 * offline) or the standalone {@code kustomize build} — and parses every document into the fabric8 type
 * of its apiVersion and kind. A kind or apiVersion not listed here, or a field the type does not know
 * (a typo, a field at the wrong level), fails.
 *
 * <p>The renderer is the first of these whose kustomize is v5 or later: {@code $TENANTGATE_KUBECTL}
 * (what scripts/test.sh installs when the machine has none), {@code kubectl} on the PATH,
 * {@code kustomize} on the PATH. Debian's own kubectl (1.20, kustomize v2) cannot render these
 * manifests. With none, every test that renders is skipped with a message saying so (an assumption,
 * not a pass); scripts/test.sh installs one, so CI renders.
 */
final class Kustomize {
  /** The renderer's command without the directory, or null; {@link #WHY_NONE} says why. */
  private static final List<String> RENDERER;
  private static final String WHY_NONE;

  static {
    List<String> tried = new ArrayList<>();
    List<String> found = null;
    String kubectl = System.getenv("TENANTGATE_KUBECTL");
    List<List<String>> candidates = new ArrayList<>();
    if (kubectl != null && !kubectl.isBlank()) {
      candidates.add(List.of(kubectl, "kustomize"));
    }
    candidates.add(List.of("kubectl", "kustomize"));
    candidates.add(List.of("kustomize", "build"));
    for (List<String> c : candidates) {
      String version = kustomizeVersion(c);
      tried.add(String.join(" ", c) + ": " + (version == null ? "not found" : "kustomize " + version));
      if (version != null && version.matches("v([5-9]|[1-9][0-9])\\..*")) {
        found = c;
        break;
      }
    }
    RENDERER = found;
    WHY_NONE = found != null ? null : "NO KUSTOMIZE v5 RENDERER: the Kubernetes manifests in k8s/ were NOT rendered "
        + "or checked. Tried " + tried + ". Run ./scripts/test.sh (it installs kubectl when missing) or set "
        + "TENANTGATE_KUBECTL to a kubectl >= 1.27.";
    if (WHY_NONE != null) {
      System.err.println("[deploy tests] WARNING: " + WHY_NONE);
    }
  }

  private static final Map<String, Class<? extends HasMetadata>> TYPES = Map.of(
      "v1/ServiceAccount", ServiceAccount.class,
      "v1/Pod", Pod.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/Service", Service.class,
      "apps/v1/Deployment", Deployment.class,
      "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
      "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
      "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
      // a CRD (Prometheus Operator): no fabric8 type here; its fields are checked by hand
      "monitoring.coreos.com/v1/ServiceMonitor", GenericKubernetesResource.class);

  private Kustomize() {
  }

  /**
   * {@code kubectl kustomize dir} (or {@code kustomize build dir}); fails with the renderer's message
   * when the build fails, and skips the calling test (loudly) when this machine has no renderer.
   */
  static String render(Path dir) {
    Assumptions.assumeTrue(RENDERER != null, () -> WHY_NONE);
    List<String> command = new ArrayList<>(RENDERER);
    command.add(dir.toString());
    return run(command, 30);
  }

  /** The renderer in use, for messages: e.g. "kubectl kustomize". */
  static String renderer() {
    return RENDERER == null ? "none" : String.join(" ", RENDERER);
  }

  /** The kustomize version a candidate renderer reports ("v5.5.0"), or null when it does not run. */
  private static String kustomizeVersion(List<String> candidate) {
    boolean kubectl = candidate.get(1).equals("kustomize");
    List<String> command = kubectl ? List.of(candidate.get(0), "version", "--client")
        : List.of(candidate.get(0), "version");
    String out;
    try {
      out = run(command, 20);
    } catch (AssertionError e) {
      return null;
    }
    // kubectl: "Kustomize Version: v5.5.0"; kustomize: "v5.5.0" or "{Version:kustomize/v4.5.7 ...}"
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile(kubectl ? "Kustomize Version: (v\\d+\\.\\d+\\S*)" : "(v\\d+\\.\\d+\\S*)").matcher(out);
    return m.find() ? m.group(1) : "unknown (" + out.strip().lines().findFirst().orElse("") + ")";
  }

  /** Runs a command to completion (output to files, so a chatty one cannot block) and returns its stdout. */
  static String run(List<String> command, int timeoutSeconds) {
    Path out = null;
    Path err = null;
    try {
      out = java.nio.file.Files.createTempFile("deploy-out", ".txt");
      err = java.nio.file.Files.createTempFile("deploy-err", ".txt");
      Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + timeoutSeconds + "s");
      }
      String stdout = java.nio.file.Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(command + " exited " + p.exitValue() + ": "
            + java.nio.file.Files.readString(err, StandardCharsets.UTF_8) + stdout);
      }
      return stdout;
    } catch (IOException e) {
      throw new AssertionError(command.get(0) + " could not run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      for (Path f : new Path[] {out, err}) {
        if (f != null) {
          f.toFile().delete();
        }
      }
    }
  }

  /** Every document of a multi-document YAML stream, typed. */
  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    try (MappingIterator<JsonNode> docs = DeployFiles.YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        String type = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
        Class<? extends HasMetadata> cls = TYPES.get(type);
        if (cls == null) {
          throw new AssertionError("unexpected apiVersion/kind " + type + " (" + doc.path("metadata").path("name") + ")");
        }
        HasMetadata obj = DeployFiles.YAML.treeToValue(doc, cls);
        if (cls != GenericKubernetesResource.class) {
          List<String> unknown = new ArrayList<>();
          unknownFields(obj, type + " " + obj.getMetadata().getName(), unknown);
          if (!unknown.isEmpty()) {
            throw new AssertionError("fields the Kubernetes type does not have: " + unknown);
          }
        }
        objects.add(obj);
      }
    } catch (IOException e) {
      throw new AssertionError("rendered YAML does not parse: " + e.getMessage(), e);
    }
    return objects;
  }

  /** Collects non-empty additionalProperties anywhere in a fabric8 object graph (unknown YAML fields). */
  private static void unknownFields(Object o, String path, List<String> out) {
    if (o == null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        unknownFields(e, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> unknownFields(v, path + "." + k, out));
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method getter : o.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = getter.invoke(o);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + ": " + extra.keySet());
        }
      } else if (value != null && !(value instanceof String) && !(value instanceof Number)
          && !(value instanceof Boolean) && !(value instanceof Enum<?>)) {
        unknownFields(value, path + "." + getter.getName().substring(3), out);
      }
    }
  }

  static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
    List<T> found = all(objects, type);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size());
    }
    return found.get(0);
  }
}
