package io.tenantgate.tenant;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Names;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@link RegistryAdmin} on the file store: edits {@code registry.json} under a file lock and replaces
 * it atomically, so a running gateway (which polls the file) picks each change up. Tenant CA keys are
 * PEM files under {@code <pki>/tenants/<slug>/} (the laptop layout of {@code tenantgate dev}: not
 * sealed, not for production), and every change is appended to {@code audit.jsonl} beside the registry.
 * Onboarding packages need Postgres.
 */
public final class FileRegistryAdmin implements RegistryAdmin {
  private static final Duration CA_VALIDITY = Duration.ofDays(3 * 365);
  private static final Object JVM_LOCK = new Object();

  private final Vertx vertx;
  private final Path registry;
  private final Path pki;
  private final CertAndKey root;
  private final String trustDomain;
  private java.util.Set<String> reservedSlugs = java.util.Set.of();
  /** Audit lines of the edit in progress (guarded by JVM_LOCK). */
  private final List<String> pendingAudit = new ArrayList<>();
  private String spiffeTrustDomain = "serviceradar.local";

  /** @param pki the directory holding {@code tenants/<slug>/} CA files */
  public FileRegistryAdmin(Vertx vertx, Path registry, Path pki, CertAndKey root, String trustDomain) {
    this.vertx = vertx;
    this.registry = registry.toAbsolutePath();
    this.pki = pki.toAbsolutePath();
    this.root = root;
    this.trustDomain = trustDomain;
  }

  /** Slugs tenant creation refuses ({@code slug_reserved}); see TenantStore.reserveSlugs. */
  public FileRegistryAdmin reserveSlugs(java.util.Collection<String> slugs) {
    this.reservedSlugs = java.util.Set.copyOf(slugs);
    return this;
  }

  @Override
  public String trustDomain() {
    return trustDomain;
  }

  @Override
  public String spiffeTrustDomain() {
    return spiffeTrustDomain;
  }

  /** The SPIFFE trust domain of issued certificates (default {@code serviceradar.local}). */
  public FileRegistryAdmin spiffeTrustDomain(String domain) {
    this.spiffeTrustDomain = domain;
    return this;
  }

  @Override
  public String describe() {
    return "file " + registry;
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  @Override
  public PackageStore packages() {
    return null;
  }

  @Override
  public Future<Tenant> createTenant(String slug, String name, String actor) {
    return edit(file -> {
      requireNewSlug(file, slug);
      if (root.privateKey() == null) {
        throw new StoreException(StoreException.Kind.CONFLICT, "the platform root key is not available here");
      }
      Tenant t = new Tenant(UUID.randomUUID(), slug, name == null || name.isBlank() ? slug : name.strip(),
          TenantStatus.ACTIVE);
      CertAndKey ca = Pki.createTenantCa(root, slug, trustDomain, CA_VALIDITY, KeyAlgorithm.EC_P256);
      saveCa(slug, ca);
      file.addTenant(t).addCa(t.id(), Pem.certificates(ca.certificate()), TenantStatus.ACTIVE);
      audit(actor, "tenant.create", t.id(), new JsonObject().put("slug", slug)
          .put("ca_spki_sha256", Fingerprints.spkiSha256Hex(ca.certificate())));
      return t;
    });
  }

  @Override
  public Future<TenantStore.PendingCa> createTenantWithRequest(String slug, String name, String actor) {
    return unsupported("CA requests for an offline root need registry.store: postgres");
  }

  @Override
  public Future<TenantStore.PendingCa> requestCa(String slug, String actor) {
    return unsupported("CA requests for an offline root need registry.store: postgres");
  }

  @Override
  public Future<TenantCa> importCa(String slug, X509Certificate certificate, String actor) {
    return unsupported("importing a CA signed elsewhere needs registry.store: postgres");
  }

  @Override
  public Future<List<Tenant>> listTenants() {
    return read(file -> file.toSnapshot(Instant.now(), 0).tenants().stream()
        .sorted(Comparator.comparing(Tenant::slug)).toList());
  }

  @Override
  public Future<Tenant> tenant(String slug) {
    return read(file -> tenant(file, slug));
  }

  @Override
  public Future<Tenant> setLimits(String slug, TenantLimits limits, String actor) {
    return edit(file -> {
      Tenant t = tenant(file, slug);
      if (!t.limits().equals(limits)) {
        file.setTenantLimits(slug, limits);
        audit(actor, "tenant.limits", t.id(), new JsonObject().put("slug", slug).put("before", t.limits().toJson())
            .put("after", limits.toJson()));
      }
      return t.withLimits(limits);
    });
  }

  @Override
  public Future<Boolean> suspend(String slug, String actor) {
    return setStatus(slug, TenantStatus.SUSPENDED, actor);
  }

  @Override
  public Future<Boolean> resume(String slug, String actor) {
    return setStatus(slug, TenantStatus.ACTIVE, actor);
  }

  private Future<Boolean> setStatus(String slug, TenantStatus status, String actor) {
    return edit(file -> {
      Tenant t = tenant(file, slug);
      if (t.status() == status) {
        return false;
      }
      file.setTenantStatus(slug, status);
      audit(actor, status == TenantStatus.ACTIVE ? "tenant.resume" : "tenant.suspend", t.id(),
          new JsonObject().put("slug", slug));
      return true;
    });
  }

  @Override
  public Future<TenantStore.Issued> issueComponent(ComponentCertSpec spec, String actor) {
    return edit(file -> {
      Tenant t = tenant(file, spec.tenantSlug());
      if (t.status() != TenantStatus.ACTIVE) {
        throw new StoreException(StoreException.Kind.CONFLICT, "tenant '" + t.slug() + "' is suspended");
      }
      CertAndKey ca = signingCa(file, t);
      CertAndKey leaf = Pki.issueComponent(ca, spec);
      X509Certificate c = leaf.certificate();
      String serial = Fingerprints.serialHex(c.getSerialNumber());
      file.addIssued(new JsonObject().put("serial", serial).put("tenant", t.id().toString())
          .put("component_id", spec.componentId()).put("component_type", spec.componentType())
          .put("partition_id", spec.partitionId()).put("fingerprint_sha256", Fingerprints.sha256Hex(c))
          .put("not_after", c.getNotAfter().toInstant().toString()).put("issued_at", Instant.now().toString())
          .put("ca_spki_sha256", Fingerprints.spkiSha256Hex(ca.certificate())));
      audit(actor, "cert.issue", t.id(), new JsonObject().put("serial", serial).put("component_id", spec.componentId()));
      return new TenantStore.Issued(leaf, ca.certificate());
    });
  }

  @Override
  public Future<List<CertStore.CertView>> listCerts(String slug, int limit) {
    return read(file -> {
      RegistrySnapshot snap = file.toSnapshot(Instant.now(), 0);
      UUID only = slug == null ? null : tenant(file, slug).id();
      List<CertStore.CertView> out = new ArrayList<>();
      for (JsonObject e : file.issued()) {
        UUID tid = UUID.fromString(e.getString("tenant"));
        if (only != null && !only.equals(tid)) {
          continue;
        }
        Tenant t = snap.tenant(tid);
        String serial = e.getString("serial");
        out.add(0, new CertStore.CertView(serial, t == null ? "?" : t.slug(), tid, e.getString("component_id"),
            e.getString("component_type"), e.getString("partition_id"), e.getString("fingerprint_sha256"),
            utc(e.getString("not_after")), snap.isRevoked(serial) ? "revoked" : "active", utc(e.getString("issued_at")),
            null, e.getString("ca_spki_sha256")));
      }
      return out.subList(0, Math.min(limit, out.size()));
    });
  }

  @Override
  public Future<Boolean> revokeSerial(String serialHex, String reason, String actor) {
    return edit(file -> {
      if (serialHex == null || !serialHex.trim().matches("(?=.*[0-9a-fA-F])[0-9a-fA-F:]{1,64}")) {
        throw new StoreException(StoreException.Kind.INVALID, "serial must be hex (e.g. 3f0a...), got '" + serialHex + "'");
      }
      if (file.isRevoked(serialHex)) {
        return false;
      }
      String why = reason == null || reason.isBlank() ? "unspecified" : reason.strip();
      file.revoke(serialHex, why, Instant.now());
      audit(actor, "cert.revoke", null, new JsonObject().put("serial", RegistrySnapshot.normalizeSerial(serialHex))
          .put("reason", why));
      return true;
    });
  }

  @Override
  public Future<Boolean> revokeFingerprint(String fingerprint, String reason, String actor) {
    String fp = fingerprint == null ? "" : fingerprint.replace(":", "").trim().toLowerCase(Locale.ROOT);
    return read(file -> file.issued().stream().filter(e -> fp.equals(e.getString("fingerprint_sha256")))
        .map(e -> e.getString("serial")).findFirst()
        .orElseThrow(() -> new StoreException(StoreException.Kind.NOT_FOUND,
            "no issued certificate with fingerprint " + fp)))
        .compose(serial -> revokeSerial(serial, reason, actor));
  }

  @Override
  public Future<TenantCa> rotateCa(String slug, String actor) {
    return edit(file -> {
      Tenant t = tenant(file, slug);
      long active = file.toSnapshot(Instant.now(), 0).cas().stream()
          .filter(c -> c.tenantId().equals(t.id()) && c.status() == TenantStatus.ACTIVE).count();
      if (active >= 2) {
        throw new StoreException(StoreException.Kind.CONFLICT, "tenant '" + slug
            + "' already has two active CAs; disable the old one to finish the rotation in progress");
      }
      CertAndKey ca = Pki.createTenantCa(root, slug, trustDomain, CA_VALIDITY, KeyAlgorithm.EC_P256);
      saveCa(slug, ca);
      file.addCa(t.id(), Pem.certificates(ca.certificate()), TenantStatus.ACTIVE);
      String spki = Fingerprints.spkiSha256Hex(ca.certificate());
      audit(actor, "ca.add", t.id(), new JsonObject().put("slug", slug).put("ca_spki_sha256", spki));
      return new TenantCa(spki, t.id(), TenantStatus.ACTIVE, ca.certificate(), null);
    });
  }

  @Override
  public Future<List<TenantStore.CaView>> listCas(String slug) {
    return read(file -> {
      Tenant t = tenant(file, slug);
      // a CA whose PEM is unusable is listed last, saying why (readiness names it too)
      return file.toSnapshot(Instant.now(), 0).cas().stream().filter(c -> c.tenantId().equals(t.id()))
          .sorted(Comparator.comparing((TenantCa c) -> c.certificateOrNull() == null ? Long.MAX_VALUE
              : c.certificate().getNotBefore().getTime()))
          .map(c -> c.certificateOrNull() == null
              ? new TenantStore.CaView(c.spkiSha256(), c.status(), "unusable: " + c.problem(), null, false)
              : new TenantStore.CaView(c.spkiSha256(), c.status(), c.certificate().getSubjectX500Principal().getName(),
                  c.certificate().getNotAfter().toInstant().atOffset(ZoneOffset.UTC), keyFile(slug, c.certificate()) != null))
          .toList();
    });
  }

  @Override
  public Future<Boolean> setCaStatus(String spkiSha256, TenantStatus status, String actor) {
    return edit(file -> {
      TenantCa ca = file.toSnapshot(Instant.now(), 0).caBySpki(spkiSha256);
      if (ca == null) {
        throw new StoreException(StoreException.Kind.NOT_FOUND, "no tenant CA " + spkiSha256);
      }
      if (ca.status() == status) {
        return false;
      }
      file.setCaStatus(spkiSha256, status);
      audit(actor, status == TenantStatus.ACTIVE ? "ca.enable" : "ca.disable", ca.tenantId(),
          new JsonObject().put("ca_spki_sha256", spkiSha256));
      return true;
    });
  }

  private CertAndKey signingCa(RegistryFile file, Tenant t) throws IOException {
    List<TenantCa> cas = file.toSnapshot(Instant.now(), 0).cas().stream()
        .filter(c -> c.tenantId().equals(t.id()) && c.status() == TenantStatus.ACTIVE && c.certificateOrNull() != null)
        .sorted(Comparator.comparing((TenantCa c) -> c.certificate().getNotBefore()).reversed()).toList();
    for (TenantCa ca : cas) {
      Path key = keyFile(t.slug(), ca.certificate());
      if (key != null) {
        return new CertAndKey(ca.certificate(), Pem.readPrivateKey(key));
      }
    }
    throw new StoreException(StoreException.Kind.NOT_FOUND, "tenant '" + t.slug()
        + "' has no active CA whose key is under " + pki.resolve("tenants").resolve(t.slug()));
  }

  /** The key file of {@code ca}: {@code ca-<spki16>-key.pem}, or the dev layout's {@code ca-key.pem} if it matches. */
  private Path keyFile(String slug, X509Certificate ca) {
    Path dir = pki.resolve("tenants").resolve(slug);
    String spki = Fingerprints.spkiSha256Hex(ca);
    Path named = dir.resolve("ca-" + spki.substring(0, 16) + "-key.pem");
    if (Files.exists(named)) {
      return named;
    }
    Path legacy = dir.resolve("ca-key.pem");
    Path legacyCert = dir.resolve("ca.pem");
    try {
      if (Files.exists(legacy) && Files.exists(legacyCert)
          && spki.equals(Fingerprints.spkiSha256Hex(Pem.readCertificates(legacyCert).get(0)))) {
        return legacy;
      }
    } catch (IOException e) {
      return null;
    }
    return null;
  }

  private void saveCa(String slug, CertAndKey ca) throws IOException {
    Path dir = pki.resolve("tenants").resolve(slug);
    String spki16 = Fingerprints.spkiSha256Hex(ca.certificate()).substring(0, 16);
    Pem.write(dir.resolve("ca-" + spki16 + ".pem"), Pem.certificates(ca.certificate()), false);
    Pem.write(dir.resolve("ca-" + spki16 + "-key.pem"), Pem.privateKey(ca.privateKey()), true);
  }

  private void requireNewSlug(RegistryFile file, String slug) {
    if (!Names.isSlug(slug)) {
      throw new StoreException(StoreException.Kind.INVALID,
          "slug must be lowercase letters, digits and '-' (1-63, no leading or trailing '-'), got '" + slug + "'");
    }
    if (reservedSlugs.contains(slug)) {
      throw new StoreException(StoreException.Kind.INVALID, "slug_reserved", "slug '" + slug
          + "' is reserved: it is a subject root tenants use on the NATS bridge (reserved: " + reservedSlugs + ")");
    }
    if (file.toSnapshot(Instant.now(), 0).tenantBySlug(slug) != null) {
      throw new StoreException(StoreException.Kind.CONFLICT, "tenant '" + slug + "' already exists");
    }
  }

  private static Tenant tenant(RegistryFile file, String slug) {
    Tenant t = slug == null ? null : file.toSnapshot(Instant.now(), 0).tenantBySlug(slug);
    if (t == null) {
      throw new StoreException(StoreException.Kind.NOT_FOUND, "no tenant '" + slug + "'");
    }
    return t;
  }

  /** Queues an audit line; {@link #edit} appends it to audit.jsonl once the registry change is written. */
  private void audit(String actor, String action, UUID tenant, JsonObject detail) {
    pendingAudit.add(new JsonObject().put("at", Instant.now().toString()).put("actor", actor).put("action", action)
        .put("tenant_id", tenant == null ? null : tenant.toString()).put("detail", detail).encode() + "\n");
  }

  private static OffsetDateTime utc(String instant) {
    return instant == null ? null : Instant.parse(instant).atOffset(ZoneOffset.UTC);
  }

  /** A change: read, apply, write back atomically, under the JVM lock and the file lock. */
  private interface Edit<T> {
    T apply(RegistryFile file) throws Exception;
  }

  private <T> Future<T> edit(Edit<T> change) {
    return blocking(() -> {
      synchronized (JVM_LOCK) {
        try (FileChannel ch = FileChannel.open(registry.resolveSibling(registry.getFileName() + ".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
          pendingAudit.clear();
          RegistryFile file = load();
          String before = file.encode();
          T result = change.apply(file);
          String after = file.encode();
          if (!after.equals(before)) {
            Pem.write(registry, after, false);
          }
          for (String line : pendingAudit) {
            Files.writeString(registry.resolveSibling("audit.jsonl"), line, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          }
          pendingAudit.clear();
          return result;
        }
      }
    });
  }

  private <T> Future<T> read(Edit<T> query) {
    return blocking(() -> query.apply(load()));
  }

  private RegistryFile load() throws IOException {
    return Files.exists(registry) ? RegistryFile.parse(Files.readString(registry)) : RegistryFile.empty();
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(() -> {
      try {
        return work.call();
      } catch (StoreException | UncheckedIOException e) {
        throw e;
      } catch (IllegalArgumentException e) {
        throw new StoreException(StoreException.Kind.INVALID, e.getMessage());
      }
    }, false);
  }

  private static <T> Future<T> unsupported(String message) {
    return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, "unsupported_by_store", message));
  }
}
