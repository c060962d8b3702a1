package io.tenantgate.tenant;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded registry: a JSON file ({@link RegistryFile}) polled for changes. A change (new
 * modification time or size) is streamed into a new snapshot off the event loop and swapped in; a file that
 * does not parse leaves the last good snapshot in force and is reported on readiness.
 */
public final class FileTenantRegistry implements TenantRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(FileTenantRegistry.class);

  private final Vertx vertx;
  private final Path file;
  private final Duration pollInterval;
  private final List<Consumer<RegistrySnapshot>> listeners = new CopyOnWriteArrayList<>();
  private volatile RegistrySnapshot snapshot = RegistrySnapshot.empty();
  private volatile String lastError;
  /** CAs of the snapshot in force that did not parse when checked after its load (null: none). */
  private volatile String caProblems;
  private Context context;
  private long timerId = -1;
  private String seenStamp;
  /** Last time the file was found unchanged or loaded: how fresh the snapshot is known to be. */
  private volatile Instant verifiedAt = Instant.EPOCH;
  private long version;
  private boolean refreshing;

  public FileTenantRegistry(Vertx vertx, Path file, Duration pollInterval) {
    this.vertx = vertx;
    this.file = file;
    this.pollInterval = pollInterval;
  }

  @Override
  public RegistrySnapshot snapshot() {
    return snapshot;
  }

  @Override
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    return Future.<Void>future(p -> context.runOnContext(v -> refresh().onComplete(p)))
        .compose(v -> lastError == null ? Future.<Void>succeededFuture()
            : Future.<Void>failedFuture("registry file " + file + ": " + lastError))
        .onSuccess(v -> timerId = vertx.setPeriodic(pollInterval.toMillis(), id -> refresh()));
  }

  /** Checks the file now and loads it when it changed. Completes after any new snapshot is in force. */
  public Future<Void> refresh() {
    if (refreshing) {
      return Future.succeededFuture();
    }
    refreshing = true;
    return vertx.executeBlocking(this::stamp, false)
        .compose(this::loadIfChanged)
        .recover(err -> {
          recordError(err.getMessage());
          return Future.<Void>succeededFuture();
        })
        .eventually(() -> {
          refreshing = false;
          return Future.succeededFuture();
        });
  }

  /**
   * What identifies one version of the file: its inode (an atomic rename makes a new one), its
   * modification time to the nanosecond and its size. Milliseconds and size alone missed a same-size
   * rewrite within one millisecond.
   */
  private String stamp() throws java.io.IOException {
    var attrs = java.nio.file.Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
    return attrs.fileKey() + "|" + attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) + "|"
        + attrs.size();
  }

  private Future<Void> loadIfChanged(String stamp) {
    if (stamp.equals(seenStamp) && lastError == null) {
      verifiedAt = Instant.now();
      return Future.succeededFuture();
    }
    long next = version + 1;
    // streamed from the file into the snapshot: neither the file's bytes nor a JSON tree are held whole
    RegistrySnapshot previous = snapshot;
    return vertx.executeBlocking(() -> RegistryFile.load(file, Instant.now(), next, previous), false)
        .map(s -> {
          seenStamp = stamp;
          verifiedAt = Instant.now();
          version = next;
          boolean recovered = lastError != null;
          lastError = null;
          snapshot = s;
          LOG.info("op=registry.load store=file file={} version={} tenants={} cas={} revoked={}{}", file, next,
              s.tenants().size(), s.cas().size(), s.revokedCount(), recovered ? " recovered=true" : "");
          listeners.forEach(l -> l.accept(s));
          checkCas(s);
          return null;
        });
  }

  /**
   * Parses, off the event loop and after the snapshot is in force, every CA the load indexed by its
   * stored hash without parsing ({@link TenantCa#problem()}), and reports any that is unusable on
   * readiness until a later load has none: a broken entry is found here, not by a client.
   */
  private void checkCas(RegistrySnapshot s) {
    vertx.executeBlocking(() -> {
      List<String> problems = new ArrayList<>();
      for (TenantCa ca : s.cas()) {
        if (snapshot != s) {
          break; // a newer file is in force: its own check reports
        }
        String problem = ca.problem();
        if (problem != null) {
          problems.add("CA " + ca.spkiSha256() + " of tenant " + ca.tenantId() + ": " + problem);
        }
      }
      return problems;
    }, false).onComplete(done -> {
      if (snapshot != s) {
        return; // a newer file is in force: its own check reports
      }
      if (done.failed()) {
        caProblems = "checking the CAs failed: " + done.cause();
        LOG.error("op=registry.check store=file file={} version={} outcome=error reason=\"{}\"", file, s.version(),
            done.cause().toString());
        return;
      }
      List<String> problems = done.result();
      caProblems = problems.isEmpty() ? null : problems.size() + " CA(s) unusable, first: " + problems.get(0);
      if (caProblems != null) {
        LOG.error("op=registry.check store=file file={} version={} outcome=ca_unusable count={} reason=\"{}\"", file,
            s.version(), problems.size(), problems.get(0));
      }
    });
  }

  private void recordError(String message) {
    if (!message.equals(lastError)) {
      LOG.error("op=registry.load store=file file={} outcome=rejected reason=\"{}\" (the previous snapshot stays in force)",
          file, message);
    }
    lastError = message;
  }

  @Override
  public Runnable onChange(Consumer<RegistrySnapshot> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public RegistryHealth health() {
    long age = snapshot.loadedAt().equals(Instant.EPOCH) ? -1
        : Duration.between(verifiedAt, Instant.now()).toMillis();
    String err = lastError != null ? lastError : caProblems;
    return err == null ? new RegistryHealth(true, "file " + file + " version " + version, age)
        : new RegistryHealth(false, "file " + file + ": " + err, age);
  }

  @Override
  public Future<Void> close() {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
    return Future.succeededFuture();
  }
}
