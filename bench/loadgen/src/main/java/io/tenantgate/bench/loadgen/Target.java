package io.tenantgate.bench.loadgen;

/**
 * A server under test: a name for the report, where it listens, the pid whose CPU time (with its
 * descendants) is charged to it, and whether it speaks TLS. Written {@code NAME,HOST:PORT[,PID[,plain]]}
 * on the command line; {@code plain} = cleartext (h2c prior knowledge for gRPC: the upstream, direct).
 */
record Target(String name, String host, int port, long pid, boolean plain) {

  static Target parse(String spec) {
    String[] parts = spec.split(",");
    if (parts.length < 2 || parts.length > 4 || (parts.length == 4 && !parts[3].equals("plain"))) {
      throw new IllegalArgumentException("target must be NAME,HOST:PORT[,PID[,plain]], got '" + spec + "'");
    }
    int colon = parts[1].lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("target address must be HOST:PORT, got '" + parts[1] + "'");
    }
    long pid = parts.length >= 3 ? Long.parseLong(parts[2]) : -1;
    return new Target(parts[0], parts[1].substring(0, colon), Integer.parseInt(parts[1].substring(colon + 1)), pid,
        parts.length == 4);
  }
}
