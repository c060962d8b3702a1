package io.tenantgate.testing;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.CertificateBuilder;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.x509.KeyUsage;

/**
 * The named test PKI, generated in code once per test JVM: a platform root, the gateway's server
 * certificate, tenant CAs and the file registry that binds them, plus factories for good and bad
 * client certificates. Everything is written under one temporary directory.
 *
 * <ul>
 *   <li>acme (active): CA {@link #acmeCa} (name-constrained), {@link #acmeLegacyCa} (no name constraints,
 *       active), {@link #acmeRetiredCa} (disabled)</li>
 *   <li>globex (active): {@link #globexCa}</li>
 *   <li>initech (suspended): {@link #initechCa}</li>
 *   <li>{@link #unregisteredCa}: signed by the platform root, in no registry</li>
 *   <li>{@link #foreignRoot} / {@link #foreignCa}: another PKI altogether</li>
 * </ul>
 */
public final class TestPki {
  public static final String TD = "serviceradar";
  public static final UUID ACME_ID = UUID.fromString("00000000-0000-4000-8000-000000000001");
  public static final UUID GLOBEX_ID = UUID.fromString("00000000-0000-4000-8000-000000000002");
  public static final UUID INITECH_ID = UUID.fromString("00000000-0000-4000-8000-000000000003");
  private static final Duration YEAR = Duration.ofDays(365);
  private static TestPki instance;

  public final Path dir;
  public final CertAndKey root;
  public final CertAndKey server;
  public final CertAndKey acmeCa;
  public final CertAndKey acmeLegacyCa;
  public final CertAndKey acmeRetiredCa;
  public final CertAndKey globexCa;
  public final CertAndKey initechCa;
  public final CertAndKey unregisteredCa;
  public final CertAndKey foreignRoot;
  public final CertAndKey foreignCa;
  private int counter;

  /** The shared instance (generation costs ~1 s). */
  public static synchronized TestPki get() {
    if (instance == null) {
      instance = new TestPki();
    }
    return instance;
  }

  private TestPki() {
    try {
      dir = Files.createTempDirectory("tenantgate-pki");
      dir.toFile().deleteOnExit();
      root = Pki.createRoot("platform-root.ca." + TD, Duration.ofDays(3650), KeyAlgorithm.EC_P256);
      server = Pki.issueServer(root, "localhost", List.of("localhost"), List.of("127.0.0.1"), YEAR, KeyAlgorithm.EC_P256);
      acmeCa = Pki.createTenantCa(root, "acme", TD, YEAR, KeyAlgorithm.EC_P256);
      acmeLegacyCa = CertificateBuilder.create().subjectCn("tenant-acme-legacy.ca." + TD).keyAlgorithm(KeyAlgorithm.EC_P256)
          .issuedBy(root).ca(0).keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign).build();
      acmeRetiredCa = Pki.createTenantCa(root, "acme", TD, YEAR, KeyAlgorithm.EC_P256);
      globexCa = Pki.createTenantCa(root, "globex", TD, YEAR, KeyAlgorithm.EC_P256);
      initechCa = Pki.createTenantCa(root, "initech", TD, YEAR, KeyAlgorithm.EC_P256);
      unregisteredCa = Pki.createTenantCa(root, "hooli", TD, YEAR, KeyAlgorithm.EC_P256);
      foreignRoot = Pki.createRoot("other-root", Duration.ofDays(3650), KeyAlgorithm.EC_P256);
      foreignCa = Pki.createTenantCa(foreignRoot, "acme", TD, YEAR, KeyAlgorithm.EC_P256);
      Pem.write(rootPem(), Pem.certificates(root.certificate()), false);
      Pem.write(serverPem(), Pem.certificates(server.certificate()), false);
      Pem.write(serverKeyPem(), Pem.privateKey(server.privateKey()), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path rootPem() {
    return dir.resolve("root.pem");
  }

  public Path serverPem() {
    return dir.resolve("server.pem");
  }

  public Path serverKeyPem() {
    return dir.resolve("server-key.pem");
  }

  /** A fresh registry document: acme, globex active, initech suspended; the CAs above; no revocations. */
  public RegistryFile registry() {
    return RegistryFile.empty()
        .addTenant(new Tenant(ACME_ID, "acme", "Acme", TenantStatus.ACTIVE))
        .addTenant(new Tenant(GLOBEX_ID, "globex", "Globex", TenantStatus.ACTIVE))
        .addTenant(new Tenant(INITECH_ID, "initech", "Initech", TenantStatus.SUSPENDED))
        .addCa(ACME_ID, Pem.certificates(acmeCa.certificate()), TenantStatus.ACTIVE)
        .addCa(ACME_ID, Pem.certificates(acmeLegacyCa.certificate()), TenantStatus.ACTIVE)
        .addCa(ACME_ID, Pem.certificates(acmeRetiredCa.certificate()), TenantStatus.DISABLED)
        .addCa(GLOBEX_ID, Pem.certificates(globexCa.certificate()), TenantStatus.ACTIVE)
        .addCa(INITECH_ID, Pem.certificates(initechCa.certificate()), TenantStatus.ACTIVE);
  }

  /** A component certificate from {@code ca} made the product's way, written as files. */
  public ClientCert component(CertAndKey ca, String componentId, String slug) {
    return write(Pki.issueComponent(ca, ComponentCertSpec.of(componentId, slug)), ca);
  }

  public ClientCert component(CertAndKey ca, ComponentCertSpec spec) {
    return write(Pki.issueComponent(ca, spec), ca);
  }

  /**
   * A client certificate shaped by {@code shape} (start from {@link #leafBuilder}), for bad cases the
   * product would never issue.
   */
  public ClientCert custom(CertAndKey ca, UnaryOperator<CertificateBuilder> shape) {
    return write(shape.apply(CertificateBuilder.create().issuedBy(ca).keyAlgorithm(KeyAlgorithm.EC_P256)).build(), ca);
  }

  /** A well-formed client leaf for {@code cn} (SAN DNS = CN, EKU clientAuth, digitalSignature). */
  public static CertificateBuilder leafBuilder(CertificateBuilder b, String cn) {
    return b.subjectCn(cn).dnsNames(cn).clientAuth().keyUsage(KeyUsage.digitalSignature);
  }

  public static CertificateBuilder validity(CertificateBuilder b, Instant from, Instant to) {
    return b.validity(from, to);
  }

  private synchronized ClientCert write(CertAndKey leaf, CertAndKey ca) {
    try {
      String name = "client-" + (++counter);
      Path cert = dir.resolve(name + ".pem");
      Path key = dir.resolve(name + "-key.pem");
      Path chain = dir.resolve(name + "-chain.pem");
      Pem.write(cert, Pem.certificates(leaf.certificate()), false);
      Pem.write(key, Pem.privateKey(leaf.privateKey()), true);
      Pem.write(chain, Pem.certificates(leaf.certificate(), ca.certificate()), false);
      return new ClientCert(leaf, cert, key, chain, Fingerprints.serialHex(leaf.certificate().getSerialNumber()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A client certificate on disk: the leaf alone, its key, and leaf + issuing CA. */
  public record ClientCert(CertAndKey certAndKey, Path certPem, Path keyPem, Path chainPem, String serialHex) {
  }
}
