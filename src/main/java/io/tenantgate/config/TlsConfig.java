package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Edge TLS: the gateway's server certificate and key, the platform root(s) client chains must
 * validate to, the allowed protocol versions and the SSL engine. The three files are watched every
 * {@code reloadInterval} (0 = only on demand) and reloaded without dropping connections.
 */
public record TlsConfig(Path certFile, Path keyFile, Path clientCaFile, List<String> protocols,
    SslEngine engine, Duration handshakeTimeout, Duration reloadInterval, List<Path> crlFiles,
    SessionTicketsConfig sessionTickets, int verifiedChainCacheSize, int presentedChainCacheSize) {

  private static final Set<String> ALLOWED_PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  public TlsConfig {
    protocols = List.copyOf(protocols);
    crlFiles = List.copyOf(crlFiles);
  }

  /**
   * TLS session tickets (resumption without a full handshake) on the BoringSSL engine: keys rotate
   * every {@code rotation}, a ticket resumes for {@code lifetime}; replicas given the same
   * {@code keyFile} (a base64 secret) resume each other's tickets. The JDK engine keeps its own keys.
   */
  public record SessionTicketsConfig(boolean enabled, Duration rotation, Duration lifetime, Path keyFile) {
    static SessionTicketsConfig parse(Node n, GatewayConfig.Paths paths) {
      boolean enabled = n.bool("enabled", true);
      Duration rotation = n.duration("rotation", Duration.ofHours(1));
      if (rotation.toMillis() < 1000) {
        n.problem("rotation", "must be at least 1s");
      }
      Duration lifetime = n.duration("lifetime", Duration.ofHours(2));
      if (lifetime.toSeconds() < 1 || lifetime.compareTo(Duration.ofDays(7)) > 0) {
        n.problem("lifetime", "must be between 1s and 7d (RFC 8446 caps ticket lifetimes at 7 days)");
      }
      Path keyFile = paths.resolve(n.string("keyFile", null));
      n.rejectUnknownKeys();
      return new SessionTicketsConfig(enabled, rotation, lifetime, keyFile);
    }
  }

  /** Which TLS implementation terminates edge connections. */
  public enum SslEngine {
    /** BoringSSL via netty-tcnative when it loads, else the JDK engine. */
    AUTO,
    OPENSSL,
    JDK;

    static SslEngine parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
  }

  static TlsConfig parse(Node n, GatewayConfig.Paths paths) {
    Path cert = paths.resolve(n.requiredString("certFile"));
    Path key = paths.resolve(n.requiredString("keyFile"));
    Path ca = paths.resolve(n.requiredString("clientCaFile"));
    List<String> protocols = n.strings("protocols", List.of("TLSv1.3"));
    if (protocols.isEmpty()) {
      n.problem("protocols", "must name at least one of " + ALLOWED_PROTOCOLS);
    }
    for (String p : protocols) {
      if (!ALLOWED_PROTOCOLS.contains(p)) {
        n.problem("protocols", "'" + p + "' is not one of " + ALLOWED_PROTOCOLS);
      }
    }
    SslEngine engine = n.enumValue("engine", SslEngine.AUTO, SslEngine.class, SslEngine::parse);
    Duration hs = n.duration("handshakeTimeout", Duration.ofSeconds(10));
    if (hs.isZero()) {
      n.problem("handshakeTimeout", "must be greater than zero");
    }
    Duration reload = n.duration("reloadInterval", Duration.ofSeconds(10));
    if (!reload.isZero() && reload.toMillis() < 100) {
      n.problem("reloadInterval", "must be 0 (no file watch) or at least 100ms");
    }
    List<Path> crls = n.strings("crlFiles", List.of()).stream().map(paths::resolve).toList();
    SessionTicketsConfig tickets = SessionTicketsConfig.parse(n.child("sessionTickets"), paths);
    int verifiedChains = n.integer("verifiedChainCacheSize", 100_000, 0, 10_000_000);
    int presentedChains = n.integer("presentedChainCacheSize", 10_000, 0, 1_000_000);
    n.rejectUnknownKeys();
    return new TlsConfig(cert, key, ca, protocols, engine, hs, reload, crls, tickets, verifiedChains,
        presentedChains);
  }
}
