package io.tenantgate.identity;

import io.tenantgate.pki.ComponentTypes;
import io.tenantgate.pki.Names;

/**
 * A component SPIFFE ID: {@code spiffe://<trust-domain>/<type>/<tenant>/<partition>/<component>}.
 */
public record SpiffeId(String trustDomain, String componentType, String tenantSlug, String partitionId,
    String componentId) {
  public static final String SCHEME = "spiffe://";

  /** Parses {@code uri}; null when it is not exactly that shape with valid names. */
  public static SpiffeId parse(String uri) {
    if (uri == null || uri.length() > 2048 || !uri.startsWith(SCHEME)) {
      return null;
    }
    String[] p = uri.substring(SCHEME.length()).split("/", -1);
    if (p.length != 5 || p[0].isEmpty() || !ComponentTypes.isKnown(p[1]) || !Names.isSlug(p[2])
        || !Names.isId(p[3]) || !Names.isId(p[4])) {
      return null;
    }
    return new SpiffeId(p[0], p[1], p[2], p[3], p[4]);
  }

  public String uri() {
    return SCHEME + trustDomain + "/" + componentType + "/" + tenantSlug + "/" + partitionId + "/" + componentId;
  }
}
