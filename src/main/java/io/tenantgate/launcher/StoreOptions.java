package io.tenantgate.launcher;

import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.OnboardingConfig;
import io.tenantgate.config.PostgresConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.db.Database;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.DownloadTokens;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.CertStore;
import io.tenantgate.tenant.FileRegistryAdmin;
import io.tenantgate.tenant.MasterKeyCheck;
import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How an operator command finds its store: {@code --config FILE} (the gateway's own configuration:
 * file or Postgres store) or {@code --data DIR} (a {@code tenantgate dev} data directory, whose
 * {@code store.json} says when dev runs on Postgres). Plus {@code --json} for scripts.
 */
final class StoreOptions {
  /** Written by {@code tenantgate dev --store postgres}: where that dev setup keeps its registry. */
  static final String DEV_STORE_FILE = "store.json";

  /** The default configuration, which `tenantgate dev` runs. */
  private static final GatewayConfig DEV_CONFIG = GatewayConfig.parseYaml("""
      edge: {tls: {certFile: s.pem, keyFile: s-key.pem, clientCaFile: root.pem}}
      registry: {file: registry.json}
      routes: [{name: core, pathPrefix: /, upstream: 'http://127.0.0.1:1'}]
      """, null);

  /** The reserved slugs of the default configuration. */
  private static final java.util.Set<String> DEV_RESERVED = io.tenantgate.bridge.NatsBridge.reservedSlugs(
      DEV_CONFIG.nats());

  @Option(names = "--config", paramLabel = "FILE", description = "The gateway configuration whose store to act on.")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "A `tenantgate dev` data directory whose store to act on.")
  Path data;

  @Option(names = "--json", description = "Print JSON for scripts instead of text.")
  boolean json;

  @Option(names = "--actor", paramLabel = "NAME", description = "Who to record in the audit log (default: cli:$USER).")
  String actor;

  private GatewayConfig loaded;

  /**
   * The tenant limits a gateway of this store applies where a tenant has no override: those of
   * {@code --config}, or the built-in defaults `tenantgate dev` runs with. Call after {@link #open}.
   */
  io.tenantgate.quota.EffectiveLimits limitDefaults() {
    GatewayConfig c = loaded != null ? loaded : DEV_CONFIG;
    return io.tenantgate.quota.EffectiveLimits.defaults(c.tenantLimits(), c.nats().publish());
  }

  String actor() {
    return actor != null ? actor : "cli:" + System.getProperty("user.name", "unknown");
  }

  /** Opens the store; blocking (file reads, database connect): call from main, never an event loop. */
  RegistryAdmin open(Vertx vertx) throws IOException {
    if ((config == null) == (data == null)) {
      throw new IllegalArgumentException("give exactly one of --config FILE (a gateway configuration) or --data DIR"
          + " (a `tenantgate dev` data directory)");
    }
    if (config != null) {
      loaded = GatewayConfig.load(config);
      return fromConfig(vertx, loaded);
    }
    Path dir = data.toAbsolutePath().normalize();
    Path pki = dir.resolve("pki");
    if (!Files.isDirectory(pki)) {
      throw new IllegalArgumentException(dir + " is not a tenantgate dev data directory (no pki/): run `tenantgate dev --data "
          + data + "` first");
    }
    CertAndKey root = new CertAndKey(Pem.readCertificates(pki.resolve("root.pem")).get(0),
        Pem.readPrivateKey(pki.resolve("root-key.pem")));
    Path storeFile = dir.resolve(DEV_STORE_FILE);
    if (!Files.exists(storeFile)) {
      return new FileRegistryAdmin(vertx, dir.resolve("registry.json"), pki, root, "serviceradar")
          .reserveSlugs(DEV_RESERVED);
    }
    JsonObject store = new JsonObject(Files.readString(storeFile));
    PostgresConfig pg = new PostgresConfig(store.getString("url"), null, null, 2, store.getString("schema"),
        Duration.ofMillis(50), Duration.ofSeconds(5));
    MasterKey key = MasterKey.load(pki.resolve("master.key"), System.getenv());
    OnboardingConfig o = OnboardingConfig.disabled();
    return postgres(vertx, pg, key, root, "serviceradar", DEV_RESERVED, new PackageStore.Settings(
        store.getString("publicUrl", o.publicUrl()), store.getString("gatewayAddr", o.gatewayAddr()),
        store.getString("serverName", o.serverName()), "serviceradar", "serviceradar.local", o.certValidity(),
        o.packageTtl(), o.maxPackageTtl()));
  }

  private static RegistryAdmin fromConfig(Vertx vertx, GatewayConfig config) throws IOException {
    RegistryConfig r = config.registry();
    CertAndKey root = AdminWiring.root(config);
    String td = config.identity().trustDomain();
    if (r.store() == RegistryConfig.StoreType.FILE) {
      if (root.privateKey() == null) {
        Path devKey = r.file().toAbsolutePath().resolveSibling("pki").resolve("root-key.pem");
        if (Files.exists(devKey)) {
          root = new CertAndKey(root.certificate(), Pem.readPrivateKey(devKey));
        }
      }
      return new FileRegistryAdmin(vertx, r.file(), r.file().toAbsolutePath().resolveSibling("pki"), root, td)
          .reserveSlugs(io.tenantgate.bridge.NatsBridge.reservedSlugs(config.nats()))
          .spiffeTrustDomain(config.identity().spiffeTrustDomain());
    }
    var o = config.onboarding();
    return postgres(vertx, r.postgres(), MasterKey.load(r.masterKeyFile(), System.getenv()), root, td,
        io.tenantgate.bridge.NatsBridge.reservedSlugs(config.nats()), new PackageStore.Settings(o.publicUrl(), o.gatewayAddr(), o.serverName(),
            td, config.identity().spiffeTrustDomain(), o.certValidity(), o.packageTtl(), o.maxPackageTtl()));
  }

  private static RegistryAdmin postgres(Vertx vertx, PostgresConfig pg, MasterKey key, CertAndKey root, String td,
      java.util.Set<String> reserved, PackageStore.Settings settings) {
    Database db = Database.create(vertx, pg, System.getenv());
    try {
      db.migrate().compose(m -> MasterKeyCheck.verify(db.pool(), key, db.schema())).await();
    } catch (RuntimeException e) {
      db.close().await();
      throw new IllegalStateException("postgres store (schema " + pg.schema() + "): " + e.getMessage(), e);
    }
    TenantStore tenants = new TenantStore(vertx, db.pool(), key, root, td).reserveSlugs(reserved);
    PackageStore packages = new PackageStore(vertx, db.pool(), key, root.certificate(), DownloadTokens.fromMasterKey(key),
        settings);
    return RegistryAdmin.of(tenants, new CertStore(db.pool(), tenants), packages,
        "postgres schema " + pg.schema(), td, settings.spiffeTrustDomain(), db::close);
  }
}
