package io.tenantgate.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the cardinality of the per-tenant tag: the first {@code cap} distinct tenants seen keep
 * their slug, every later one is tagged {@value #OTHER}. Requests without a tenant are {@value #NONE}.
 */
public final class TenantTags {
  public static final String OTHER = "other";
  public static final String NONE = "none";

  private final int cap;
  private final Set<String> labelled = ConcurrentHashMap.newKeySet();

  public TenantTags(int cap) {
    this.cap = cap;
  }

  public String tag(String slug) {
    if (slug == null) {
      return NONE;
    }
    if (labelled.contains(slug)) {
      return slug;
    }
    synchronized (labelled) {
      if (labelled.size() < cap) {
        labelled.add(slug);
        return slug;
      }
    }
    return labelled.contains(slug) ? slug : OTHER;
  }
}
