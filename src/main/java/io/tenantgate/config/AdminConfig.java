package io.tenantgate.config;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The admin API listener: its own port, mTLS with client certificates from the platform admin CA
 * (not the edge root), and an allow-list of admin certificate CNs. Needs the Postgres store.
 *
 * @param certFile server certificate (null = the edge's)
 * @param keyFile server key (null = the edge's)
 * @param clientCaFile the platform admin CA that issues operators' certificates
 * @param allowedSubjects admin CNs allowed; an entry {@code *.x} allows any single label before {@code .x}
 * @param maxBodySize largest request body, bytes
 */
public record AdminConfig(boolean enabled, String host, int port, Path certFile, Path keyFile, Path clientCaFile,
    List<String> allowedSubjects, long maxBodySize) {
  public static final int DEFAULT_PORT = 50060;
  private static final Pattern SUBJECT = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9._-]{0,252})");

  public AdminConfig {
    allowedSubjects = List.copyOf(allowedSubjects);
  }

  public static AdminConfig disabled() {
    return new AdminConfig(false, "0.0.0.0", DEFAULT_PORT, null, null, null, List.of("admin.platform.serviceradar"),
        64 * 1024);
  }

  /** Whether an admin certificate CN is on the allow-list. */
  public boolean allows(String cn) {
    if (cn == null) {
      return false;
    }
    for (String s : allowedSubjects) {
      if (s.startsWith("*.")) {
        String suffix = s.substring(1);
        if (cn.endsWith(suffix) && cn.length() > suffix.length() && cn.indexOf('.') == cn.length() - suffix.length()) {
          return true;
        }
      } else if (s.equals(cn)) {
        return true;
      }
    }
    return false;
  }

  static AdminConfig parse(Node n, GatewayConfig.Paths paths) {
    boolean enabled = n.bool("enabled", false);
    String host = n.string("host", "0.0.0.0");
    int port = n.integer("port", DEFAULT_PORT, 0, 65535);
    Path cert = paths.resolve(n.string("certFile", null));
    Path key = paths.resolve(n.string("keyFile", null));
    if ((cert == null) != (key == null)) {
      n.problem("certFile", "certFile and keyFile go together (both unset = the edge's certificate)");
    }
    Path ca = paths.resolve(enabled ? n.requiredString("clientCaFile") : n.string("clientCaFile", null));
    List<String> allowed = n.strings("allowedSubjects", List.of("admin.platform.serviceradar"));
    if (enabled && allowed.isEmpty()) {
      n.problem("allowedSubjects", "must name at least one admin certificate CN");
    }
    for (String s : allowed) {
      if (!SUBJECT.matcher(s).matches()) {
        n.problem("allowedSubjects", "'" + s + "' is not a CN or a '*.suffix' pattern");
      }
    }
    long body = n.bytes("maxBodySize", 64 * 1024, 1024, 16L * 1024 * 1024);
    n.rejectUnknownKeys();
    return new AdminConfig(enabled, host, port, cert, key, ca, allowed, body);
  }
}
