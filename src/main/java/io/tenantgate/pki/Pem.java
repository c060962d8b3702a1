package io.tenantgate.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * PEM text in and out: certificates, PKCS#8 private keys, and atomic file writes.
 *
 * <p>Keys are always written as unencrypted PKCS#8 ({@code PRIVATE KEY}); reading also accepts
 * the OpenSSL traditional forms {@code EC PRIVATE KEY} (SEC1) and {@code RSA PRIVATE KEY}
 * (PKCS#1), which is what edge tooling often produces. Malformed input fails with an
 * {@link IllegalArgumentException} whose message names the problem but never echoes the input.
 */
public final class Pem {

  private static final Map<ASN1ObjectIdentifier, String> KEY_FACTORIES = Map.of(
      X9ObjectIdentifiers.id_ecPublicKey, "EC",
      PKCSObjectIdentifiers.rsaEncryption, "RSA",
      EdECObjectIdentifiers.id_Ed25519, "Ed25519");

  private Pem() {
  }

  /** PEM text of the certificates, in the order given (leaf first for a chain). */
  public static String certificates(X509Certificate... certificates) {
    return certificates(List.of(certificates));
  }

  /** PEM text of the certificates, in list order. */
  public static String certificates(List<X509Certificate> certificates) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      for (X509Certificate certificate : certificates) {
        writer.writeObject(certificate);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode certificate as PEM", e);
    }
    return out.toString();
  }

  /** The key as an unencrypted PKCS#8 {@code PRIVATE KEY} block. */
  public static String privateKey(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(new JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + key.getAlgorithm() + " key as PEM", e);
    }
    return out.toString();
  }

  /**
   * Every {@code CERTIFICATE} block in the text, in order. Text outside the blocks is ignored.
   *
   * @throws IllegalArgumentException when there is no certificate, a block is malformed, or a
   *     block is something other than a certificate
   */
  public static List<X509Certificate> readCertificates(String pem) {
    List<X509Certificate> certificates = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    try (PEMParser parser = new PEMParser(new StringReader(requirePem(pem)))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        if (!(object instanceof X509CertificateHolder)) {
          throw new BadPem("expected only CERTIFICATE blocks in PEM, found "
              + describe(object) + " (block " + (certificates.size() + 1) + ")");
        }
        certificates.add(converter.getCertificate((X509CertificateHolder) object));
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw malformed("certificate PEM", e);
    }
    if (certificates.isEmpty()) {
      throw new BadPem("no CERTIFICATE block found in PEM text");
    }
    return List.copyOf(certificates);
  }

  /** {@link #readCertificates(String)} on a file; parse errors name the file. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      return readCertificates(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The single private key in the text: PKCS#8 {@code PRIVATE KEY}, {@code EC PRIVATE KEY} or
   * {@code RSA PRIVATE KEY} (EC, RSA or Ed25519). Certificate and {@code EC PARAMETERS} blocks
   * next to it are skipped; encrypted keys are refused.
   *
   * @throws IllegalArgumentException when there is not exactly one usable unencrypted key
   */
  public static PrivateKey readPrivateKey(String pem) {
    PrivateKeyInfo found = null;
    try (PEMParser parser = new PEMParser(new StringReader(requirePem(pem)))) {
      Object object;
      while ((object = parser.readObject()) != null) {
        PrivateKeyInfo info = keyInfo(object);
        if (info == null) {
          continue;
        }
        if (found != null) {
          throw new BadPem("more than one private key found in PEM text");
        }
        found = info;
      }
    } catch (IOException | RuntimeException e) {
      throw malformed("private key PEM", e);
    }
    if (found == null) {
      throw new BadPem("no PRIVATE KEY block found in PEM text");
    }
    return toPrivateKey(found);
  }

  /** {@link #readPrivateKey(String)} on a file; parse errors name the file. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    try {
      return readPrivateKey(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Replaces the file's content atomically (a temporary file in the same directory, then a
   * move), creating missing parent directories. A secret file is created {@code rw-------}, any
   * other {@code rw-r--r--}; on file systems without POSIX permissions they are left as they are.
   */
  public static void write(Path file, String content, boolean secret) throws IOException {
    Path target = file.toAbsolutePath();
    Path directory = target.getParent();
    Files.createDirectories(directory);
    // createTempFile makes the file rw------- on POSIX before anything is written to it.
    Path temp = Files.createTempFile(directory, "." + target.getFileName(), ".tmp");
    try {
      Files.writeString(temp, content, StandardCharsets.UTF_8);
      if (!secret && supportsPosix(directory)) {
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static boolean supportsPosix(Path directory) throws IOException {
    return Files.getFileStore(directory).supportsFileAttributeView(PosixFileAttributeView.class);
  }

  /** The key inside a parsed PEM object; null for blocks that may sit next to a key. */
  private static PrivateKeyInfo keyInfo(Object object) {
    if (object instanceof PrivateKeyInfo) {
      return (PrivateKeyInfo) object;
    }
    if (object instanceof PEMKeyPair) {
      return ((PEMKeyPair) object).getPrivateKeyInfo();
    }
    if (object instanceof PEMEncryptedKeyPair || object instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new BadPem("encrypted private keys are not supported");
    }
    if (object instanceof X509CertificateHolder || object instanceof ASN1ObjectIdentifier) {
      return null;
    }
    throw new BadPem(
        "expected a private key in PEM, found " + describe(object));
  }

  private static PrivateKey toPrivateKey(PrivateKeyInfo info) {
    ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
    String factory = KEY_FACTORIES.get(algorithm);
    if (factory == null) {
      throw new BadPem("unsupported private key algorithm " + algorithm);
    }
    if ("EC".equals(factory) && info.getPrivateKeyAlgorithm().getParameters() == null) {
      throw new BadPem("EC private key does not name its curve");
    }
    try {
      return KeyFactory.getInstance(factory)
          .generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      // no cause: provider messages may describe the key's content
      throw new BadPem("invalid " + factory + " private key");
    }
  }

  private static String requirePem(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new BadPem("PEM text is empty");
    }
    return pem;
  }

  /**
   * Our own refusals pass through; parser failures become one message. Only the parser's message
   * is kept, never its cause chain, so nothing below the PEM layer can leak key bytes.
   */
  private static IllegalArgumentException malformed(String what, Exception e) {
    if (e instanceof BadPem) {
      return (BadPem) e;
    }
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new BadPem("malformed " + what + ": " + detail);
  }

  private static String describe(Object object) {
    if (object instanceof PrivateKeyInfo || object instanceof PEMKeyPair
        || object instanceof PEMEncryptedKeyPair
        || object instanceof PKCS8EncryptedPrivateKeyInfo) {
      return "a private key";
    }
    if (object instanceof X509CertificateHolder) {
      return "a certificate";
    }
    if (object instanceof PKCS10CertificationRequest) {
      return "a certificate request";
    }
    if (object instanceof X509CRLHolder) {
      return "a CRL";
    }
    return object.getClass().getSimpleName();
  }

  /** A refusal worded by this class, safe to show as is. */
  private static final class BadPem extends IllegalArgumentException {
    BadPem(String message) {
      super(message);
    }
  }
}
