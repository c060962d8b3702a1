package io.tenantgate.bridge;

import io.nats.client.impl.Headers;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How message bodies travel in JSON: {@code data} when the bytes are valid UTF-8, else
 * {@code data_b64}; and back.
 */
final class Payloads {
  private Payloads() {
  }

  static JsonObject describe(byte[] data, Headers headers) {
    JsonObject o = new JsonObject();
    byte[] d = data == null ? new byte[0] : data;
    String text = utf8(d);
    if (text != null) {
      o.put("data", text);
    } else {
      o.put("data_b64", Base64.getEncoder().encodeToString(d));
    }
    if (headers != null && !headers.isEmpty()) {
      JsonObject h = new JsonObject();
      for (String k : headers.keySet()) {
        h.put(k, headers.getFirst(k));
      }
      o.put("headers", h);
    }
    return o;
  }

  /** The body a client sent as {@code data} (UTF-8 text) or {@code data_b64}. */
  static byte[] body(JsonObject msg) {
    String b64 = msg.getString("data_b64");
    if (b64 != null) {
      return Base64.getDecoder().decode(b64);
    }
    String text = msg.getString("data");
    return text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
  }

  private static String utf8(byte[] d) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(d)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
