package io.tenantgate.identity;

import io.tenantgate.config.AssertionConfig;
import io.tenantgate.pki.Pem;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Signs the tenant assertion: a compact JWS (RFC 7515, {@code alg: EdDSA}, Ed25519) over the
 * verified identity, short-lived, signed once per client certificate ({@link AssertionCache}) and refreshed before expiry. Publishes
 * its verification keys as a JWK Set (RFC 8037 OKP keys, {@code kid} = RFC 7638 thumbprint); after a
 * rotation the previous key stays published for the configured overlap.
 */
public final class AssertionSigner {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final int RAW_KEY_LENGTH = 32;

  private final AssertionConfig config;
  private volatile Keys keys;

  /**
   * @param params the same key for BouncyCastle's Ed25519, which signs ~6x faster than the JDK 17 provider
   *     (bench/FINDINGS.md: the per-connection signature was a quarter of handshake CPU)
   */
  private record SigningKey(String kid, PrivateKey privateKey, byte[] publicRaw, Ed25519PrivateKeyParameters params) {
  }

  private record Keys(SigningKey current, List<SigningKey> previous, List<Instant> publishedUntil) {
  }

  private AssertionSigner(AssertionConfig config, SigningKey key) {
    this.config = config;
    this.keys = new Keys(key, List.of(), List.of());
  }

  /** Loads the configured key, or generates one when no key file is configured. */
  public static AssertionSigner create(AssertionConfig config) throws IOException {
    PrivateKey key = config.keyFile() != null ? Pem.readPrivateKey(config.keyFile()) : generate();
    return new AssertionSigner(config, signingKey(key));
  }

  public AssertionConfig config() {
    return config;
  }

  public Duration ttl() {
    return config.ttl();
  }

  /** The current key id. */
  public String currentKid() {
    return keys.current().kid();
  }

  /** Makes {@code next} the signing key; the old one stays in the JWKS for the rotation overlap. */
  public synchronized void rotate(PrivateKey next, Instant now) {
    Keys k = keys;
    SigningKey nk = signingKey(next);
    if (nk.kid().equals(k.current().kid())) {
      return;
    }
    List<SigningKey> prev = new ArrayList<>();
    List<Instant> until = new ArrayList<>();
    for (int i = 0; i < k.previous().size(); i++) {
      if (k.publishedUntil().get(i).isAfter(now)) {
        prev.add(k.previous().get(i));
        until.add(k.publishedUntil().get(i));
      }
    }
    prev.add(k.current());
    until.add(now.plus(config.rotationOverlap()));
    keys = new Keys(nk, List.copyOf(prev), List.copyOf(until));
  }

  /** Rotates to a freshly generated key. */
  public void rotate(Instant now) {
    rotate(generate(), now);
  }

  /** Reloads the key file; rotates when it holds a different key. */
  public void reload(Path keyFile, Instant now) throws IOException {
    rotate(Pem.readPrivateKey(keyFile), now);
  }

  /** A compact JWS for {@code id}, valid from {@code now} for the ttl. CPU-bound: call off the event loop. */
  public String sign(ClientIdentity id, Instant now) {
    SigningKey key = keys.current();
    JsonObject header = new JsonObject().put("alg", "EdDSA").put("typ", "JWT").put("kid", key.kid());
    long iat = now.getEpochSecond();
    JsonObject claims = new JsonObject()
        .put("iss", config.issuer())
        .put("sub", id.componentId())
        .put("iat", iat)
        .put("nbf", iat - 5)
        .put("exp", iat + config.ttl().toSeconds())
        .put("jti", Long.toHexString(ThreadLocalRandom.current().nextLong()))
        .put("tenant_id", id.tenantId().toString())
        .put("tenant_slug", id.tenantSlug())
        .put("partition_id", id.partitionId())
        .put("component_id", id.componentId())
        .put("component_type", id.componentType())
        .put("cert_sha256", id.certSha256())
        .put("cnf", new JsonObject().put("x5t#S256", B64.encodeToString(HexFormat.of().parseHex(id.certSha256()))));
    if (config.audience() != null) {
      claims.put("aud", config.audience());
    }
    if (id.spiffeId() != null) {
      claims.put("spiffe_id", id.spiffeId());
    }
    String signingInput = b64(header.encode()) + "." + b64(claims.encode());
    // Ed25519 is deterministic (RFC 8032): the same signature as the JDK's, computed faster
    byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
    org.bouncycastle.crypto.signers.Ed25519Signer s = new org.bouncycastle.crypto.signers.Ed25519Signer();
    s.init(true, key.params());
    s.update(input, 0, input.length);
    return signingInput + "." + B64.encodeToString(s.generateSignature());
  }

  /** The JWK Set core verifies with: the current key and previous keys still in their overlap. */
  public JsonObject jwks(Instant now) {
    Keys k = keys;
    JsonArray arr = new JsonArray().add(jwk(k.current()));
    for (int i = 0; i < k.previous().size(); i++) {
      if (k.publishedUntil().get(i).isAfter(now)) {
        arr.add(jwk(k.previous().get(i)));
      }
    }
    return new JsonObject().put("keys", arr);
  }

  private static JsonObject jwk(SigningKey k) {
    return new JsonObject().put("kty", "OKP").put("crv", "Ed25519").put("x", B64.encodeToString(k.publicRaw()))
        .put("kid", k.kid()).put("use", "sig").put("alg", "EdDSA");
  }

  private static SigningKey signingKey(PrivateKey key) {
    if (!"Ed25519".equalsIgnoreCase(key.getAlgorithm()) && !"EdDSA".equalsIgnoreCase(key.getAlgorithm())) {
      throw new IllegalArgumentException("the assertion key must be Ed25519, got " + key.getAlgorithm());
    }
    byte[] pkcs8 = key.getEncoded();
    byte[] seed = new byte[RAW_KEY_LENGTH];
    // PKCS#8 Ed25519: the 32-byte seed is the last OCTET STRING of the encoding
    System.arraycopy(pkcs8, pkcs8.length - RAW_KEY_LENGTH, seed, 0, RAW_KEY_LENGTH);
    Ed25519PrivateKeyParameters params = new Ed25519PrivateKeyParameters(seed, 0);
    byte[] publicRaw = params.generatePublicKey().getEncoded();
    return new SigningKey(thumbprint(publicRaw), key, publicRaw, params);
  }

  /** RFC 7638 JWK thumbprint of an OKP Ed25519 key: SHA-256 over {"crv","kty","x"} in that order. */
  private static String thumbprint(byte[] publicRaw) {
    String canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + B64.encodeToString(publicRaw) + "\"}";
    try {
      return B64.encodeToString(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static PrivateKey generate() {
    try {
      KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      return kp.getPrivate();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is not available in this JVM", e);
    }
  }

  private static String b64(String s) {
    return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
