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
 * java -cp target/tenantgate.jar bench/BenchPki.java pg-revoke N [postgresql://127.0.0.1:5432/test]
 * </pre>
 *
 * {@code pki} writes DIR/pki/root.pem, server.pem (localhost, 127.0.0.1), client-ca-bundle.pem
 * (root + every tenant CA, for nginx), DIR/pki/tenants/SLUG/{ca,NAME-chain,NAME-key}.pem and
 * DIR/registry.json (and registry-first-tenant.json: the first tenant alone); with {@code --rogue},
 * DIR/pki/rogue/agent-001-{chain,key}.pem: the first tenant's agent name under a root nobody trusts.
 * {@code --extra-tenants} registers tenants with a CA but no client certificates (tenant-scale mode);
 * {@code --revoked} adds random revoked serials; {@code --slug-prefix} names the tenants PREFIX-NNNNN.
 * {@code snapshot} times RegistryFile.load (the file store's streaming load) and measures the retained heap.
 * {@code pg-revoke} fills a throwaway schema with N revoked serials, starts two Postgres registries on it
 * (two gateways) and times, five times, one more revocation from its commit until both snapshots hold it.
 */
public final class BenchPki {
  private static final String TRUST_DOMAIN = "serviceradar";
  private static final String[] TYPES = {"agent", "collector", "poller", "checker"};

  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("pki")) {
      pki(Path.of(args[1]), args);
    } else if (args.length >= 2 && args[0].equals("snapshot")) {
      snapshot(Path.of(args[1]), java.util.Arrays.asList(args).subList(2, args.length));
    } else if (args.length >= 2 && args[0].equals("pg-revoke")) {
      pgRevoke(Integer.parseInt(args[1]), args.length > 2 ? args[2] : "postgresql://127.0.0.1:5432/test");
    } else {
      System.err.println("usage: BenchPki.java pki DIR [--tenants N] [--certs-per-tenant N] [--extra-tenants N]"
          + " [--revoked N] [--key-alg ec-p256|rsa-2048] [--slug-prefix P] [--rogue]  |  BenchPki.java snapshot REGISTRY.json [KEY=VALUE]..."
          + "  |  BenchPki.java pg-revoke N [POSTGRES-URL]");
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
    // what FileTenantRegistry does on start and on every change: stream the file into a snapshot
    // CPU time of the loading thread as well: on a shared 2-core machine wall time depends on the neighbours
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long c0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    RegistrySnapshot snapshot = RegistryFile.load(file, Instant.now(), 1);
    long t1 = System.nanoTime();
    long c1 = threads.getCurrentThreadCpuTime();
    // what the file store does next, off the loop with the snapshot already in force: parse every CA the
    // load indexed by its stored hash (TenantCa.problem); the heap is measured after it, as a gateway holds it
    long unusable = 0;
    for (io.tenantgate.tenant.TenantCa ca : snapshot.cas()) {
      unusable += ca.problem() == null ? 0 : 1;
    }
    long t1b = System.nanoTime();
    long heap1 = usedAfterGc();
    // again in the same JVM: what a live reload costs once the code is loaded and compiled
    long t2 = System.nanoTime();
    long c2 = threads.getCurrentThreadCpuTime();
    RegistrySnapshot again = RegistryFile.load(file, Instant.now(), 2);
    long t3 = System.nanoTime();
    long c3 = threads.getCurrentThreadCpuTime();
    StringBuilder fields = new StringBuilder();
    for (String kv : extra) { // KEY=VALUE pairs added to the line: numbers as numbers
      int eq = kv.indexOf('=');
      String v = kv.substring(eq + 1);
      fields.append('"').append(kv, 0, eq).append("\":")
          .append(v.matches("-?[0-9.]+") ? v : "\"" + v + "\"").append(',');
    }
    System.out.printf("{" + fields + "\"mode\":\"snapshot\",\"file_mib\":%.1f,\"tenants\":%d,\"cas\":%d,\"revoked\":%d,"
            + "\"load_s\":%.3f,\"load_cpu_s\":%.3f,\"ca_check_s\":%.3f,\"cas_unusable\":%d,\"reload_s\":%.3f,\"reload_cpu_s\":%.3f,\"retained_heap_mib\":%.1f,"
            + "\"jvm\":\"%s\"}%n",
        size / 1048576.0, snapshot.tenants().size(), snapshot.cas().size(), snapshot.revokedCount(),
        (t1 - t0) / 1e9, (c1 - c0) / 1e9, (t1b - t1) / 1e9, unusable, (t3 - t2) / 1e9, (c3 - c2) / 1e9, (heap1 - heap0) / 1048576.0,
        System.getProperty("java.vm.version"));
    // keep the snapshot reachable until measured
    if (snapshot.revokedCount() < 0 || again.revokedCount() < 0) {
      System.out.println(snapshot);
    }
  }

  private static void pgRevoke(int revoked, String url) throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    String schema = "tg_bench_" + Long.toHexString(System.nanoTime());
    io.tenantgate.config.PostgresConfig config = new io.tenantgate.config.PostgresConfig(url, null, null, 2, schema,
        Duration.ofMillis(20), Duration.ofMillis(500));
    io.tenantgate.db.Database db = io.tenantgate.db.Database.create(vertx, config, java.util.Map.of());
    List<io.tenantgate.tenant.PostgresTenantRegistry> gateways = new ArrayList<>();
    try {
      await(db.migrate());
      await(db.pool().query("INSERT INTO revocations (serial, reason) SELECT ltrim(md5(i::text), '0'), 'bench'"
          + " FROM generate_series(1, " + revoked + ") i").execute());
      for (int g = 0; g < 2; g++) {
        io.tenantgate.tenant.PostgresTenantRegistry r = new io.tenantgate.tenant.PostgresTenantRegistry(vertx,
            io.tenantgate.db.Database.create(vertx, config, java.util.Map.of()), null, Duration.ofMillis(20),
            Duration.ofMillis(500));
        long t0 = System.nanoTime();
        await(r.start());
        System.err.printf("registry %d: %d revoked loaded in %.2f s%n", g, r.snapshot().revokedCount(),
            (System.nanoTime() - t0) / 1e9);
        gateways.add(r);
      }
      List<Long> millis = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String serial = "beef" + i + Long.toHexString(System.nanoTime());
        await(db.pool().query("INSERT INTO revocations (serial, reason) VALUES ('" + serial + "', 'bench')").execute());
        long committed = System.nanoTime();
        while (!gateways.stream().allMatch(r -> r.snapshot().isRevoked(serial))) {
          Thread.sleep(1);
          if (System.nanoTime() - committed > 120_000_000_000L) {
            throw new IllegalStateException("revocation " + serial + " not seen within 120 s");
          }
        }
        millis.add((System.nanoTime() - committed) / 1_000_000);
        Thread.sleep(500);
      }
      System.out.printf("{\"mode\":\"pg-revoke\",\"revoked\":%d,\"gateways\":2,\"commit_to_both_snapshots_ms\":%s,"
          + "\"jvm\":\"%s\"}%n", revoked, millis, System.getProperty("java.vm.version"));
    } finally {
      for (io.tenantgate.tenant.PostgresTenantRegistry r : gateways) {
        await(r.close());
      }
      await(db.pool().query("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").execute());
      await(db.close());
      await(vertx.close());
    }
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.MINUTES);
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
