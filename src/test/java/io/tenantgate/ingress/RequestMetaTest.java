package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestMetaTest {

  private static final String GENERATED_ID = "[0-9a-f]{32}";
  private static final String GENERATED_TRACEPARENT = "00-[0-9a-f]{32}-[0-9a-f]{16}-01";
  private static final String VALID_TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @ParameterizedTest
  @ValueSource(strings = {"abc", "req-42", "A.b_c:d-E", "3f2a9c1e-8b7d-4c6e-9f0a-1b2c3d4e5f60", "x"})
  void passesAWellFormedRequestIdThrough(String id) {
    assertEquals(id, RequestMeta.of(id, null, "10.0.0.1", null).requestId());
  }

  @Test
  void requestIdOf128CharactersPassesButNot129() {
    String id128 = "r".repeat(128);
    assertEquals(id128, RequestMeta.of(id128, null, "p", null).requestId());
    String replaced = RequestMeta.of(id128 + "r", null, "p", null).requestId();
    assertTrue(replaced.matches(GENERATED_ID), replaced);
  }

  static Stream<String> badRequestIds() {
    return Stream.of("has space", "semi;colon", "a\r\nx-tenant-id: evil", "slash/es", "quote\"", "ünïcode", "tab\t",
        "percent%20", "r".repeat(129));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @MethodSource("badRequestIds")
  void replacesAMissingOrMalformedRequestIdWithAGeneratedOne(String id) {
    String generated = RequestMeta.of(id, null, "p", null).requestId();
    assertTrue(generated.matches(GENERATED_ID), generated);
  }

  @Test
  void generatedIdsDiffer() {
    assertNotEquals(RequestMeta.of(null, null, "p", null).requestId(), RequestMeta.of(null, null, "p", null).requestId());
    assertNotEquals(RequestMeta.of(null, null, "p", null).traceparent(),
        RequestMeta.of(null, null, "p", null).traceparent());
  }

  @ParameterizedTest
  @ValueSource(strings = {VALID_TP, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff"})
  void passesAWellFormedTraceparentThrough(String tp) {
    assertEquals(tp, RequestMeta.of(null, tp, "p", null).traceparent());
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz",
      "garbage",
  })
  void replacesAMissingOrMalformedTraceparentWithAGeneratedOne(String tp) {
    String generated = RequestMeta.of(null, tp, "p", null).traceparent();
    assertTrue(generated.matches(GENERATED_TRACEPARENT), generated);
    assertNotEquals("00000000000000000000000000000000", generated.substring(3, 35));
  }

  @Test
  void carriesPeerHostAndAuthority() {
    RequestMeta m = RequestMeta.of("id-1", VALID_TP, "203.0.113.7", "gw.example.org:50052");
    assertEquals(new RequestMeta("id-1", VALID_TP, "203.0.113.7", "gw.example.org:50052"), m);
  }

  @Test
  void headerNamesAreLowercase() {
    assertEquals("x-request-id", RequestMeta.REQUEST_ID);
    assertEquals("traceparent", RequestMeta.TRACEPARENT);
  }
}
