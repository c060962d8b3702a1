package io.tenantgate.identity;

import io.tenantgate.error.Failure;

/**
 * Outcome of resolving a peer chain: an identity, or the failure that refuses it. The tenant slug
 * is set whenever the issuing CA was recognised, so refusals are counted per tenant too.
 */
public record Resolution(ClientIdentity identity, Failure failure, String tenantSlug) {
  public static Resolution accepted(ClientIdentity identity) {
    return new Resolution(identity, null, identity.tenantSlug());
  }

  public static Resolution refused(Failure failure, String tenantSlug) {
    return new Resolution(null, failure, tenantSlug);
  }

  public boolean isAccepted() {
    return identity != null;
  }
}
