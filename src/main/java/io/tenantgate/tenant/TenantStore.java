package io.tenantgate.tenant;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.KeyIdentifiers;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Names;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Writes to the Postgres registry, for the admin API and the CLI: each mutation is one transaction
 * with its audit row, and the tables' triggers NOTIFY every gateway, which re-reads its snapshot.
 * Refusals fail with {@link StoreException} and write nothing. Key generation, signing and key
 * sealing run on worker threads.
 */
public final class TenantStore {
  private static final Pattern SERIAL = Pattern.compile("(?=.*[0-9a-fA-F])[0-9a-fA-F:]{1,64}");
  private static final Duration CA_VALIDITY = Duration.ofDays(3 * 365);

  private static final String INSERT_TENANT = "INSERT INTO tenants (id, slug, name, status) VALUES ($1, $2, $3, 'active')";
  private static final String INSERT_CA = "INSERT INTO tenant_cas (spki_sha256, tenant_id, certificate_pem, private_key_enc,"
      + " subject_key_id, status, not_before, not_after) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)";
  private static final String LOCK_TENANT = "SELECT id, status FROM tenants WHERE slug = $1 FOR UPDATE";
  private static final String LOCK_TENANT_LIMITS = "SELECT id, limits FROM tenants WHERE slug = $1 FOR UPDATE";
  private static final String SET_TENANT_LIMITS = "UPDATE tenants SET limits = $2, updated_at = now() WHERE id = $1";
  private static final String SET_TENANT_STATUS = "UPDATE tenants SET status = $2, updated_at = now() WHERE id = $1";
  private static final String SET_CA_STATUS = "UPDATE tenant_cas SET status = $2, updated_at = now()"
      + " WHERE spki_sha256 = $1 AND status <> $2 RETURNING tenant_id";
  private static final String CA_EXISTS = "SELECT 1 FROM tenant_cas WHERE spki_sha256 = $1";
  private static final String REVOKE = "INSERT INTO revocations (serial, tenant_id, reason)"
      + " SELECT $1, (SELECT tenant_id FROM issued_certificates WHERE serial = $1), $2"
      + " ON CONFLICT (serial) DO NOTHING RETURNING tenant_id";
  private static final String MARK_REVOKED = "UPDATE issued_certificates SET status = 'revoked' WHERE serial = $1";
  static final String SIGNING_CA = "SELECT c.spki_sha256, c.certificate_pem, c.private_key_enc, t.id, t.status"
      + " FROM tenant_cas c JOIN tenants t ON t.id = c.tenant_id"
      + " WHERE t.slug = $1 AND c.status = 'active' AND c.private_key_enc IS NOT NULL"
      + " ORDER BY c.not_before DESC, c.created_at DESC LIMIT 1";
  private static final String INSERT_ISSUED = "INSERT INTO issued_certificates (serial, tenant_id, ca_spki_sha256,"
      + " component_id, component_type, partition_id, fingerprint_sha256, not_after)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

  private static final String INSERT_CA_REQUEST = "INSERT INTO tenant_ca_requests (spki_sha256, tenant_id, csr_pem,"
      + " private_key_enc) VALUES ($1, $2, $3, $4)";
  private static final String PENDING_CA = "SELECT r.spki_sha256, r.private_key_enc, t.id FROM tenant_ca_requests r"
      + " JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = $1 AND r.spki_sha256 = $2 FOR UPDATE OF r";
  private static final String DELETE_CA_REQUEST = "DELETE FROM tenant_ca_requests WHERE spki_sha256 = $1";
  private static final String SELECT_CAS = "SELECT c.spki_sha256, c.tenant_id, c.status, c.certificate_pem,"
      + " c.subject_key_id, c.private_key_enc IS NOT NULL AS key_stored, c.not_after, t.slug"
      + " FROM tenant_cas c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = $1 ORDER BY c.not_before, c.created_at";
  private static final String SELECT_REQUESTS = "SELECT r.spki_sha256, r.csr_pem, r.created_at FROM tenant_ca_requests r"
      + " JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = $1 ORDER BY r.created_at";

  private final Vertx vertx;
  private final Pool pool;
  private final MasterKey masterKey;
  private final CertAndKey root;
  private final String trustDomain;
  private java.util.Set<String> reservedSlugs = java.util.Set.of();

  /**
   * @param root the platform root that signs new tenant CAs (with its key)
   * @param trustDomain the trust domain tenant CAs are name-constrained to ({@code identity.trustDomain})
   */
  public TenantStore(Vertx vertx, Pool pool, MasterKey masterKey, CertAndKey root, String trustDomain) {
    this.vertx = vertx;
    this.pool = pool;
    this.masterKey = masterKey;
    this.root = root;
    this.trustDomain = trustDomain;
  }

  /**
   * Slugs tenant creation refuses with {@code slug_reserved} (the NATS subject roots tenants speak, see
   * NatsBridge.reservedSlugs): a tenant so named could not use the bridge. Call once while wiring.
   */
  public TenantStore reserveSlugs(java.util.Collection<String> slugs) {
    this.reservedSlugs = java.util.Set.copyOf(slugs);
    return this;
  }

  private <T> Future<T> checkNewSlug(String slug) {
    if (!Names.isSlug(slug)) {
      return invalid("slug must be lowercase letters, digits and '-' (1-63, no leading or trailing '-'), got '"
          + slug + "'");
    }
    if (reservedSlugs.contains(slug)) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, "slug_reserved", "slug '" + slug
          + "' is reserved: it is a subject root tenants use on the NATS bridge (reserved: " + reservedSlugs + ")"));
    }
    return null;
  }

  /** A CA about to be stored: the columns, computed off the event loop (BouncyCastle, AES). */
  private record NewCa(String spki, String pem, byte[] sealedKey, String subjectKeyId, OffsetDateTime notBefore,
      OffsetDateTime notAfter) {
  }

  /** A component certificate issued by {@link #issueComponent}, with the tenant CA that signed it. */
  public record Issued(CertAndKey leaf, X509Certificate tenantCa) {
  }

  /** Creates an active tenant and its intermediate CA (signed by the root, key sealed), audited as tenant.create. */
  public Future<Tenant> createTenant(String slug, String name, String actor) {
    Future<Tenant> refused = checkNewSlug(slug);
    if (refused != null) {
      return refused;
    }
    if (!canSignCas()) {
      return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT,
          "the platform root key is not configured here: create the tenant with a CA request (--ca-csr) instead"));
    }
    String display = name == null || name.isBlank() ? slug : name.strip();
    UUID id = UUID.randomUUID();
    return vertx.executeBlocking(() -> seal(Pki.createTenantCa(root, slug, trustDomain, CA_VALIDITY,
            KeyAlgorithm.EC_P256)), false)
        .compose(ca -> pool.withTransaction(conn -> conn.preparedQuery(INSERT_TENANT).execute(Tuple.of(id, slug, display))
            .compose(r -> insertCa(conn, id, ca))
            .compose(r -> AuditLog.append(conn, actor, "tenant.create", id, new JsonObject().put("slug", slug)
                .put("name", display).put("ca_spki_sha256", ca.spki())))))
        .map(v -> new Tenant(id, slug, display, TenantStatus.ACTIVE))
        .recover(err -> translate(err, "tenant '" + slug + "' already exists"));
  }

  public Future<Boolean> suspend(String slug, String actor) {
    return setTenantStatus(slug, TenantStatus.SUSPENDED, actor);
  }

  public Future<Boolean> resume(String slug, String actor) {
    return setTenantStatus(slug, TenantStatus.ACTIVE, actor);
  }

  /** Sets the tenant's status; false when it already had it (nothing written). */
  private Future<Boolean> setTenantStatus(String slug, TenantStatus status, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK_TENANT).execute(Tuple.of(slug)).compose(rows -> {
      if (rows.size() == 0) {
        return notFound("no tenant '" + slug + "'");
      }
      Row r = rows.iterator().next();
      UUID id = r.getUUID("id");
      if (status.wire().equals(r.getString("status"))) {
        return Future.succeededFuture(false);
      }
      String action = status == TenantStatus.ACTIVE ? "tenant.resume" : "tenant.suspend";
      return conn.preparedQuery(SET_TENANT_STATUS).execute(Tuple.of(id, status.wire()))
          .compose(x -> AuditLog.append(conn, actor, action, id, new JsonObject().put("slug", slug)))
          .map(true);
    }));
  }

  /**
   * Replaces the tenant's quota overrides (validated by the caller through {@link TenantLimits#parse});
   * audited as tenant.limits with the previous and the new overrides. Every gateway resizes the tenant's
   * buckets when the NOTIFY brings the new snapshot. Returns the tenant as it is now.
   */
  public Future<Tenant> setLimits(String slug, TenantLimits limits, String actor) {
    if (!Names.isSlug(slug)) {
      return invalid("not a tenant slug: '" + slug + "'");
    }
    return pool.<Void>withTransaction(conn -> writeLimits(conn, slug, limits, actor)).compose(v -> tenant(slug));
  }

  private Future<Void> writeLimits(SqlConnection conn, String slug, TenantLimits limits, String actor) {
    return conn.preparedQuery(LOCK_TENANT_LIMITS).execute(Tuple.of(slug)).compose(rows -> {
      if (rows.size() == 0) {
        return notFound("no tenant '" + slug + "'");
      }
      Row r = rows.iterator().next();
      UUID id = r.getUUID("id");
      TenantLimits before = TenantRows.limits(slug, r.getValue("limits"));
      if (before.equals(limits)) {
        return Future.succeededFuture();
      }
      return conn.preparedQuery(SET_TENANT_LIMITS).execute(Tuple.of(id, limits.toJson()))
          .compose(x -> AuditLog.append(conn, actor, "tenant.limits", id, new JsonObject().put("slug", slug)
              .put("before", before.toJson()).put("after", limits.toJson())));
    });
  }

  /** Revokes a serial (hex, any case, colons allowed); false when it was already revoked. */
  public Future<Boolean> revokeSerial(String serialHex, String reason, String actor) {
    if (serialHex == null || !SERIAL.matcher(serialHex.trim()).matches()) {
      return invalid("serial must be hex (e.g. 3f0a...), got '" + serialHex + "'");
    }
    String serial = RegistrySnapshot.normalizeSerial(serialHex);
    String why = reason == null || reason.isBlank() ? "unspecified" : reason.strip();
    return pool.withTransaction(conn -> conn.preparedQuery(REVOKE).execute(Tuple.of(serial, why)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(false);
      }
      UUID tenant = rows.iterator().next().getUUID("tenant_id");
      return conn.preparedQuery(MARK_REVOKED).execute(Tuple.of(serial))
          .compose(x -> AuditLog.append(conn, actor, "cert.revoke", tenant,
              new JsonObject().put("serial", serial).put("reason", why)))
          .map(true);
    })).recover(err -> translate(err, "serial " + serial + " cannot be revoked"));
  }

  /**
   * Enables or disables a tenant CA (by SPKI SHA-256 hex); false when it already had that status. A
   * third active CA for one tenant is refused ({@link StoreException.Kind#CONFLICT}).
   */
  public Future<Boolean> setCaStatus(String spkiSha256, TenantStatus status, String actor) {
    if (status == TenantStatus.SUSPENDED) {
      return invalid("a CA is active or disabled, not suspended");
    }
    return pool.withTransaction(conn -> conn.preparedQuery(SET_CA_STATUS).execute(Tuple.of(spkiSha256, status.wire()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return conn.preparedQuery(CA_EXISTS).execute(Tuple.of(spkiSha256)).compose(e -> e.size() == 0
                ? notFound("no tenant CA " + spkiSha256) : Future.succeededFuture(false));
          }
          UUID tenant = rows.iterator().next().getUUID("tenant_id");
          String action = status == TenantStatus.ACTIVE ? "ca.enable" : "ca.disable";
          return AuditLog.append(conn, actor, action, tenant, new JsonObject().put("ca_spki_sha256", spkiSha256))
              .map(true);
        }))
        .recover(err -> translate(err, "tenant already has two active CAs"));
  }

  /**
   * Adds an active CA to a tenant: a rotation's new CA, or one signed elsewhere ({@code key} null, the
   * root key stays offline). Audited as ca.add.
   */
  public Future<TenantCa> addCa(String slug, X509Certificate certificate, PrivateKey key, String actor) {
    if (certificate.getBasicConstraints() < 0) {
      return invalid("certificate " + certificate.getSubjectX500Principal().getName() + " is not a CA");
    }
    return vertx.executeBlocking(() -> seal(new CertAndKey(certificate, key)), false)
        .compose(ca -> pool.withTransaction(conn -> conn.preparedQuery(LOCK_TENANT).execute(Tuple.of(slug))
            .compose(rows -> {
              if (rows.size() == 0) {
                return notFound("no tenant '" + slug + "'");
              }
              UUID id = rows.iterator().next().getUUID("id");
              return insertCa(conn, id, ca)
                  .compose(x -> AuditLog.append(conn, actor, "ca.add", id, new JsonObject().put("slug", slug)
                      .put("ca_spki_sha256", ca.spki()).put("key_stored", key != null)))
                  .map(x -> new TenantCa(ca.spki(), id, TenantStatus.ACTIVE, certificate, ca.subjectKeyId()));
            })))
        .recover(err -> translate(err, "tenant '" + slug + "' already has two active CAs, or this CA exists"));
  }

  /**
   * Issues a component certificate from the tenant's newest active CA whose key is stored, records it
   * in issued_certificates and audits cert.issue. Refused for a suspended tenant.
   */
  public Future<Issued> issueComponent(ComponentCertSpec spec, String actor) {
    return pool.preparedQuery(SIGNING_CA).execute(Tuple.of(spec.tenantSlug())).compose(rows -> {
      if (rows.size() == 0) {
        return notFound("no tenant '" + spec.tenantSlug() + "' with an active CA whose key is stored");
      }
      Row r = rows.iterator().next();
      if (!TenantStatus.ACTIVE.wire().equals(r.getString("status"))) {
        return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT,
            "tenant '" + spec.tenantSlug() + "' is suspended"));
      }
      UUID tenant = r.getUUID("id");
      String spki = r.getString("spki_sha256");
      String pem = r.getString("certificate_pem");
      byte[] sealed = r.getBuffer("private_key_enc").getBytes();
      return vertx.executeBlocking(() -> {
        X509Certificate caCert = Pem.readCertificates(pem).get(0);
        CertAndKey ca = new CertAndKey(caCert, masterKey.openPrivateKey(sealed, spki));
        CertAndKey leaf = Pki.issueComponent(ca, spec);
        X509Certificate c = leaf.certificate();
        return new NewLeaf(new Issued(leaf, caCert), Fingerprints.serialHex(c.getSerialNumber()),
            Fingerprints.sha256Hex(c), utc(c.getNotAfter()));
      }, false).compose(leaf -> record(leaf, spec, tenant, spki, actor));
    });
  }

  /** An issued leaf and its columns, computed off the event loop. */
  private record NewLeaf(Issued issued, String serial, String fingerprint, OffsetDateTime notAfter) {
  }

  private Future<Issued> record(NewLeaf leaf, ComponentCertSpec spec, UUID tenant, String spki, String actor) {
    String serial = leaf.serial();
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_ISSUED).execute(Tuple.tuple(List.of(serial, tenant,
            spki, spec.componentId(), spec.componentType(), spec.partitionId(), leaf.fingerprint(), leaf.notAfter())))
        .compose(x -> AuditLog.append(conn, actor, "cert.issue", tenant, new JsonObject().put("serial", serial)
            .put("component_id", spec.componentId()).put("component_type", spec.componentType())
            .put("partition_id", spec.partitionId()).put("ca_spki_sha256", spki))))
        .map(leaf.issued());
  }

  /** All tenants, by slug. */
  public Future<List<Tenant>> listTenants() {
    return pool.preparedQuery(TenantRows.SELECT_TENANTS + " ORDER BY slug").execute().map(rows -> {
      List<Tenant> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(TenantRows.tenant(r)));
      return out;
    });
  }

  /** A tenant CA waiting for the offline root: its request (the key is sealed in tenant_ca_requests). */
  public record PendingCa(Tenant tenant, String spkiSha256, String csrPem) {
  }

  /**
   * One of a tenant's CAs as the admin API and CLI list it. A file-registry CA whose PEM is unusable is
   * listed with {@code notAfter} null and {@code subject} saying why ({@code unusable: ...}).
   */
  public record CaView(String spkiSha256, TenantStatus status, String subject, OffsetDateTime notAfter,
      boolean keyStored) {
  }

  /** Whether new tenant CAs can be signed here (the root key is configured) or only requested. */
  public boolean canSignCas() {
    return root.privateKey() != null;
  }

  /**
   * The offline-root path of tenant creation: creates the tenant (active, but without a CA nothing of it
   * connects yet) and a CA request whose key is sealed here; {@link #importCa} completes it.
   */
  public Future<PendingCa> createTenantWithRequest(String slug, String name, String actor) {
    Future<PendingCa> refused = checkNewSlug(slug);
    if (refused != null) {
      return refused;
    }
    String display = name == null || name.isBlank() ? slug : name.strip();
    UUID id = UUID.randomUUID();
    return vertx.executeBlocking(() -> sealRequest(slug), false)
        .compose(req -> pool.withTransaction(conn -> conn.preparedQuery(INSERT_TENANT).execute(Tuple.of(id, slug, display))
            .compose(r -> insertRequest(conn, id, req))
            .compose(r -> AuditLog.append(conn, actor, "tenant.create", id, new JsonObject().put("slug", slug)
                .put("name", display).put("ca_request_spki_sha256", req.spki())))
            .map(x -> new PendingCa(new Tenant(id, slug, display, TenantStatus.ACTIVE), req.spki(), req.csr()))))
        .recover(err -> translate(err, "tenant '" + slug + "' already exists"));
  }

  /** A CA request for an existing tenant (rotation with an offline root). Audited as ca.request. */
  public Future<PendingCa> requestCa(String slug, String actor) {
    return vertx.executeBlocking(() -> sealRequest(slug), false)
        .compose(req -> pool.withTransaction(conn -> conn.preparedQuery(LOCK_TENANT).execute(Tuple.of(slug))
            .compose(rows -> {
              if (rows.size() == 0) {
                return notFound("no tenant '" + slug + "'");
              }
              Row r = rows.iterator().next();
              UUID id = r.getUUID("id");
              return insertRequest(conn, id, req)
                  .compose(x -> AuditLog.append(conn, actor, "ca.request", id, new JsonObject().put("slug", slug)
                      .put("ca_request_spki_sha256", req.spki())))
                  .map(x -> new PendingCa(new Tenant(id, slug, slug, TenantStatus.parse(r.getString("status"))),
                      req.spki(), req.csr()));
            })));
  }

  /**
   * Completes a CA request with the certificate the offline root signed: it must be that request's key,
   * signed by the platform root, a pathlen-0 CA constrained to the tenant's names. The CA becomes active
   * with its key sealed; the request is removed. Audited as ca.import.
   */
  public Future<TenantCa> importCa(String slug, X509Certificate certificate, String actor) {
    String spki = Fingerprints.spkiSha256Hex(certificate);
    return pool.withTransaction(conn -> conn.preparedQuery(PENDING_CA).execute(Tuple.of(slug, spki)).compose(rows -> {
      if (rows.size() == 0) {
        return notFound("tenant '" + slug + "' has no pending CA request for this certificate's key (spki " + spki + ")");
      }
      Row r = rows.iterator().next();
      UUID tenant = r.getUUID("id");
      byte[] sealedRequestKey = r.getBuffer("private_key_enc").getBytes();
      return vertx.executeBlocking(() -> {
        PrivateKey key = masterKey.openPrivateKey(sealedRequestKey, spki);
        try {
          io.tenantgate.pki.TenantCaRequest.checkSigned(certificate, certificate.getPublicKey(), root.certificate(), slug,
              trustDomain);
        } catch (IllegalArgumentException e) {
          throw new StoreException(StoreException.Kind.INVALID, e.getMessage());
        }
        return seal(new CertAndKey(certificate, key));
      }, false).compose(ca -> insertCa(conn, tenant, ca)
          .compose(x -> conn.preparedQuery(DELETE_CA_REQUEST).execute(Tuple.of(spki)))
          .compose(x -> AuditLog.append(conn, actor, "ca.import", tenant, new JsonObject().put("slug", slug)
              .put("ca_spki_sha256", spki)))
          .map(x -> new TenantCa(spki, tenant, TenantStatus.ACTIVE, certificate, ca.subjectKeyId())));
    })).recover(err -> translate(err, "tenant '" + slug + "' already has two active CAs, or this CA exists"));
  }

  /**
   * Starts a CA rotation: a new CA signed by the root joins the tenant's active one, so certificates of
   * both work during the overlap and new certificates come from the new CA. {@link #setCaStatus}
   * disabling the old CA ends it (its certificates are refused from then on).
   */
  public Future<TenantCa> rotateCa(String slug, String actor) {
    if (!canSignCas()) {
      return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT,
          "the platform root key is not configured here: request a CA (ca rotate --csr-out) and import the signed certificate"));
    }
    if (!Names.isSlug(slug)) {
      return invalid("not a tenant slug: '" + slug + "'");
    }
    return vertx.executeBlocking(() -> Pki.createTenantCa(root, slug, trustDomain, CA_VALIDITY, KeyAlgorithm.EC_P256),
        false).compose(ca -> addCa(slug, ca.certificate(), ca.privateKey(), actor));
  }

  /** The tenant's CAs, oldest first; NOT_FOUND for an unknown tenant. */
  public Future<List<CaView>> listCas(String slug) {
    return pool.preparedQuery(SELECT_CAS).execute(Tuple.of(slug)).compose(rows -> {
      List<CaView> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(new CaView(r.getString("spki_sha256"), TenantStatus.parse(r.getString("status")),
          Pem.readCertificates(r.getString("certificate_pem")).get(0).getSubjectX500Principal().getName(),
          r.getOffsetDateTime("not_after"), r.getBoolean("key_stored"))));
      return out.isEmpty() ? tenant(slug).map(t -> out) : Future.succeededFuture(out);
    });
  }

  /** The tenant's CA requests still waiting for a signed certificate. */
  public Future<List<PendingCa>> pendingCas(String slug) {
    return tenant(slug).compose(t -> pool.preparedQuery(SELECT_REQUESTS).execute(Tuple.of(slug)).map(rows -> {
      List<PendingCa> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(new PendingCa(t, r.getString("spki_sha256"), r.getString("csr_pem"))));
      return out;
    }));
  }

  /** One tenant by slug; NOT_FOUND when there is none. */
  public Future<Tenant> tenant(String slug) {
    if (!Names.isSlug(slug)) {
      return invalid("not a tenant slug: '" + slug + "'");
    }
    return pool.preparedQuery(TenantRows.SELECT_TENANTS + " WHERE slug = $1").execute(Tuple.of(slug))
        .compose(rows -> rows.size() == 0 ? notFound("no tenant '" + slug + "'")
            : Future.succeededFuture(TenantRows.tenant(rows.iterator().next())));
  }

  /** A request and its columns, computed off the event loop. */
  private record NewRequest(String spki, String csr, byte[] sealedKey) {
  }

  private NewRequest sealRequest(String slug) {
    io.tenantgate.pki.TenantCaRequest req = io.tenantgate.pki.TenantCaRequest.create(slug, trustDomain);
    String spki = Fingerprints.spkiSha256Hex(req.publicKey());
    return new NewRequest(spki, req.csrPem(), masterKey.sealPrivateKey(req.privateKey(), spki));
  }

  private static Future<Void> insertRequest(SqlConnection conn, UUID tenant, NewRequest req) {
    return conn.preparedQuery(INSERT_CA_REQUEST).execute(Tuple.of(req.spki(), tenant, req.csr(),
        Buffer.buffer(req.sealedKey()))).mapEmpty();
  }

  private NewCa seal(CertAndKey ca) {
    X509Certificate c = ca.certificate();
    String spki = Fingerprints.spkiSha256Hex(c);
    byte[] sealed = ca.privateKey() == null ? null : masterKey.sealPrivateKey(ca.privateKey(), spki);
    return new NewCa(spki, Pem.certificates(c), sealed, KeyIdentifiers.subjectKeyId(c), utc(c.getNotBefore()),
        utc(c.getNotAfter()));
  }

  private static OffsetDateTime utc(java.util.Date d) {
    return d.toInstant().atOffset(ZoneOffset.UTC);
  }

  private static Future<Void> insertCa(SqlConnection conn, UUID tenant, NewCa ca) {
    return conn.preparedQuery(INSERT_CA).execute(Tuple.tuple(java.util.Arrays.asList(ca.spki(), tenant, ca.pem(),
            ca.sealedKey() == null ? null : Buffer.buffer(ca.sealedKey()), ca.subjectKeyId(), ca.notBefore(),
            ca.notAfter())))
        .mapEmpty();
  }

  /** Constraint violations become {@link StoreException}s; anything else passes through. */
  private static <T> Future<T> translate(Throwable err, String conflictMessage) {
    if (err instanceof PgException pg) {
      String state = pg.getSqlState();
      if ("23505".equals(state) || "23514".equals(state)) {
        return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, conflictMessage));
      }
    }
    return Future.failedFuture(err);
  }

  private static <T> Future<T> invalid(String message) {
    return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, message));
  }

  private static <T> Future<T> notFound(String message) {
    return Future.failedFuture(new StoreException(StoreException.Kind.NOT_FOUND, message));
  }
}
