package io.tenantgate.identity;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One signed tenant assertion per client certificate, shared by that certificate's connections until
 * its refresh point (80 % of the ttl), so reconnecting and resuming agents pay no signature.
 *
 * <p>An entry is keyed by the leaf's SHA-256 and served only to a caller whose resolved identity is
 * equal to the one it was signed for, under the same registry snapshot version and the same signing
 * key: a registry change (revocation, suspension, a tenant or CA change), a different certificate or
 * a key rotation always gets a fresh signature. Every claim is derived from the certificate's identity
 * and the configuration (no connection id, peer address or request data), so the token two connections
 * of one certificate share is exactly the one each would have been given; its {@code jti} then names
 * the signature, not the connection. Concurrent first callers for one certificate share one signature
 * in progress; a failed signature is dropped so the next caller signs again. Bounded: least recently
 * used entries are evicted beyond {@code maxEntries} (0 = no sharing, every caller signs).
 * Thread-safe; the lock is held only for the map operation, never while signing.
 *
 * @param <T> what a certificate's connections share: the signed assertion as the caller prepares it
 *     (e.g. headers ready to stamp), made once per signature by the {@code prepare} function
 */
public final class AssertionCache<T> {
  private final AssertionSigner signer;
  private final int maxEntries;
  private final long refreshAfterNanos;
  private final BiFunction<ClientIdentity, String, T> prepare;
  private final Map<String, Entry<T>> entries;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();

  /**
   * An assertion (maybe still being signed; it completes on the signing thread and callers only read
   * it) and when the caller must ask again.
   */
  public record Lease<T>(CompletableFuture<T> assertion, long refreshAtNanos) {
  }

  private record Entry<T>(ClientIdentity identity, long registryVersion, String kid, Lease<T> lease) {
    boolean serves(ClientIdentity id, long version, String currentKid, long nowNanos) {
      return registryVersion == version && kid.equals(currentKid) && identity.equals(id)
          && nowNanos - lease.refreshAtNanos() < 0 && !lease.assertion().isCompletedExceptionally();
    }
  }

  /**
   * @param maxEntries certificates kept; 0 = nothing shared
   * @param prepare turns an identity and its signed assertion into what connections share (runs off the loop)
   */
  public AssertionCache(AssertionSigner signer, int maxEntries, BiFunction<ClientIdentity, String, T> prepare) {
    this.signer = signer;
    this.maxEntries = maxEntries;
    this.prepare = prepare;
    this.refreshAfterNanos = signer.ttl().toNanos() * 4 / 5;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry<T>> eldest) {
        return size() > AssertionCache.this.maxEntries;
      }
    };
  }

  public AssertionSigner signer() {
    return signer;
  }

  /**
   * The assertion for {@code id} resolved under registry snapshot {@code registryVersion}: the shared
   * one when it still serves, else a fresh signature run through {@code offLoop} (signing is CPU-bound:
   * it must not run on an event loop). {@code signed} is told when a signature was started.
   */
  public Lease<T> lease(ClientIdentity id, long registryVersion, long nowNanos,
      Function<Callable<T>, CompletionStage<T>> offLoop, Runnable signed) {
    String key = id.certSha256();
    String kid = signer.currentKid();
    Entry<T> fresh;
    synchronized (entries) {
      Entry<T> e = entries.get(key);
      if (e != null && e.serves(id, registryVersion, kid, nowNanos)) {
        hits.increment();
        return e.lease();
      }
      misses.increment();
      fresh = new Entry<>(id, registryVersion, kid, new Lease<>(new CompletableFuture<>(), nowNanos + refreshAfterNanos));
      if (maxEntries > 0) {
        entries.put(key, fresh);
      }
    }
    CompletableFuture<T> target = fresh.lease().assertion();
    signed.run();
    try {
      offLoop.apply(() -> prepare.apply(id, signer.sign(id, Instant.now()))).whenComplete((token, err) -> {
        if (err != null) {
          forget(key, fresh);
          target.completeExceptionally(err);
        } else {
          target.complete(token);
        }
      });
    } catch (RuntimeException e) {
      forget(key, fresh);
      target.completeExceptionally(e);
    }
    return fresh.lease();
  }

  private void forget(String key, Entry<T> e) {
    synchronized (entries) {
      entries.remove(key, e);
    }
  }

  /** Leases served from the cache (including a signature another caller had started). */
  public long hits() {
    return hits.sum();
  }

  /** Leases that started a signature. */
  public long misses() {
    return misses.sum();
  }

  /** Certificates with a cached assertion. */
  public int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
