package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

class DownloadTokensTest {

  private static final MasterKey MASTER = MasterKey.generate();
  private static final DownloadTokens TOKENS = DownloadTokens.fromMasterKey(MASTER);
  private static final UUID PKG = UUID.fromString("3f2a9c1e-7b4d-4e8a-9f10-2b3c4d5e6f70");
  private static final String API = "https://gw.example:50061";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void signedTokensVerifyAndCarryTheirClaims() {
    String secret = DownloadTokens.newSecret();
    DownloadTokens.Claims claims = new DownloadTokens.Claims(PKG, secret, API);
    String token = TOKENS.sign(claims);
    assertTrue(token.startsWith("edgepkg-v2:"), token);
    assertEquals(claims, TOKENS.verify(token));
  }

  @Test
  void tokensHaveTheDocumentedWireFormatAndVerifyWithTheJdksEd25519() throws Exception {
    String secret = DownloadTokens.newSecret();
    String token = TOKENS.sign(new DownloadTokens.Claims(PKG, secret, API));
    String[] parts = token.substring("edgepkg-v2:".length()).split("\\.", -1);
    assertEquals(2, parts.length);
    assertFalse(token.contains("="), "base64url without padding");
    JsonNode claims = JSON.readTree(UNB64.decode(parts[0]));
    assertEquals(List.of("pkg", "dl", "api"), fieldNames(claims));
    assertEquals(PKG.toString(), claims.get("pkg").textValue());
    assertEquals(secret, claims.get("dl").textValue());
    assertEquals(API, claims.get("api").textValue());
    byte[] signature = UNB64.decode(parts[1]);
    assertEquals(64, signature.length);

    Signature ed25519 = Signature.getInstance("Ed25519");
    ed25519.initVerify(jdkPublicKey(TOKENS.publicKeyBase64Url()));
    ed25519.update(parts[0].getBytes(StandardCharsets.US_ASCII));
    assertTrue(ed25519.verify(signature), "signature over the ASCII bytes of the first part");
  }

  @Test
  void everyInstanceSharingTheMasterKeyVerifiesTokensAnotherSigned() {
    DownloadTokens other = DownloadTokens.fromMasterKey(MasterKey.fromBase64(MASTER.toBase64()));
    DownloadTokens.Claims claims = new DownloadTokens.Claims(PKG, DownloadTokens.newSecret(), API);
    assertEquals(TOKENS.publicKeyBase64Url(), other.publicKeyBase64Url());
    assertEquals(claims, other.verify(TOKENS.sign(claims)));
    assertEquals(TOKENS.sign(claims), other.sign(claims), "Ed25519 signatures are deterministic");
  }

  @Test
  void aTokenSignedUnderAnotherMasterKeyIsForged() {
    DownloadTokens stranger = DownloadTokens.fromMasterKey(MasterKey.generate());
    assertNotEquals(TOKENS.publicKeyBase64Url(), stranger.publicKeyBase64Url());
    String token = stranger.sign(new DownloadTokens.Claims(PKG, DownloadTokens.newSecret(), API));
    assertReason("token_forged", token);
  }

  @Test
  void changedClaimsUnderTheOriginalSignatureAreForged() {
    String secret = DownloadTokens.newSecret();
    String token = TOKENS.sign(new DownloadTokens.Claims(PKG, secret, API));
    String signature = token.substring(token.indexOf('.') + 1);
    String otherPackage = B64.encodeToString(("{\"pkg\":\"" + UUID.randomUUID() + "\",\"dl\":\""
        + secret + "\",\"api\":\"" + API + "\"}").getBytes(StandardCharsets.UTF_8));
    TokenException e = assertReason("token_forged", "edgepkg-v2:" + otherPackage + "." + signature);
    assertFalse(e.getMessage().contains(secret), e.getMessage());
  }

  @Test
  void aFlippedSignatureBitIsForged() {
    String token = TOKENS.sign(new DownloadTokens.Claims(PKG, DownloadTokens.newSecret(), API));
    int dot = token.indexOf('.');
    byte[] signature = UNB64.decode(token.substring(dot + 1));
    signature[10] ^= 0x01;
    assertReason("token_forged", token.substring(0, dot + 1) + B64.encodeToString(signature));
  }

  @Test
  void structurallyBrokenTokensAreMalformed() {
    String good = TOKENS.sign(new DownloadTokens.Claims(PKG, DownloadTokens.newSecret(), API));
    String body = good.substring("edgepkg-v2:".length());
    String payload = body.substring(0, body.indexOf('.'));
    String signature = body.substring(body.indexOf('.') + 1);
    List<String> broken = new ArrayList<>(List.of(
        "",
        body,
        "edgepkg-v1:" + body,
        "EDGEPKG-V2:" + body,
        "edgepkg-v2:" + payload,
        "edgepkg-v2:" + payload + ".",
        "edgepkg-v2:." + signature,
        "edgepkg-v2:" + body + "." + signature,
        "edgepkg-v2:" + payload + "=." + signature,
        "edgepkg-v2:" + payload + "." + signature + "==",
        "edgepkg-v2:" + payload.replace('-', '+').replace('_', '/') + "+/." + signature,
        "edgepkg-v2:" + payload + " ." + signature,
        "edgepkg-v2:" + payload + "." + signature.substring(0, 40),
        "edgepkg-v2:" + payload + "." + B64.encodeToString(new byte[65]),
        "edgepkg-v2:" + payload + "." + nonCanonical(signature),
        "edgepkg-v2:" + "A".repeat(2100) + "." + signature));
    broken.add(null);
    for (String token : broken) {
      assertReason("token_malformed", token);
    }
  }

  @Test
  void validlySignedClaimsThatAreNotTheDocumentedJsonAreMalformed() {
    String pkg = "\"pkg\":\"" + PKG + "\"";
    String dl = "\"dl\":\"" + DownloadTokens.newSecret() + "\"";
    String api = "\"api\":\"" + API + "\"";
    List<String> payloads = List.of(
        "not json",
        "[1,2,3]",
        "\"a string\"",
        "{" + dl + "," + api + "}",
        "{" + pkg + "," + api + "}",
        "{" + pkg + "," + dl + "}",
        "{\"pkg\":\"not-a-uuid\"," + dl + "," + api + "}",
        "{\"pkg\":\"1-2-3-4-5\"," + dl + "," + api + "}",
        "{\"pkg\":42," + dl + "," + api + "}",
        "{" + pkg + ",\"dl\":null," + api + "}",
        "{" + pkg + ",\"dl\":\"\"," + api + "}",
        "{" + pkg + ",\"dl\":\"has spaces in it\"," + api + "}",
        "{" + pkg + "," + dl + ",\"api\":\"ftp://gw.example\"}",
        "{" + pkg + "," + dl + ",\"api\":\"gw.example:50061\"}",
        "{" + pkg + "," + dl + ",\"api\":{\"url\":\"" + API + "\"}}",
        "{" + pkg + "," + pkg + "," + dl + "," + api + "}",
        "{" + pkg + "," + dl + "," + api + "} trailing");
    for (String json : payloads) {
      TokenException e = assertReason("token_malformed", signedByTheRealKey(json));
      assertFalse(e.getMessage().contains(json), e.getMessage());
    }
  }

  @Test
  void refusalsNeverEchoTheDownloadSecret() {
    String secret = DownloadTokens.newSecret();
    String badApi = "{\"pkg\":\"" + PKG + "\",\"dl\":\"" + secret + "\",\"api\":\"ftp://x\"}";
    TokenException malformed = assertReason("token_malformed", signedByTheRealKey(badApi));
    assertFalse(malformed.getMessage().contains(secret), malformed.getMessage());
    String forged = DownloadTokens.fromMasterKey(MasterKey.generate())
        .sign(new DownloadTokens.Claims(PKG, secret, API));
    assertFalse(assertReason("token_forged", forged).getMessage().contains(secret));
    String shown = new DownloadTokens.Claims(PKG, secret, API).toString();
    assertFalse(shown.contains(secret), shown);
    assertTrue(shown.contains(PKG.toString()) && shown.contains(API), shown);
  }

  @Test
  void claimsRefuseInvalidFieldsWhenSigning() {
    String secret = DownloadTokens.newSecret();
    assertThrows(NullPointerException.class, () -> new DownloadTokens.Claims(null, secret, API));
    for (String badSecret : new String[] {null, "", "a.b", "a b", "x".repeat(257)}) {
      assertThrows(IllegalArgumentException.class,
          () -> new DownloadTokens.Claims(PKG, badSecret, API), String.valueOf(badSecret));
    }
    for (String badApi : new String[] {null, " ", "gw.example", "ftp://gw.example",
        "https://user@gw.example", "https://gw.example/?q=1", "https://gw.example/#f", "https:///x"}) {
      assertThrows(IllegalArgumentException.class,
          () -> new DownloadTokens.Claims(PKG, secret, badApi), String.valueOf(badApi));
    }
    for (String okApi : new String[] {API, "https://gw.example", "http://127.0.0.1:8080/",
        "https://[::1]:50061", "https://gw.example/enroll"}) {
      DownloadTokens.Claims claims = new DownloadTokens.Claims(PKG, secret, okApi);
      assertEquals(claims, TOKENS.verify(TOKENS.sign(claims)));
    }
  }

  @Test
  void newSecretsAreThirtyTwoRandomBytesInUnpaddedBase64Url() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String secret = DownloadTokens.newSecret();
      assertTrue(secret.matches("[A-Za-z0-9_-]{43}"), secret);
      assertEquals(32, UNB64.decode(secret).length);
      seen.add(secret);
    }
    assertEquals(100, seen.size());
  }

  @Test
  void theStoredHashIsTheSha256OfTheUtf8Secret() throws Exception {
    String secret = DownloadTokens.newSecret();
    byte[] expected = MessageDigest.getInstance("SHA-256")
        .digest(secret.getBytes(StandardCharsets.UTF_8));
    assertArrayEquals(expected, DownloadTokens.secretHash(secret));
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HexFormat.of().formatHex(DownloadTokens.secretHash("abc")));
    assertTrue(DownloadTokens.secretMatches(secret, expected));
    assertFalse(DownloadTokens.secretMatches(DownloadTokens.newSecret(), expected));
    assertFalse(DownloadTokens.secretMatches(null, expected));
    assertFalse(DownloadTokens.secretMatches(secret, null));
  }

  @Test
  void thePublicKeyIsTheRawEd25519KeyDerivedFromTheMasterKey() {
    byte[] raw = UNB64.decode(TOKENS.publicKeyBase64Url());
    assertEquals(32, raw.length);
    byte[] seed = MASTER.derive("tenantgate edgepkg-v2 signing key", 32);
    assertArrayEquals(new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded(),
        raw);
    assertTrue(TOKENS.toString().contains(TOKENS.publicKeyBase64Url()));
  }

  @Test
  void masterKeyDerivationIsHkdfSha256WithoutSalt() throws Exception {
    byte[] ikm = Base64.getDecoder().decode(MASTER.toBase64());
    byte[] info = "tenantgate edgepkg-v2 signing key".getBytes(StandardCharsets.UTF_8);
    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    byte[] prk = extract.doFinal(ikm);
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update(info);
    byte[] t1 = expand.doFinal(new byte[] {1});
    assertArrayEquals(t1, MASTER.derive("tenantgate edgepkg-v2 signing key", 32));
    expand.update(t1);
    expand.update(info);
    byte[] t2 = expand.doFinal(new byte[] {2});
    byte[] okm40 = MASTER.derive("tenantgate edgepkg-v2 signing key", 40);
    assertArrayEquals(t1, java.util.Arrays.copyOf(okm40, 32));
    assertArrayEquals(java.util.Arrays.copyOf(t2, 8), java.util.Arrays.copyOfRange(okm40, 32, 40));
  }

  @Test
  void derivedKeysDependOnMasterKeyAndPurpose() {
    byte[] a = MASTER.derive("purpose a", 32);
    assertArrayEquals(a, MASTER.derive("purpose a", 32));
    assertFalse(MessageDigest.isEqual(a, MASTER.derive("purpose b", 32)));
    assertFalse(MessageDigest.isEqual(a, MasterKey.generate().derive("purpose a", 32)));
    assertThrows(IllegalArgumentException.class, () -> MASTER.derive("", 32));
    assertThrows(IllegalArgumentException.class, () -> MASTER.derive(null, 32));
    assertThrows(IllegalArgumentException.class, () -> MASTER.derive("x", 0));
    assertThrows(IllegalArgumentException.class, () -> MASTER.derive("x", 255 * 32 + 1));
  }

  private static TokenException assertReason(String reason, String token) {
    TokenException e = assertThrows(TokenException.class, () -> TOKENS.verify(token),
        "expected " + reason + " for " + abbreviate(token));
    assertEquals(reason, e.reason(), e.getMessage() + " for " + abbreviate(token));
    assertFalse(e.getMessage().isBlank());
    return e;
  }

  /** A token whose signature verifies but whose claims are {@code json}, whatever that is. */
  private static String signedByTheRealKey(String json) {
    String payload = B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, new Ed25519PrivateKeyParameters(
        MASTER.derive("tenantgate edgepkg-v2 signing key", 32), 0));
    byte[] ascii = payload.getBytes(StandardCharsets.US_ASCII);
    signer.update(ascii, 0, ascii.length);
    return "edgepkg-v2:" + payload + "." + B64.encodeToString(signer.generateSignature());
  }

  /** Same bytes, but the unused low bits of the last character set: decoders often accept it. */
  private static String nonCanonical(String base64url) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char last = base64url.charAt(base64url.length() - 1);
    char changed = alphabet.charAt(alphabet.indexOf(last) | 0x03);
    assertNotEquals(last, changed, "test needs a signature whose last character has zero low bits");
    return base64url.substring(0, base64url.length() - 1) + changed;
  }

  private static PublicKey jdkPublicKey(String rawBase64Url) throws Exception {
    byte[] prefix = HexFormat.of().parseHex("302a300506032b6570032100");
    byte[] raw = UNB64.decode(rawBase64Url);
    byte[] spki = java.util.Arrays.copyOf(prefix, prefix.length + raw.length);
    System.arraycopy(raw, 0, spki, prefix.length, raw.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String abbreviate(String token) {
    return token == null ? "null" : token.length() > 60 ? token.substring(0, 60) + "..." : token;
  }
}
