package io.tenantgate.ingress;

import io.netty.util.AsciiString;
import io.tenantgate.identity.ClientIdentity;
import io.tenantgate.identity.IdentityHeaders;
import io.tenantgate.identity.IdentityStamp;
import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Strip, then stamp. Copies a client's request headers for core without hop-by-hop headers,
 * without any header claiming an identity or a forwarding path, and then sets the trusted ones.
 * The order is the point: nothing a client sends can survive under a trusted name.
 */
final class HeaderPolicy {
  /** RFC 9110 hop-by-hop headers plus the legacy ones proxies must not forward. */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
      "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization", "host",
      "content-length", "http2-settings", "expect");
  /** Forwarding headers only the gateway may write (besides every {@code x-forwarded-*}). */
  private static final Set<String> FORWARDING = Set.of("x-real-ip", "forwarded", "x-original-forwarded-for");
  /** Names (and the constant values) the gateway sets on every request, hashed once. */
  private static final AsciiString TE = AsciiString.cached("te");
  private static final AsciiString TRAILERS = AsciiString.cached("trailers");
  private static final AsciiString REQUEST_ID = AsciiString.cached(RequestMeta.REQUEST_ID);
  private static final AsciiString TRACEPARENT = AsciiString.cached(RequestMeta.TRACEPARENT);
  private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString HTTPS = AsciiString.cached("https");

  private HeaderPolicy() {
  }

  /**
   * Builds the upstream request headers, preparing the identity's stamp on the spot (the request path
   * uses a stamp prepared once per certificate: {@link #forUpstream(MultiMap, IdentityStamp, RequestMeta, boolean)}).
   *
   * @param assertion the signed tenant assertion, or null when assertions are off
   * @param keepTe whether {@code te: trailers} travels on (gRPC needs it)
   */
  static MultiMap forUpstream(MultiMap in, ClientIdentity identity, String assertion, RequestMeta meta,
      boolean keepTe) {
    return forUpstream(in, IdentityStamp.of(identity, assertion), meta, keepTe);
  }

  /**
   * Builds the upstream request headers: the client's minus everything stripped, then the stamp's
   * trusted headers and the forwarding ones set over them.
   *
   * @param keepTe whether {@code te: trailers} travels on (gRPC needs it)
   */
  static MultiMap forUpstream(MultiMap in, IdentityStamp stamp, RequestMeta meta, boolean keepTe) {
    Set<String> named = connectionNamed(in);
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> h : in) {
      String n = h.getKey().toLowerCase(Locale.ROOT);
      String dashed = n.replace('_', '-');
      if (n.startsWith(":") || HOP_BY_HOP.contains(n) || FORWARDING.contains(dashed) || dashed.startsWith("x-forwarded-")
          || named.contains(n)
          || IdentityHeaders.isIdentityHeader(n) || n.equals(RequestMeta.REQUEST_ID) || n.equals(RequestMeta.TRACEPARENT)) {
        continue;
      }
      out.add(n, h.getValue());
    }
    if (keepTe && "trailers".equalsIgnoreCase(in.get("te"))) {
      out.set(TE, TRAILERS);
    }
    stamp.stampOnto(out);
    out.set(REQUEST_ID, meta.requestId());
    out.set(TRACEPARENT, meta.traceparent());
    out.set(X_FORWARDED_FOR, meta.peerHost());
    out.set(X_FORWARDED_PROTO, HTTPS);
    if (meta.authority() != null) {
      out.set(X_FORWARDED_HOST, meta.authority());
    }
    return out;
  }

  /** Response headers for the client: the upstream's minus hop-by-hop ones. */
  static void copyResponseHeaders(MultiMap from, MultiMap to, boolean keepContentLength) {
    Set<String> named = connectionNamed(from);
    for (Map.Entry<String, String> h : from) {
      String n = h.getKey().toLowerCase(Locale.ROOT);
      if (n.startsWith(":") || named.contains(n)
          || (HOP_BY_HOP.contains(n) && !(keepContentLength && n.equals("content-length")))) {
        continue;
      }
      to.add(n, h.getValue());
    }
  }

  /** Headers a Connection header declares hop-by-hop (RFC 9110 section 7.6.1). */
  private static Set<String> connectionNamed(MultiMap headers) {
    List<String> values = headers.getAll("connection");
    if (values.isEmpty()) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    for (String c : values) {
      for (String tok : c.split(",")) {
        out.add(tok.trim().toLowerCase(Locale.ROOT));
      }
    }
    return out;
  }
}
