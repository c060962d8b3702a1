package io.tenantgate.pki;

import java.util.Set;

/** The closed set of edge component types and how a type is derived from a component id. */
public final class ComponentTypes {
  public static final Set<String> KNOWN = Set.of("agent", "poller", "checker", "collector", "gateway");
  public static final String DEFAULT = "agent";

  private ComponentTypes() {
  }

  public static boolean isKnown(String type) {
    return KNOWN.contains(type);
  }

  /** The id's prefix before the first '-' when it is a known type, else {@value #DEFAULT}. */
  public static String fromComponentId(String componentId) {
    int dash = componentId.indexOf('-');
    String prefix = dash > 0 ? componentId.substring(0, dash) : componentId;
    return isKnown(prefix) ? prefix : DEFAULT;
  }
}
