-- Onboarding (DESIGN.md section 4): packages record how their token was consumed and which
-- certificate they produced; issued certificates name their package; a tenant CA may wait for a
-- root that stays offline (tenant_ca_requests holds its sealed key and CSR until the signed
-- certificate is imported).

ALTER TABLE onboarding_packages
  ADD COLUMN delivery     text CHECK (delivery IN ('bundle', 'csr')),
  ADD COLUMN created_by   text NOT NULL DEFAULT 'unknown',
  ADD COLUMN revoke_reason text;
CREATE INDEX onboarding_packages_serial ON onboarding_packages (certificate_serial);

ALTER TABLE issued_certificates
  ADD COLUMN package_id uuid REFERENCES onboarding_packages (id);
CREATE INDEX issued_certificates_tenant ON issued_certificates (tenant_id, issued_at);

CREATE TABLE tenant_ca_requests (
  spki_sha256      text PRIMARY KEY CHECK (spki_sha256 ~ '^[0-9a-f]{64}$'),
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  csr_pem          text NOT NULL,
  private_key_enc  bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_ca_requests_tenant ON tenant_ca_requests (tenant_id);
