package io.tenantgate.dev;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The laptop setup behind {@code tenantgate dev}: a data directory with a platform root, a server
 * certificate for localhost, tenants {@code acme} and {@code globex} with their CAs and component
 * certificates, and the file registry that names them. Whatever already exists is kept, so
 * restarting dev (or running the CLI against the same directory) sees the same identities.
 *
 * <pre>
 * DIR/pki/root.pem, root-key.pem, server.pem, server-key.pem
 * DIR/pki/tenants/&lt;slug&gt;/ca.pem, ca-key.pem, &lt;component&gt;.pem, &lt;component&gt;-key.pem, &lt;component&gt;-chain.pem
 * DIR/registry.json
 * </pre>
 */
public final class DevEnvironment {
  public static final List<String> TENANTS = List.of("acme", "globex");
  public static final List<String> COMPONENTS = List.of("agent-001", "collector-001");
  private static final Duration ROOT_VALIDITY = Duration.ofDays(3650);
  private static final Duration CA_VALIDITY = Duration.ofDays(1825);
  private static final Duration LEAF_VALIDITY = Duration.ofDays(365);

  private final Path dir;
  private final String trustDomain;

  public DevEnvironment(Path dir, String trustDomain) {
    this.dir = dir.toAbsolutePath().normalize();
    this.trustDomain = trustDomain;
  }

  public Path dir() {
    return dir;
  }

  public Path pki() {
    return dir.resolve("pki");
  }

  public Path registryFile() {
    return dir.resolve("registry.json");
  }

  public Path tenantDir(String slug) {
    return pki().resolve("tenants").resolve(slug);
  }

  /** Creates whatever is missing; returns true when anything was created. */
  public boolean ensure() throws IOException {
    boolean created = ensureBase();
    CertAndKey root = root();
    return ensureFileTenants(root) || created;
  }

  /** The platform root (with its key) of this directory. */
  public CertAndKey root() throws IOException {
    return load(pki().resolve("root.pem"), pki().resolve("root-key.pem"));
  }

  /**
   * The parts every store needs: the platform root, the server certificate, and (for the admin API of
   * the Postgres setup) a platform admin CA with one operator certificate, admin.pem / admin-key.pem.
   */
  public boolean ensureBase() throws IOException {
    Files.createDirectories(pki());
    boolean created = false;
    CertAndKey root;
    Path rootPem = pki().resolve("root.pem");
    if (Files.exists(rootPem)) {
      root = load(rootPem, pki().resolve("root-key.pem"));
    } else {
      root = Pki.createRoot("platform-root.ca." + trustDomain, ROOT_VALIDITY, KeyAlgorithm.EC_P256);
      save(root, rootPem, pki().resolve("root-key.pem"));
      created = true;
    }
    if (!Files.exists(pki().resolve("server.pem"))) {
      CertAndKey server = Pki.issueServer(root, "localhost", List.of("localhost"), List.of("127.0.0.1", "::1"),
          LEAF_VALIDITY, KeyAlgorithm.EC_P256);
      save(server, pki().resolve("server.pem"), pki().resolve("server-key.pem"));
      created = true;
    }
    if (!Files.exists(pki().resolve("admin-ca.pem"))) {
      CertAndKey adminCa = Pki.createRoot("platform-admin.ca." + trustDomain, ROOT_VALIDITY, KeyAlgorithm.EC_P256);
      save(adminCa, pki().resolve("admin-ca.pem"), pki().resolve("admin-ca-key.pem"));
      CertAndKey admin = io.tenantgate.pki.CertificateBuilder.create().subjectCn(ADMIN_CN).issuedBy(adminCa)
          .keyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature).clientAuth().dnsNames(ADMIN_CN).build();
      save(admin, pki().resolve("admin.pem"), pki().resolve("admin-key.pem"));
      created = true;
    }
    return created;
  }

  /** The admin certificate's CN, on the dev admin API's allow-list. */
  public static final String ADMIN_CN = "admin.platform.serviceradar";

  /** The file registry with tenants acme and globex, their CAs and component certificates. */
  public boolean ensureFileTenants(CertAndKey root) throws IOException {
    boolean created = false;
    RegistryFile registry = Files.exists(registryFile())
        ? RegistryFile.parse(Files.readString(registryFile())) : RegistryFile.empty();
    boolean registryChanged = !Files.exists(registryFile());
    for (String slug : TENANTS) {
      Path tdir = tenantDir(slug);
      if (Files.exists(tdir.resolve("ca.pem"))) {
        if (registryChanged) {
          // the registry file was deleted but the PKI kept: register the existing CA again
          UUID id = UUID.randomUUID();
          registry.addTenant(new Tenant(id, slug, displayName(slug), TenantStatus.ACTIVE))
              .addCa(id, Files.readString(tdir.resolve("ca.pem")), TenantStatus.ACTIVE);
        }
        continue;
      }
      Files.createDirectories(tdir);
      CertAndKey ca = Pki.createTenantCa(root, slug, trustDomain, CA_VALIDITY, KeyAlgorithm.EC_P256);
      save(ca, tdir.resolve("ca.pem"), tdir.resolve("ca-key.pem"));
      for (String component : COMPONENTS) {
        issueComponent(ca, slug, component, tdir);
      }
      UUID id = UUID.randomUUID();
      registry.addTenant(new Tenant(id, slug, displayName(slug), TenantStatus.ACTIVE))
          .addCa(id, Pem.certificates(ca.certificate()), TenantStatus.ACTIVE);
      registryChanged = true;
      created = true;
    }
    if (registryChanged) {
      Pem.write(registryFile(), registry.encode(), false);
    }
    return created;
  }

  /** Issues {@code component} for {@code slug} into {@code outDir}: leaf, key and leaf+CA chain. */
  public static void issueComponent(CertAndKey ca, String slug, String component, Path outDir) throws IOException {
    CertAndKey leaf = Pki.issueComponent(ca, ComponentCertSpec.of(component, slug));
    Files.createDirectories(outDir);
    Pem.write(outDir.resolve(component + ".pem"), Pem.certificates(leaf.certificate()), false);
    Pem.write(outDir.resolve(component + "-key.pem"), Pem.privateKey(leaf.privateKey()), true);
    Pem.write(outDir.resolve(component + "-chain.pem"), Pem.certificates(leaf.certificate(), ca.certificate()), false);
  }

  private static CertAndKey load(Path cert, Path key) throws IOException {
    return new CertAndKey(Pem.readCertificates(cert).get(0), Pem.readPrivateKey(key));
  }

  private static void save(CertAndKey ck, Path cert, Path key) throws IOException {
    Pem.write(cert, Pem.certificates(ck.certificate()), false);
    Pem.write(key, Pem.privateKey(ck.privateKey()), true);
  }

  private static String displayName(String slug) {
    return Character.toUpperCase(slug.charAt(0)) + slug.substring(1);
  }
}
