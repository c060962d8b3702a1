package io.tenantgate.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ErrorRepliesTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '\0', value = {
      "abc                        | abc",
      "no_route: No route matches | no_route: No route matches",
      "100%                       | 100%25",
      "%25                        | %2525",
      "~ is 0x7e                  | ~ is 0x7e",
      "caf\u00e9                  | caf%C3%A9",
      "\u20ac                     | %E2%82%AC",
      "\ud83d\ude00               | %F0%9F%98%80",
  })
  void percentEncodesWhatGrpcMessageMayNotCarry(String in, String out) {
    assertEquals(out, ErrorReplies.percentEncode(in));
  }

  @Test
  void theProblemBodyBuiltFromItsEncodedPrefixIsByteForByteTheJsonEncodersForEveryFailure() {
    String[] ids = {null, "5ae5a14908ee3ec22185b47ec3fdbe4a", "a", "client-id_1.2:3", "x".repeat(128),
        "quote\"inside", "back\\slash", "caf\u00e9", "tab\tnewline\n", "\u0000"};
    for (Failure f : Failure.values()) {
      for (String id : ids) {
        io.vertx.core.buffer.Buffer fast = ErrorReplies.problemBody(f, id);
        io.vertx.core.buffer.Buffer json = ErrorReplies.problem(f, id).toBuffer();
        assertEquals(json.toString(java.nio.charset.StandardCharsets.UTF_8),
            fast.toString(java.nio.charset.StandardCharsets.UTF_8), f + " / " + id);
        io.vertx.core.json.JsonObject parsed = fast.toJsonObject();
        assertEquals(f.code(), parsed.getString("reason"));
        assertEquals(f.httpStatus(), parsed.getInteger("status"));
        assertEquals(id, parsed.getString("request_id"));
      }
      assertEquals(ErrorReplies.percentEncode(f.code() + ": " + f.message()), ErrorReplies.grpcMessage(f));
    }
  }

  @Test
  void controlCharactersAndDelAreEncodedWithUppercaseHex() {
    assertEquals("a%0Ab%0D%09c%00%7F%1F", ErrorReplies.percentEncode("a\nb\r\tc\u0000\u007f\u001f"));
  }

  @Test
  void spaceIsKeptAsIs() {
    assertEquals("a b", ErrorReplies.percentEncode("a b"));
  }

  @Test
  void emptyStaysEmpty() {
    assertEquals("", ErrorReplies.percentEncode(""));
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "100% sure", "caf\u00e9 \u20ac \ud83d\ude00", "line\nbreak", "%", "%%41"})
  void decodingTheResultGivesBackTheUtf8Text(String text) {
    String encoded = ErrorReplies.percentEncode(text);
    assertTrue(encoded.chars().allMatch(c -> c >= 0x20 && c <= 0x7e), encoded);
    assertEquals(text, decode(encoded));
  }

  /** Percent-decoding as gRPC clients do it ('+' stays '+'). */
  private static String decode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @CsvSource({"1, 1", "999999999, 1", "1000000000, 1", "1000000001, 2", "2500000000, 3", "60000000000, 60"})
  void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne(long nanos, long seconds) {
    assertEquals(seconds, ErrorReplies.retryAfterSeconds(nanos));
  }

  @Test
  void quotaRefusalsAreExactlyTheTenantLimitConstants() {
    for (Failure f : Failure.values()) {
      boolean quota = f.code().startsWith("tenant_") && f.code().endsWith("_limited")
          || f == Failure.OVER_RATE || f == Failure.OVER_BANDWIDTH;
      assertEquals(quota, f.isQuota(), f.name());
      if (quota) {
        assertEquals(429, f.httpStatus(), f.name());
        assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, f.grpcStatus(), f.name());
      }
    }
  }

  @Test
  void problemJsonMediaTypeIsRfc9457() {
    assertEquals("application/problem+json", ErrorReplies.PROBLEM_JSON);
  }
}
