package io.tenantgate.launcher;

import io.tenantgate.dev.DevEnvironment;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.RegistryAdmin;
import io.tenantgate.tenant.Tenant;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tenantgate dev --store postgres}: the dev setup with its registry in Postgres, the admin API
 * and the enrollment listener on. The data directory keeps the PKI files, a master key
 * ({@code pki/master.key}) and {@code store.json}, which tells the CLI (`--data DIR`) where the store is.
 */
final class DevPostgres {
  private DevPostgres() {
  }

  static boolean ensure(DevEnvironment env, DevCommand cmd) throws IOException {
    boolean created = env.ensureBase();
    Path keyFile = env.pki().resolve("master.key");
    if (!Files.exists(keyFile)) {
      Pem.write(keyFile, MasterKey.generate().toBase64() + "\n", true);
      created = true;
    }
    JsonObject store = new JsonObject().put("store", "postgres").put("url", cmd.dbUrl).put("schema", cmd.dbSchema)
        .put("publicUrl", "https://localhost:" + cmd.enrollPort).put("gatewayAddr", "localhost:" + cmd.edgePort)
        .put("serverName", "localhost");
    Pem.write(env.dir().resolve(StoreOptions.DEV_STORE_FILE), store.encodePrettily() + "\n", false);
    StoreOptions options = new StoreOptions();
    options.data = env.dir();
    options.actor = "dev";
    Vertx vertx = Vertx.vertx();
    RegistryAdmin admin = null;
    try {
      admin = options.open(vertx);
      List<String> known = admin.listTenants().await().stream().map(Tenant::slug).toList();
      for (String slug : DevEnvironment.TENANTS) {
        if (!known.contains(slug)) {
          admin.createTenant(slug, Character.toUpperCase(slug.charAt(0)) + slug.substring(1), "dev").await();
          created = true;
        }
        for (String component : DevEnvironment.COMPONENTS) {
          Path dir = env.tenantDir(slug);
          if (Files.exists(dir.resolve(component + "-chain.pem")) && known.contains(slug)) {
            continue;
          }
          var issued = admin.issueComponent(io.tenantgate.pki.ComponentCertSpec.of(component, slug), "dev").await();
          Pem.write(dir.resolve(component + ".pem"), Pem.certificates(issued.leaf().certificate()), false);
          Pem.write(dir.resolve(component + "-key.pem"), Pem.privateKey(issued.leaf().privateKey()), true);
          Pem.write(dir.resolve(component + "-chain.pem"),
              Pem.certificates(issued.leaf().certificate(), issued.tenantCa()), false);
          created = true;
        }
      }
    } finally {
      if (admin != null) {
        admin.close().await();
      }
      vertx.close().await();
    }
    return created;
  }

  static void configure(Map<String, Object> cfg, DevEnvironment env, DevCommand cmd) {
    Map<String, Object> pg = new LinkedHashMap<>();
    pg.put("url", cmd.dbUrl);
    pg.put("schema", cmd.dbSchema);
    Map<String, Object> registry = new LinkedHashMap<>();
    registry.put("store", "postgres");
    registry.put("postgres", pg);
    registry.put("masterKeyFile", env.pki().resolve("master.key").toString());
    registry.put("rootCaKeyFile", env.pki().resolve("root-key.pem").toString());
    cfg.put("registry", registry);
    cfg.put("admin", Map.of("enabled", true, "host", cmd.host, "port", cmd.adminPort,
        "clientCaFile", env.pki().resolve("admin-ca.pem").toString(),
        "allowedSubjects", List.of(DevEnvironment.ADMIN_CN)));
    cfg.put("onboarding", Map.of("enabled", true, "host", cmd.host, "port", cmd.enrollPort,
        "publicUrl", "https://localhost:" + cmd.enrollPort, "gatewayAddr", "localhost:" + cmd.edgePort,
        "serverName", "localhost"));
  }

  static String walkthrough(DevEnvironment env, Gateway gw, DevCommand cmd) {
    Path pki = env.pki();
    return """
          # admin API (mTLS with the dev admin certificate): tenants, packages, certificates, connections
          curl --cacert %1$s --cert %2$s --key %3$s https://localhost:%4$d/api/v1/tenants

          # onboard an edge: create a package, download it once with its token
          ./tenantgate package create --data %5$s --tenant acme --component agent-002 --json
          curl --cacert %1$s -X POST -H "x-serviceradar-download-token: $TOKEN" -o edge-package.tar.gz \\
               https://localhost:%6$d/api/edge-packages/$PACKAGE_ID/bundle

          # operator CLI on this data directory (the running gateway applies changes within a second)
          ./tenantgate tenant create --data %5$s --slug initech
          ./tenantgate cert issue --data %5$s --tenant initech --component agent-009 --out /tmp/initech
          ./tenantgate cert revoke --data %5$s --serial HEX
          ./tenantgate tenant suspend --data %5$s --slug initech
        """.formatted(pki.resolve("root.pem"), pki.resolve("admin.pem"), pki.resolve("admin-key.pem"), gw.adminPort(),
        env.dir(), gw.enrollPort());
  }
}
