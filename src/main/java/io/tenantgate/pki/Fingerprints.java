package io.tenantgate.pki;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * The lowercase-hex identifiers the registry and the forwarded headers use: the SHA-256 of a
 * SubjectPublicKeyInfo (how a tenant CA is looked up, stable across re-issuance with the same
 * key), the SHA-256 of a whole certificate (the leaf fingerprint), and serial numbers.
 */
public final class Fingerprints {

  private static final HexFormat HEX = HexFormat.of();

  private Fingerprints() {
  }

  /** SHA-256 over the DER SubjectPublicKeyInfo of the certificate's key, lowercase hex. */
  public static String spkiSha256Hex(X509Certificate certificate) {
    return spkiSha256Hex(certificate.getPublicKey());
  }

  /** SHA-256 over the key's DER SubjectPublicKeyInfo ({@link PublicKey#getEncoded()}). */
  public static String spkiSha256Hex(PublicKey key) {
    return HEX.formatHex(sha256(key.getEncoded()));
  }

  /** SHA-256 over the DER certificate, lowercase hex. */
  public static String sha256Hex(X509Certificate certificate) {
    try {
      return HEX.formatHex(sha256(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be DER-encoded", e);
    }
  }

  /** The serial as lowercase hex without leading zeros or separators, e.g. {@code 1f3a}. */
  public static String serialHex(BigInteger serial) {
    return serial.toString(16);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
