package io.tenantgate.identity;

import io.tenantgate.config.TlsConfig;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CRL;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * The edge listener's TLS material read from disk and checked as a whole before anything uses it:
 * the server certificate chain parses and is within its validity, the private key belongs to it, and
 * the platform root file holds CA certificates. Listeners are configured from these validated bytes,
 * never from the paths, so a half-written or wrong file can never be what a handshake uses.
 */
public record TlsMaterial(String certPem, String keyPem, PlatformTrust trust, X509Certificate serverCertificate,
    String fingerprint) {

  /** Reads and validates; blocking file I/O, call off the event loop. */
  public static TlsMaterial load(TlsConfig tls, Instant now) throws IOException {
    String certPem = Files.readString(tls.certFile(), StandardCharsets.US_ASCII);
    String keyPem = Files.readString(tls.keyFile(), StandardCharsets.US_ASCII);
    String rootPem = Files.readString(tls.clientCaFile(), StandardCharsets.US_ASCII);
    List<X509Certificate> chain = Pem.readCertificates(certPem);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(tls.certFile() + ": no certificate");
    }
    X509Certificate cert = chain.get(0);
    if (cert.getNotAfter().toInstant().isBefore(now)) {
      throw new IllegalArgumentException(tls.certFile() + ": certificate expired " + cert.getNotAfter().toInstant());
    }
    PrivateKey key = Pem.readPrivateKey(keyPem);
    if (!"EC".equals(key.getAlgorithm()) && !"RSA".equals(key.getAlgorithm())) {
      throw new IllegalArgumentException(tls.keyFile() + ": the server key must be EC or RSA, got "
          + key.getAlgorithm());
    }
    if (!belongTogether(cert, key)) {
      throw new IllegalArgumentException(tls.keyFile() + ": private key does not match " + tls.certFile());
    }
    List<X509CRL> crls = new ArrayList<>();
    StringBuilder crlBytes = new StringBuilder();
    for (Path f : tls.crlFiles()) {
      byte[] raw = Files.readAllBytes(f);
      crlBytes.append(HexFormat.of().formatHex(raw));
      crls.addAll(readCrls(f, raw));
    }
    PlatformTrust trust = PlatformTrust.of(Pem.readCertificates(rootPem), Crls.of(crls));
    return new TlsMaterial(certPem, keyPem, trust, cert, digest(certPem, keyPem, rootPem, crlBytes.toString()));
  }

  /** PEM ("X509 CRL") or DER CRLs from one file. */
  private static List<X509CRL> readCrls(Path file, byte[] raw) {
    try {
      List<X509CRL> out = new ArrayList<>();
      for (CRL crl : CertificateFactory.getInstance("X.509").generateCRLs(new ByteArrayInputStream(raw))) {
        out.add((X509CRL) crl);
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(file + ": no CRL");
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + ": not a CRL: " + e.getMessage());
    }
  }

  /** Signs a probe with the key and verifies it with the certificate's public key. */
  static boolean belongTogether(X509Certificate cert, PrivateKey key) {
    String alg = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (alg == null) {
      return false;
    }
    try {
      byte[] probe = "tenantgate key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Serial and expiry of the server certificate, for logs. */
  public String describe() {
    return "serial=" + Fingerprints.serialHex(serverCertificate.getSerialNumber()) + " not_after="
        + serverCertificate.getNotAfter().toInstant() + " roots=" + trust.roots().size() + " crls="
        + trust.crls().size();
  }

  private static String digest(String... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String p : parts) {
        md.update(p.getBytes(StandardCharsets.US_ASCII));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
