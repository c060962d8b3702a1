package io.tenantgate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server (the Debian package's binaries, {@code /usr/lib/postgresql/N/bin}) in a
 * temporary data directory on a free port, for tests that crash and restart the database under load.
 * Never the shared server on 5432. As root (CI), the server runs as the {@code postgres} user, since
 * Postgres refuses to run as root. {@link #crashRestart()} stops it with {@code pg_ctl -m immediate}
 * (every server process killed with SIGQUIT, no checkpoint: the next start runs crash recovery from the
 * WAL) and starts it again on the same port.
 */
public final class PostgresProcess implements AutoCloseable {
  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final boolean asPostgresUser;

  private PostgresProcess(Path bin, Path dir, int port, boolean asPostgresUser) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** initdb (trust auth, superuser {@code postgres}) and start; fails the test when Postgres is not installed. */
  public static PostgresProcess start() throws Exception {
    Path bin = binDir();
    Path dir = Files.createTempDirectory("tenantgate-pg");
    boolean root = "root".equals(System.getProperty("user.name"));
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PostgresProcess pg = new PostgresProcess(bin, dir, port, root);
    if (root) {
      pg.run(List.of("chown", "-R", "postgres", dir.toString()), false);
    }
    pg.run(List.of(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres", "--auth=trust",
        "-E", "UTF8", "--no-sync"), true);
    pg.startServer();
    return pg;
  }

  /** A URL for the {@code postgres} database as the {@code postgres} superuser. */
  public String url() {
    return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
  }

  /** Kills the server the way a crash would (no shutdown checkpoint) and starts it again: crash recovery. */
  public void crashRestart() throws Exception {
    stopServer("immediate");
    startServer();
  }

  /** Stops the server abruptly (as {@link #crashRestart()} does) and leaves it down until {@link #startServer()}. */
  public void crash() throws Exception {
    stopServer("immediate");
  }

  /** Starts the server (after {@link #crash()}), waiting until it accepts connections. */
  public void startServer() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60", "-l",
        dir.resolve("server.log").toString(), "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k "
            + dir + " -c fsync=off -c max_connections=50", "start"), true);
  }

  private void stopServer(String mode) throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-t", "60", "-m", mode, "stop"),
        true);
  }

  @Override
  public void close() throws Exception {
    try {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        stopServer("immediate");
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void run(List<String> command, boolean asServerUser) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asServerUser && asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  private static Path binDir() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(Path::toString))
          .orElseThrow(() -> new IllegalStateException("no PostgreSQL server binaries under /usr/lib/postgresql"));
    } catch (IOException e) {
      throw new UncheckedIOException("PostgreSQL server binaries not found (scripts/test.sh installs them)", e);
    }
  }
}
