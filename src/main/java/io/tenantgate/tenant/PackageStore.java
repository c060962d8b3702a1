package io.tenantgate.tenant;

import io.tenantgate.pki.CertAndKey;
import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.CsrCheck;
import io.tenantgate.pki.CsrException;
import io.tenantgate.pki.DownloadTokens;
import io.tenantgate.pki.EdgePackage;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.MasterKey;
import io.tenantgate.pki.Pem;
import io.tenantgate.pki.Pki;
import io.tenantgate.pki.TokenException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Onboarding packages (DESIGN.md section 4): an operator creates one for a component and hands its
 * {@code edgepkg-v2} token to the edge; the edge spends the token once, either for a server-made key
 * bundle or by sending a CSR (its key never leaves it). The certificate is issued at that moment, in
 * the transaction that moves the package from {@code issued} to {@code delivered}, so a token can
 * never be spent twice, and a refused attempt writes nothing.
 */
public final class PackageStore {
  private static final String SELECT = "SELECT p.id, p.tenant_id, t.slug, p.component_id, p.component_type,"
      + " p.partition_id, p.state, p.created_at, p.expires_at, p.delivered_at, p.activated_at, p.delivery,"
      + " p.certificate_serial, p.created_by FROM onboarding_packages p JOIN tenants t ON t.id = p.tenant_id";
  private static final String ACTIVE_TENANT = "SELECT id, status FROM tenants WHERE slug = $1 FOR UPDATE";
  private static final String OPEN_FOR_COMPONENT = "SELECT id FROM onboarding_packages WHERE tenant_id = $1"
      + " AND component_id = $2 AND partition_id = $3 AND state = 'issued' AND expires_at > now()";
  private static final String INSERT = "INSERT INTO onboarding_packages (id, tenant_id, component_id, component_type,"
      + " partition_id, download_token_hash, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  private static final String READ = "SELECT p.*, t.slug, t.status AS tenant_status FROM onboarding_packages p"
      + " JOIN tenants t ON t.id = p.tenant_id WHERE p.id = $1";
  private static final String LOCK = READ + " FOR UPDATE OF p";
  private static final String DELIVERED = "UPDATE onboarding_packages SET state = 'delivered', delivered_at = now(),"
      + " delivery = $2, certificate_serial = $3 WHERE id = $1";
  private static final String EXPIRED = "UPDATE onboarding_packages SET state = 'expired' WHERE id = $1 AND state = 'issued'";
  private static final String REVOKE = "UPDATE onboarding_packages SET state = 'revoked', revoked_at = now(),"
      + " revoke_reason = $2 WHERE id = $1 AND state IN ('issued', 'delivered', 'activated')"
      + " RETURNING tenant_id, certificate_serial";
  private static final String INSERT_ISSUED = "INSERT INTO issued_certificates (serial, tenant_id, ca_spki_sha256,"
      + " component_id, component_type, partition_id, fingerprint_sha256, not_after, package_id)"
      + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
  private static final String REVOKE_SERIAL = "INSERT INTO revocations (serial, tenant_id, reason) VALUES ($1, $2, $3)"
      + " ON CONFLICT (serial) DO NOTHING";
  private static final String MARK_REVOKED = "UPDATE issued_certificates SET status = 'revoked' WHERE serial = $1";

  private final Vertx vertx;
  private final Pool pool;
  private final MasterKey masterKey;
  private final X509Certificate root;
  private final DownloadTokens tokens;
  private final Settings settings;

  /**
   * What packages say and how long things live.
   *
   * @param api the enrollment listener's base URL, written into every token ({@code https://host:port})
   * @param gatewayAddr the edge listener address edges dial ({@code host:port}), written into config.yaml
   * @param serverName the name edges verify on the gateway's certificate
   * @param certValidity lifetime of certificates issued on delivery
   * @param defaultTtl how long an unused token stays valid when the caller names none
   * @param maxTtl the longest ttl a caller may ask for
   */
  public record Settings(String api, String gatewayAddr, String serverName, String trustDomain,
      String spiffeTrustDomain, Duration certValidity, Duration defaultTtl, Duration maxTtl) {
  }

  /** A package as listed: never its token or key. */
  public record PackageView(UUID id, UUID tenantId, String tenantSlug, String componentId, String componentType,
      String partitionId, String state, OffsetDateTime createdAt, OffsetDateTime expiresAt,
      OffsetDateTime deliveredAt, OffsetDateTime activatedAt, String delivery, String certificateSerial,
      String createdBy) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("tenant_id", tenantId.toString()).put("tenant", tenantSlug)
          .put("component_id", componentId).put("component_type", componentType).put("partition", partitionId)
          .put("state", state).put("created_at", text(createdAt)).put("expires_at", text(expiresAt))
          .put("delivered_at", text(deliveredAt)).put("activated_at", text(activatedAt)).put("delivery", delivery)
          .put("certificate_serial", certificateSerial).put("created_by", createdBy);
    }
  }

  /** A new package and its download token: the token is shown once and only its hash is stored. */
  public record Ticket(PackageView pkg, String token) {
  }

  /**
   * What a spent token produced: the leaf, its key (null when the edge sent a CSR), the chain, and
   * what the edge receives: the tarball (bundle delivery) or the component configuration (CSR).
   */
  public record Delivery(PackageView pkg, X509Certificate leaf, PrivateKey key, List<X509Certificate> caChain,
      byte[] bundle, String configJson) {
  }

  public PackageStore(Vertx vertx, Pool pool, MasterKey masterKey, X509Certificate root, DownloadTokens tokens,
      Settings settings) {
    this.vertx = vertx;
    this.pool = pool;
    this.masterKey = masterKey;
    this.root = root;
    this.tokens = tokens;
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Creates a package for {@code componentId} of an active tenant. Refused: bad names, unknown or
   * suspended tenant, ttl out of range, an unspent package for the same component already open.
   */
  public Future<Ticket> create(String slug, String componentId, String partitionId, String componentType,
      Duration ttl, String actor) {
    ComponentCertSpec spec;
    try {
      spec = spec(slug, componentId, partitionId, componentType);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID, e.getMessage()));
    }
    Duration life = ttl == null ? settings.defaultTtl() : ttl;
    if (life.isNegative() || life.isZero() || life.compareTo(settings.maxTtl()) > 0) {
      return Future.failedFuture(new StoreException(StoreException.Kind.INVALID,
          "ttl must be positive and at most " + settings.maxTtl() + ", got " + life));
    }
    UUID id = UUID.randomUUID();
    String secret = DownloadTokens.newSecret();
    OffsetDateTime expires = OffsetDateTime.now(ZoneOffset.UTC).plus(life);
    // the token first: if it cannot be made, no package exists that nobody holds a token for
    return vertx.executeBlocking(() -> tokens.sign(new DownloadTokens.Claims(id, secret, settings.api())), false)
        .compose(token -> insert(id, secret, expires, spec, slug, actor).map(view -> new Ticket(view, token)));
  }

  private Future<PackageView> insert(UUID id, String secret, OffsetDateTime expires, ComponentCertSpec spec,
      String slug, String actor) {
    return pool.withTransaction(conn -> conn.preparedQuery(ACTIVE_TENANT).execute(Tuple.of(slug)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new StoreException(StoreException.Kind.NOT_FOUND, "no tenant '" + slug + "'"));
      }
      Row t = rows.iterator().next();
      if (!TenantStatus.ACTIVE.wire().equals(t.getString("status"))) {
        return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, "tenant_suspended",
            "tenant '" + slug + "' is suspended"));
      }
      UUID tenant = t.getUUID("id");
      return conn.preparedQuery(TenantStore.SIGNING_CA).execute(Tuple.of(slug)).compose(cas -> cas.size() == 0
          ? Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, "no_signing_ca", "tenant '" + slug
              + "' has no active CA whose key is stored here (import its CA first): a package could never be delivered"))
          : conn.preparedQuery(OPEN_FOR_COMPONENT).execute(Tuple.of(tenant, spec.componentId(), spec.partitionId()))
          .compose(open -> {
            if (open.size() > 0) {
              return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, "package_exists",
                  "component '" + spec.componentId() + "' of tenant '" + slug + "' already has an unspent package "
                      + open.iterator().next().getUUID("id") + "; revoke it first"));
            }
            return conn.preparedQuery(INSERT).execute(Tuple.tuple(List.of(id, tenant, spec.componentId(),
                    spec.componentType(), spec.partitionId(),
                    io.vertx.core.buffer.Buffer.buffer(DownloadTokens.secretHash(secret)), expires, actor)))
                .compose(x -> AuditLog.append(conn, actor, "package.create", tenant, new JsonObject()
                    .put("package_id", id.toString()).put("component_id", spec.componentId())
                    .put("partition_id", spec.partitionId()).put("expires_at", expires.toString())))
                .map(x -> new PackageView(id, tenant, slug, spec.componentId(), spec.componentType(),
                    spec.partitionId(), "issued", OffsetDateTime.now(ZoneOffset.UTC), expires, null, null, null, null, actor));
          }));
    }));
  }

  /** Packages, newest first, of one tenant or (slug null) of all; expired unspent ones show as expired. */
  public Future<List<PackageView>> list(String slug, int limit) {
    String sql = SELECT + (slug == null ? "" : " WHERE t.slug = $2") + " ORDER BY p.created_at DESC LIMIT $1";
    Tuple args = slug == null ? Tuple.of(limit) : Tuple.of(limit, slug);
    return pool.preparedQuery(sql).execute(args).map(rows -> {
      List<PackageView> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(view(r)));
      return out;
    });
  }

  public Future<PackageView> get(UUID id) {
    return pool.preparedQuery(SELECT + " WHERE p.id = $1").execute(Tuple.of(id)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(new StoreException(StoreException.Kind.NOT_FOUND, "package_not_found", "no package " + id))
        : Future.succeededFuture(view(rows.iterator().next())));
  }

  /**
   * Revokes a package: an unspent token stops working, and the certificate a spent one produced is
   * revoked too (so revoking the package of a lost device cuts it off). False when already revoked/expired.
   */
  public Future<Boolean> revoke(UUID id, String reason, String actor) {
    String why = reason == null || reason.isBlank() ? "unspecified" : reason.strip();
    return pool.withTransaction(conn -> conn.preparedQuery(REVOKE).execute(Tuple.of(id, why)).compose(rows -> {
      if (rows.size() == 0) {
        return get(id).map(false);
      }
      Row r = rows.iterator().next();
      UUID tenant = r.getUUID("tenant_id");
      String serial = r.getString("certificate_serial");
      Future<Void> cert = serial == null ? Future.succeededFuture()
          : conn.preparedQuery(REVOKE_SERIAL).execute(Tuple.of(serial, tenant, "package revoked: " + why))
              .compose(x -> conn.preparedQuery(MARK_REVOKED).execute(Tuple.of(serial))).mapEmpty();
      return cert.compose(x -> AuditLog.append(conn, actor, "package.revoke", tenant, new JsonObject()
          .put("package_id", id.toString()).put("reason", why).put("certificate_serial", serial))).map(true);
    }));
  }

  /**
   * Spends a download token. Checks, without holding anything: the token's signature (off the event
   * loop), that it names this package and matches the stored hash, that the package is unspent,
   * unexpired and unrevoked and its tenant active. Then, on a worker thread and still holding nothing,
   * checks the CSR (when {@code csrPem} is given), issues the certificate (for the CSR's key or a new
   * one) and builds what the edge receives (the tarball, or the config for a CSR). Only then a short
   * transaction locks the package row, checks again that it is unspent (a racing download loses here)
   * and records certificate, delivery and audit. Every refusal is a {@link StoreException} with a
   * reason code and writes nothing (an expired package is marked expired); a failure before the commit
   * leaves the token unspent.
   */
  public Future<Delivery> deliver(UUID id, String token, String csrPem, String remote) {
    return vertx.executeBlocking(() -> tokens.verify(token), false)
        .recover(err -> Future.failedFuture(err instanceof TokenException e
            ? new StoreException("token_forged".equals(e.reason()) ? StoreException.Kind.FORBIDDEN
                : StoreException.Kind.INVALID, e.reason(), e.getMessage())
            : err))
        .compose(claims -> {
          if (!claims.packageId().equals(id)) {
            return Future.failedFuture(new StoreException(StoreException.Kind.FORBIDDEN, "token_mismatch",
                "the download token is for another package"));
          }
          byte[] hash = DownloadTokens.secretHash(claims.downloadSecret());
          return pool.preparedQuery(READ).execute(Tuple.of(id))
              .compose(rows -> spendable(rows, id, hash))
              .compose(p -> prepare(p, csrPem))
              .compose(prepared -> commit(id, hash, prepared, remote));
        })
        .recover(err -> expiredOutside(id, err));
  }

  /** The package row when its token may be spent; else the refusal. */
  private Future<Row> spendable(RowSet<Row> rows, UUID id, byte[] hash) {
    if (rows.size() == 0) {
      return Future.failedFuture(new StoreException(StoreException.Kind.NOT_FOUND, "package_not_found",
          "no package " + id));
    }
    Row p = rows.iterator().next();
    if (!MessageDigest.isEqual(hash, p.getBuffer("download_token_hash").getBytes())) {
      return Future.failedFuture(new StoreException(StoreException.Kind.FORBIDDEN, "token_forged",
          "the download token does not match this package"));
    }
    return refusal(p).map(p);
  }

  /** The package's state allows no delivery: fails with the reason; succeeds when it may be spent. */
  private static Future<Void> refusal(Row p) {
    String state = p.getString("state");
    return switch (state) {
      case "delivered", "activated" -> gone("package_already_downloaded", "package " + p.getUUID("id")
          + " was already downloaded at " + p.getOffsetDateTime("delivered_at") + "; create a new package");
      case "revoked" -> gone("package_revoked", "package " + p.getUUID("id") + " was revoked");
      case "expired" -> gone("package_expired", "package " + p.getUUID("id") + " expired at "
          + p.getOffsetDateTime("expires_at"));
      default -> {
        if (p.getOffsetDateTime("expires_at").isBefore(OffsetDateTime.now(ZoneOffset.UTC))) {
          yield Future.failedFuture(new Expired(p.getUUID("id"), p.getOffsetDateTime("expires_at")));
        }
        if (!TenantStatus.ACTIVE.wire().equals(p.getString("tenant_status"))) {
          yield Future.failedFuture(new StoreException(StoreException.Kind.FORBIDDEN, "tenant_suspended",
              "tenant '" + p.getString("slug") + "' is suspended"));
        }
        yield Future.succeededFuture();
      }
    };
  }

  /** An expiry found on the way: after the read (or the rolled-back transaction), the state is written alone. */
  private static final class Expired extends RuntimeException {
    final UUID id;
    final OffsetDateTime at;

    Expired(UUID id, OffsetDateTime at) {
      super("expired", null, false, false);
      this.id = id;
      this.at = at;
    }
  }

  private <T> Future<T> expiredOutside(UUID id, Throwable err) {
    if (!(err instanceof Expired e)) {
      return Future.failedFuture(err);
    }
    return pool.preparedQuery(EXPIRED).execute(Tuple.of(id)).transform(x -> gone("package_expired",
        "package " + id + " expired at " + e.at + "; create a new package"));
  }

  /** A certificate issued and what the edge will receive, made before anything is written. */
  private record Prepared(Row pkg, ComponentCertSpec spec, String caSpki, CertAndKey leaf, X509Certificate ca,
      byte[] bundle, String configJson, String delivery) {
  }

  private Future<Prepared> prepare(Row p, String csrPem) {
    String slug = p.getString("slug");
    ComponentCertSpec spec = spec(slug, p.getString("component_id"), p.getString("partition_id"),
        p.getString("component_type"));
    return pool.preparedQuery(TenantStore.SIGNING_CA).execute(Tuple.of(slug)).compose(cas -> {
      if (cas.size() == 0) {
        return Future.failedFuture(new StoreException(StoreException.Kind.CONFLICT, "no_signing_ca",
            "tenant '" + slug + "' has no active CA whose key is stored"));
      }
      Row ca = cas.iterator().next();
      String spki = ca.getString("spki_sha256");
      String caPem = ca.getString("certificate_pem");
      byte[] sealed = ca.getBuffer("private_key_enc").getBytes();
      return vertx.executeBlocking(() -> {
        X509Certificate caCert = Pem.readCertificates(caPem).get(0);
        CertAndKey leaf = sign(spec, csrPem, caCert, sealed, spki);
        EdgePackage.Contents contents = new EdgePackage.Contents(p.getUUID("id"), p.getUUID("tenant_id"), slug,
            spec.componentId(), spec.componentType(), spec.partitionId(), slug, settings.gatewayAddr(),
            settings.serverName(), leaf.certificate(), leaf.privateKey(), List.of(caCert, root), null);
        return csrPem == null
            ? new Prepared(p, spec, spki, leaf, caCert, EdgePackage.build(contents), null, "bundle")
            : new Prepared(p, spec, spki, leaf, caCert, null, EdgePackage.configJson(contents), "csr");
      }, false);
    });
  }

  private CertAndKey sign(ComponentCertSpec spec, String csrPem, X509Certificate caCert, byte[] sealed, String spki) {
    PublicKey csrKey = null;
    if (csrPem != null) {
      try {
        csrKey = CsrCheck.check(csrPem, spec);
      } catch (CsrException e) {
        throw new StoreException(StoreException.Kind.INVALID, e.reason(), e.getMessage());
      }
    }
    CertAndKey ca = new CertAndKey(caCert, masterKey.openPrivateKey(sealed, spki));
    return csrKey == null ? Pki.issueComponent(ca, spec)
        : new CertAndKey(Pki.issueComponentForKey(ca, spec, csrKey), null);
  }

  /** The short transaction: lock, check again (a racing download loses here), record. */
  private Future<Delivery> commit(UUID id, byte[] hash, Prepared prepared, String remote) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK).execute(Tuple.of(id))
        .compose(rows -> spendable(rows, id, hash))
        .compose(p -> record(conn, p, prepared, remote)));
  }

  private Future<Delivery> record(SqlConnection conn, Row p, Prepared prepared, String remote) {
    X509Certificate c = prepared.leaf().certificate();
    ComponentCertSpec spec = prepared.spec();
    UUID tenant = p.getUUID("tenant_id");
    String serial = Fingerprints.serialHex(c.getSerialNumber());
    UUID id = p.getUUID("id");
    OffsetDateTime notAfter = c.getNotAfter().toInstant().atOffset(ZoneOffset.UTC);
    return conn.preparedQuery(INSERT_ISSUED).execute(Tuple.tuple(Arrays.asList(serial, tenant, prepared.caSpki(),
            spec.componentId(), spec.componentType(), spec.partitionId(), Fingerprints.sha256Hex(c), notAfter, id)))
        .compose(x -> conn.preparedQuery(DELIVERED).execute(Tuple.of(id, prepared.delivery(), serial)))
        .compose(x -> AuditLog.append(conn, "edge:" + remote, "package.deliver", tenant, new JsonObject()
            .put("package_id", id.toString()).put("delivery", prepared.delivery()).put("serial", serial)
            .put("component_id", spec.componentId()).put("ca_spki_sha256", prepared.caSpki())))
        .map(x -> {
          PackageView v = view(p);
          PackageView delivered = new PackageView(v.id(), v.tenantId(), v.tenantSlug(), v.componentId(),
              v.componentType(), v.partitionId(), "delivered", v.createdAt(), v.expiresAt(),
              OffsetDateTime.now(ZoneOffset.UTC), null, prepared.delivery(), serial, v.createdBy());
          return new Delivery(delivered, c, prepared.leaf().privateKey(), List.of(prepared.ca(), root),
              prepared.bundle(), prepared.configJson());
        });
  }

  private ComponentCertSpec spec(String slug, String componentId, String partitionId, String componentType) {
    String type = componentType == null || componentType.isBlank() ? ComponentCertSpec.typeOf(componentId)
        : componentType;
    return new ComponentCertSpec(componentId, partitionId, slug, type, settings.trustDomain(),
        settings.spiffeTrustDomain(), false, settings.certValidity(), KeyAlgorithm.EC_P256);
  }

  private static PackageView view(Row r) {
    return new PackageView(r.getUUID("id"), r.getUUID("tenant_id"), r.getString("slug"), r.getString("component_id"),
        r.getString("component_type"), r.getString("partition_id"), effectiveState(r),
        r.getOffsetDateTime("created_at"), r.getOffsetDateTime("expires_at"), r.getOffsetDateTime("delivered_at"),
        r.getOffsetDateTime("activated_at"), r.getString("delivery"), r.getString("certificate_serial"), r.getString("created_by"));
  }

  private static String effectiveState(Row r) {
    String state = r.getString("state");
    return "issued".equals(state) && r.getOffsetDateTime("expires_at").isBefore(OffsetDateTime.now(ZoneOffset.UTC))
        ? "expired" : state;
  }

  private static String text(OffsetDateTime t) {
    return t == null ? null : t.toString();
  }

  private static <T> Future<T> gone(String reason, String message) {
    return Future.failedFuture(new StoreException(StoreException.Kind.GONE, reason, message));
  }
}
