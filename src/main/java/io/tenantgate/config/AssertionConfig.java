package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The signed tenant assertion ({@code X-Tenant-Assertion}, a compact JWS with EdDSA/Ed25519) the
 * gateway stamps on forwarded calls so core can verify identity with the JWKS on the ops port.
 *
 * @param keyFile PKCS#8 PEM Ed25519 private key shared by all replicas; null = a key generated at
 *     start (fine for one replica; several replicas behind one JWKS URL need a shared key)
 * @param ttl lifetime of one assertion; one per client certificate, shared by its connections and re-signed once 80 % of it has passed
 * @param rotationOverlap how long a replaced key stays in the JWKS
 * @param cacheMaxEntries how many client certificates keep a signed assertion their connections share
 *     (least recently used evicted beyond it; 0 = no sharing, every connection signs its own)
 */
public record AssertionConfig(boolean enabled, String issuer, String audience, Duration ttl, Path keyFile,
    Duration rotationOverlap, int cacheMaxEntries) {
  /** About 1.5 KiB per entry: 10,000 certificates cost ~15 MiB at most. */
  public static final int DEFAULT_CACHE_MAX_ENTRIES = 10_000;

  static AssertionConfig parse(Node n, GatewayConfig.Paths paths) {
    boolean enabled = n.bool("enabled", true);
    String issuer = n.string("issuer", "tenantgate");
    String audience = n.string("audience", null);
    Duration ttl = n.duration("ttl", Duration.ofMinutes(5));
    if (ttl.compareTo(Duration.ofSeconds(30)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
      n.problem("ttl", "must be between 30s and 1h");
    }
    Path key = paths.resolve(n.string("keyFile", null));
    Duration overlap = n.duration("rotationOverlap", ttl.multipliedBy(2));
    if (overlap.compareTo(ttl) < 0) {
      n.problem("rotationOverlap", "must be at least the ttl, or core would reject live assertions");
    }
    int cacheMaxEntries = n.integer("cacheMaxEntries", DEFAULT_CACHE_MAX_ENTRIES, 0, 10_000_000);
    n.rejectUnknownKeys();
    return new AssertionConfig(enabled, issuer, audience, ttl, key, overlap, cacheMaxEntries);
  }
}
