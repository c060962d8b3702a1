import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.tenant.RegistryFile;
import io.tenantgate.tenant.RegistrySnapshot;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The benchmark's PKI and registry, made with the product's own pki/ and tenant/ code, so both
 * gateways see exactly the certificates tenantgate issues. Run from source against the product
 * jar (bench/run.sh does):
 *
 * <pre>
 * java -cp target/tenantgate.jar bench/BenchPki.java pki DIR [--tenants 50] [--certs-per-tenant 4]
 *      [--extra-tenants 0] [--revoked 0] [--key-alg ec-p256] [--slug-prefix tenant] [--rogue]
 * java -cp target/tenantgate.jar bench/BenchPki.java snapshot REGISTRY.json [KEY=VALUE]...
 * </pre>
 *
 * {@code pki} writes DIR/pki/root.pem, server.pem (localhost, 127.0.0.1), client-ca-bundle.pem
 * (root + every tenant CA, for nginx), DIR/pki/tenants/SLUG/{ca,NAME-chain,NAME-key}.pem and
 * DIR/registry.json (and registry-first-tenant.json: the first tenant alone); with {@code --rogue},
 * DIR/pki/rogue/agent-001-{chain,key}.pem: the first tenant's agent name under a root nobody trusts.
 * {@code --extra-tenants} registers tenants with a CA but no client certificates (tenant-scale mode);
 * {@code --revoked} adds random revoked serials; {@code --slug-prefix} names the tenants PREFIX-NNNNN.
 * {@code snapshot} times RegistryFile.parse + toSnapshot and measures the retained heap.
 */
public final class BenchPki {
  private static final String TRUST_DOMAIN = "serviceradar";
  private static final String[] TYPES = {"agent", "collector", "poller", "checker"};

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("pki")) {
      pki(Path.of(args[1]), args);
    } else if (args.length >= 2 && args[0].equals("snapshot")) {
      snapshot(Path.of(args[1]), java.util.Arrays.asList(args).subList(2, args.length));
    } else {
      System.err.println("usage: BenchPki.java pki DIR [--tenants N] [--certs-per-tenant N] [--extra-tenants N]"
          + " [--revoked N] [--key-alg ec-p256|rsa-2048] [--slug-prefix P] [--rogue]  |  BenchPki.java snapshot REGISTRY.json [KEY=VALUE]...");
      System.exit(2);
    }
  }

  private static int option(String[] args, String name, int def) {
    for (int i = 2; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return def;
  }

  private static String option(String[] args, String name, String def) {
    for (int i = 2; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return def;
  }

  private static void pki(Path dir, String[] args) throws Exception {
    int tenants = option(args, "--tenants", 50);
    int perTenant = option(args, "--certs-per-tenant", 4);
    int extra = option(args, "--extra-tenants", 0);
    int revoked = option(args, "--revoked", 0);
    KeyAlgorithm alg = KeyAlgorithm.parse(option(args, "--key-alg", "ec-p256"));
    slugPrefix = option(args, "--slug-prefix", "tenant");
    boolean rogue = java.util.Arrays.asList(args).contains("--rogue");
    long start = System.nanoTime();
    Path pki = dir.resolve("pki");
    Files.createDirectories(pki.resolve("tenants"));

    CertAndKey root = Pki.createRoot("bench-root.ca." + TRUST_DOMAIN, Duration.ofDays(3650), alg);
    write(pki.resolve("root.pem"), Pem.certificates(root.certificate()), false);
    write(pki.resolve("root-key.pem"), Pem.privateKey(root.privateKey()), true);
    CertAndKey server = Pki.issueServer(root, "localhost", List.of("localhost"), List.of("127.0.0.1", "::1"),
        Duration.ofDays(365), alg);
    write(pki.resolve("server.pem"), Pem.certificates(server.certificate()), false);
    write(pki.resolve("server-key.pem"), Pem.privateKey(server.privateKey()), true);

    RegistryFile registry = RegistryFile.empty();
    RegistryFile firstTenant = RegistryFile.empty();
    StringBuilder bundle = new StringBuilder(Pem.certificates(root.certificate()));
    int leaves = 0;
    // key generation and signing dominate (~10 ms per CA on Java 17): the CAs are made in parallel
    List<CertAndKey> cas = java.util.stream.IntStream.range(0, tenants + extra).parallel()
        .mapToObj(t -> Pki.createTenantCa(root, slug(t), TRUST_DOMAIN, Duration.ofDays(1825), alg)).toList();
    for (int t = 0; t < tenants + extra; t++) {
      String slug = slug(t);
      CertAndKey ca = cas.get(t);
      String caPem = Pem.certificates(ca.certificate());
      bundle.append(caPem);
      UUID id = UUID.randomUUID();
      registry.addTenant(new Tenant(id, slug, slug, TenantStatus.ACTIVE)).addCa(id, caPem, TenantStatus.ACTIVE);
      if (t == 0) {
        firstTenant.addTenant(new Tenant(id, slug, slug, TenantStatus.ACTIVE)).addCa(id, caPem, TenantStatus.ACTIVE);
      }
      if (t >= tenants) {
        continue; // registered only: the registry is large, no client presents these
      }
      Path tdir = pki.resolve("tenants").resolve(slug);
      Files.createDirectories(tdir);
      write(tdir.resolve("ca.pem"), caPem, false);
      write(tdir.resolve("ca-key.pem"), Pem.privateKey(ca.privateKey()), true);
      for (int c = 0; c < perTenant; c++) {
        String component = String.format("%s-%03d", TYPES[c % TYPES.length], c + 1);
        CertAndKey leaf = Pki.issueComponent(ca, ComponentCertSpec.of(component, slug).withKeyAlgorithm(alg));
        write(tdir.resolve(component + "-key.pem"), Pem.privateKey(leaf.privateKey()), true);
        write(tdir.resolve(component + "-chain.pem"), Pem.certificates(leaf.certificate(), ca.certificate()), false);
        leaves++;
      }
    }
    write(pki.resolve("client-ca-bundle.pem"), bundle.toString(), false);
    if (rogue) {
      // an impersonation attempt: the first tenant's agent name under a root the gateway does not trust
      CertAndKey rogueRoot = Pki.createRoot("rogue-root.ca." + TRUST_DOMAIN, Duration.ofDays(30), alg);
      CertAndKey rogueCa = Pki.createTenantCa(rogueRoot, slug(0), TRUST_DOMAIN, Duration.ofDays(30), alg);
      CertAndKey leaf = Pki.issueComponent(rogueCa, ComponentCertSpec.of("agent-001", slug(0)).withKeyAlgorithm(alg));
      Path rdir = pki.resolve("rogue");
      Files.createDirectories(rdir);
      write(rdir.resolve("agent-001-key.pem"), Pem.privateKey(leaf.privateKey()), true);
      write(rdir.resolve("agent-001-chain.pem"), Pem.certificates(leaf.certificate(), rogueCa.certificate()), false);
    }

    SecureRandom random = new SecureRandom();
    byte[] serial = new byte[16];
    Instant now = Instant.now();
    HexFormat hex = HexFormat.of();
    for (int i = 0; i < revoked; i++) {
      random.nextBytes(serial);
      serial[0] |= 0x40; // no leading zero byte: the hex has its full 32 digits
      serial[0] &= 0x7f;
      registry.revoke(hex.formatHex(serial), "bench", now);
    }
    write(dir.resolve("registry.json"), registry.encode(), false);
    // the same first tenant alone: the baseline of the tenant-scale comparison
    write(dir.resolve("registry-first-tenant.json"), firstTenant.encode(), false);
    System.out.printf("bench pki: %d tenants with %d client certs, %d registered-only tenants, %d revoked serials, %s keys"
        + " in %.1f s -> %s%n", tenants, leaves, extra, revoked, alg, (System.nanoTime() - start) / 1e9, dir);
  }

  private static String slugPrefix = "tenant";

  private static String slug(int t) {
    return String.format("%s-%05d", slugPrefix, t);
  }

  private static void snapshot(Path file, List<String> extra) throws Exception {
    long size = Files.size(file);
    long heap0 = usedAfterGc();
    long t0 = System.nanoTime();
    String json = Files.readString(file, StandardCharsets.UTF_8);
    long t1 = System.nanoTime();
    RegistrySnapshot snapshot = RegistryFile.parse(json).toSnapshot(Instant.now(), 1);
    long t2 = System.nanoTime();
    json = null;
    long heap1 = usedAfterGc();
    // again in the same JVM: what a live reload costs once the code is loaded and compiled
    long t3 = System.nanoTime();
    RegistrySnapshot again = RegistryFile.parse(Files.readString(file, StandardCharsets.UTF_8))
        .toSnapshot(Instant.now(), 2);
    long t4 = System.nanoTime();
    StringBuilder fields = new StringBuilder();
    for (String kv : extra) { // KEY=VALUE pairs added to the line: numbers as numbers
      int eq = kv.indexOf('=');
      String v = kv.substring(eq + 1);
      fields.append('"').append(kv, 0, eq).append("\":")
          .append(v.matches("-?[0-9.]+") ? v : "\"" + v + "\"").append(',');
    }
    System.out.printf("{" + fields + "\"mode\":\"snapshot\",\"file_mib\":%.1f,\"tenants\":%d,\"cas\":%d,\"revoked\":%d,"
            + "\"read_s\":%.3f,\"parse_and_build_s\":%.3f,\"load_s\":%.3f,\"reload_s\":%.3f,\"retained_heap_mib\":%.1f,"
            + "\"jvm\":\"%s\"}%n",
        size / 1048576.0, snapshot.tenants().size(), snapshot.cas().size(), snapshot.revokedCount(),
        (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t2 - t0) / 1e9, (t4 - t3) / 1e9, (heap1 - heap0) / 1048576.0,
        System.getProperty("java.vm.version"));
    // keep the snapshot reachable until measured
    if (snapshot.revokedCount() < 0 || again.revokedCount() < 0) {
      System.out.println(snapshot);
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }

  private static void write(Path file, String content, boolean secret) throws Exception {
    Pem.write(file, content, secret);
  }
}
