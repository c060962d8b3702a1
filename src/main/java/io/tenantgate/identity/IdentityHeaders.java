package io.tenantgate.identity;

import java.util.Locale;

/**
 * Names of the headers (and gRPC metadata keys) that carry a verified identity to core, and the
 * test for inbound headers that must never be believed. Names are lowercase: HTTP/2 requires it,
 * HTTP/1.1 does not care.
 */
public final class IdentityHeaders {
  public static final String TENANT_ID = "x-tenant-id";
  public static final String TENANT_SLUG = "x-tenant-slug";
  public static final String PARTITION_ID = "x-partition-id";
  public static final String COMPONENT_ID = "x-component-id";
  public static final String COMPONENT_TYPE = "x-component-type";
  public static final String CLIENT_CERT_SHA256 = "x-client-cert-sha256";
  public static final String XFCC = "x-forwarded-client-cert";
  public static final String TENANT_ASSERTION = "x-tenant-assertion";

  private IdentityHeaders() {
  }

  /**
   * True for any header a client might use to claim an identity: {@code X-Tenant-*},
   * {@code X-Partition-Id}, {@code X-Component-*}, {@code X-Client-Cert*}, XFCC, and RFC 9440
   * {@code Client-Cert}/{@code Client-Cert-Chain}. Case-insensitive, and '_' counts as '-'.
   */
  public static boolean isIdentityHeader(String name) {
    // '_' too: CGI-style stacks (WSGI, Rack, PHP) read X_Tenant_Slug and X-Tenant-Slug as one header
    String n = name.toLowerCase(Locale.ROOT).replace('_', '-');
    return n.startsWith("x-tenant-") || n.equals("x-partition-id") || n.startsWith("x-component-")
        || n.startsWith("x-client-cert") || n.equals(XFCC) || n.equals("client-cert")
        || n.equals("client-cert-chain") || n.startsWith("x-ssl-client") || n.equals("x-client-verify");
  }
}
