package io.tenantgate.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tenantgate.error.Failure;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WebSocketHandshakeTest {
  private static MultiMap complete() {
    return MultiMap.caseInsensitiveMultiMap().add("Upgrade", "websocket").add("Connection", "Upgrade")
        .add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==").add("Sec-WebSocket-Version", "13");
  }

  @Test
  void aCompleteHandshakePasses() {
    assertNull(WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, "/ws?a=b&c=%20", complete()));
  }

  @Test
  void connectionAndUpgradeAreTokenListsInAnyCase() {
    MultiMap h = complete().set("Connection", "keep-alive, UPGRADE").set("Upgrade", "WebSocket");
    assertNull(WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, "/ws", h));
  }

  @Test
  void notAGetOrNotHttp11IsRefused() {
    assertEquals(Failure.BAD_WEBSOCKET_HANDSHAKE, WebSocketHandshake.check(HttpMethod.POST, HttpVersion.HTTP_1_1, "/ws",
        complete()));
    assertEquals(Failure.BAD_WEBSOCKET_HANDSHAKE, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_0, "/ws",
        complete()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Connection|keep-alive",
      "Connection|upgraded",
      "Upgrade|h2c",
      "Sec-WebSocket-Key|AAAAAAAAAAAAAAAAAAAA",
      "Sec-WebSocket-Key|AAAAAAAAAAAAAAAAAAAAAAAAAA==",
      "Sec-WebSocket-Key|not base64 at all!!!!!==",
  })
  void aWrongHeaderIsABadHandshake(String name, String value) {
    assertEquals(Failure.BAD_WEBSOCKET_HANDSHAKE, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, "/ws",
        complete().set(name, value)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version"})
  void aMissingHeaderIsABadHandshake(String name) {
    assertEquals(Failure.BAD_WEBSOCKET_HANDSHAKE, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, "/ws",
        complete().remove(name)));
  }

  @Test
  void twoKeysAreABadHandshake() {
    assertEquals(Failure.BAD_WEBSOCKET_HANDSHAKE, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, "/ws",
        complete().add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"8", "7, 13", "14", "x"})
  void anotherVersionIsUnsupported(String version) {
    assertEquals(Failure.UNSUPPORTED_WEBSOCKET_VERSION, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1,
        "/ws", complete().set("Sec-WebSocket-Version", version)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/ws?a\"b", "/ws?a`b", "/ws?a{b}", "/ws?a=%zz", "/ws?a|b", "/ws?a\\b", "/ws?a^b", "/w s"})
  void aTargetJavaNetUriRejectsIsABadTarget(String target) {
    assertFalse(WebSocketHandshake.isUri(target));
    assertEquals(Failure.BAD_TARGET, WebSocketHandshake.check(HttpMethod.GET, HttpVersion.HTTP_1_1, target, complete()));
  }

  @Test
  void ordinaryTargetsAreUris() {
    assertTrue(WebSocketHandshake.isUri("/v1/stream?tenant=acme&since=2024-01-01T00:00:00Z&x=%7B%7D"));
  }
}
