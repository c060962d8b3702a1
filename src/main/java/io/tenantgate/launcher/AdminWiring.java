package io.tenantgate.launcher;

import io.tenantgate.admin.AdminServices;
import io.tenantgate.config.GatewayConfig;
import io.tenantgate.config.RegistryConfig;
import io.tenantgate.identity.TlsMaterial;
import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.DownloadTokens;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.tenant.CertStore;
import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;

/**
 * Builds the stores behind the admin API, the enrollment listener and the CLI from configuration: the
 * platform root that signs tenant CAs (its key optional: without it tenant CAs are requested by CSR),
 * the master key, the token signer and what packages tell edges about the gateway. Reads files:
 * call at start-up, not on an event loop.
 */
final class AdminWiring {
  private AdminWiring() {
  }

  /** The platform root: {@code registry.rootCaCertFile} or the first certificate of the edge's client CA file. */
  static CertAndKey root(GatewayConfig config) throws IOException {
    RegistryConfig r = config.registry();
    Path certFile = r.rootCaCertFile() != null ? r.rootCaCertFile() : config.edge().tls().clientCaFile();
    X509Certificate cert = Pem.readCertificates(certFile).get(0);
    return new CertAndKey(cert, r.rootCaKeyFile() == null ? null : Pem.readPrivateKey(r.rootCaKeyFile()));
  }

  static AdminServices services(Vertx vertx, GatewayConfig config, Pool pool, MasterKey masterKey, CertAndKey root,
      Supplier<Future<List<JsonObject>>> connections, io.tenantgate.quota.EffectiveLimits limitDefaults) {
    String td = config.identity().trustDomain();
    TenantStore tenants = new TenantStore(vertx, pool, masterKey, root, td)
        .reserveSlugs(io.tenantgate.bridge.NatsBridge.reservedSlugs(config.nats()));
    var o = config.onboarding();
    PackageStore packages = new PackageStore(vertx, pool, masterKey, root.certificate(),
        DownloadTokens.fromMasterKey(masterKey), new PackageStore.Settings(o.publicUrl(), o.gatewayAddr(),
        o.serverName(), td, config.identity().spiffeTrustDomain(), o.certValidity(), o.packageTtl(), o.maxPackageTtl()));
    return new AdminServices(tenants, new CertStore(pool, tenants), packages, connections, td,
        config.identity().spiffeTrustDomain(), limitDefaults);
  }

  /**
   * The admin CA must be its own: if it were (or were signed by) the edge's platform root, any tenant
   * could get a certificate that passes the admin handshake, and with a CN on the allow-list (a tenant
   * named {@code platform}, a component named {@code admin}) become a platform admin. Refused at start.
   */
  static void requireSeparateAdminCa(String adminCaPem, Path edgeRoots) throws IOException {
    List<X509Certificate> admin = Pem.readCertificates(adminCaPem);
    if (admin.isEmpty()) {
      throw new IllegalArgumentException("admin.clientCaFile holds no certificate");
    }
    for (X509Certificate e : Pem.readCertificates(edgeRoots)) {
      for (X509Certificate a : admin) {
        boolean same = java.util.Arrays.equals(a.getPublicKey().getEncoded(), e.getPublicKey().getEncoded());
        boolean signedByEdgeRoot;
        try {
          a.verify(e.getPublicKey());
          signedByEdgeRoot = true;
        } catch (java.security.GeneralSecurityException notByIt) {
          signedByEdgeRoot = false;
        }
        if (same || signedByEdgeRoot) {
          throw new IllegalArgumentException("admin.clientCaFile must be a separate platform admin CA: "
              + a.getSubjectX500Principal().getName() + (same ? " is" : " is signed by") + " the edge root "
              + e.getSubjectX500Principal().getName() + " (edge.tls.clientCaFile), so tenant certificates could"
              + " reach the admin API");
        }
      }
    }
  }

  /** The PEM pair a side listener serves: its own when configured, else the edge's. */
  static String[] serverPems(Path certFile, Path keyFile, TlsMaterial edge) throws IOException {
    if (certFile == null) {
      return new String[] {edge.certPem(), edge.keyPem()};
    }
    return new String[] {Files.readString(certFile, StandardCharsets.US_ASCII),
        Files.readString(keyFile, StandardCharsets.US_ASCII)};
  }
}
