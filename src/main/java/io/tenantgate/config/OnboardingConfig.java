package io.tenantgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The enrollment listener edges reach before they have a certificate: TLS with the server certificate
 * only (no client certificate), serving one-time package downloads and CSR enrollment. Needs the
 * Postgres store. Also what packages say about the gateway.
 *
 * @param publicUrl the listener's base URL as edges reach it; written into every download token
 * @param gatewayAddr the edge listener as edges dial it ({@code host:port}); written into config.yaml
 * @param serverName the name edges verify on the gateway's certificate
 * @param packageTtl how long an unspent package's token stays valid by default
 * @param maxPackageTtl the longest ttl an operator may ask for
 * @param certValidity lifetime of certificates issued through packages
 * @param maxBodySize largest request body (a CSR), bytes
 * @param maxConcurrent deliveries in progress at once (each signs); more get 503
 */
public record OnboardingConfig(boolean enabled, String host, int port, Path certFile, Path keyFile, String publicUrl,
    String gatewayAddr, String serverName, Duration packageTtl, Duration maxPackageTtl, Duration certValidity,
    long maxBodySize, int maxConcurrent) {
  public static final int DEFAULT_PORT = 50061;
  private static final Pattern URL = Pattern.compile("https://[A-Za-z0-9.\\[\\]:-]+(:\\d{1,5})?/?");
  private static final Pattern ADDR = Pattern.compile("[A-Za-z0-9.\\[\\]:-]+:\\d{1,5}");

  static OnboardingConfig parse(Node n, GatewayConfig.Paths paths, int edgePort) {
    boolean enabled = n.bool("enabled", false);
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    Path cert = paths.resolve(n.string("certFile", null));
    Path key = paths.resolve(n.string("keyFile", null));
    if ((cert == null) != (key == null)) {
      n.problem("certFile", "certFile and keyFile go together (both unset = the edge's certificate)");
    }
    // what packages tell edges about the gateway: required when enrollment is on (a localhost default would
    // ship broken packages silently); the defaults serve the CLI of a gateway without enrollment
    String url = enabled ? n.requiredString("publicUrl")
        : n.string("publicUrl", "https://localhost:" + (port == 0 ? DEFAULT_PORT : port));
    if (url == null || !URL.matcher(url).matches()) {
      n.problem("publicUrl", "must be https://host[:port], got '" + url + "'");
    }
    String addr = enabled ? n.requiredString("gatewayAddr")
        : n.string("gatewayAddr", "localhost:" + (edgePort == 0 ? 50052 : edgePort));
    if (addr != null && (!ADDR.matcher(addr).matches()
        || Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1)) > 65535)) {
      n.problem("gatewayAddr", "must be host:port (port 1-65535), got '" + addr + "'");
    }
    String serverName = enabled ? n.requiredString("serverName") : n.string("serverName", "localhost");
    if (serverName != null && !io.tenantgate.pki.Names.isDomain(serverName)
        && !serverName.matches("[0-9A-Fa-f:.]{2,45}")) {
      n.problem("serverName", "must be a lowercase DNS name or an IP address, got '" + serverName + "'");
    }
    Duration ttl = n.duration("packageTtl", Duration.ofHours(24));
    Duration maxTtl = n.duration("maxPackageTtl", Duration.ofDays(30));
    if (ttl.isZero() || ttl.compareTo(maxTtl) > 0) {
      n.problem("packageTtl", "must be positive and at most maxPackageTtl (" + maxTtl + ")");
    }
    Duration validity = n.duration("certValidity", Duration.ofDays(365));
    if (validity.toHours() < 1) {
      n.problem("certValidity", "must be at least 1h");
    }
    long body = n.bytes("maxBodySize", 32 * 1024, 1024, 1024 * 1024);
    int concurrent = n.integer("maxConcurrent", 16, 1, 1024);
    n.rejectUnknownKeys();
    return new OnboardingConfig(enabled, host, port, cert, key, url == null ? null : url.replaceAll("/$", ""), addr,
        serverName, ttl, maxTtl, validity, body, concurrent);
  }

  public static OnboardingConfig disabled() {
    return new OnboardingConfig(false, "0.0.0.0", DEFAULT_PORT, null, null, "https://localhost:" + DEFAULT_PORT,
        "localhost:50052", "localhost", Duration.ofHours(24), Duration.ofDays(30), Duration.ofDays(365), 32 * 1024, 16);
  }
}
