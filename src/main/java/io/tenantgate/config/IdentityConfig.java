package io.tenantgate.config;

import io.tenantgate.pki.Names;

/**
 * Naming of edge identities: the trust-domain label that ends every component CN
 * ({@code serviceradar}) and the SPIFFE trust domain ({@code serviceradar.local}).
 */
public record IdentityConfig(String trustDomain, String spiffeTrustDomain) {
  public static IdentityConfig defaults() {
    return new IdentityConfig("serviceradar", "serviceradar.local");
  }

  static IdentityConfig parse(Node n) {
    String td = n.string("trustDomain", "serviceradar");
    if (!Names.isSlug(td)) {
      n.problem("trustDomain", "must be one DNS label (lowercase letters, digits, '-'), got '" + td + "'");
    }
    String spiffe = n.string("spiffeTrustDomain", "serviceradar.local");
    if (!Names.isDomain(spiffe)) {
      n.problem("spiffeTrustDomain", "must be a lowercase DNS name, got '" + spiffe + "'");
    }
    n.rejectUnknownKeys();
    return new IdentityConfig(td, spiffe);
  }
}
