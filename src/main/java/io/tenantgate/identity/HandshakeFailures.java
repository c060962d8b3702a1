package io.tenantgate.identity;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.internal.tcnative.CertificateVerifier;
import io.tenantgate.error.Failure;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.PKIXReason;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * The TLS side of refusals. {@link #refusal} builds the exception the trust manager throws so both
 * engines send the matching alert (certificate_expired, unknown_ca, unsupported_certificate, ...);
 * {@link #classify} names the handshake failures the trust manager never saw (no certificate,
 * protocol mismatch, timeout) so they are counted too.
 */
public final class HandshakeFailures {
  static final String MARKER = "client certificate refused: ";

  private HandshakeFailures() {
  }

  static CertificateException refusal(Failure failure) {
    CertPathValidatorException.Reason reason = switch (failure) {
      case EXPIRED -> CertPathValidatorException.BasicReason.EXPIRED;
      case NOT_YET_VALID -> CertPathValidatorException.BasicReason.NOT_YET_VALID;
      case UNKNOWN_CA -> PKIXReason.NO_TRUST_ANCHOR;
      case NOT_CLIENT_CERT, LEAF_IS_CA -> PKIXReason.INVALID_KEY_USAGE;
      case TENANT_MISMATCH -> PKIXReason.INVALID_NAME;
      default -> CertPathValidatorException.BasicReason.UNSPECIFIED;
    };
    String message = MARKER + failure.code();
    CertPathValidatorException cause = new CertPathValidatorException(message, null, null, -1, reason);
    if (OpenSsl.isAvailable()) {
      return new OpenSslCertificateException(message, cause, openSslCode(failure));
    }
    return new CertificateException(message, cause);
  }

  private static int openSslCode(Failure failure) {
    return switch (failure) {
      case EXPIRED -> CertificateVerifier.X509_V_ERR_CERT_HAS_EXPIRED;
      case NOT_YET_VALID -> CertificateVerifier.X509_V_ERR_CERT_NOT_YET_VALID;
      case UNKNOWN_CA -> CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
      case NOT_CLIENT_CERT, LEAF_IS_CA -> CertificateVerifier.X509_V_ERR_INVALID_PURPOSE;
      case TENANT_MISMATCH -> CertificateVerifier.X509_V_ERR_PERMITTED_VIOLATION;
      default -> CertificateVerifier.X509_V_ERR_CERT_REJECTED;
    };
  }

  /**
   * The reason for a failed handshake reported by the server, or null when it is not a handshake
   * failure or the trust manager already counted it.
   */
  public static Failure classify(Throwable err) {
    boolean tls = false;
    for (Throwable t = err; t != null; t = t.getCause()) {
      String m = t.getMessage() == null ? "" : t.getMessage();
      if (m.contains(MARKER)) {
        return null;
      }
      if (t instanceof SslHandshakeTimeoutException) {
        return Failure.TLS_HANDSHAKE;
      }
      String lower = m.toLowerCase(Locale.ROOT);
      if (lower.contains("empty client certificate chain") || lower.contains("peer_did_not_return_a_certificate")
          || lower.contains("certificate_required")) {
        return Failure.NO_CLIENT_CERT;
      }
      tls |= t instanceof SSLException;
    }
    return tls ? Failure.TLS_HANDSHAKE : null;
  }
}
