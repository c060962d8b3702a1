package io.tenantgate.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The key that seals tenant CA private keys at rest: AES-256-GCM, a fresh 96-bit nonce per value,
 * and associated data that binds each sealed value to what it belongs to (a CA's SPKI hash), so a
 * sealed key copied to another row does not open. Sealed form: {@code 0x01 | nonce(12) | ciphertext+tag(16)}.
 *
 * <p>The key is 32 random bytes, given as base64 in a file or in {@value #ENV}
 * ({@code openssl rand -base64 32}).
 */
public final class MasterKey {
  public static final String ENV = "TENANTGATE_MASTER_KEY";
  private static final byte VERSION = 1;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private MasterKey(byte[] raw) {
    if (raw.length != 32) {
      throw new IllegalArgumentException("master key must be 32 bytes (base64 of 32 random bytes), got "
          + raw.length + " bytes");
    }
    this.key = new SecretKeySpec(raw, "AES");
  }

  /** A new random key (tests, {@code tenantgate dev}). */
  public static MasterKey generate() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return new MasterKey(raw);
  }

  /** The key from base64 text. The message never echoes the text. */
  public static MasterKey fromBase64(String text) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(text.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("master key is not valid base64");
    }
    return new MasterKey(raw);
  }

  /**
   * The key from {@code file} when given, else from {@value #ENV} in {@code env}.
   *
   * @throws IllegalArgumentException naming the missing or malformed source
   */
  public static MasterKey load(Path file, Map<String, String> env) {
    if (file != null) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.US_ASCII);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IllegalArgumentException("master key file " + file + " does not exist");
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read master key file " + file + ": " + e.getMessage());
      }
      try {
        return fromBase64(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("master key file " + file + ": " + e.getMessage());
      }
    }
    String value = env.get(ENV);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("no master key: set registry.masterKeyFile or " + ENV
          + " (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)");
    }
    try {
      return fromBase64(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(ENV + ": " + e.getMessage());
    }
  }

  /** Base64 of the raw key, to write a key file. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** Encrypts {@code plaintext}, bound to {@code boundTo}. */
  public byte[] seal(byte[] plaintext, String boundTo) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce, boundTo);
      byte[] ct = c.doFinal(plaintext);
      return ByteBuffer.allocate(1 + NONCE_BYTES + ct.length).put(VERSION).put(nonce).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
    }
  }

  /**
   * Decrypts a value from {@link #seal}.
   *
   * @throws WrongKeyException when the tag does not verify: another key, another binding, or tampering
   */
  public byte[] open(byte[] sealed, String boundTo) {
    if (sealed == null || sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != VERSION) {
      throw new IllegalArgumentException("not a sealed value (unknown format or too short)");
    }
    try {
      Cipher c = cipher(Cipher.DECRYPT_MODE, Arrays.copyOfRange(sealed, 1, 1 + NONCE_BYTES), boundTo);
      return c.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw new WrongKeyException("sealed value does not open with this master key (GCM tag mismatch)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed: " + e.getMessage(), e);
    }
  }

  /** Seals the key's PKCS#8 encoding. */
  public byte[] sealPrivateKey(PrivateKey privateKey, String boundTo) {
    byte[] der = privateKey.getEncoded();
    try {
      return seal(der, boundTo);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** Opens a key sealed by {@link #sealPrivateKey}. */
  public PrivateKey openPrivateKey(byte[] sealed, String boundTo) {
    byte[] der = open(sealed, boundTo);
    try {
      return Pem.readPrivateKey("-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(der)
          + "\n-----END PRIVATE KEY-----\n");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /**
   * HKDF-SHA256 (RFC 5869, no salt) of the master key for one purpose named by {@code info}, so
   * every instance sharing the master key derives the same subkey and no subkey reveals another.
   */
  byte[] derive(String info, int length) {
    if (info == null || info.isEmpty()) {
      throw new IllegalArgumentException("HKDF info must name the purpose");
    }
    if (length < 1 || length > 255 * 32) {
      throw new IllegalArgumentException("HKDF-SHA256 output must be 1..8160 bytes, asked " + length);
    }
    byte[] raw = key.getEncoded();
    try {
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(new HKDFParameters(raw, null, info.getBytes(StandardCharsets.UTF_8)));
      byte[] out = new byte[length];
      hkdf.generateBytes(out, 0, length);
      return out;
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private Cipher cipher(int mode, byte[] nonce, String boundTo) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(new byte[] {VERSION});
    c.updateAAD(boundTo.getBytes(StandardCharsets.UTF_8));
    return c;
  }

  @Override
  public String toString() {
    return "MasterKey[redacted]";
  }

  /** The value was sealed under another key (or another binding, or altered). */
  public static final class WrongKeyException extends IllegalStateException {
    WrongKeyException(String message) {
      super(message);
    }
  }
}
