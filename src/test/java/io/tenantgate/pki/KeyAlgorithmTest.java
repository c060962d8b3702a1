package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

class KeyAlgorithmTest {

  @Test
  void parsesEveryAcceptedSpellingCaseInsensitively() {
    assertEquals(KeyAlgorithm.EC_P256, KeyAlgorithm.parse("ec"));
    assertEquals(KeyAlgorithm.EC_P256, KeyAlgorithm.parse("EC-P256"));
    assertEquals(KeyAlgorithm.RSA_2048, KeyAlgorithm.parse("Rsa"));
    assertEquals(KeyAlgorithm.RSA_2048, KeyAlgorithm.parse("rsa-2048"));
    assertEquals(KeyAlgorithm.RSA_3072, KeyAlgorithm.parse(" RSA-3072 "));
  }

  @Test
  void rejectsUnknownNamesListingTheAcceptedOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.parse("dsa"));
    assertTrue(e.getMessage().contains("'dsa'"), e.getMessage());
    assertTrue(e.getMessage().contains("ec-p256"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.parse(null));
    assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.parse("rsa-4096"));
  }

  @Test
  void generatesP256Keys() {
    KeyPair pair = KeyAlgorithm.EC_P256.generate();
    ECPublicKey key = (ECPublicKey) pair.getPublic();
    assertEquals(256, key.getParams().getCurve().getField().getFieldSize());
    assertEquals("EC", pair.getPrivate().getAlgorithm());
  }

  @Test
  void generatesRsaKeysOfTheNamedSize() {
    assertEquals(2048, ((RSAPublicKey) KeyAlgorithm.RSA_2048.generate().getPublic())
        .getModulus().bitLength());
    assertEquals(3072, ((RSAPublicKey) KeyAlgorithm.RSA_3072.generate().getPublic())
        .getModulus().bitLength());
  }
}
