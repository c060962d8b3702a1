package io.tenantgate.pki;

/**
 * A refused certificate signing request (see {@link CsrCheck#check}). The reason is a stable code
 * the admin API can map to its error vocabulary; the message says what the request asked for and
 * what the package allows.
 */
public final class CsrException extends RuntimeException {
  /** Not exactly one parseable PEM {@code CERTIFICATE REQUEST} of at most 16 KiB. */
  public static final String MALFORMED = "csr_malformed";
  /** The request's signature does not verify with its own key: no proof of possession. */
  public static final String BAD_SIGNATURE = "csr_bad_signature";
  /** The key is neither EC P-256/P-384 nor RSA of 2048..8192 bits. */
  public static final String WEAK_KEY = "csr_weak_key";
  /** The request asks for CA:true, keyCertSign or cRLSign. */
  public static final String CA_REQUESTED = "csr_ca_requested";
  /** The subject CN or a subject alternative name is not one the package allows. */
  public static final String NAME_MISMATCH = "csr_name_mismatch";

  private final String reason;

  CsrException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** One of the constants of this class, e.g. {@value #NAME_MISMATCH}. */
  public String reason() {
    return reason;
  }
}
