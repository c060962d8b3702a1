package io.tenantgate.identity;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Who is on the other end of an edge connection, derived once from its verified certificate.
 * {@link #headers()} are the trusted headers stamped on every forwarded request, prepared here once
 * per connection so the request path only copies them.
 */
public record ClientIdentity(
    UUID tenantId,
    String tenantSlug,
    String partitionId,
    String componentId,
    String componentType,
    String certSha256,
    String serialHex,
    String subject,
    String spiffeId,
    String caSpkiSha256,
    List<Map.Entry<String, String>> headers) {

  public ClientIdentity {
    headers = List.copyOf(headers);
  }

  static ClientIdentity of(UUID tenantId, String tenantSlug, String partitionId, String componentId,
      String componentType, String certSha256, String serialHex, String subject, String spiffeId,
      String caSpkiSha256) {
    List<Map.Entry<String, String>> h = List.of(
        Map.entry(IdentityHeaders.TENANT_ID, tenantId.toString()),
        Map.entry(IdentityHeaders.TENANT_SLUG, tenantSlug),
        Map.entry(IdentityHeaders.PARTITION_ID, partitionId),
        Map.entry(IdentityHeaders.COMPONENT_ID, componentId),
        Map.entry(IdentityHeaders.COMPONENT_TYPE, componentType),
        Map.entry(IdentityHeaders.CLIENT_CERT_SHA256, certSha256),
        Map.entry(IdentityHeaders.XFCC, xfcc(certSha256, subject, spiffeId)));
    return new ClientIdentity(tenantId, tenantSlug, partitionId, componentId, componentType, certSha256,
        serialHex, subject, spiffeId, caSpkiSha256, h);
  }

  /** Envoy's x-forwarded-client-cert form: {@code Hash=<hex>;Subject="<dn>"[;URI=<spiffe>]}. */
  static String xfcc(String sha256, String subject, String spiffeId) {
    StringBuilder b = new StringBuilder("Hash=").append(sha256).append(";Subject=\"")
        .append(subject.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    if (spiffeId != null) {
      b.append(";URI=").append(spiffeId);
    }
    return b.toString();
  }
}
