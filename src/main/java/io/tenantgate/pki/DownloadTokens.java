package io.tenantgate.pki;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * Signs and verifies {@code edgepkg-v2} download tokens (DESIGN.md section 4):
 * {@code edgepkg-v2:<base64url(JSON{pkg,dl,api})>.<base64url(Ed25519 signature)>}, base64url
 * without padding, the signature taken over the ASCII bytes of the first base64url part.
 *
 * <p>The Ed25519 key is derived from the {@link MasterKey} with HKDF-SHA256, so every gateway
 * instance sharing the master key verifies tokens any of them signed, and nothing new has to be
 * stored. The token only proves the gateway issued it; one-time use is the store's job, which keeps
 * {@link #secretHash} of the download secret rather than the secret itself. Thread-safe.
 */
public final class DownloadTokens {

  /** The scheme prefix, including its colon. */
  public static final String PREFIX = "edgepkg-v2:";
  /** Longest token accepted by {@link #verify}, in characters. */
  public static final int MAX_LENGTH = 2048;
  static final String HKDF_INFO = "tenantgate edgepkg-v2 signing key";

  private static final int SIGNATURE_BYTES = 64;
  private static final int SECRET_BYTES = 32;
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{1,256}");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final Ed25519PrivateKeyParameters privateKey;
  private final Ed25519PublicKeyParameters publicKey;

  private DownloadTokens(byte[] seed) {
    this.privateKey = new Ed25519PrivateKeyParameters(seed, 0);
    this.publicKey = privateKey.generatePublicKey();
  }

  /** The signer and verifier whose Ed25519 key is derived from {@code key}. */
  public static DownloadTokens fromMasterKey(MasterKey key) {
    Objects.requireNonNull(key, "key");
    byte[] seed = key.derive(HKDF_INFO, Ed25519PrivateKeyParameters.KEY_SIZE);
    try {
      return new DownloadTokens(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** A fresh download secret: 32 random bytes, base64url without padding (43 characters). */
  public static String newSecret() {
    byte[] raw = new byte[SECRET_BYTES];
    RANDOM.nextBytes(raw);
    return ENCODER.encodeToString(raw);
  }

  /** SHA-256 of the UTF-8 secret: what the store keeps instead of the secret. */
  public static byte[] secretHash(String downloadSecret) {
    Objects.requireNonNull(downloadSecret, "downloadSecret");
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(downloadSecret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** Whether the secret hashes to {@code storedHash}, compared in constant time. */
  public static boolean secretMatches(String downloadSecret, byte[] storedHash) {
    if (downloadSecret == null || storedHash == null) {
      return false;
    }
    return MessageDigest.isEqual(secretHash(downloadSecret), storedHash);
  }

  /** The token for {@code claims}. */
  public String sign(Claims claims) {
    Objects.requireNonNull(claims, "claims");
    ObjectNode json = JSON.createObjectNode()
        .put("pkg", claims.packageId().toString())
        .put("dl", claims.downloadSecret())
        .put("api", claims.api());
    String payload;
    try {
      payload = ENCODER.encodeToString(JSON.writeValueAsBytes(json));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode token claims", e);
    }
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, privateKey);
    byte[] ascii = payload.getBytes(StandardCharsets.US_ASCII);
    signer.update(ascii, 0, ascii.length);
    return PREFIX + payload + "." + ENCODER.encodeToString(signer.generateSignature());
  }

  /**
   * The claims of a token this key signed. Structure and claims are checked before the signature:
   * anything {@link #sign} could not have produced is {@code token_malformed}.
   *
   * @throws TokenException {@code token_malformed} when the text is not a well-formed token with
   *     valid claims, {@code token_forged} when the signature does not verify with this key
   */
  public Claims verify(String token) {
    String body = body(token);
    int dot = body.indexOf('.');
    String payload = body.substring(0, dot);
    byte[] json = decode("claims", payload);
    byte[] signature = decode("signature", body.substring(dot + 1));
    if (signature.length != SIGNATURE_BYTES) {
      throw malformed("download token signature is " + signature.length
          + " bytes, an Ed25519 signature is " + SIGNATURE_BYTES);
    }
    Claims claims = parseClaims(json);
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, publicKey);
    byte[] ascii = payload.getBytes(StandardCharsets.US_ASCII);
    verifier.update(ascii, 0, ascii.length);
    if (!verifier.verifySignature(signature)) {
      throw new TokenException(TokenException.FORGED,
          "download token signature does not verify: not issued with this gateway's master key");
    }
    return claims;
  }

  /** The raw 32-byte Ed25519 public key, base64url without padding (docs, diagnostics). */
  public String publicKeyBase64Url() {
    return ENCODER.encodeToString(publicKey.getEncoded());
  }

  @Override
  public String toString() {
    return "DownloadTokens[publicKey=" + publicKeyBase64Url() + "]";
  }

  /** The text after the prefix, once it is of acceptable length and has exactly one '.'. */
  private static String body(String token) {
    if (token == null || token.isEmpty()) {
      throw malformed("download token is empty");
    }
    if (token.length() > MAX_LENGTH) {
      throw malformed("download token is longer than " + MAX_LENGTH + " characters");
    }
    if (!token.startsWith(PREFIX)) {
      throw malformed("download token does not start with '" + PREFIX + "'");
    }
    String body = token.substring(PREFIX.length());
    int dot = body.indexOf('.');
    if (dot < 0 || body.indexOf('.', dot + 1) >= 0) {
      throw malformed("download token must be two base64url parts separated by one '.'");
    }
    return body;
  }

  /** Strict base64url: the URL alphabet, no padding, and the canonical encoding of its bytes. */
  private static byte[] decode(String part, String text) {
    if (text.isEmpty()) {
      throw malformed("download token " + part + " part is empty");
    }
    byte[] bytes;
    try {
      bytes = DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      throw malformed("download token " + part + " part is not base64url");
    }
    if (text.indexOf('=') >= 0 || !ENCODER.encodeToString(bytes).equals(text)) {
      throw malformed(
          "download token " + part + " part is not canonical unpadded base64url");
    }
    return bytes;
  }

  private static TokenException malformed(String message) {
    return new TokenException(TokenException.MALFORMED, message);
  }

  private static Claims parseClaims(byte[] json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (IOException e) {
      throw malformed("download token claims are not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw malformed("download token claims are not a JSON object");
    }
    String pkg = text(node, "pkg");
    UUID packageId;
    try {
      packageId = UUID.fromString(pkg);
    } catch (IllegalArgumentException e) {
      throw malformed("download token claim 'pkg' is not a UUID");
    }
    if (!packageId.toString().equals(pkg.toLowerCase(Locale.ROOT))) {
      throw malformed("download token claim 'pkg' is not a canonical UUID");
    }
    try {
      return new Claims(packageId, text(node, "dl"), text(node, "api"));
    } catch (IllegalArgumentException e) {
      // Claims messages name the field, never its value
      throw malformed("download token claims: " + e.getMessage());
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw malformed("download token claim '" + field + "' is missing or not a string");
    }
    return value.textValue();
  }

  /**
   * What a download token carries.
   *
   * @param packageId the onboarding package ({@code pkg})
   * @param downloadSecret the one-time secret ({@code dl}): 1..256 base64url characters, as
   *     {@link #newSecret()} makes; never shown by {@link #toString()}
   * @param api the gateway's admin API base URL ({@code api}), e.g.
   *     {@code https://gw.example:50061}: http or https with a host
   */
  public record Claims(UUID packageId, String downloadSecret, String api) {

    public Claims {
      Objects.requireNonNull(packageId, "packageId");
      if (downloadSecret == null || !SECRET.matcher(downloadSecret).matches()) {
        throw new IllegalArgumentException(
            "download secret must be 1..256 base64url characters ([A-Za-z0-9_-])");
      }
      requireApiUrl(api);
    }

    @Override
    public String toString() {
      return "Claims[packageId=" + packageId + ", downloadSecret=<redacted>, api=" + api + "]";
    }

    private static void requireApiUrl(String api) {
      if (api == null || api.isBlank() || api.length() > 512) {
        throw new IllegalArgumentException(
            "api must be an http(s) base URL of at most 512 characters");
      }
      URI uri;
      try {
        uri = new URI(api);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("api is not a valid URL");
      }
      String scheme = uri.getScheme();
      if (!("https".equalsIgnoreCase(scheme) || "http".equalsIgnoreCase(scheme))
          || uri.getHost() == null || uri.getRawUserInfo() != null
          || uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "api must be an http(s) base URL with a host and without user info, query or fragment,"
                + " e.g. https://gw.example:50061");
      }
    }
  }
}
