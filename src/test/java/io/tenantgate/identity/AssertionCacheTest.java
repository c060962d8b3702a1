package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.config.AssertionConfig;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AssertionCacheTest {
  private static final UUID ACME = UUID.fromString("6f1c2d3e-4a5b-4c6d-8e7f-001122334455");
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final long REFRESH = TTL.toNanos() * 4 / 5;

  private AssertionSigner signer;
  /** Signatures handed to the "worker"; run at once unless {@link #deferred} holds them. */
  private final AtomicInteger signatures = new AtomicInteger();
  private final List<Runnable> deferred = new ArrayList<>();
  private boolean defer;
  private final ExecutorService worker = Executors.newSingleThreadExecutor();

  @BeforeEach
  void signer() throws Exception {
    signer = AssertionSigner.create(new AssertionConfig(true, "tenantgate", null, TTL, null, TTL.multipliedBy(2),
        AssertionConfig.DEFAULT_CACHE_MAX_ENTRIES));
  }

  @AfterEach
  void stopWorker() {
    worker.shutdownNow();
  }

  private static ClientIdentity identity(String component, String sha) {
    return ClientIdentity.of(ACME, "acme", "default", component, "agent", sha, "1f", "CN=" + component
        + ".acme.serviceradar", null, "ca");
  }

  private <T> Function<Callable<T>, CompletionStage<T>> offLoop() {
    return task -> {
      signatures.incrementAndGet();
      CompletableFuture<T> f = new CompletableFuture<>();
      Runnable run = () -> {
        try {
          f.complete(task.call());
        } catch (Exception e) {
          f.completeExceptionally(e);
        }
      };
      if (defer) {
        deferred.add(run);
      } else {
        run.run();
      }
      return f;
    };
  }

  private AssertionCache<String> cache(int max) {
    return new AssertionCache<>(signer, max, (id, token) -> token);
  }

  private static String claim(String token, String name) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]))).getValue(name).toString();
  }

  private static String kid(String token) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]))).getString("kid");
  }

  @Test
  void connectionsOfOneCertificateShareOneSignatureUntilItsRefreshPoint() {
    AssertionCache<String> cache = cache(10);
    ClientIdentity id = identity("agent-1", "aa01");
    AssertionCache.Lease<String> first = cache.lease(id, 7, 0, offLoop(), () -> { });
    // another connection of the same certificate: resolved again, so an equal (not the same) identity
    AssertionCache.Lease<String> second = cache.lease(identity("agent-1", "aa01"), 7, REFRESH - 1, offLoop(), () -> { });
    assertEquals(1, signatures.get());
    assertEquals(first.assertion().join(), second.assertion().join());
    assertEquals(REFRESH, second.refreshAtNanos());
    assertEquals("aa01", claim(first.assertion().join(), "cert_sha256"));

    AssertionCache.Lease<String> due = cache.lease(id, 7, REFRESH, offLoop(), () -> { });
    assertEquals(2, signatures.get(), "at the refresh point a fresh assertion is signed");
    assertEquals(2 * REFRESH, due.refreshAtNanos());
    assertEquals(1, cache.hits());
    assertEquals(2, cache.misses());
  }

  @Test
  void differentCertificatesNeverShareEvenForTheSameComponent() {
    AssertionCache<String> cache = cache(10);
    String a = cache.lease(identity("agent-1", "aa01"), 7, 0, offLoop(), () -> { }).assertion().join();
    String b = cache.lease(identity("agent-1", "bb02"), 7, 0, offLoop(), () -> { }).assertion().join();
    assertEquals(2, signatures.get());
    assertEquals("aa01", claim(a, "cert_sha256"));
    assertEquals("bb02", claim(b, "cert_sha256"));
  }

  @Test
  void aDifferentIdentityForTheSameFingerprintIsNeverServedTheCachedOne() {
    AssertionCache<String> cache = cache(10);
    cache.lease(identity("agent-1", "aa01"), 7, 0, offLoop(), () -> { });
    ClientIdentity moved = ClientIdentity.of(UUID.randomUUID(), "globex", "default", "agent-1", "agent", "aa01", "1f",
        "CN=agent-1.globex.serviceradar", null, "ca");
    String token = cache.lease(moved, 7, 1, offLoop(), () -> { }).assertion().join();
    assertEquals(2, signatures.get());
    assertEquals("globex", claim(token, "tenant_slug"));
  }

  @Test
  void aRegistryChangeOrAKeyRotationSignsAgain() {
    AssertionCache<String> cache = cache(10);
    ClientIdentity id = identity("agent-1", "aa01");
    String v7 = cache.lease(id, 7, 0, offLoop(), () -> { }).assertion().join();
    String v8 = cache.lease(id, 8, 1, offLoop(), () -> { }).assertion().join();
    assertEquals(2, signatures.get(), "a new registry snapshot version");
    assertNotEquals(v7, v8);

    String oldKid = signer.currentKid();
    signer.rotate(java.time.Instant.now());
    String rotated = cache.lease(id, 8, 2, offLoop(), () -> { }).assertion().join();
    assertEquals(3, signatures.get(), "a new signing key");
    assertEquals(oldKid, kid(v8));
    assertEquals(signer.currentKid(), kid(rotated));
  }

  @Test
  void concurrentFirstCallersWaitForOneSignature() {
    AssertionCache<String> cache = cache(10);
    defer = true;
    int[] signedCalls = {0};
    AssertionCache.Lease<String> first = cache.lease(identity("agent-1", "aa01"), 7, 0, offLoop(), () -> signedCalls[0]++);
    AssertionCache.Lease<String> second = cache.lease(identity("agent-1", "aa01"), 7, 5, offLoop(), () -> signedCalls[0]++);
    assertFalse(first.assertion().isDone(), "the signature has not run: the lease returned without waiting for it");
    assertSame(first.assertion(), second.assertion());
    assertEquals(1, signatures.get());
    assertEquals(1, signedCalls[0]);
    deferred.forEach(Runnable::run);
    assertEquals(first.assertion().join(), second.assertion().join());
  }

  @Test
  void manyThreadsAskingAtOnceSignOnce() throws Exception {
    AssertionCache<String> cache = cache(10);
    AtomicInteger started = new AtomicInteger();
    Function<Callable<String>, CompletionStage<String>> onWorker = task -> {
      started.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> {
        try {
          return task.call();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, worker);
    };
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> tokens = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        tokens.add(callers.submit(() -> {
          go.await();
          return cache.lease(identity("agent-1", "aa01"), 7, 0, onWorker, () -> { }).assertion()
              .get(10, TimeUnit.SECONDS);
        }));
      }
      go.countDown();
      String token = tokens.get(0).get(10, TimeUnit.SECONDS);
      for (Future<String> t : tokens) {
        assertEquals(token, t.get(10, TimeUnit.SECONDS));
      }
      assertEquals(1, started.get());
      assertEquals(7, cache.hits());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aFailedSignatureIsNotKeptAndTheNextCallerSignsAgain() {
    AssertionCache<String> cache = new AssertionCache<>(signer, 10, (id, token) -> {
      if (signatures.get() == 1) {
        throw new IllegalStateException("worker pool gone");
      }
      return token;
    });
    AssertionCache.Lease<String> failed = cache.lease(identity("agent-1", "aa01"), 7, 0, offLoop(), () -> { });
    assertTrue(failed.assertion().isCompletedExceptionally());
    assertEquals(0, cache.size());
    String token = cache.lease(identity("agent-1", "aa01"), 7, 1, offLoop(), () -> { }).assertion().join();
    assertEquals(2, signatures.get());
    assertEquals("aa01", claim(token, "cert_sha256"));
  }

  @Test
  void aWorkerThatRefusesTheTaskFailsTheLeaseAndKeepsNothing() {
    AssertionCache<String> cache = cache(10);
    AssertionCache.Lease<String> lease = cache.lease(identity("agent-1", "aa01"), 7, 0, task -> {
      throw new java.util.concurrent.RejectedExecutionException("closed");
    }, () -> { });
    assertTrue(lease.assertion().isCompletedExceptionally());
    assertEquals(0, cache.size());
  }

  @Test
  void theLeastRecentlyUsedCertificateIsEvictedBeyondTheBound() {
    AssertionCache<String> cache = cache(2);
    ClientIdentity a = identity("agent-a", "aa01");
    ClientIdentity b = identity("agent-b", "bb02");
    cache.lease(a, 7, 0, offLoop(), () -> { });
    cache.lease(b, 7, 0, offLoop(), () -> { });
    cache.lease(a, 7, 1, offLoop(), () -> { });
    cache.lease(identity("agent-c", "cc03"), 7, 2, offLoop(), () -> { });
    assertEquals(2, cache.size());
    assertEquals(3, signatures.get());
    cache.lease(a, 7, 3, offLoop(), () -> { });
    assertEquals(3, signatures.get(), "a was used recently and stayed");
    cache.lease(b, 7, 4, offLoop(), () -> { });
    assertEquals(4, signatures.get(), "b was evicted and is signed again");
  }

  @Test
  void zeroEntriesSharesNothing() {
    AssertionCache<String> cache = cache(0);
    ClientIdentity id = identity("agent-1", "aa01");
    String one = cache.lease(id, 7, 0, offLoop(), () -> { }).assertion().join();
    String two = cache.lease(id, 7, 1, offLoop(), () -> { }).assertion().join();
    assertEquals(2, signatures.get());
    assertNotEquals(one, two);
    assertEquals(0, cache.size());
  }
}
