package io.tenantgate.tenant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The streaming reader behind {@link RegistryFile#load}: one pass of Jackson's {@link JsonParser}
 * over the file. A registry of 10,000 tenants and a million revoked serials is mostly small
 * {@code revoked} objects; each one's serial is checked and packed into the snapshot's set as it is
 * read, so no JSON tree, no list of strings and no second set is ever built. Tenant and CA entries
 * are few and read one object at a time through the per-entry checks {@link RegistryFile#toSnapshot}
 * uses, so both paths accept and refuse the same documents with the same messages.
 *
 * <p>Only jackson-core is used: an entry is read into the maps and lists a {@link JsonObject} holds by
 * {@link #value()}, not by jackson-databind, whose first use builds an {@code ObjectMapper} and its
 * deserializers (about half a second of a cold gateway's start on 2 cores, a fifth of the first load).
 */
final class RegistryFileReader {
  /** The dialect {@link JsonObject} parses: standard JSON plus comments. */
  private static final JsonFactory JSON = JsonFactory.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
      .build();

  private final JsonParser parser;
  private List<Tenant> tenants = new ArrayList<>();
  /** Each {@code cas} list met, in document order (a key given twice: the last counts, both are checked). */
  private final List<CaParsing> caLists = new ArrayList<>();
  private RevokedSerials.Builder revoked = new RevokedSerials.Builder(0);
  private char[] serialChars = new char[64];
  private int serialLength;

  /** The snapshot this load replaces (nullable): unchanged CAs take over its parsed certificates. */
  private final RegistrySnapshot previous;

  private RegistryFileReader(JsonParser parser, RegistrySnapshot previous) {
    this.parser = parser;
    this.previous = previous;
  }

  /** Reads the whole document; invalid JSON and broken entries are {@link IllegalArgumentException}s. */
  static RegistrySnapshot read(InputStream in, Instant loadedAt, long version, RegistrySnapshot previous)
      throws IOException {
    try (JsonParser parser = JSON.createParser(in)) {
      return new RegistryFileReader(parser, previous).document(loadedAt, version);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("registry file is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  private RegistrySnapshot document(Instant loadedAt, long version) throws IOException {
    try {
      return stream(loadedAt, version);
    } catch (IOException | RuntimeException e) {
      // a broken CA entry stands before whatever failed later in the document: it is the one to name,
      // as a parse in document order would
      casInDocumentOrder();
      throw e;
    }
  }

  /** The CAs of the last {@code cas} list; throws the first broken entry of any list. */
  private List<TenantCa> casInDocumentOrder() {
    List<TenantCa> last = List.of();
    for (CaParsing list : caLists) {
      last = list.finish();
    }
    return last;
  }

  private RegistrySnapshot stream(Instant loadedAt, long version) throws IOException {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      throw new IllegalArgumentException("registry file is not valid JSON: the document is not an object");
    }
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      JsonToken value = parser.nextToken();
      switch (key) {
        case "tenants" -> {
          tenants = new ArrayList<>(); // a key given twice: the last one counts, as in a JsonObject
          list(key, value, this::tenant);
        }
        case "cas" -> {
          List<JsonObject> entries = new ArrayList<>();
          list(key, value, i -> entries.add(object()));
          caLists.add(CaParsing.start(entries, previous)); // parsed beside the rest of the stream: see CaParsing
        }
        case "revoked" -> {
          revoked = new RevokedSerials.Builder(0);
          list(key, value, this::revokedEntry);
        }
        default -> parser.skipChildren();
      }
    }
    if (parser.nextToken() != null) {
      throw new IllegalArgumentException("registry file is not valid JSON: unexpected trailing token");
    }
    List<TenantCa> cas = casInDocumentOrder();
    return new RegistrySnapshot(tenants, cas, revoked.build(), loadedAt, version);
  }

  private interface Entry {
    void read(int index) throws IOException;
  }

  private void list(String key, JsonToken value, Entry entry) throws IOException {
    if (value == JsonToken.VALUE_NULL) {
      return;
    }
    if (value != JsonToken.START_ARRAY) {
      throw new IllegalArgumentException("'" + key + "' must be a list");
    }
    int i = 0;
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      if (parser.currentToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException(key + "[" + i + "] must be an object");
      }
      entry.read(i++);
    }
  }

  private void tenant(int i) throws IOException {
    tenants.add(RegistryFile.tenant(object(), i));
  }

  /**
   * One {@code {"serial": ..., "reason": ..., "revokedAt": ...}}: only the serial is kept. A text serial
   * is copied from the parser's buffer (good only until the next token) into {@link #serialChars}, not
   * made a string; a key given twice counts the last time, as in a {@link JsonObject}.
   */
  private void revokedEntry(int i) throws IOException {
    Object serial = null;
    boolean text = false;
    String key;
    while ((key = parser.nextFieldName()) != null) {
      JsonToken value = parser.nextToken();
      if (!"serial".equals(key)) {
        parser.skipChildren();
      } else if (value == JsonToken.VALUE_STRING) {
        text = true;
        copySerial();
      } else {
        text = false;
        serial = asJson(value()); // refused below, named as it was written
      }
    }
    if (text) {
      RegistryFile.addRevoked(revoked, serialChars, 0, serialLength, i);
    } else {
      RegistryFile.addRevoked(revoked, serial, i);
    }
  }

  private void copySerial() throws IOException {
    serialLength = parser.getTextLength();
    if (serialLength > serialChars.length) {
      serialChars = new char[serialLength]; // too long to be a serial: kept whole for the refusal's message
    }
    System.arraycopy(parser.getTextCharacters(), parser.getTextOffset(), serialChars, 0, serialLength);
  }

  /** The object the parser stands at the start of, as {@link JsonObject} would hold it. */
  private JsonObject object() throws IOException {
    return new JsonObject(map());
  }

  /**
   * The value at the current token, as a {@link JsonObject} decoded by Jackson holds it: objects as
   * {@code LinkedHashMap}s (a key given twice: the last counts), arrays as {@code ArrayList}s, numbers as
   * Jackson's smallest fitting type; {@link JsonObject#getValue} wraps the containers when asked.
   */
  private Object value() throws IOException {
    return switch (parser.currentToken()) {
      case START_OBJECT -> map();
      case START_ARRAY -> list();
      case VALUE_STRING -> parser.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new IllegalArgumentException("registry file is not valid JSON: unexpected "
          + parser.currentToken());
    };
  }

  /** Containers wrapped as {@link JsonObject#getValue} hands them out, so a refusal shows them as JSON. */
  @SuppressWarnings("unchecked")
  private static Object asJson(Object value) {
    if (value instanceof Map<?, ?> m) {
      return new JsonObject((Map<String, Object>) m);
    }
    return value instanceof List<?> l ? new io.vertx.core.json.JsonArray(l) : value;
  }

  private Map<String, Object> map() throws IOException {
    Map<String, Object> map = new LinkedHashMap<>();
    String key;
    while ((key = parser.nextFieldName()) != null) {
      parser.nextToken();
      map.put(key, value());
    }
    return map;
  }

  private List<Object> list() throws IOException {
    List<Object> list = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      list.add(value());
    }
    return list;
  }
}
