package io.tenantgate.tenant;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tenant CA entries of a registry file, parsed on a helper thread while the loader streams the rest
 * of the document (the revoked list follows them), and by the loader as well once it has read
 * everything. With 10,000 tenants the X.509 parsing of their CAs is about a sixth of a load. The outcome
 * is the one a parse in file order gives: the CAs in file order, or the failure of the first broken
 * entry (entries are taken in index order, so every one before a failure is parsed too).
 */
final class CaParsing {
  /** Below this many entries the loader parses them alone: a thread would cost more than it saves. */
  static final int HELPER_THRESHOLD = 256;

  private final List<JsonObject> entries;
  private final TenantCa[] parsed;
  private final Throwable[] failed;
  private final AtomicInteger next = new AtomicInteger();
  private final Thread helper;
  private volatile boolean stop;

  private final RegistrySnapshot previous;

  private CaParsing(List<JsonObject> entries, RegistrySnapshot previous) {
    this.entries = entries;
    this.previous = previous;
    this.parsed = new TenantCa[entries.size()];
    this.failed = new Throwable[entries.size()];
    if (entries.size() >= HELPER_THRESHOLD) {
      helper = new Thread(this::work, "registry-ca-parse");
      helper.setDaemon(true);
      helper.start();
    } else {
      helper = null;
    }
  }

  /** Starts parsing {@code entries} ({@code cas[i]} objects, in file order); see {@link RegistryFile#ca}. */
  static CaParsing start(List<JsonObject> entries, RegistrySnapshot previous) {
    return new CaParsing(entries, previous);
  }

  /**
   * Parses what is left on the calling thread, waits for the helper, and returns the CAs in file order;
   * throws the first broken entry's {@link IllegalArgumentException} as a sequential parse would.
   */
  List<TenantCa> finish() {
    work();
    if (helper != null) {
      try {
        helper.join();
      } catch (InterruptedException e) {
        stop = true;
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while parsing the registry's CAs", e);
      }
    }
    for (Throwable t : failed) {
      if (t instanceof RuntimeException r) {
        throw r;
      }
      if (t instanceof Error e) {
        throw e;
      }
    }
    return Arrays.asList(parsed);
  }

  private void work() {
    int i;
    while (!stop && (i = next.getAndIncrement()) < parsed.length) {
      try {
        parsed[i] = RegistryFile.ca(entries.get(i), i, previous);
      } catch (Throwable t) { // NOPMD: handed to finish(), which rethrows it on the loader
        failed[i] = t;
        stop = true;
      }
    }
  }
}
