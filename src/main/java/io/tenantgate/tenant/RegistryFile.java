package io.tenantgate.tenant;

import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.Names;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The JSON document behind the file-backed registry: tenants, their CAs (certificate PEM inline, so
 * the file is self-contained and replaced atomically) and revoked serials. Pure: no I/O here.
 *
 * <pre>
 * {"tenants": [{"id": "uuid", "slug": "acme", "name": "Acme", "status": "active", "limits": {"rps": 50}}],
 *  "cas":     [{"tenant": "uuid", "status": "active", "certificate": "-----BEGIN CERTIFICATE-----..."}],
 *  "revoked": [{"serial": "hex", "reason": "key compromise", "revokedAt": "2026-01-01T00:00:00Z"}]}
 * </pre>
 */
public final class RegistryFile {
  /** One factory per thread (a registry load parses its CAs on two): looking one up costs a provider search. */
  private static final ThreadLocal<CertificateFactory> FACTORY = ThreadLocal.withInitial(() -> {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("X.509 is missing from this JDK", e);
    }
  });

  /** A CA entry's stored SPKI hash and subject key identifier, named as the Postgres registry's columns. */
  private static final String SPKI_KEY = "spki_sha256";
  private static final String KEY_ID_KEY = "subject_key_id";
  private static final int MAX_KEY_ID_HEX = 128;
  private static final String PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String PEM_END = "-----END CERTIFICATE-----";

  private final JsonObject doc;

  private RegistryFile(JsonObject doc) {
    this.doc = doc;
  }

  public static RegistryFile empty() {
    return new RegistryFile(new JsonObject().put("tenants", new JsonArray()).put("cas", new JsonArray())
        .put("revoked", new JsonArray()));
  }

  public static RegistryFile parse(String json) {
    try {
      JsonObject doc = new JsonObject(json);
      for (String k : List.of("tenants", "cas", "revoked")) {
        if (doc.getValue(k) == null) {
          doc.put(k, new JsonArray());
        } else if (!(doc.getValue(k) instanceof JsonArray)) {
          throw new IllegalArgumentException("'" + k + "' must be a list");
        }
      }
      return new RegistryFile(doc);
    } catch (io.vertx.core.json.DecodeException e) {
      throw new IllegalArgumentException("registry file is not valid JSON: " + e.getMessage(), e);
    }
  }

  public String encode() {
    return doc.encodePrettily() + "\n";
  }

  public RegistryFile addTenant(Tenant t) {
    JsonObject entry = new JsonObject().put("id", t.id().toString()).put("slug", t.slug())
        .put("name", t.name()).put("status", t.status().wire());
    if (!t.limits().isEmpty()) {
      entry.put("limits", t.limits().toJson());
    }
    doc.getJsonArray("tenants").add(entry);
    return this;
  }

  /**
   * Replaces the quota overrides of the tenant with {@code slug} (no overrides: the entry loses its
   * {@code limits}); false when there is no such tenant.
   */
  public boolean setTenantLimits(String slug, TenantLimits limits) {
    for (Object o : doc.getJsonArray("tenants")) {
      JsonObject t = (JsonObject) o;
      if (slug.equals(t.getString("slug"))) {
        if (limits.isEmpty()) {
          t.remove("limits");
        } else {
          t.put("limits", limits.toJson());
        }
        return true;
      }
    }
    return false;
  }

  /**
   * Adds a CA entry with its SPKI hash and subject key identifier beside the PEM, so that a load indexes
   * it without parsing the certificate. Throws {@link IllegalArgumentException} for a PEM that does not parse.
   */
  public RegistryFile addCa(UUID tenantId, String certificatePem, TenantStatus status) {
    X509Certificate cert = certificate(certificatePem);
    JsonObject entry = new JsonObject().put("tenant", tenantId.toString()).put("status", status.wire());
    String keyId = KeyIdentifiers.subjectKeyId(cert);
    // a key id a load would not take (empty, or longer than any real one): the entry is parsed at each load
    if (keyId == null || isHex(keyId, 2, MAX_KEY_ID_HEX)) {
      entry.put(SPKI_KEY, Fingerprints.spkiSha256Hex(cert));
      if (keyId != null) {
        entry.put(KEY_ID_KEY, keyId);
      }
    }
    doc.getJsonArray("cas").add(entry.put("certificate", certificatePem));
    return this;
  }

  public RegistryFile revoke(String serialHex, String reason, Instant at) {
    if (serialHex == null || !RevokedSerials.isSerial(serialHex.trim())) {
      throw new IllegalArgumentException("serial must be hex (e.g. 3f0a...), got '" + serialHex + "'");
    }
    doc.getJsonArray("revoked").add(new JsonObject().put("serial", RegistrySnapshot.normalizeSerial(serialHex))
        .put("reason", reason).put("revokedAt", at.toString()));
    return this;
  }

  /** Records an issued certificate in the file's ledger (what {@code cert list} shows). */
  public RegistryFile addIssued(JsonObject entry) {
    if (!(doc.getValue("issued") instanceof JsonArray)) {
      doc.put("issued", new JsonArray());
    }
    doc.getJsonArray("issued").add(entry.copy());
    return this;
  }

  /** The issued-certificate ledger, oldest first (copies). */
  public List<JsonObject> issued() {
    List<JsonObject> out = new ArrayList<>();
    if (doc.getValue("issued") instanceof JsonArray a) {
      a.forEach(o -> out.add(((JsonObject) o).copy()));
    }
    return out;
  }

  /** Whether {@code serialHex} is already on the revocation list. */
  public boolean isRevoked(String serialHex) {
    String s = RegistrySnapshot.normalizeSerial(serialHex);
    for (Object o : doc.getJsonArray("revoked")) {
      if (s.equals(((JsonObject) o).getString("serial"))) {
        return true;
      }
    }
    return false;
  }

  /** Sets the status of the tenant with {@code slug}; false when there is none. */
  public boolean setTenantStatus(String slug, TenantStatus status) {
    for (Object o : doc.getJsonArray("tenants")) {
      JsonObject t = (JsonObject) o;
      if (slug.equals(t.getString("slug"))) {
        t.put("status", status.wire());
        return true;
      }
    }
    return false;
  }

  /** Sets the status of the CA whose SPKI hash is {@code spkiSha256}; false when there is none. */
  public boolean setCaStatus(String spkiSha256, TenantStatus status) {
    for (Object o : doc.getJsonArray("cas")) {
      JsonObject ca = (JsonObject) o;
      String stored = ca.getString(SPKI_KEY);
      if (spkiSha256.equals(stored != null ? stored
          : Fingerprints.spkiSha256Hex(certificate(ca.getString("certificate"))))) {
        ca.put("status", status.wire());
        return true;
      }
    }
    return false;
  }

  /**
   * Builds the snapshot from this document, validating every entry; the message names the first broken
   * entry. The gateway loads its file with {@link #load}, which streams and accepts the same.
   */
  public RegistrySnapshot toSnapshot(Instant loadedAt, long version) {
    List<Tenant> tenants = new ArrayList<>();
    JsonArray ts = doc.getJsonArray("tenants");
    for (int i = 0; i < ts.size(); i++) {
      tenants.add(tenant(entry(ts, i, "tenants"), i));
    }
    List<TenantCa> cas = new ArrayList<>();
    JsonArray cs = doc.getJsonArray("cas");
    for (int i = 0; i < cs.size(); i++) {
      cas.add(ca(entry(cs, i, "cas"), i, null));
    }
    RevokedSerials.Builder revoked = new RevokedSerials.Builder(doc.getJsonArray("revoked").size());
    JsonArray rs = doc.getJsonArray("revoked");
    for (int i = 0; i < rs.size(); i++) {
      addRevoked(revoked, entry(rs, i, "revoked").getValue("serial"), i);
    }
    return new RegistrySnapshot(tenants, cas, revoked.build(), loadedAt, version);
  }

  /**
   * Streams a registry file into a snapshot without building the JSON tree: each revoked serial goes
   * from the parser into the snapshot's set, tenants and CAs are read one entry at a time. Accepts what
   * {@code parse(json).toSnapshot(...)} accepts and refuses the rest with the same messages. Blocking.
   */
  public static RegistrySnapshot load(Path file, Instant loadedAt, long version) throws IOException {
    return load(file, loadedAt, version, null);
  }

  /**
   * {@link #load(Path, Instant, long)} of the next version of a file: a CA entry whose hash, key id and PEM
   * are those of a CA in {@code previous} takes over that CA's parsed certificate (or its verdict), so a
   * reload parses only the CAs that changed.
   */
  public static RegistrySnapshot load(Path file, Instant loadedAt, long version, RegistrySnapshot previous)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return RegistryFileReader.read(in, loadedAt, version, previous);
    }
  }

  /** {@link #load(Path, Instant, long)} of a document in memory. */
  public static RegistrySnapshot load(String json, Instant loadedAt, long version) {
    try {
      return RegistryFileReader.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), loadedAt,
          version, null);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Tenant tenant(JsonObject t, int i) {
    String slug = t.getString("slug");
    if (!Names.isSlug(slug)) {
      throw new IllegalArgumentException("tenants[" + i + "]: invalid slug '" + slug + "'");
    }
    return new Tenant(uuid(t.getString("id"), "tenants[" + i + "].id"), slug,
        t.getString("name", slug), status(t.getString("status", "active"), "tenants[" + i + "].status"),
        limits(t.getValue("limits"), "tenants[" + i + "].limits"));
  }

  /**
   * One {@code cas[i]} entry. An entry with {@code spki_sha256} (written by {@link #addCa}, with
   * {@code subject_key_id} when the certificate has one) is indexed by those and its PEM parsed later
   * ({@link TenantCa#ofPem}); an entry without (a file written by hand or by an older gateway) is
   * parsed here. A CA of {@code previous} (nullable) with the same hash, key id and PEM lends its parse.
   */
  static TenantCa ca(JsonObject c, int i, RegistrySnapshot previous) {
    String pem = c.getString("certificate");
    String spki = c.getString(SPKI_KEY);
    String keyId = c.getString(KEY_ID_KEY);
    X509Certificate cert = spki == null ? certificate(pem) : null; // no stored hash: parsed (and refused) here
    if (cert == null && pem == null) {
      throw new IllegalArgumentException("CA entry without certificate");
    }
    if (cert == null && !isHex(spki, 64, 64)) {
      throw new IllegalArgumentException("cas[" + i + "]." + SPKI_KEY + ": must be 64 lowercase hex digits, got '"
          + spki + "'");
    }
    if (cert == null && keyId != null && !isHex(keyId, 2, MAX_KEY_ID_HEX)) {
      throw new IllegalArgumentException("cas[" + i + "]." + KEY_ID_KEY + ": must be lowercase hex, got '" + keyId
          + "'");
    }
    UUID tenant = uuid(c.getString("tenant"), "cas[" + i + "].tenant");
    TenantStatus status = status(c.getString("status", "active"), "cas[" + i + "].status");
    return cert != null
        ? new TenantCa(Fingerprints.spkiSha256Hex(cert), tenant, status, cert, KeyIdentifiers.subjectKeyId(cert))
        : TenantCa.ofPem(spki, tenant, status, pem, keyId, previous == null ? null : previous.caBySpki(spki));
  }

  private static boolean isHex(String s, int min, int max) {
    if (s.length() < min || s.length() > max || s.length() % 2 != 0) {
      return false;
    }
    for (int k = 0; k < s.length(); k++) {
      char ch = s.charAt(k);
      if (!(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /** Adds the {@code serial} of {@code revoked[i]}, or refuses the entry naming it. */
  static void addRevoked(RevokedSerials.Builder into, Object raw, int i) {
    if (!(raw instanceof String serial) || !RevokedSerials.isSerial(serial)) {
      throw new IllegalArgumentException("revoked[" + i + "]: serial must be hex, got '" + raw + "'");
    }
    into.add(serial);
  }

  /** {@link #addRevoked(RevokedSerials.Builder, Object, int)} of a serial in a parser's buffer. */
  static void addRevoked(RevokedSerials.Builder into, char[] chars, int offset, int length, int i) {
    if (!RevokedSerials.isSerial(chars, offset, length)) {
      addRevoked(into, new String(chars, offset, length), i); // refused there, with the text it was given
      return;
    }
    into.add(chars, offset, length);
  }

  private static JsonObject entry(JsonArray a, int i, String name) {
    Object o = a.getValue(i);
    if (!(o instanceof JsonObject j)) {
      throw new IllegalArgumentException(name + "[" + i + "] must be an object");
    }
    return j;
  }

  private static TenantLimits limits(Object raw, String where) {
    if (raw == null) {
      return TenantLimits.NONE;
    }
    if (!(raw instanceof JsonObject j)) {
      throw new IllegalArgumentException(where + " must be an object");
    }
    return TenantLimits.parse(j, where);
  }

  private static UUID uuid(String s, String where) {
    try {
      return UUID.fromString(s);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": not a UUID: '" + s + "'");
    }
  }

  private static TenantStatus status(String s, String where) {
    try {
      return TenantStatus.parse(s);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": must be active, suspended or disabled, got '" + s + "'");
    }
  }

  /** The first certificate of {@code pem}; {@link IllegalArgumentException} naming why it does not parse. */
  static X509Certificate certificate(String pem) {
    if (pem == null) {
      throw new IllegalArgumentException("CA entry without certificate");
    }
    byte[] der = canonicalPemBody(pem);
    if (der != null) {
      try {
        X509Certificate c = (X509Certificate) FACTORY.get().generateCertificate(new ByteArrayInputStream(der));
        if (c.getEncoded().length == der.length) {
          return c;
        }
        // bytes after the certificate: the JDK's PEM reader below refuses those
      } catch (CertificateException e) {
        // refused below by the JDK's PEM reader, with the message it has always given
      }
    }
    try {
      return (X509Certificate) FACTORY.get()
          .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("CA certificate cannot be parsed: " + e.getMessage(), e);
    }
  }

  /**
   * The DER of a PEM text that is exactly one {@code CERTIFICATE} block laid out as the gateway and openssl
   * write it (line breaks only before the header, a line break after it and before the footer, a plain
   * Base64 body, only whitespace after), or null for anything else, which then goes to the JDK's own PEM
   * reader as before. Decoding here gives the bytes the JDK reader would and skips its
   * character-by-character loop: with 10,000 CAs in a registry that loop was a sixth of the JIT's work
   * during a cold load. The caller still checks the certificate took all of the bytes.
   */
  static byte[] canonicalPemBody(String pem) {
    int from = 0;
    while (from < pem.length() && (pem.charAt(from) == '\n' || pem.charAt(from) == '\r')) {
      from++;
    }
    if (!pem.startsWith(PEM_BEGIN, from)) {
      return null;
    }
    from += PEM_BEGIN.length();
    int to = pem.length();
    while (to > from && (pem.charAt(to - 1) == '\n' || pem.charAt(to - 1) == '\r' || pem.charAt(to - 1) == ' '
        || pem.charAt(to - 1) == '\t')) {
      to--;
    }
    if (to - from < PEM_END.length() + 2 || !pem.startsWith(PEM_END, to - PEM_END.length())
        || pem.charAt(from) != '\n' && !pem.startsWith("\r\n", from) || pem.charAt(to - PEM_END.length() - 1) != '\n') {
      return null;
    }
    to -= PEM_END.length();
    byte[] body = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      char c = pem.charAt(i);
      boolean base64 = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+'
          || c == '/' || c == '=';
      if (base64) {
        body[n++] = (byte) c;
      } else if (c != '\n' && c != '\r') {
        return null;
      }
    }
    try {
      // the strict decoder, as the JDK reader uses once it has dropped the line breaks
      return java.util.Base64.getDecoder().decode(java.util.Arrays.copyOf(body, n));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
