package io.tenantgate.testing;

import io.tenantgate.config.PostgresConfig;
import io.tenantgate.db.Database;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A throwaway schema on the real Postgres (127.0.0.1:5432, trust auth, database {@code test}; override
 * with {@code TENANTGATE_TEST_PG_URL}), migrated, with a fresh master key in a file. {@link #close()}
 * drops the schema. {@link TcpProxy} stands between a gateway and Postgres so a test can take the
 * database away and bring it back without touching the shared server.
 */
public final class PostgresFixture implements AutoCloseable {
  public static final String URL = System.getenv().getOrDefault("TENANTGATE_TEST_PG_URL",
      PostgresConfig.DEFAULT_URL);

  public final Vertx vertx;
  public final String schema;
  public final MasterKey masterKey;
  public final Path masterKeyFile;
  public final Database db;

  private PostgresFixture(Vertx vertx, String schema, MasterKey masterKey, Path masterKeyFile, Database db) {
    this.vertx = vertx;
    this.schema = schema;
    this.masterKey = masterKey;
    this.masterKeyFile = masterKeyFile;
    this.db = db;
  }

  /** A new random schema, migrated. */
  public static PostgresFixture create(Vertx vertx) {
    return create(vertx, URL);
  }

  /** A new random schema, migrated, on the server at {@code url} (a {@link PostgresProcess}'s, say). */
  public static PostgresFixture create(Vertx vertx, String url) {
    String schema = "tg_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    MasterKey key = MasterKey.generate();
    try {
      Path file = Files.createTempFile("tenantgate-master", ".key");
      file.toFile().deleteOnExit();
      Files.writeString(file, key.toBase64());
      Database db = Database.create(vertx, config(url, schema), Map.of());
      Await.result(db.migrate(), Duration.ofSeconds(60));
      return new PostgresFixture(vertx, schema, key, file, db);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static PostgresConfig config(String url, String schema) {
    return new PostgresConfig(url, null, null, 2, schema, Duration.ofMillis(20), Duration.ofMillis(500));
  }

  /** The {@code registry} section for a gateway on this schema, reaching Postgres at {@code url}. */
  public Map<String, Object> registrySection(String url) {
    Map<String, Object> pg = new LinkedHashMap<>();
    pg.put("url", url);
    pg.put("schema", schema);
    pg.put("poolSize", 2);
    pg.put("notifyDebounce", "20ms");
    pg.put("reconnectBackoffMax", "500ms");
    Map<String, Object> registry = new LinkedHashMap<>();
    registry.put("store", "postgres");
    registry.put("postgres", pg);
    registry.put("masterKeyFile", masterKeyFile.toString());
    return registry;
  }

  /** A store writing to this schema, signing tenant CAs with {@code root}. */
  public TenantStore store(CertAndKey root) {
    return new TenantStore(vertx, db.pool(), masterKey, root, TestPki.TD);
  }

  /** Writes an issued certificate as the files a client presents. */
  public static TestPki.ClientCert files(TenantStore.Issued issued) {
    try {
      Path dir = Files.createTempDirectory("tenantgate-pg-client");
      dir.toFile().deleteOnExit();
      Path cert = dir.resolve("cert.pem");
      Path key = dir.resolve("key.pem");
      Path chain = dir.resolve("chain.pem");
      Pem.write(cert, Pem.certificates(issued.leaf().certificate()), false);
      Pem.write(key, Pem.privateKey(issued.leaf().privateKey()), true);
      Pem.write(chain, Pem.certificates(issued.leaf().certificate(), issued.tenantCa()), false);
      return new TestPki.ClientCert(issued.leaf(), cert, key, chain,
          Fingerprints.serialHex(issued.leaf().certificate().getSerialNumber()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Drops the schema and closes the pool. */
  @Override
  public void close() {
    try {
      Await.result(db.pool().query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
    } finally {
      Await.result(db.close());
    }
  }

  /**
   * A TCP relay on 127.0.0.1 (port 0) to Postgres. {@link #cut()} closes every relayed connection and
   * closes new ones at once, as a stopped server would; {@link #restore()} relays again.
   */
  public static final class TcpProxy implements AutoCloseable {
    private final NetServer server;
    private final NetClient client;
    private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    private TcpProxy(Vertx vertx, String host, int port) {
      client = vertx.createNetClient();
      server = vertx.createNetServer().connectHandler(in -> {
        if (cut) {
          in.close();
          return;
        }
        in.pause();
        client.connect(port, host).onComplete(ar -> {
          if (ar.failed() || cut) {
            in.close();
            if (ar.succeeded()) {
              ar.result().close();
            }
            return;
          }
          NetSocket out = ar.result();
          sockets.add(in);
          sockets.add(out);
          in.closeHandler(v -> {
            sockets.remove(in);
            out.close();
          });
          out.closeHandler(v -> {
            sockets.remove(out);
            in.close();
          });
          in.handler(out::write);
          out.handler(in::write);
          in.resume();
        });
      });
    }

    /** A proxy to the Postgres of {@link #URL}'s host and port (127.0.0.1:5432 by default). */
    public static TcpProxy start(Vertx vertx) {
      java.net.URI uri = java.net.URI.create(URL);
      TcpProxy p = new TcpProxy(vertx, uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort());
      Await.result(p.server.listen(0, "127.0.0.1"));
      return p;
    }

    /** {@link #URL} with the proxy's address instead of the server's. */
    public String url() {
      java.net.URI uri = java.net.URI.create(URL);
      return "postgresql://" + (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@") + "127.0.0.1:"
          + server.actualPort() + uri.getRawPath();
    }

    public void cut() {
      cut = true;
      sockets.forEach(NetSocket::close);
    }

    public void restore() {
      cut = false;
    }

    public int connections() {
      return sockets.size() / 2;
    }

    @Override
    public void close() {
      cut();
      Await.result(Future.join(server.close(), client.close()));
    }
  }
}
