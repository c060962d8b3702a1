package io.tenantgate.pki;

import java.time.Duration;
import java.util.Objects;

/**
 * What to put into one component (edge leaf) certificate: the names that make up its CN and
 * SPIFFE id, whether it also listens (serverAuth), its lifetime and key type.
 *
 * <p>Every name is validated when the spec is made, so an invalid slug or id can never reach a
 * certificate. A null or {@code "default"} partition gives the three-part CN
 * {@code <componentId>.<tenantSlug>.<trustDomain>}; any other partition the four-part CN
 * {@code <componentId>.<partitionId>.<tenantSlug>.<trustDomain>}.
 *
 * @param componentId e.g. {@code agent-001}
 * @param partitionId null is stored as {@code "default"}
 * @param tenantSlug e.g. {@code acme-corp}
 * @param componentType the SPIFFE path segment, e.g. {@code agent}
 * @param trustDomain the CN's last label(s), default {@code serviceradar}
 * @param spiffeTrustDomain the SPIFFE trust domain, or null for no SPIFFE URI SAN
 * @param serverAuth whether to add EKU serverAuth next to clientAuth
 * @param validity lifetime from now (clamped to the issuing CA's own expiry)
 * @param keyAlgorithm type of the generated key
 */
public record ComponentCertSpec(
    String componentId,
    String partitionId,
    String tenantSlug,
    String componentType,
    String trustDomain,
    String spiffeTrustDomain,
    boolean serverAuth,
    Duration validity,
    KeyAlgorithm keyAlgorithm) {

  /** The partition a component belongs to when none is named. */
  public static final String DEFAULT_PARTITION = "default";

  public ComponentCertSpec {
    partitionId = partitionId == null ? DEFAULT_PARTITION : partitionId;
    Names.requireId("component id", componentId);
    Names.requireId("partition id", partitionId);
    Names.requireSlug("tenant slug", tenantSlug);
    Names.requireSlug("component type", componentType);
    Names.requireDomain("trust domain", trustDomain);
    if (spiffeTrustDomain != null) {
      Names.requireDomain("SPIFFE trust domain", spiffeTrustDomain);
    }
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("validity must be positive, was " + validity);
    }
    Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
  }

  /**
   * The product defaults: partition {@code default}, type derived from the id, trust domain
   * {@code serviceradar}, SPIFFE trust domain {@code serviceradar.local}, client-only, 365 days,
   * EC P-256.
   */
  public static ComponentCertSpec of(String componentId, String tenantSlug) {
    return new ComponentCertSpec(componentId, DEFAULT_PARTITION, tenantSlug,
        typeOf(componentId), "serviceradar", "serviceradar.local", false, Duration.ofDays(365),
        KeyAlgorithm.EC_P256);
  }

  /** The component type implied by an id: see {@link ComponentTypes#fromComponentId}. */
  public static String typeOf(String componentId) {
    return componentId == null ? ComponentTypes.DEFAULT : ComponentTypes.fromComponentId(componentId);
  }

  /** The certificate CN, which is also its DNS SAN. */
  public String commonName() {
    return DEFAULT_PARTITION.equals(partitionId)
        ? componentId + "." + tenantSlug + "." + trustDomain
        : componentId + "." + partitionId + "." + tenantSlug + "." + trustDomain;
  }

  /** The SPIFFE id URI, or null when no SPIFFE trust domain is set. */
  public String spiffeId() {
    if (spiffeTrustDomain == null) {
      return null;
    }
    return "spiffe://" + spiffeTrustDomain + "/" + componentType + "/" + tenantSlug + "/"
        + partitionId + "/" + componentId;
  }

  /** Copy with another component id; the component type is kept as it is. */
  public ComponentCertSpec withComponentId(String value) {
    return new ComponentCertSpec(value, partitionId, tenantSlug, componentType, trustDomain,
        spiffeTrustDomain, serverAuth, validity, keyAlgorithm);
  }

  public ComponentCertSpec withPartitionId(String value) {
    return new ComponentCertSpec(componentId, value, tenantSlug, componentType, trustDomain,
        spiffeTrustDomain, serverAuth, validity, keyAlgorithm);
  }

  public ComponentCertSpec withTenantSlug(String value) {
    return new ComponentCertSpec(componentId, partitionId, value, componentType, trustDomain,
        spiffeTrustDomain, serverAuth, validity, keyAlgorithm);
  }

  public ComponentCertSpec withComponentType(String value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, value, trustDomain,
        spiffeTrustDomain, serverAuth, validity, keyAlgorithm);
  }

  public ComponentCertSpec withTrustDomain(String value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, componentType, value,
        spiffeTrustDomain, serverAuth, validity, keyAlgorithm);
  }

  /** Copy with another SPIFFE trust domain; null drops the SPIFFE URI SAN. */
  public ComponentCertSpec withSpiffeTrustDomain(String value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, componentType, trustDomain,
        value, serverAuth, validity, keyAlgorithm);
  }

  public ComponentCertSpec withServerAuth(boolean value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, componentType, trustDomain,
        spiffeTrustDomain, value, validity, keyAlgorithm);
  }

  public ComponentCertSpec withValidity(Duration value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, componentType, trustDomain,
        spiffeTrustDomain, serverAuth, value, keyAlgorithm);
  }

  public ComponentCertSpec withKeyAlgorithm(KeyAlgorithm value) {
    return new ComponentCertSpec(componentId, partitionId, tenantSlug, componentType, trustDomain,
        spiffeTrustDomain, serverAuth, validity, value);
  }
}
