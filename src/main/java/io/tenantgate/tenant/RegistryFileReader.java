package io.tenantgate.tenant;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The streaming reader behind {@link RegistryFile#load}: one pass of Jackson's {@link JsonParser}
 * over the file. A registry of 10,000 tenants and a million revoked serials is mostly small
 * {@code revoked} objects; each one's serial is checked and packed into the snapshot's set as it is
 * read, so no JSON tree, no list of strings and no second set is ever built. Tenant and CA entries
 * are few and read one object at a time through the per-entry checks {@link RegistryFile#toSnapshot}
 * uses, so both paths accept and refuse the same documents with the same messages.
 */
final class RegistryFileReader {
  private final JsonParser parser;
  private List<Tenant> tenants = new ArrayList<>();
  /** Each {@code cas} list met, in document order (a key given twice: the last counts, both are checked). */
  private final List<CaParsing> caLists = new ArrayList<>();
  private RevokedSerials.Builder revoked = new RevokedSerials.Builder(0);

  private RegistryFileReader(JsonParser parser) {
    this.parser = parser;
  }

  /** Reads the whole document; invalid JSON and broken entries are {@link IllegalArgumentException}s. */
  static RegistrySnapshot read(InputStream in, Instant loadedAt, long version) throws IOException {
    // the parser JsonObject uses (comments allowed), with the codec that reads one entry into a Map
    try (JsonParser parser = DatabindCodec.mapper().createParser(in)) {
      return new RegistryFileReader(parser).document(loadedAt, version);
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
          caLists.add(CaParsing.start(entries)); // parsed beside the rest of the stream: see CaParsing
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

  /** One {@code {"serial": ..., "reason": ..., "revokedAt": ...}}: only the serial is kept. */
  private void revokedEntry(int i) throws IOException {
    Object serial = null;
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      boolean isSerial = "serial".equals(parser.currentName());
      JsonToken value = parser.nextToken();
      if (!isSerial) {
        parser.skipChildren();
      } else if (value == JsonToken.VALUE_STRING) {
        serial = parser.getText();
      } else {
        serial = jsonValue(parser.readValueAs(Object.class)); // refused below, named as it was written
      }
    }
    RegistryFile.addRevoked(revoked, serial, i);
  }

  @SuppressWarnings("unchecked")
  private JsonObject object() throws IOException {
    return new JsonObject((Map<String, Object>) parser.readValueAs(Map.class));
  }

  @SuppressWarnings("unchecked")
  private static Object jsonValue(Object raw) {
    if (raw instanceof Map<?, ?> m) {
      return new JsonObject((Map<String, Object>) m);
    }
    return raw instanceof List<?> l ? new JsonArray(l) : raw;
  }
}
