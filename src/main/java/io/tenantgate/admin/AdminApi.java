package io.tenantgate.admin;

import io.tenantgate.pki.ComponentCertSpec;
import io.tenantgate.pki.Fingerprints;
import io.tenantgate.pki.KeyAlgorithm;
import io.tenantgate.pki.Pem;
import io.tenantgate.quota.EffectiveLimits;
import io.tenantgate.tenant.CertStore;
import io.tenantgate.tenant.PackageStore;
import io.tenantgate.tenant.StoreException;
import io.tenantgate.tenant.Tenant;
import io.tenantgate.tenant.TenantLimits;
import io.tenantgate.tenant.TenantStatus;
import io.tenantgate.tenant.TenantStore;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The admin API's routes, JSON over HTTP under {@code /api/v1}: tenants, tenant CAs, onboarding
 * packages, certificates and live connections. Each handler returns one {@link Reply}; the verticle
 * writes it. The caller's identity ({@code admin:<cn>}) is the audit actor.
 */
final class AdminApi {
  private static final int LIST_LIMIT = 1000;

  private final TenantStore tenants;
  private final CertStore certs;
  private final PackageStore packages;
  private final Supplier<Future<List<JsonObject>>> connections;
  private final String trustDomain;
  private final String spiffeTrustDomain;
  private final EffectiveLimits limitDefaults;

  AdminApi(TenantStore tenants, CertStore certs, PackageStore packages, Supplier<Future<List<JsonObject>>> connections,
      String trustDomain, String spiffeTrustDomain, EffectiveLimits limitDefaults) {
    this.tenants = tenants;
    this.certs = certs;
    this.packages = packages;
    this.connections = connections;
    this.trustDomain = trustDomain;
    this.spiffeTrustDomain = spiffeTrustDomain;
    this.limitDefaults = limitDefaults;
  }

  /** A route: its metric name and handler (request, actor) -> reply. */
  record Route(HttpMethod method, String path, String operation, BiFunction<RoutingContext, String, Future<Reply>> handler) {
  }

  List<Route> routes() {
    return List.of(
        new Route(HttpMethod.GET, "/api/v1/tenants", "tenant.list", (c, a) -> listTenants()),
        new Route(HttpMethod.POST, "/api/v1/tenants", "tenant.create", this::createTenant),
        new Route(HttpMethod.GET, "/api/v1/tenants/:slug", "tenant.get", (c, a) -> getTenant(c.pathParam("slug"))),
        new Route(HttpMethod.POST, "/api/v1/tenants/:slug/suspend", "tenant.suspend",
            (c, a) -> changed(tenants.suspend(slug(c), a))),
        new Route(HttpMethod.POST, "/api/v1/tenants/:slug/resume", "tenant.resume",
            (c, a) -> changed(tenants.resume(slug(c), a))),
        new Route(HttpMethod.GET, "/api/v1/tenants/:slug/limits", "tenant.limits.get",
            (c, a) -> tenants.tenant(slug(c)).map(t -> Reply.ok(limitsJson(t)))),
        new Route(HttpMethod.PUT, "/api/v1/tenants/:slug/limits", "tenant.limits", this::putLimits),
        new Route(HttpMethod.GET, "/api/v1/tenants/:slug/cas", "ca.list", (c, a) -> listCas(slug(c))),
        new Route(HttpMethod.POST, "/api/v1/tenants/:slug/cas/rotate", "ca.rotate", this::rotateCa),
        new Route(HttpMethod.POST, "/api/v1/tenants/:slug/cas/import", "ca.import", this::importCa),
        new Route(HttpMethod.POST, "/api/v1/cas/:spki/disable", "ca.disable",
            (c, a) -> changed(tenants.setCaStatus(spki(c), TenantStatus.DISABLED, a))),
        new Route(HttpMethod.POST, "/api/v1/cas/:spki/enable", "ca.enable",
            (c, a) -> changed(tenants.setCaStatus(spki(c), TenantStatus.ACTIVE, a))),
        new Route(HttpMethod.GET, "/api/v1/packages", "package.list", (c, a) -> listPackages(c)),
        new Route(HttpMethod.POST, "/api/v1/packages", "package.create", this::createPackage),
        new Route(HttpMethod.GET, "/api/v1/packages/:id", "package.get",
            (c, a) -> packages.get(uuid(c.pathParam("id"))).map(p -> Reply.ok(p.toJson()))),
        new Route(HttpMethod.POST, "/api/v1/packages/:id/revoke", "package.revoke", this::revokePackage),
        new Route(HttpMethod.GET, "/api/v1/certificates", "cert.list", (c, a) -> listCerts(c)),
        new Route(HttpMethod.POST, "/api/v1/certificates", "cert.issue", this::issueCert),
        new Route(HttpMethod.POST, "/api/v1/certificates/revoke", "cert.revoke", this::revokeCert),
        new Route(HttpMethod.GET, "/api/v1/connections", "connections.list", (c, a) -> listConnections(c)));
  }

  private Future<Reply> listTenants() {
    return tenants.listTenants().map(list -> Reply.ok(new JsonObject().put("tenants",
        new JsonArray(list.stream().map(AdminApi::tenantJson).toList()))));
  }

  private Future<Reply> createTenant(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("slug", "name", "ca"));
    String slug = f.slug("slug", true);
    String name = f.text("name", false);
    String ca = f.text("ca", false);
    if (ca != null && !ca.equals("sign") && !ca.equals("csr")) {
      f.problem("ca", "must be 'sign' (the gateway signs the tenant CA with the platform root) or 'csr' (a request for an offline root)");
    }
    f.done();
    if ("csr".equals(ca)) {
      return tenants.createTenantWithRequest(slug, name, actor).map(p -> Reply.created(tenantJson(p.tenant())
          .put("ca_request", new JsonObject().put("spki_sha256", p.spkiSha256()).put("csr", p.csrPem()))));
    }
    return tenants.createTenant(slug, name, actor).compose(t -> tenants.listCas(slug)
        .map(cas -> Reply.created(tenantJson(t).put("cas", casJson(cas)))));
  }

  private Future<Reply> getTenant(String slug) {
    return tenants.tenant(slug).compose(t -> tenants.listCas(slug).compose(cas -> tenants.pendingCas(slug)
        .compose(pending -> connections.get().map(conns -> Reply.ok(tenantJson(t).put("cas", casJson(cas))
            .put("ca_requests", new JsonArray(pending.stream().map(p -> new JsonObject()
                .put("spki_sha256", p.spkiSha256()).put("csr", p.csrPem())).toList()))
            .put("connections", conns.stream().filter(x -> slug.equals(x.getString("tenant"))).count())
            .put("limits", limitDefaults.describe(t.limits())))))));
  }

  /**
   * Replaces the tenant's quota overrides with the body's (absent or null fields: the default; 0:
   * unlimited); every gateway applies them within a second. Audited as tenant.limits.
   */
  private Future<Reply> putLimits(RoutingContext c, String actor) {
    Fields f = Fields.ofAnyKeys(c.body().buffer());
    TenantLimits limits = TenantLimits.parse(f.body(), f::problem);
    f.done();
    return tenants.setLimits(slug(c), limits, actor).map(t -> Reply.ok(limitsJson(t)));
  }

  private JsonObject limitsJson(Tenant t) {
    return limitDefaults.describe(t.limits()).put("tenant", t.slug());
  }

  private Future<Reply> listCas(String slug) {
    return tenants.listCas(slug).map(cas -> Reply.ok(new JsonObject().put("tenant", slug).put("cas", casJson(cas))));
  }

  private Future<Reply> rotateCa(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("ca"));
    String ca = f.text("ca", false);
    if (ca != null && !ca.equals("sign") && !ca.equals("csr")) {
      f.problem("ca", "must be 'sign' or 'csr'");
    }
    f.done();
    String slug = slug(c);
    if ("csr".equals(ca)) {
      return tenants.requestCa(slug, actor).map(p -> Reply.created(new JsonObject().put("tenant", slug)
          .put("ca_request", new JsonObject().put("spki_sha256", p.spkiSha256()).put("csr", p.csrPem()))));
    }
    return tenants.rotateCa(slug, actor).compose(added -> tenants.listCas(slug).map(cas -> Reply.created(
        new JsonObject().put("tenant", slug).put("added", added.spkiSha256()).put("cas", casJson(cas)))));
  }

  private Future<Reply> importCa(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("certificate"));
    String pem = f.text("certificate", true);
    X509Certificate cert = null;
    if (pem != null) {
      try {
        List<X509Certificate> certsIn = Pem.readCertificates(pem);
        if (certsIn.size() != 1) {
          f.problem("certificate", "must hold exactly one PEM certificate, found " + certsIn.size());
        } else {
          cert = certsIn.get(0);
        }
      } catch (RuntimeException e) {
        f.problem("certificate", "is not a PEM certificate: " + e.getMessage());
      }
    }
    f.done();
    String slug = slug(c);
    return tenants.importCa(slug, cert, actor).map(ca -> Reply.created(new JsonObject().put("tenant", slug)
        .put("spki_sha256", ca.spkiSha256()).put("status", ca.status().wire())));
  }

  private Future<Reply> listPackages(RoutingContext c) {
    String tenant = c.queryParams().get("tenant");
    return packages.list(tenant, LIST_LIMIT).map(list -> Reply.ok(new JsonObject().put("packages",
        new JsonArray(list.stream().map(PackageStore.PackageView::toJson).toList()))));
  }

  private Future<Reply> createPackage(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("tenant", "component_id", "partition", "component_type", "ttl"));
    String tenant = f.slug("tenant", true);
    String component = f.id("component_id", true);
    String partition = f.id("partition", false);
    String type = f.slug("component_type", false);
    var ttl = f.duration("ttl");
    if (ttl != null && (ttl.isNegative() || ttl.isZero() || ttl.compareTo(packages.settings().maxTtl()) > 0)) {
      f.problem("ttl", "must be positive and at most " + packages.settings().maxTtl() + " (onboarding.maxPackageTtl)");
    }
    f.done();
    return packages.create(tenant, component, partition, type, ttl, actor).map(t -> Reply.created(t.pkg().toJson()
        .put("token", t.token())
        .put("download", new JsonObject().put("method", "POST")
            .put("url", packages.settings().api() + "/api/edge-packages/" + t.pkg().id() + "/bundle")
            .put("header", "x-serviceradar-download-token"))));
  }

  private Future<Reply> revokePackage(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("reason"));
    String reason = f.text("reason", false);
    f.done();
    return changed(packages.revoke(uuid(c.pathParam("id")), reason, actor));
  }

  private Future<Reply> listCerts(RoutingContext c) {
    return certs.list(c.queryParams().get("tenant"), LIST_LIMIT).map(list -> Reply.ok(new JsonObject()
        .put("certificates", new JsonArray(list.stream().map(CertStore.CertView::toJson).toList()))));
  }

  private Future<Reply> issueCert(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("tenant", "component_id", "partition", "component_type"));
    String tenant = f.slug("tenant", true);
    String component = f.id("component_id", true);
    String partition = f.id("partition", false);
    String type = f.slug("component_type", false);
    f.done();
    ComponentCertSpec spec = new ComponentCertSpec(component, partition, tenant,
        type == null ? ComponentCertSpec.typeOf(component) : type, trustDomain, spiffeTrustDomain, false,
        java.time.Duration.ofDays(365), KeyAlgorithm.EC_P256);
    return tenants.issueComponent(spec, actor).map(issued -> Reply.created(new JsonObject()
        .put("serial", Fingerprints.serialHex(issued.leaf().certificate().getSerialNumber()))
        .put("fingerprint_sha256", Fingerprints.sha256Hex(issued.leaf().certificate()))
        .put("common_name", spec.commonName())
        .put("certificate", Pem.certificates(issued.leaf().certificate()))
        .put("private_key", Pem.privateKey(issued.leaf().privateKey()))
        .put("chain", Pem.certificates(issued.leaf().certificate(), issued.tenantCa()))));
  }

  private Future<Reply> revokeCert(RoutingContext c, String actor) {
    Fields f = Fields.of(c.body().buffer(), Set.of("serial", "fingerprint", "reason"));
    String serial = f.text("serial", false);
    String fingerprint = f.text("fingerprint", false);
    String reason = f.text("reason", false);
    if ((serial == null) == (fingerprint == null)) {
      f.problem("serial", "give exactly one of serial and fingerprint");
    }
    f.done();
    return changed(serial != null ? tenants.revokeSerial(serial, reason, actor)
        : certs.revokeFingerprint(fingerprint, reason, actor));
  }

  private Future<Reply> listConnections(RoutingContext c) {
    String tenant = c.queryParams().get("tenant");
    return connections.get().map(all -> {
      List<JsonObject> shown = tenant == null ? all
          : all.stream().filter(x -> tenant.equals(x.getString("tenant"))).toList();
      Map<String, Long> perTenant = all.stream().collect(Collectors.groupingBy(x -> x.getString("tenant"),
          java.util.TreeMap::new, Collectors.counting()));
      return Reply.ok(new JsonObject().put("per_tenant", new JsonObject(Map.copyOf(perTenant)))
          .put("connections", new JsonArray(shown)));
    });
  }

  private static Future<Reply> changed(Future<Boolean> f) {
    return f.map(changed -> Reply.ok(new JsonObject().put("changed", changed)));
  }

  private static JsonObject tenantJson(Tenant t) {
    return new JsonObject().put("id", t.id().toString()).put("slug", t.slug()).put("name", t.name())
        .put("status", t.status().wire());
  }

  private static JsonArray casJson(List<TenantStore.CaView> cas) {
    return new JsonArray(cas.stream().map(ca -> new JsonObject().put("spki_sha256", ca.spkiSha256())
        .put("status", ca.status().wire()).put("subject", ca.subject()).put("not_after", java.util.Objects.toString(ca.notAfter(), null))
        .put("key_stored", ca.keyStored())).toList());
  }

  private static String slug(RoutingContext c) {
    return c.pathParam("slug");
  }

  private static String spki(RoutingContext c) {
    String s = c.pathParam("spki");
    if (!s.matches("[0-9a-f]{64}")) {
      throw new StoreException(StoreException.Kind.INVALID, "a CA is named by the SHA-256 of its public key: 64 lowercase hex characters");
    }
    return s;
  }

  static UUID uuid(String s) {
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      throw new StoreException(StoreException.Kind.NOT_FOUND, "package_not_found", "no package '" + s + "'");
    }
  }
}
