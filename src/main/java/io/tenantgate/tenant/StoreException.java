package io.tenantgate.tenant;

/**
 * A refused store operation; nothing was written. The admin API and the enrollment listener map
 * {@link Kind} to a 4xx status and {@link #reason()} to the problem's reason code.
 */
public final class StoreException extends RuntimeException {
  /** Why an operation was refused. */
  public enum Kind {
    /** Malformed input (slug, serial, certificate, CSR, token). */
    INVALID,
    /** The tenant, CA, certificate or package does not exist. */
    NOT_FOUND,
    /** It conflicts with what is stored (duplicate slug, a third active CA, a suspended tenant). */
    CONFLICT,
    /** The caller may not do this (a forged or mismatched download token). */
    FORBIDDEN,
    /** It existed but is used up: a package already downloaded, expired or revoked. */
    GONE
  }

  private final Kind kind;
  private final String reason;

  public StoreException(Kind kind, String message) {
    this(kind, null, message);
  }

  /** @param reason a stable snake_case code for clients and metrics (null: derived from the kind) */
  public StoreException(Kind kind, String reason, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.reason = reason;
  }

  public Kind kind() {
    return kind;
  }

  /** The stable reason code: the one given, else {@code invalid_input}, {@code not_found}, ... by kind. */
  public String reason() {
    if (reason != null) {
      return reason;
    }
    return switch (kind) {
      case INVALID -> "invalid_input";
      case NOT_FOUND -> "not_found";
      case CONFLICT -> "conflict";
      case FORBIDDEN -> "forbidden";
      case GONE -> "gone";
    };
  }
}
