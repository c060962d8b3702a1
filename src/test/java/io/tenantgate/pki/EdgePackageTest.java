package io.tenantgate.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgePackageTest {

  private static final UUID PACKAGE_ID = UUID.fromString("9c1e3f2a-7b4d-4e8a-9f10-2b3c4d5e6f70");
  private static final UUID TENANT_ID = UUID.fromString("11111111-2222-4333-8444-555555555555");
  private static final String TOP = "edge-package-9c1e3f2a/";
  private static final String CN = "agent-001.acme.serviceradar";

  private static CertAndKey root;
  private static CertAndKey acme;
  private static CertAndKey leaf;

  @BeforeAll
  static void createHierarchy() {
    root = Pki.createRoot("tenantgate test root", Duration.ofDays(30), KeyAlgorithm.EC_P256);
    acme = Pki.createTenantCa(root, "acme", "serviceradar", Duration.ofDays(20),
        KeyAlgorithm.EC_P256);
    leaf = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "acme"));
  }

  @Test
  void theFileNameUsesTheFirstEightHexDigitsOfThePackageId() {
    assertEquals("edge-package-9c1e3f2a.tar.gz", EdgePackage.fileName(PACKAGE_ID));
    assertEquals("edge-package-0000abcd.tar.gz",
        EdgePackage.fileName(UUID.fromString("0000ABCD-0000-4000-8000-000000000000")));
  }

  @Test
  void theBundleHoldsTheDocumentedEntriesInOrderOwnedByRootAndStampedNow() throws Exception {
    Instant before = Instant.now();
    Map<String, Entry> entries = untar(EdgePackage.build(contents(null)));
    Instant after = Instant.now();
    assertEquals(List.of(TOP, TOP + "README.md", TOP + "install.sh", TOP + "certs/",
        TOP + "certs/component.pem", TOP + "certs/component-key.pem", TOP + "certs/ca-chain.pem",
        TOP + "config/", TOP + "config/config.yaml", TOP + "config/config.json"),
        List.copyOf(entries.keySet()));
    Map<String, Integer> modes = Map.of(TOP, 0755, TOP + "README.md", 0644,
        TOP + "install.sh", 0755, TOP + "certs/", 0755, TOP + "certs/component.pem", 0644,
        TOP + "certs/component-key.pem", 0600, TOP + "certs/ca-chain.pem", 0644,
        TOP + "config/", 0755, TOP + "config/config.yaml", 0644, TOP + "config/config.json", 0644);
    for (Entry e : entries.values()) {
      TarArchiveEntry h = e.header;
      assertEquals(modes.get(h.getName()), h.getMode() & 07777, h.getName());
      assertEquals(h.getName().endsWith("/"), h.isDirectory(), h.getName());
      assertTrue(h.isDirectory() || h.isFile(), h.getName());
      assertEquals(0L, h.getLongUserId(), h.getName());
      assertEquals(0L, h.getLongGroupId(), h.getName());
      assertEquals("root", h.getUserName());
      assertEquals("root", h.getGroupName());
      Instant mtime = h.getLastModifiedTime().toInstant();
      assertFalse(mtime.isBefore(before.minusSeconds(1)) || mtime.isAfter(after.plusSeconds(1)),
          h.getName() + " mtime " + mtime);
      assertEquals(h.getSize(), e.content.length);
    }
  }

  @Test
  void theCertificateKeyAndChainAreTheIssuedOnesAndVerifyFromTheRoot() throws Exception {
    Map<String, Entry> entries = untar(EdgePackage.build(contents(null)));
    List<X509Certificate> component = Pem.readCertificates(text(entries, "certs/component.pem"));
    assertEquals(List.of(leaf.certificate()), component);
    String keyPem = text(entries, "certs/component-key.pem");
    assertTrue(keyPem.startsWith("-----BEGIN PRIVATE KEY-----\n"), "PKCS#8");
    PrivateKey key = Pem.readPrivateKey(keyPem);
    assertArrayEquals(leaf.privateKey().getEncoded(), key.getEncoded());
    assertTrue(keyMatches(key, component.get(0)));
    List<X509Certificate> chain = Pem.readCertificates(text(entries, "certs/ca-chain.pem"));
    assertEquals(List.of(acme.certificate(), root.certificate()), chain);
    Chains.validate(chain.get(1), component.get(0), chain.get(0));
  }

  @Test
  void yamlAndJsonConfigsCarryTheServiceRadarKeysWithTheSameContent() throws Exception {
    Map<String, Entry> entries = untar(EdgePackage.build(contents(null)));
    JsonNode json = new ObjectMapper().readTree(text(entries, "config/config.json"));
    JsonNode yaml = new YAMLMapper().readTree(text(entries, "config/config.yaml"));
    assertEquals(json, yaml);
    List<String> keys = new ArrayList<>();
    json.fieldNames().forEachRemaining(keys::add);
    assertEquals(List.of("component_type", "agent_id", "gateway_addr", "gateway_security",
        "partition", "tenant_id", "tenant_slug", "nats"), keys);
    assertEquals("agent", json.get("component_type").textValue());
    assertEquals("agent-001", json.get("agent_id").textValue());
    assertEquals("gw.example:50052", json.get("gateway_addr").textValue());
    JsonNode security = json.get("gateway_security");
    assertEquals("mtls", security.get("mode").textValue());
    assertEquals("gw.example", security.get("server_name").textValue());
    assertEquals("/etc/serviceradar/certs/component.pem",
        security.get("tls").get("cert_file").textValue());
    assertEquals("/etc/serviceradar/certs/component-key.pem",
        security.get("tls").get("key_file").textValue());
    assertEquals("/etc/serviceradar/certs/ca-chain.pem",
        security.get("tls").get("ca_file").textValue());
    assertEquals("default", json.get("partition").textValue());
    assertEquals(TENANT_ID.toString(), json.get("tenant_id").textValue());
    assertEquals("acme", json.get("tenant_slug").textValue());
    assertEquals("acme", json.get("nats").get("subject_prefix").textValue());
    assertFalse(text(entries, "config/config.yaml").startsWith("---"));
  }

  @Test
  void anInstallDirectoryAndPartitionFlowIntoConfigScriptAndReadme() throws Exception {
    CertAndKey siteLeaf = Pki.issueComponent(acme,
        ComponentCertSpec.of("agent-001", "acme").withPartitionId("site-1"));
    EdgePackage.Contents c = new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001",
        "agent", "site-1", "acme", "gw.example:50052", "gw.example", siteLeaf.certificate(),
        siteLeaf.privateKey(), List.of(acme.certificate(), root.certificate()), "/opt/sr");
    Map<String, Entry> entries = untar(EdgePackage.build(c));
    JsonNode json = new ObjectMapper().readTree(text(entries, "config/config.json"));
    assertEquals("site-1", json.get("partition").textValue());
    assertEquals("/opt/sr/certs/component-key.pem",
        json.get("gateway_security").get("tls").get("key_file").textValue());
    assertTrue(text(entries, "install.sh").contains("INSTALL_DIR='/opt/sr'"));
    assertTrue(text(entries, "README.md").contains("agent-001.site-1.acme.serviceradar"));
    assertTrue(text(entries, "README.md").contains("`/opt/sr/certs`"));
  }

  @Test
  void theReadmeNamesTheIdentityTenantInstallStepsSecrecyAndVerification() throws Exception {
    String readme = text(untar(EdgePackage.build(contents(null))), "README.md");
    for (String expected : List.of(CN, "`acme`", TENANT_ID.toString(), "gw.example:50052",
        "tar xzf edge-package-9c1e3f2a.tar.gz", "cd edge-package-9c1e3f2a", "sudo sh install.sh",
        "/etc/serviceradar/certs", "INSTALL_DIR", "**secret**", "Keep the key secret",
        "openssl verify -CAfile certs/ca-chain.pem certs/component.pem")) {
      assertTrue(readme.contains(expected), "README lacks " + expected + ":\n" + readme);
    }
  }

  @Test
  void twoBuildsHaveTheSameEntriesAndContentInTheSameOrder() throws Exception {
    Map<String, Entry> first = untar(EdgePackage.build(contents(null)));
    Map<String, Entry> second = untar(EdgePackage.build(contents(null)));
    assertEquals(List.copyOf(first.keySet()), List.copyOf(second.keySet()));
    for (String name : first.keySet()) {
      assertArrayEquals(first.get(name).content, second.get(name).content, name);
    }
  }

  @Test
  void anRsaLeafIsPackagedToo() throws Exception {
    CertAndKey rsa = Pki.issueComponent(acme,
        ComponentCertSpec.of("agent-001", "acme").withKeyAlgorithm(KeyAlgorithm.RSA_2048));
    EdgePackage.Contents c = contents(null, rsa.certificate(), rsa.privateKey(),
        List.of(acme.certificate(), root.certificate()));
    PrivateKey key = Pem.readPrivateKey(text(untar(EdgePackage.build(c)), "certs/component-key.pem"));
    assertEquals("RSA", key.getAlgorithm());
    assertTrue(keyMatches(key, rsa.certificate()));
  }

  @Test
  void theOpensslVerifyCommandFromTheReadmeSucceeds(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("openssl"), "openssl not installed");
    Path top = extract(EdgePackage.build(contents(null)), dir);
    Result r = run(top, Map.of(), "openssl", "verify", "-CAfile", "certs/ca-chain.pem",
        "certs/component.pem");
    assertEquals(0, r.exit, r.output);
    assertEquals("certs/component.pem: OK", r.output.strip());
  }

  @Test
  void installShIsPosixShellThatInstallsWithTheRightModesAndCanRunTwice(@TempDir Path dir)
      throws Exception {
    assumeTrue(onPath("sh"), "no sh");
    Path top = extract(EdgePackage.build(contents(null)), dir.resolve("unpacked"));
    if (onPath("dash")) {
      assertEquals(0, run(top, Map.of(), "dash", "-n", "install.sh").exit, "dash -n");
    }
    Path target = dir.resolve("target dir with space");
    Map<String, String> env = Map.of("INSTALL_DIR", target.toString());

    Result first = run(top, env, "sh", "install.sh");
    assertEquals(0, first.exit, first.output);
    Map<String, String> installed = Map.of("certs/component.pem", "rw-r--r--",
        "certs/component-key.pem", "rw-------", "certs/ca-chain.pem", "rw-r--r--",
        "config/config.yaml", "rw-r--r--", "config/config.json", "rw-r--r--");
    for (Map.Entry<String, String> file : installed.entrySet()) {
      Path path = target.resolve(file.getKey());
      assertArrayEquals(Files.readAllBytes(top.resolve(file.getKey())), Files.readAllBytes(path));
      assertEquals(file.getValue(),
          PosixFilePermissions.toString(Files.getPosixFilePermissions(path)), file.getKey());
      assertTrue(first.output.contains("installed " + path + " (mode "), first.output);
    }
    assertEquals("rwxr-xr-x",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("certs"))));
    try (var listing = Files.list(target.resolve("certs"))) {
      assertEquals(3, listing.count(), "no temporary files left behind");
    }

    Files.setPosixFilePermissions(target.resolve("certs/component-key.pem"),
        Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OTHERS_READ));
    Result second = run(top, env, "sh", "install.sh");
    assertEquals(0, second.exit, second.output);
    assertTrue(second.output.contains("unchanged " + target.resolve("certs/component-key.pem")),
        second.output);
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(target.resolve("certs/component-key.pem"))));

    String uid = String.valueOf(Files.getAttribute(target, "unix:uid"));
    Result owned = run(top, Map.of("INSTALL_DIR", target.toString(), "INSTALL_OWNER", uid),
        "sh", "install.sh");
    assertEquals(0, owned.exit, owned.output);
    assertTrue(owned.output.contains("owner     " + uid), owned.output);
  }

  @Test
  void installShRefusesToRunWithoutRootUnlessInstallDirIsSet(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("sh"), "no sh");
    Path defaultDir = dir.resolve("default-target");
    EdgePackage.Contents c = new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001",
        "agent", null, "acme", "gw.example:50052", "gw.example", leaf.certificate(),
        leaf.privateKey(), List.of(acme.certificate(), root.certificate()), defaultDir.toString());
    Path top = extract(EdgePackage.build(c), dir.resolve("unpacked"));
    Path fakeBin = Files.createDirectories(dir.resolve("bin"));
    Path id = fakeBin.resolve("id");
    Files.writeString(id, "#!/bin/sh\necho 1000\n");
    Files.setPosixFilePermissions(id, PosixFilePermissions.fromString("rwxr-xr-x"));
    String path = fakeBin + ":" + System.getenv("PATH");

    Result refused = run(top, Map.of("PATH", path), "sh", "install.sh");
    assertEquals(1, refused.exit, refused.output);
    assertTrue(refused.output.contains("needs root"), refused.output);
    assertFalse(Files.exists(defaultDir), "nothing installed");

    Path elsewhere = dir.resolve("elsewhere");
    Result allowed = run(top, Map.of("PATH", path, "INSTALL_DIR", elsewhere.toString()),
        "sh", "install.sh");
    assertEquals(0, allowed.exit, allowed.output);
    assertTrue(Files.isRegularFile(elsewhere.resolve("certs/component-key.pem")));
  }

  @Test
  void contentsRefuseNamesAndPathsThatAreNotValid() {
    List<X509Certificate> chain = List.of(acme.certificate(), root.certificate());
    X509Certificate cert = leaf.certificate();
    PrivateKey key = leaf.privateKey();
    List<Runnable> bad = List.of(
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "Acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent.001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "Agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent",
            "site 1", "acme", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme.>", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme..x", "gw.example:50052", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:99999", "gw.example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw example", cert, key, chain, null),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, "etc/serviceradar"),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, "/etc/serviceradar/"),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, "/opt/x'; rm -rf /"),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, chain, "/opt/$(reboot)"),
        () -> new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
            "acme", "gw.example:50052", "gw.example", cert, key, List.of(), null));
    for (int i = 0; i < bad.size(); i++) {
      Runnable r = bad.get(i);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run, "#" + i);
      System.out.println("refused #" + i + ": " + e.getMessage());
    }
    assertThrows(NullPointerException.class, () -> new EdgePackage.Contents(null, TENANT_ID,
        "acme", "agent-001", "agent", null, "acme", "gw.example:50052", "gw.example", cert, key,
        chain, null));
  }

  @Test
  void contentsRefuseAKeyOrChainThatDoesNotBelongToTheLeaf() {
    List<X509Certificate> chain = List.of(acme.certificate(), root.certificate());
    CertAndKey other = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "acme"));
    IllegalArgumentException wrongKey = assertThrows(IllegalArgumentException.class,
        () -> contents(null, leaf.certificate(), other.privateKey(), chain));
    assertTrue(wrongKey.getMessage().contains("does not belong"), wrongKey.getMessage());
    CertAndKey rsa = Pki.issueComponent(acme,
        ComponentCertSpec.of("agent-001", "acme").withKeyAlgorithm(KeyAlgorithm.RSA_2048));
    assertThrows(IllegalArgumentException.class,
        () -> contents(null, leaf.certificate(), rsa.privateKey(), chain));
    IllegalArgumentException rootFirst = assertThrows(IllegalArgumentException.class,
        () -> contents(null, leaf.certificate(), leaf.privateKey(),
            List.of(root.certificate(), acme.certificate())));
    assertTrue(rootFirst.getMessage().contains("tenant CA"), rootFirst.getMessage());
    CertAndKey globex = Pki.issueComponent(acme, ComponentCertSpec.of("agent-001", "globex"));
    IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
        () -> contents(null, globex.certificate(), globex.privateKey(), chain));
    assertTrue(foreign.getMessage().contains("agent-001.globex.serviceradar"), foreign.getMessage());
    CertAndKey agent2 = Pki.issueComponent(acme, ComponentCertSpec.of("agent-002", "acme"));
    assertThrows(IllegalArgumentException.class,
        () -> contents(null, agent2.certificate(), agent2.privateKey(), chain));
  }

  @Test
  void contentsDefaultTheInstallDirAndPartitionAndNeverShowTheKey() {
    EdgePackage.Contents c = contents(null);
    assertEquals("/etc/serviceradar", c.installDir());
    assertEquals("default", c.partitionId());
    assertFalse(c.toString().contains(String.valueOf(leaf.privateKey())), c.toString());
    assertTrue(c.toString().contains("agent-001"), c.toString());
  }

  private static EdgePackage.Contents contents(String installDir) {
    return contents(installDir, leaf.certificate(), leaf.privateKey(),
        List.of(acme.certificate(), root.certificate()));
  }

  private static EdgePackage.Contents contents(String installDir, X509Certificate cert,
      PrivateKey key, List<X509Certificate> chain) {
    return new EdgePackage.Contents(PACKAGE_ID, TENANT_ID, "acme", "agent-001", "agent", null,
        "acme", "gw.example:50052", "gw.example", cert, key, chain, installDir);
  }

  private record Entry(TarArchiveEntry header, byte[] content) {
  }

  private static Map<String, Entry> untar(byte[] bundle) throws IOException {
    Map<String, Entry> entries = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new GzipCompressorInputStream(new ByteArrayInputStream(bundle)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Entry previous = entries.put(entry.getName(), new Entry(entry, tar.readAllBytes()));
        assertEquals(null, previous, "duplicate entry " + entry.getName());
      }
    }
    return entries;
  }

  /** Writes the archive out with its modes, as {@code tar xzf} would; returns the top directory. */
  private static Path extract(byte[] bundle, Path dir) throws IOException {
    for (Entry e : untar(bundle).values()) {
      Path path = dir.resolve(e.header.getName());
      if (e.header.isDirectory()) {
        Files.createDirectories(path);
      } else {
        Files.write(path, e.content);
      }
      Files.setPosixFilePermissions(path, permissions(e.header.getMode()));
    }
    return dir.resolve(TOP);
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder text = new StringBuilder();
    String letters = "rwxrwxrwx";
    for (int bit = 8; bit >= 0; bit--) {
      text.append((mode & (1 << bit)) != 0 ? letters.charAt(8 - bit) : '-');
    }
    return PosixFilePermissions.fromString(text.toString());
  }

  private static String text(Map<String, Entry> entries, String name) {
    Entry e = entries.get(TOP + name);
    assertTrue(e != null, "no entry " + name);
    return new String(e.content, StandardCharsets.UTF_8);
  }

  private static boolean keyMatches(PrivateKey key, X509Certificate cert) throws Exception {
    String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
    Signature s = Signature.getInstance(algorithm);
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] signature = s.sign();
    s.initVerify(cert.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    return s.verify(signature);
  }

  private record Result(int exit, String output) {
  }

  private static Result run(Path dir, Map<String, String> env, String... command)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true);
    builder.environment().remove("INSTALL_DIR");
    builder.environment().remove("INSTALL_OWNER");
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(":")) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
