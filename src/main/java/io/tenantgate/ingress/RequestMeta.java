package io.tenantgate.ingress;

import java.util.concurrent.ThreadLocalRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Per-request correlation: the request id and W3C traceparent (passed through when well formed,
 * generated otherwise), the peer address and the authority the client asked for.
 */
record RequestMeta(String requestId, String traceparent, String peerHost, String authority) {
  static final String REQUEST_ID = "x-request-id";
  static final String TRACEPARENT = "traceparent";
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final Pattern TRACE = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}");
  private static final HexFormat HEX = HexFormat.of();

  static RequestMeta of(String requestIdHeader, String traceparentHeader, String peerHost, String authority) {
    String id = requestIdHeader != null && ID.matcher(requestIdHeader).matches() ? requestIdHeader : newId();
    String tp = traceparentHeader != null && validTraceparent(traceparentHeader) ? traceparentHeader
        : "00-" + hex(16) + "-" + hex(8) + "-01";
    return new RequestMeta(id, tp, peerHost, authority);
  }

  private static boolean validTraceparent(String s) {
    var m = TRACE.matcher(s);
    return m.matches() && !m.group(1).equals("0".repeat(32)) && !m.group(2).equals("0".repeat(16));
  }

  private static String newId() {
    return hex(16);
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(b);
    return HEX.formatHex(b);
  }
}
