package io.tenantgate.identity;

import io.tenantgate.pki.Names;

/**
 * A parsed component CN: {@code <component>.<tenant>.<td>} (partition {@code default}) or
 * {@code <component>.<partition>.<tenant>.<td>}. The one parser of that shape.
 */
public record ComponentName(String componentId, String partitionId, String tenantSlug) {
  public static final String DEFAULT_PARTITION = "default";
  /** Longest CN accepted: a DNS name. */
  public static final int MAX_LENGTH = 253;

  /** Parses {@code cn}; null when it is not one of the two shapes under {@code trustDomain}. */
  public static ComponentName parse(String cn, String trustDomain) {
    if (cn == null || cn.length() > MAX_LENGTH) {
      return null;
    }
    String suffix = "." + trustDomain;
    if (!cn.endsWith(suffix)) {
      return null;
    }
    String[] parts = cn.substring(0, cn.length() - suffix.length()).split("\\.", -1);
    if (parts.length == 2 && Names.isId(parts[0]) && Names.isSlug(parts[1])) {
      return new ComponentName(parts[0], DEFAULT_PARTITION, parts[1]);
    }
    if (parts.length == 3 && Names.isId(parts[0]) && Names.isId(parts[1]) && Names.isSlug(parts[2])) {
      return new ComponentName(parts[0], parts[1], parts[2]);
    }
    return null;
  }

  /** The CN this name is written as. */
  public String toCn(String trustDomain) {
    return DEFAULT_PARTITION.equals(partitionId)
        ? componentId + "." + tenantSlug + "." + trustDomain
        : componentId + "." + partitionId + "." + tenantSlug + "." + trustDomain;
  }
}
