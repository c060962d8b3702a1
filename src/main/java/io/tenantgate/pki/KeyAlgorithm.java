package io.tenantgate.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Locale;

/**
 * The key types tenantgate generates for CAs and component certificates.
 *
 * <p>ECDSA P-256 is the default everywhere (small keys, fast handshakes); RSA is offered for edge
 * software that cannot do ECDSA. Keys come from the JDK's default providers (SunEC, SunRsaSign), so
 * no BouncyCastle JCE provider is needed at run time. Generation is blocking CPU work: call it off
 * the event loop.
 */
public enum KeyAlgorithm {
  EC_P256("EC", new ECGenParameterSpec("secp256r1")),
  RSA_2048("RSA", new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4)),
  RSA_3072("RSA", new RSAKeyGenParameterSpec(3072, RSAKeyGenParameterSpec.F4));

  private final String jcaName;
  private final AlgorithmParameterSpec parameters;

  KeyAlgorithm(String jcaName, AlgorithmParameterSpec parameters) {
    this.jcaName = jcaName;
    this.parameters = parameters;
  }

  /** Generates a fresh key pair of this type. */
  public KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(jcaName);
      generator.initialize(parameters);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate " + this + " key pair", e);
    }
  }

  /**
   * Parses a configuration value: {@code ec}, {@code ec-p256}, {@code rsa} (= 2048 bits),
   * {@code rsa-2048} or {@code rsa-3072}, case-insensitive.
   *
   * @throws IllegalArgumentException naming the accepted values when the text is none of them
   */
  public static KeyAlgorithm parse(String text) {
    String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    switch (value) {
      case "ec":
      case "ec-p256":
        return EC_P256;
      case "rsa":
      case "rsa-2048":
        return RSA_2048;
      case "rsa-3072":
        return RSA_3072;
      default:
        throw new IllegalArgumentException("unknown key algorithm '" + text
            + "'; expected one of ec, ec-p256, rsa, rsa-2048, rsa-3072");
    }
  }
}
