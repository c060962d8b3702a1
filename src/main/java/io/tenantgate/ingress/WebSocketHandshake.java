package io.tenantgate.ingress;

import io.tenantgate.error.Failure;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.List;

/**
 * The client's half of a WebSocket opening handshake (RFC 6455 section 4.2.1), checked before the
 * gateway opens anything to core: a GET over HTTP/1.1 with {@code Upgrade: websocket},
 * {@code Connection} naming {@code upgrade}, one {@code Sec-WebSocket-Key} of 16 base64-encoded bytes
 * and {@code Sec-WebSocket-Version: 13} (another version gets 426, which names 13). The target must
 * also be a URI {@code java.net.URI} accepts: the upstream WebSocket client cannot send any other.
 */
final class WebSocketHandshake {
  private WebSocketHandshake() {
  }

  /** Why this upgrade cannot be relayed, or null when it can. */
  static Failure check(HttpMethod method, HttpVersion version, String target, MultiMap headers) {
    if (method != HttpMethod.GET || version != HttpVersion.HTTP_1_1
        || !hasToken(headers.getAll("upgrade"), "websocket") || !hasToken(headers.getAll("connection"), "upgrade")
        || !isKey(headers.getAll("sec-websocket-key"))) {
      return Failure.BAD_WEBSOCKET_HANDSHAKE;
    }
    List<String> versions = headers.getAll("sec-websocket-version");
    if (versions.isEmpty()) {
      return Failure.BAD_WEBSOCKET_HANDSHAKE;
    }
    if (versions.size() > 1 || !versions.get(0).trim().equals("13")) {
      return Failure.UNSUPPORTED_WEBSOCKET_VERSION;
    }
    return isUri(target) ? null : Failure.BAD_TARGET;
  }

  /** Whether {@code target} (origin form: path and query) parses as a {@code java.net.URI}. */
  static boolean isUri(String target) {
    try {
      new URI(target);
      return true;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static boolean hasToken(List<String> values, String token) {
    for (String v : values) {
      for (String t : v.split(",")) {
        if (t.trim().equalsIgnoreCase(token)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean isKey(List<String> values) {
    if (values.size() != 1) {
      return false;
    }
    try {
      return Base64.getDecoder().decode(values.get(0).trim()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
