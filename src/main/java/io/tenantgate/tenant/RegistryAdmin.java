package io.tenantgate.tenant;

import io.tenantgate.pki.ComponentCertSpec;
import io.vertx.core.Future;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What an operator changes in a store, whichever it is: the CLI works through this. The Postgres
 * store does all of it; the file store (laptops, {@code tenantgate dev}) all but onboarding packages
 * ({@link #packages()} is null there). Refusals fail with {@link StoreException} and write nothing.
 */
public interface RegistryAdmin {
  Future<Tenant> createTenant(String slug, String name, String actor);

  /** The offline-root path: the tenant and a CA request whose signed certificate {@link #importCa} takes. */
  Future<TenantStore.PendingCa> createTenantWithRequest(String slug, String name, String actor);

  Future<List<Tenant>> listTenants();

  /** One tenant by slug, with its quota overrides; NOT_FOUND when there is none. */
  Future<Tenant> tenant(String slug);

  /** Replaces the tenant's quota overrides (audited as tenant.limits); the tenant as it is now. */
  Future<Tenant> setLimits(String slug, TenantLimits limits, String actor);

  Future<Boolean> suspend(String slug, String actor);

  Future<Boolean> resume(String slug, String actor);

  Future<TenantStore.Issued> issueComponent(ComponentCertSpec spec, String actor);

  Future<List<CertStore.CertView>> listCerts(String slug, int limit);

  Future<Boolean> revokeSerial(String serialHex, String reason, String actor);

  Future<Boolean> revokeFingerprint(String fingerprint, String reason, String actor);

  Future<TenantCa> rotateCa(String slug, String actor);

  Future<TenantStore.PendingCa> requestCa(String slug, String actor);

  Future<TenantCa> importCa(String slug, X509Certificate certificate, String actor);

  Future<List<TenantStore.CaView>> listCas(String slug);

  Future<Boolean> setCaStatus(String spkiSha256, TenantStatus status, String actor);

  /** Onboarding packages, or null when this store has none (the file store). */
  PackageStore packages();

  /** Which store this is, for messages ("postgres schema tenantgate", "file /x/registry.json"). */
  String describe();

  /** The CN trust domain ({@code identity.trustDomain}) certificates issued here must use. */
  String trustDomain();

  /** The SPIFFE trust domain ({@code identity.spiffeTrustDomain}) of issued certificates' URI SANs. */
  String spiffeTrustDomain();

  Future<Void> close();

  /** The Postgres store: the three stores of the admin API, behind this one interface. */
  static RegistryAdmin of(TenantStore tenants, CertStore certs, PackageStore packages, String describe,
      String trustDomain, String spiffeTrustDomain, java.util.function.Supplier<Future<Void>> close) {
    return new RegistryAdmin() {
      @Override
      public String trustDomain() {
        return trustDomain;
      }

      @Override
      public String spiffeTrustDomain() {
        return spiffeTrustDomain;
      }

      @Override
      public Future<Tenant> createTenant(String slug, String name, String actor) {
        return tenants.createTenant(slug, name, actor);
      }

      @Override
      public Future<TenantStore.PendingCa> createTenantWithRequest(String slug, String name, String actor) {
        return tenants.createTenantWithRequest(slug, name, actor);
      }

      @Override
      public Future<List<Tenant>> listTenants() {
        return tenants.listTenants();
      }

      @Override
      public Future<Tenant> tenant(String slug) {
        return tenants.tenant(slug);
      }

      @Override
      public Future<Tenant> setLimits(String slug, TenantLimits limits, String actor) {
        return tenants.setLimits(slug, limits, actor);
      }

      @Override
      public Future<Boolean> suspend(String slug, String actor) {
        return tenants.suspend(slug, actor);
      }

      @Override
      public Future<Boolean> resume(String slug, String actor) {
        return tenants.resume(slug, actor);
      }

      @Override
      public Future<TenantStore.Issued> issueComponent(ComponentCertSpec spec, String actor) {
        return tenants.issueComponent(spec, actor);
      }

      @Override
      public Future<List<CertStore.CertView>> listCerts(String slug, int limit) {
        return certs.list(slug, limit);
      }

      @Override
      public Future<Boolean> revokeSerial(String serialHex, String reason, String actor) {
        return tenants.revokeSerial(serialHex, reason, actor);
      }

      @Override
      public Future<Boolean> revokeFingerprint(String fingerprint, String reason, String actor) {
        return certs.revokeFingerprint(fingerprint, reason, actor);
      }

      @Override
      public Future<TenantCa> rotateCa(String slug, String actor) {
        return tenants.rotateCa(slug, actor);
      }

      @Override
      public Future<TenantStore.PendingCa> requestCa(String slug, String actor) {
        return tenants.requestCa(slug, actor);
      }

      @Override
      public Future<TenantCa> importCa(String slug, X509Certificate certificate, String actor) {
        return tenants.importCa(slug, certificate, actor);
      }

      @Override
      public Future<List<TenantStore.CaView>> listCas(String slug) {
        return tenants.listCas(slug);
      }

      @Override
      public Future<Boolean> setCaStatus(String spkiSha256, TenantStatus status, String actor) {
        return tenants.setCaStatus(spkiSha256, status, actor);
      }

      @Override
      public PackageStore packages() {
        return packages;
      }

      @Override
      public String describe() {
        return describe;
      }

      @Override
      public Future<Void> close() {
        return close.get();
      }
    };
  }
}
