package io.tenantgate.tenant;

/** A refused {@link TenantStore} operation; nothing was written. The admin API maps {@link Kind} to 4xx. */
public final class StoreException extends RuntimeException {
  /** Why an operation was refused. */
  public enum Kind {
    /** Malformed input (slug, serial, certificate). */
    INVALID,
    /** The tenant, CA or certificate does not exist. */
    NOT_FOUND,
    /** It conflicts with what is stored (duplicate slug, a third active CA, a suspended tenant). */
    CONFLICT
  }

  private final Kind kind;

  public StoreException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
