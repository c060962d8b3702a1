package io.tenantgate.identity;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionStats;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import io.tenantgate.config.TlsConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * TLS session-ticket keys for the BoringSSL engine, rotated on a clock.
 *
 * <p>Every key is derived (HKDF-SHA256) from one secret, the rotation epoch ({@code now / rotation})
 * and the fingerprint of the TLS material in force. So replicas that share the secret file derive the
 * same keys at the same time without talking to each other (a ticket issued by one resumes on
 * another), a key is never used to encrypt for longer than one rotation period, tickets stay
 * decryptable for their lifetime, and replacing the platform roots, CRLs or the server certificate
 * invalidates every ticket at once (resumption skips the chain check, so a ticket must not outlive the
 * trust it was issued under). Without a secret file each process draws a random secret: tickets
 * then resume only on the replica that issued them.
 *
 * <p>The first key encrypts new tickets; the following ones only decrypt: the previous
 * {@code ceil(lifetime / rotation)} epochs, and the next epoch, so a replica whose clock runs a little
 * behind another's still resumes the tickets the other issued. Keys live in the SSL contexts, which
 * are held weakly here: a context a TLS reload replaced is dropped once Vert.x lets go of it.
 */
public final class SessionTickets {
  private static final int SECRET_MIN = 32;
  private static final byte[] INFO = "tenantgate tls session ticket key v1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] secret;
  private final long rotationMillis;
  private final long lifetimeSeconds;
  private final int previousEpochs;
  private final boolean shared;
  /** Live server contexts and the ticket statistics last read from each (issued, resumed, rejected). */
  private final Map<OpenSslSessionContext, long[]> contexts = new WeakHashMap<>();
  private final long[] totals = new long[3];
  private String generation;
  private long appliedEpoch = Long.MIN_VALUE;

  SessionTickets(byte[] secret, boolean shared, long rotationMillis, long lifetimeSeconds, String generation) {
    if (secret.length < SECRET_MIN) {
      throw new IllegalArgumentException("a session-ticket secret needs at least " + SECRET_MIN + " bytes");
    }
    if (rotationMillis < 1000) {
      throw new IllegalArgumentException("session-ticket rotation must be at least 1s");
    }
    this.secret = secret.clone();
    this.shared = shared;
    this.rotationMillis = rotationMillis;
    this.lifetimeSeconds = lifetimeSeconds;
    this.previousEpochs = (int) Math.max(1, (lifetimeSeconds * 1000 + rotationMillis - 1) / rotationMillis);
    this.generation = generation;
  }

  /**
   * The ticket keys for {@code tls}: from its {@code keyFile} when set (shared by replicas), a random
   * secret otherwise; null when tickets are off. Reads a file: call off the event loop.
   *
   * @param generation the fingerprint of the TLS material in force (see {@link TlsMaterial#fingerprint()})
   */
  public static SessionTickets create(TlsConfig.SessionTicketsConfig tls, String generation) throws IOException {
    if (!tls.enabled()) {
      return null;
    }
    byte[] secret;
    boolean shared = tls.keyFile() != null;
    if (shared) {
      secret = readSecret(tls.keyFile());
    } else {
      secret = new byte[SECRET_MIN];
      new SecureRandom().nextBytes(secret);
    }
    try {
      return new SessionTickets(secret, shared, tls.rotation().toMillis(), tls.lifetime().toSeconds(), generation);
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** The secret file: base64 of at least 32 random bytes ({@code openssl rand -base64 48}), whitespace ignored. */
  static byte[] readSecret(java.nio.file.Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII).replaceAll("\\s+", "");
    byte[] secret;
    try {
      secret = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": the session-ticket secret must be base64 (openssl rand -base64 48)");
    }
    if (secret.length < SECRET_MIN) {
      throw new IllegalArgumentException(file + ": the session-ticket secret must hold at least " + SECRET_MIN
          + " bytes, found " + secret.length);
    }
    return secret;
  }

  /** Whether replicas sharing the secret file resume each other's tickets. */
  public boolean shared() {
    return shared;
  }

  public long lifetimeSeconds() {
    return lifetimeSeconds;
  }

  /** Gives a freshly built server SSL context the keys in force; other contexts are left alone. */
  public synchronized void attach(SslContext context) {
    if (context.isServer() && context.sessionContext() instanceof OpenSslSessionContext session) {
      session.setSessionTimeout((int) Math.min(Integer.MAX_VALUE, lifetimeSeconds));
      contexts.putIfAbsent(session, new long[3]);
      // every context, not only the new one: had the epoch turned since the last rotate(), keying just
      // this one would mark the epoch applied and leave the others on the old key for another period
      rekey(System.currentTimeMillis());
    }
  }

  /**
   * The TLS material changed (a reload): derive from its fingerprint from now on, so no ticket issued
   * under the old roots, CRLs or certificate resumes. Applies to every context at once.
   */
  public synchronized void generation(String fingerprint) {
    if (!fingerprint.equals(generation)) {
      generation = fingerprint;
      rekey(System.currentTimeMillis());
    }
  }

  /**
   * Moves every context to the keys of the epoch {@code nowMillis} falls in; does nothing while the
   * epoch is unchanged. Returns whether keys were replaced. Call it at least once per rotation period.
   */
  public synchronized boolean rotate(long nowMillis) {
    stats();
    if (Math.floorDiv(nowMillis, rotationMillis) == appliedEpoch) {
      return false;
    }
    rekey(nowMillis);
    return true;
  }

  /** How often {@link #rotate} should be called so a new epoch is picked up promptly. */
  public long checkIntervalMillis() {
    return Math.max(1000, Math.min(60_000, rotationMillis / 4));
  }

  private void rekey(long nowMillis) {
    OpenSslSessionTicketKey[] keys = keysAt(nowMillis);
    for (OpenSslSessionContext c : contexts.keySet()) {
      c.setTicketKeys(keys);
    }
  }

  /**
   * Tickets issued, tickets that resumed a session, and tickets presented but refused (unknown or
   * retired key: the client did a full handshake) since start. Read as deltas per live context, so
   * the totals never go down when a context a reload replaced is collected.
   */
  public synchronized long[] stats() {
    for (Map.Entry<OpenSslSessionContext, long[]> e : contexts.entrySet()) {
      OpenSslSessionStats st = e.getKey().stats();
      long[] now = {st.ticketKeyNew(), st.ticketKeyResume() + st.ticketKeyRenew(), st.ticketKeyFail()};
      long[] seen = e.getValue();
      for (int i = 0; i < 3; i++) {
        totals[i] += Math.max(0, now[i] - seen[i]);
        seen[i] = now[i];
      }
    }
    return totals.clone();
  }

  /** Encrypting key first, then the next epoch's and the previous ones (decrypt only). */
  OpenSslSessionTicketKey[] keysAt(long nowMillis) {
    long epoch = Math.floorDiv(nowMillis, rotationMillis);
    appliedEpoch = epoch;
    List<OpenSslSessionTicketKey> keys = new ArrayList<>(previousEpochs + 2);
    keys.add(key(epoch));
    keys.add(key(epoch + 1));
    for (int i = 1; i <= previousEpochs; i++) {
      keys.add(key(epoch - i));
    }
    return keys.toArray(new OpenSslSessionTicketKey[0]);
  }

  /** Key name, HMAC key and AES key of one epoch under the current generation. */
  OpenSslSessionTicketKey key(long epoch) {
    byte[] gen = generation.getBytes(StandardCharsets.US_ASCII);
    byte[] info = ByteBuffer.allocate(INFO.length + 8 + gen.length).put(INFO).putLong(epoch).put(gen).array();
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(secret, null, info));
    byte[] out = new byte[OpenSslSessionTicketKey.TICKET_KEY_SIZE];
    hkdf.generateBytes(out, 0, out.length);
    int n = OpenSslSessionTicketKey.NAME_SIZE;
    int h = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
    OpenSslSessionTicketKey key = new OpenSslSessionTicketKey(Arrays.copyOfRange(out, 0, n),
        Arrays.copyOfRange(out, n, n + h), Arrays.copyOfRange(out, n + h, out.length));
    Arrays.fill(out, (byte) 0);
    return key;
  }

  @Override
  public String toString() {
    return "SessionTickets[shared=" + shared + ", rotation=" + rotationMillis + "ms, lifetime=" + lifetimeSeconds
        + "s]";
  }
}
