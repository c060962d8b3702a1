package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {
  private static final byte[] SECRET = "a pkcs8 key".getBytes(StandardCharsets.US_ASCII);

  @Test
  void sealedValuesOpenWithTheSameKeyAndBinding() {
    MasterKey key = MasterKey.generate();
    byte[] sealed = key.seal(SECRET, "ca-1");
    assertArrayEquals(SECRET, key.open(sealed, "ca-1"));
    assertEquals(1 + 12 + SECRET.length + 16, sealed.length);
    assertNotEquals(Base64.getEncoder().encodeToString(sealed), Base64.getEncoder().encodeToString(key.seal(SECRET, "ca-1")),
        "a fresh nonce per value");
  }

  @Test
  void anotherKeyAnotherBindingOrATamperedValueFailTheTag() {
    MasterKey key = MasterKey.generate();
    byte[] sealed = key.seal(SECRET, "ca-1");
    assertThrows(MasterKey.WrongKeyException.class, () -> MasterKey.generate().open(sealed, "ca-1"));
    assertThrows(MasterKey.WrongKeyException.class, () -> key.open(sealed, "ca-2"));
    sealed[20] ^= 1;
    assertThrows(MasterKey.WrongKeyException.class, () -> key.open(sealed, "ca-1"));
    assertThrows(IllegalArgumentException.class, () -> key.open(new byte[5], "ca-1"));
  }

  @Test
  void privateKeysRoundTripAndAreNotStoredInTheClear() throws Exception {
    CertAndKey ca = Pki.createRoot("test-root", java.time.Duration.ofDays(1), KeyAlgorithm.EC_P256);
    MasterKey key = MasterKey.generate();
    byte[] sealed = key.sealPrivateKey(ca.privateKey(), "spki");
    assertFalse(contains(sealed, ca.privateKey().getEncoded()));
    PrivateKey opened = key.openPrivateKey(sealed, "spki");
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(opened);
    s.update(SECRET);
    byte[] sig = s.sign();
    s.initVerify(ca.certificate().getPublicKey());
    s.update(SECRET);
    assertTrue(s.verify(sig));
  }

  @Test
  void loadsFromAFileOrTheEnvironmentTheFileWinning(@TempDir Path dir) throws Exception {
    MasterKey a = MasterKey.generate();
    MasterKey b = MasterKey.generate();
    Path file = dir.resolve("master.key");
    Files.writeString(file, a.toBase64() + "\n");
    byte[] sealed = a.seal(SECRET, "x");
    assertArrayEquals(SECRET, MasterKey.load(file, Map.of(MasterKey.ENV, b.toBase64())).open(sealed, "x"));
    assertArrayEquals(SECRET, MasterKey.load(null, Map.of(MasterKey.ENV, a.toBase64())).open(sealed, "x"));
  }

  @Test
  void missingOrMalformedKeysAreClearErrorsThatNeverEchoTheKey(@TempDir Path dir) throws Exception {
    var missing = assertThrows(IllegalArgumentException.class, () -> MasterKey.load(null, Map.of()));
    assertTrue(missing.getMessage().contains("registry.masterKeyFile") && missing.getMessage().contains(MasterKey.ENV),
        missing.getMessage());
    var noFile = assertThrows(IllegalArgumentException.class, () -> MasterKey.load(dir.resolve("nope"), Map.of()));
    assertTrue(noFile.getMessage().contains("does not exist"), noFile.getMessage());
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
    var tooShort = assertThrows(IllegalArgumentException.class, () -> MasterKey.load(null, Map.of(MasterKey.ENV, shortKey)));
    assertTrue(tooShort.getMessage().contains("32 bytes") && !tooShort.getMessage().contains(shortKey));
    var notBase64 = assertThrows(IllegalArgumentException.class,
        () -> MasterKey.load(null, Map.of(MasterKey.ENV, "not base64 at all!")));
    assertTrue(notBase64.getMessage().contains("not valid base64") && !notBase64.getMessage().contains("at all"));
    assertEquals("MasterKey[redacted]", MasterKey.generate().toString());
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
