package io.tenantgate.tenant;

import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * Source of the current {@link RegistrySnapshot}. Implementations load once at start, then follow
 * their store and swap snapshots atomically; a broken update keeps the last good snapshot.
 */
public interface TenantRegistry {
  /** The snapshot in force; never null once {@link #start()} succeeded. Cheap: call it per connection. */
  RegistrySnapshot snapshot();

  /** Loads the first snapshot and begins following changes. Fails when the first load fails. */
  Future<Void> start();

  /**
   * Calls {@code listener} (on the registry's context) after each new snapshot is in force.
   *
   * @return an action that removes the listener again
   */
  Runnable onChange(Consumer<RegistrySnapshot> listener);

  /** Human-readable state for readiness: whether the last refresh succeeded and when. */
  RegistryHealth health();

  Future<Void> close();

  /** Readiness view of a registry. */
  record RegistryHealth(boolean upToDate, String detail, long snapshotAgeMillis) {
  }
}
