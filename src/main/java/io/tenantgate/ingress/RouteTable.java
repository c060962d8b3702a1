package io.tenantgate.ingress;

import io.tenantgate.config.RouteConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a request to its route: gRPC calls by service name (exact first, then {@code *}), everything
 * else by the longest matching path prefix. Built once; lookups allocate nothing for plain paths.
 */
final class RouteTable {
  private final Map<String, RouteConfig> grpcByService = new HashMap<>();
  private final RouteConfig grpcDefault;
  private final List<RouteConfig> byPrefix;

  RouteTable(List<RouteConfig> routes) {
    RouteConfig wildcard = null;
    List<RouteConfig> prefixes = new ArrayList<>();
    for (RouteConfig r : routes) {
      if (!r.isGrpc()) {
        prefixes.add(r);
      } else if (r.grpcService().equals("*")) {
        wildcard = r;
      } else {
        grpcByService.put(r.grpcService(), r);
      }
    }
    prefixes.sort(Comparator.comparingInt((RouteConfig r) -> r.pathPrefix().length()).reversed());
    this.grpcDefault = wildcard;
    this.byPrefix = List.copyOf(prefixes);
  }

  /**
   * Whether {@code rawPath} routes the same here as in core: no {@code .} or {@code ..} segments and
   * no percent-encoded dot, slash, backslash or NUL, which a core normalising differently could
   * resolve to another route's path.
   */
  static boolean isCanonical(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.indexOf('\\') >= 0) {
      return false;
    }
    int start = 1;
    while (start <= rawPath.length()) {
      int end = rawPath.indexOf('/', start);
      if (end < 0) {
        end = rawPath.length();
      }
      String seg = rawPath.substring(start, end);
      // "..;x" is ".." to servlet containers (path parameters are dropped before normalising)
      String bare = seg.indexOf(';') >= 0 ? seg.substring(0, seg.indexOf(';')) : seg;
      if (bare.equals(".") || bare.equals("..")) {
        return false;
      }
      start = end + 1;
    }
    int pct = rawPath.indexOf('%');
    while (pct >= 0) {
      String enc = rawPath.length() >= pct + 3 ? rawPath.substring(pct + 1, pct + 3).toLowerCase(java.util.Locale.ROOT) : "";
      if (enc.equals("2e") || enc.equals("2f") || enc.equals("5c") || enc.equals("00")) {
        return false;
      }
      pct = rawPath.indexOf('%', pct + 1);
    }
    return true;
  }

  /** The route for a gRPC call to {@code path} ("/package.Service/Method"), or null. */
  RouteConfig grpc(String path) {
    int slash = path.indexOf('/', 1);
    if (path.length() < 2 || path.charAt(0) != '/' || slash <= 1 || slash == path.length() - 1
        || path.indexOf('/', slash + 1) >= 0) {
      return null;
    }
    RouteConfig r = grpcByService.get(path.substring(1, slash));
    return r != null ? r : grpcDefault;
  }

  /** The route for a plain HTTP or WebSocket request to {@code path}, or null. */
  RouteConfig http(String path) {
    for (RouteConfig r : byPrefix) {
      String p = r.pathPrefix();
      if (path.startsWith(p) && (p.endsWith("/") || path.length() == p.length() || path.charAt(p.length()) == '/'
          || path.charAt(p.length()) == '?')) {
        return r;
      }
    }
    return null;
  }
}
