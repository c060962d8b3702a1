package io.tenantgate.pki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The onboarding bundle an edge downloads once (DESIGN.md section 4): a {@code .tar.gz} whose
 * single top directory {@code edge-package-<id8>/} holds the component certificate, its key
 * ({@code 0600}), the CA chain, the ServiceRadar config as YAML and JSON, {@code install.sh} and a
 * README.
 *
 * <p>Built in memory and never written here: the caller streams the bytes to the one download that
 * the token allows. Entries are owned by root (uid/gid 0), stamped with the build time, and always
 * in the same order.
 */
public final class EdgePackage {

  /** Where {@code install.sh} puts the files when {@link Contents#installDir()} is null. */
  public static final String DEFAULT_INSTALL_DIR = "/etc/serviceradar";

  private static final int FILE = 0100000;
  private static final int DIRECTORY = 040000;
  private static final int PUBLIC = 0644;
  private static final int SECRET = 0600;
  private static final int EXECUTABLE = 0755;

  private EdgePackage() {
  }

  /** {@code edge-package-<first 8 hex digits of the id>.tar.gz}. */
  /** The component configuration (config/config.json) alone: what a CSR enrollment returns next to the certificate. */
  public static String configJson(Contents contents) {
    return EdgePackageFiles.configJson(contents);
  }

  public static String fileName(UUID packageId) {
    return directoryName(packageId) + ".tar.gz";
  }

  /** The bundle's bytes (gzip-compressed tar). */
  public static byte[] build(Contents contents) {
    Objects.requireNonNull(contents.leafKey(), "a bundle needs the component's private key");
    Objects.requireNonNull(contents, "contents");
    String top = directoryName(contents.packageId()) + "/";
    String config = EdgePackageFiles.configJson(contents);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FileTime now = FileTime.from(Instant.now());
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes), "UTF-8")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      directory(tar, top, now);
      file(tar, top + "README.md", PUBLIC, EdgePackageFiles.readme(contents), now);
      file(tar, top + "install.sh", EXECUTABLE, EdgePackageFiles.installScript(contents), now);
      directory(tar, top + "certs/", now);
      file(tar, top + "certs/component.pem", PUBLIC, Pem.certificates(contents.leaf()), now);
      file(tar, top + "certs/component-key.pem", SECRET, Pem.privateKey(contents.leafKey()), now);
      file(tar, top + "certs/ca-chain.pem", PUBLIC, Pem.certificates(contents.caChain()), now);
      directory(tar, top + "config/", now);
      file(tar, top + "config/config.yaml", PUBLIC, EdgePackageFiles.configYaml(contents), now);
      file(tar, top + "config/config.json", PUBLIC, config, now);
      tar.finish();
    } catch (IOException e) {
      throw new IllegalStateException("cannot write edge package archive in memory", e);
    }
    return bytes.toByteArray();
  }

  static String directoryName(UUID packageId) {
    Objects.requireNonNull(packageId, "packageId");
    return "edge-package-" + packageId.toString().replace("-", "").substring(0, 8);
  }

  private static void directory(TarArchiveOutputStream tar, String name, FileTime time)
      throws IOException {
    tar.putArchiveEntry(entry(name, DIRECTORY | EXECUTABLE, 0, time));
    tar.closeArchiveEntry();
  }

  private static void file(TarArchiveOutputStream tar, String name, int permissions, String text,
      FileTime time) throws IOException {
    byte[] content = text.getBytes(StandardCharsets.UTF_8);
    tar.putArchiveEntry(entry(name, FILE | permissions, content.length, time));
    tar.write(content);
    tar.closeArchiveEntry();
  }

  private static TarArchiveEntry entry(String name, int mode, long size, FileTime time) {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(mode);
    entry.setSize(size);
    entry.setLastModifiedTime(time);
    entry.setUserId(0);
    entry.setGroupId(0);
    // the default would be the name of the user running the gateway
    entry.setUserName("root");
    entry.setGroupName("root");
    return entry;
  }

  /**
   * Everything one package holds. Validated when made: names through {@link Names}, the leaf's CN
   * must be {@code <componentId>[.<partitionId>].<tenantSlug>.<trust domain>}, the key must be the
   * leaf's, and the leaf must be signed by the first chain certificate.
   *
   * @param partitionId null is stored as {@code "default"}
   * @param subjectPrefix the tenant's NATS subject prefix: dot-separated {@code [A-Za-z0-9_-]} tokens
   * @param gatewayAddr {@code host:port} the edge dials
   * @param serverName the name the edge verifies in the gateway's certificate
   * @param caChain tenant CA first, then the platform root, written in this order
   * @param installDir absolute directory for {@code install.sh}; null means
   *     {@value EdgePackage#DEFAULT_INSTALL_DIR}
   */
  public record Contents(UUID packageId, UUID tenantId, String tenantSlug, String componentId,
      String componentType, String partitionId, String subjectPrefix, String gatewayAddr,
      String serverName, X509Certificate leaf, PrivateKey leafKey, List<X509Certificate> caChain,
      String installDir) {

    private static final Pattern SUBJECT_PREFIX =
        Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*");
    private static final Pattern GATEWAY_ADDR = Pattern.compile("[A-Za-z0-9.\\-\\[\\]:]+:[0-9]{1,5}");
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern INSTALL_DIR = Pattern.compile("(/[A-Za-z0-9._-]+)+");

    public Contents {
      Objects.requireNonNull(packageId, "packageId");
      Objects.requireNonNull(tenantId, "tenantId");
      partitionId = partitionId == null ? ComponentCertSpec.DEFAULT_PARTITION : partitionId;
      installDir = installDir == null ? DEFAULT_INSTALL_DIR : installDir;
      Names.requireSlug("tenant slug", tenantSlug);
      Names.requireId("component id", componentId);
      Names.requireSlug("component type", componentType);
      Names.requireId("partition id", partitionId);
      require(subjectPrefix != null && subjectPrefix.length() <= 128
          && SUBJECT_PREFIX.matcher(subjectPrefix).matches(), "NATS subject prefix", subjectPrefix,
          "dot-separated tokens of [A-Za-z0-9_-], no wildcards, at most 128 characters");
      require(gatewayAddr != null && gatewayAddr.length() <= 255
          && GATEWAY_ADDR.matcher(gatewayAddr).matches() && port(gatewayAddr) <= 65535,
          "gateway address", gatewayAddr, "host:port");
      require(Names.isDomain(serverName)
          || (serverName != null && IP_LITERAL.matcher(serverName).matches()),
          "gateway server name", serverName, "a lowercase DNS name or an IP address");
      require(installDir.length() <= 255 && INSTALL_DIR.matcher(installDir).matches(),
          "install directory", installDir,
          "an absolute path of [A-Za-z0-9._-] segments without a trailing '/'");
      Objects.requireNonNull(leaf, "leaf");
      caChain = List.copyOf(caChain);
      if (caChain.isEmpty()) {
        throw new IllegalArgumentException("caChain must hold the tenant CA and the root");
      }
      requireLeafName(leaf, componentId, partitionId, tenantSlug);
      if (leafKey != null) {
        requireMatchingKey(leaf, leafKey);
      }
      requireIssuedBy(leaf, caChain.get(0));
    }

    /** Leaves the private key out. */
    @Override
    public String toString() {
      return "Contents[packageId=" + packageId + ", tenant=" + tenantSlug + ", component="
          + componentId + ", leaf=" + leaf.getSubjectX500Principal().getName() + "]";
    }

    /** The leaf certificate's subject CN. */
    String commonName() {
      return commonNameOf(leaf);
    }

    private static int port(String address) {
      return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private static void require(boolean ok, String what, String value, String expected) {
      if (!ok) {
        throw new IllegalArgumentException(
            "invalid " + what + " '" + value + "': expected " + expected);
      }
    }

    private static void requireLeafName(X509Certificate leaf, String componentId,
        String partitionId, String tenantSlug) {
      String prefix = componentId + "."
          + (ComponentCertSpec.DEFAULT_PARTITION.equals(partitionId) ? "" : partitionId + ".")
          + tenantSlug + ".";
      String cn = commonNameOf(leaf);
      if (cn == null || !cn.startsWith(prefix) || cn.length() == prefix.length()) {
        throw new IllegalArgumentException("leaf certificate CN '" + cn + "' does not name component "
            + componentId + " of tenant " + tenantSlug + " (expected " + prefix + "<trust domain>)");
      }
    }

    private static void requireMatchingKey(X509Certificate leaf, PrivateKey leafKey) {
      boolean matches;
      try {
        String algorithm = CertificateBuilder.signatureAlgorithm(leafKey);
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(leafKey);
        signer.update(challenge);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(leaf.getPublicKey());
        verifier.update(challenge);
        matches = verifier.verify(signature);
      } catch (GeneralSecurityException e) {
        matches = false;
      }
      if (!matches) {
        throw new IllegalArgumentException("leaf private key does not belong to the leaf certificate "
            + leaf.getSubjectX500Principal().getName());
      }
    }

    private static void requireIssuedBy(X509Certificate leaf, X509Certificate issuer) {
      try {
        leaf.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("leaf certificate is not signed by the first caChain"
            + " certificate " + issuer.getSubjectX500Principal().getName()
            + " (caChain must start with the tenant CA)");
      }
    }

    private static String commonNameOf(X509Certificate certificate) {
      X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
      RDN[] cns = subject.getRDNs(BCStyle.CN);
      if (cns.length != 1 || !(cns[0].getFirst().getValue() instanceof ASN1String)) {
        return null;
      }
      return ((ASN1String) cns[0].getFirst().getValue()).getString();
    }
  }
}
