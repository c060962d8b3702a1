package io.tenantgate.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.tenantgate.config.TlsConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionTicketsTest {
  private static final long HOUR = 3_600_000L;
  private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-shared".getBytes(StandardCharsets.US_ASCII);

  private static SessionTickets tickets(byte[] secret, String generation) {
    return new SessionTickets(secret, true, HOUR, 2 * 3600, generation);
  }

  private static List<String> names(OpenSslSessionTicketKey[] keys) {
    return Stream.of(keys).map(k -> Base64.getEncoder().encodeToString(k.name())).toList();
  }

  @Test
  void replicasSharingTheSecretDeriveTheSameKeysAtTheSameTime() {
    long now = 1_800_000_000_000L;
    OpenSslSessionTicketKey a = tickets(SECRET, "fp1").keysAt(now)[0];
    OpenSslSessionTicketKey b = tickets(SECRET, "fp1").keysAt(now + 1000)[0];
    assertArrayEquals(a.name(), b.name());
    assertArrayEquals(a.hmacKey(), b.hmacKey());
    assertArrayEquals(a.aesKey(), b.aesKey());
    assertEquals(OpenSslSessionTicketKey.NAME_SIZE, a.name().length);
    assertEquals(OpenSslSessionTicketKey.AES_KEY_SIZE, a.aesKey().length);
  }

  @Test
  void anotherSecretAnotherGenerationOrAnotherEpochGiveOtherKeys() {
    long now = 1_800_000_000_000L;
    byte[] other = SECRET.clone();
    other[0] ^= 1;
    OpenSslSessionTicketKey base = tickets(SECRET, "fp1").keysAt(now)[0];
    assertFalse(Arrays.equals(base.aesKey(), tickets(other, "fp1").keysAt(now)[0].aesKey()));
    assertFalse(Arrays.equals(base.aesKey(), tickets(SECRET, "fp2").keysAt(now)[0].aesKey()));
    assertFalse(Arrays.equals(base.aesKey(), tickets(SECRET, "fp1").keysAt(now + HOUR)[0].aesKey()));
    assertFalse(Arrays.equals(base.name(), tickets(SECRET, "fp1").keysAt(now + HOUR)[0].name()));
  }

  @Test
  void aTicketStaysDecryptableForItsLifetimeAndTheNextEpochIsAcceptedForClockSkew() {
    long t0 = 1_800_000_000_000L - 1_800_000_000_000L % HOUR; // the start of an epoch
    SessionTickets t = tickets(SECRET, "fp");
    String issuing = names(t.keysAt(t0 + HOUR - 1)).get(0); // encrypted at the very end of its epoch
    // lifetime 2h, rotation 1h: two previous epochs kept, plus the next one
    assertEquals(4, t.keysAt(t0).length);
    assertTrue(names(t.keysAt(t0 + HOUR)).contains(issuing));
    assertTrue(names(t.keysAt(t0 + 2 * HOUR + HOUR - 1)).contains(issuing), "still valid 2h after issue");
    assertFalse(names(t.keysAt(t0 + 3 * HOUR)).contains(issuing), "retired once its lifetime has passed");
    String ahead = names(tickets(SECRET, "fp").keysAt(t0 + HOUR)).get(0); // a replica whose clock is ahead
    assertTrue(names(t.keysAt(t0 + HOUR - 5)).contains(ahead));
    assertEquals(names(t.keysAt(t0)).get(0), names(t.keysAt(t0 + HOUR - 1)).get(0));
  }

  @Test
  void rotateReplacesKeysOnlyWhenTheEpochChanges() {
    long t0 = 1_800_000_000_000L - 1_800_000_000_000L % HOUR;
    SessionTickets t = tickets(SECRET, "fp");
    assertTrue(t.rotate(t0));
    assertFalse(t.rotate(t0 + 10_000));
    assertFalse(t.rotate(t0 + HOUR - 1));
    assertTrue(t.rotate(t0 + HOUR));
    assertTrue(t.checkIntervalMillis() <= 60_000);
  }

  @Test
  void theSecretFileIsBase64OfAtLeast32Bytes(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("good");
    Files.writeString(good, Base64.getMimeEncoder().encodeToString(new byte[48]) + "\n");
    assertEquals(48, SessionTickets.readSecret(good).length);
    Path shortOne = dir.resolve("short");
    Files.writeString(shortOne, Base64.getEncoder().encodeToString(new byte[16]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionTickets.readSecret(shortOne));
    assertTrue(e.getMessage().contains("at least 32 bytes, found 16"), e.getMessage());
    Path junk = dir.resolve("junk");
    Files.writeString(junk, "not base64 !!!");
    e = assertThrows(IllegalArgumentException.class, () -> SessionTickets.readSecret(junk));
    assertTrue(e.getMessage().contains("must be base64"), e.getMessage());
  }

  @Test
  void offMeansNoKeysAndTheEngineKeepsItsOwn() throws Exception {
    assertNull(SessionTickets.create(new TlsConfig.SessionTicketsConfig(false, Duration.ofHours(1),
        Duration.ofHours(2), null), "fp"));
    SessionTickets random = SessionTickets.create(new TlsConfig.SessionTicketsConfig(true, Duration.ofHours(1),
        Duration.ofHours(2), null), "fp");
    assertFalse(random.shared());
    SessionTickets other = SessionTickets.create(new TlsConfig.SessionTicketsConfig(true, Duration.ofHours(1),
        Duration.ofHours(2), null), "fp");
    long now = System.currentTimeMillis();
    assertFalse(Arrays.equals(random.keysAt(now)[0].aesKey(), other.keysAt(now)[0].aesKey()),
        "without a shared file every process draws its own secret");
  }

  @Test
  void theSecretNeverShowsInToString() {
    assertFalse(tickets(SECRET, "fp").toString().contains("0123456789abcdef"));
  }
}
