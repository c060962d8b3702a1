package io.tenantgate.pki;

/**
 * A refused {@code edgepkg-v2} download token (see {@link DownloadTokens#verify}). The reason is a
 * stable code the admin API can map to its error vocabulary; the message says what was wrong
 * without echoing the token or its secret.
 */
public final class TokenException extends RuntimeException {
  /** Not a well-formed token: prefix, parts, base64url, JSON, claims or length. */
  public static final String MALFORMED = "token_malformed";
  /** Well-formed, but the signature does not verify with this gateway's key. */
  public static final String FORGED = "token_forged";

  private final String reason;

  TokenException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** {@value #MALFORMED} or {@value #FORGED}. */
  public String reason() {
    return reason;
  }
}
