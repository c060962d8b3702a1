package io.tenantgate.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One forwarding rule: a path prefix (plain HTTP and WebSocket) or a gRPC service name
 * ({@code package.Service}, or {@code *} for every service) mapped to an upstream core URL.
 * gRPC always travels to the upstream over HTTP/2 whatever {@code protocol} says.
 *
 * @param protocol upstream protocol for plain HTTP: HTTP1, H2C (prior knowledge) or H2 (TLS + ALPN)
 * @param upstreamCaFile CA bundle that verifies an https upstream; null = the JVM's default trust
 * @param maxConnections HTTP/1.1 connections per event loop to this upstream (HTTP/2 uses one per loop)
 */
public record RouteConfig(String name, String pathPrefix, String grpcService, URI upstream,
    UpstreamProtocol protocol, Path upstreamCaFile, int maxConnections) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern SERVICE = Pattern.compile("\\*|[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

  /** How plain HTTP requests reach the upstream. */
  public enum UpstreamProtocol {
    HTTP1, H2C, H2;

    static UpstreamProtocol parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  public boolean isGrpc() {
    return grpcService != null;
  }

  public boolean upstreamTls() {
    return "https".equals(upstream.getScheme());
  }

  public int upstreamPort() {
    return upstream.getPort() > 0 ? upstream.getPort() : upstreamTls() ? 443 : 80;
  }

  static RouteConfig parse(Node n, GatewayConfig.Paths paths) {
    String name = n.requiredString("name");
    if (name != null && !NAME.matcher(name).matches()) {
      n.problem("name", "must be lowercase letters, digits, '-' or '_' (it becomes a metric tag), got '" + name + "'");
    }
    String prefix = n.string("pathPrefix", null);
    String service = n.string("grpcService", null);
    if ((prefix == null) == (service == null)) {
      n.problem("", "needs exactly one of pathPrefix or grpcService");
    }
    if (prefix != null && !prefix.startsWith("/")) {
      n.problem("pathPrefix", "must start with '/', got '" + prefix + "'");
    }
    if (service != null && !SERVICE.matcher(service).matches()) {
      n.problem("grpcService", "must be a fully qualified service name or '*', got '" + service + "'");
    }
    URI upstream = parseUpstream(n);
    UpstreamProtocol protocol = n.enumValue("protocol", null, UpstreamProtocol.class, UpstreamProtocol::parse);
    if (protocol == null) {
      protocol = upstream != null && "https".equals(upstream.getScheme()) ? UpstreamProtocol.H2 : UpstreamProtocol.HTTP1;
    }
    if (upstream != null && protocol == UpstreamProtocol.H2C && "https".equals(upstream.getScheme())) {
      n.problem("protocol", "h2c needs an http:// upstream; use h2 or http1 for https://");
    }
    Path ca = paths.resolve(n.string("upstreamCaFile", null));
    int maxConn = n.integer("maxConnections", 64, 1, 10_000);
    n.rejectUnknownKeys();
    return new RouteConfig(name, prefix, service, upstream, protocol, ca, maxConn);
  }

  private static URI parseUpstream(Node n) {
    String s = n.requiredString("upstream");
    if (s == null) {
      return URI.create("http://invalid");
    }
    try {
      URI u = new URI(s);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
        n.problem("upstream", "must be an http:// or https:// URL with a host, got '" + s + "'");
      } else if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
        n.problem("upstream", "must not carry a path (requests keep theirs), got '" + s + "'");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      n.problem("upstream", "is not a URL: " + e.getMessage());
      return URI.create("http://invalid");
    }
  }

  static void checkUnique(List<RouteConfig> routes, Node root) {
    Set<String> names = new HashSet<>();
    Set<String> matchers = new HashSet<>();
    for (RouteConfig r : routes) {
      if (r.name() != null && !names.add(r.name())) {
        root.problem("routes", "route name '" + r.name() + "' is used twice");
      }
      String m = r.isGrpc() ? "grpc:" + r.grpcService() : "path:" + r.pathPrefix();
      if (!matchers.add(m)) {
        root.problem("routes", "two routes match the same " + m);
      }
    }
  }
}
