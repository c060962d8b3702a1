package io.tenantgate.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client chains (leaf + tenant CA) that already passed PKIX validation under one platform trust.
 *
 * <p>Signatures, name constraints, basic constraints and path length are a function of the two
 * certificates' bytes and the trust anchors alone; only time changes the answer. So an agent that
 * reconnects with the certificate it used before costs a hash and a validity check instead of two
 * signature verifications (the JDK verifies P-256 at ~600/s per core: the largest part of a full
 * handshake). What is never cached: validity (checked on every hit against the remembered window),
 * CRLs, and everything the identity rules decide from the registry. A new trust (TLS reload) starts
 * from an empty set. Bounded: the least recently used chains are forgotten first.
 */
final class VerifiedChains {
  private final PlatformTrust trust;
  private final Cache<ByteBuffer, long[]> chains;
  private final LongAdder hits;
  private final LongAdder misses;

  private VerifiedChains(PlatformTrust trust, int maxEntries, LongAdder hits, LongAdder misses) {
    this.trust = trust;
    this.chains = Caffeine.newBuilder().maximumSize(maxEntries).executor(Runnable::run).build();
    this.hits = hits;
    this.misses = misses;
  }

  /** An empty set for {@code trust}; null when caching is off ({@code maxEntries} 0). */
  static VerifiedChains of(PlatformTrust trust, int maxEntries, LongAdder hits, LongAdder misses) {
    return maxEntries <= 0 ? null : new VerifiedChains(trust, maxEntries, hits, misses);
  }

  boolean isFor(PlatformTrust t) {
    return trust == t;
  }

  /** Whether {@code path} (leaf, CA) was validated before and all of it is within its validity at {@code nowMillis}. */
  boolean covers(List<X509Certificate> path, long nowMillis) {
    ByteBuffer key = key(path);
    long[] window = key == null ? null : chains.getIfPresent(key);
    if (window != null && window[0] <= nowMillis && nowMillis <= window[1]) {
      hits.increment();
      return true;
    }
    misses.increment();
    return false;
  }

  /** {@code path} just passed full validation. */
  void remember(List<X509Certificate> path) {
    ByteBuffer key = key(path);
    if (key == null) {
      return;
    }
    long notBefore = Long.MIN_VALUE;
    long notAfter = Long.MAX_VALUE;
    for (X509Certificate c : path) {
      notBefore = Math.max(notBefore, c.getNotBefore().getTime());
      notAfter = Math.min(notAfter, c.getNotAfter().getTime());
    }
    chains.put(key, new long[] {notBefore, notAfter});
  }

  long size() {
    return chains.estimatedSize();
  }

  /**
   * SHA-256 over each certificate's length and DER; null if one cannot be encoded (then never cached).
   * {@link IdentityResolver} keys the chains it has read by it too.
   */
  static ByteBuffer key(List<? extends Certificate> path) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Certificate c : path) {
        byte[] der = c.getEncoded();
        sha.update(ByteBuffer.allocate(4).putInt(der.length).array());
        sha.update(der);
      }
      return ByteBuffer.wrap(sha.digest());
    } catch (CertificateEncodingException e) {
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}
