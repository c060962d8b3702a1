-- The registry store (DESIGN.md sections 4 and 5). Flyway runs this with search_path set to the
-- configured schema (registry.postgres.schema), so nothing here names a schema; functions keep that
-- search_path (SET search_path FROM CURRENT) so triggers resolve tables the same way at run time.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name        text NOT NULL,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A tenant's intermediate CAs: one active, a second during rotation. private_key_enc is the PKCS#8
-- key sealed with AES-256-GCM under the master key (NULL when the key lives elsewhere).
CREATE TABLE tenant_cas (
  spki_sha256      text PRIMARY KEY CHECK (spki_sha256 ~ '^[0-9a-f]{64}$'),
  tenant_id        uuid NOT NULL REFERENCES tenants (id),
  certificate_pem  text NOT NULL,
  private_key_enc  bytea,
  subject_key_id   text,
  status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  not_before       timestamptz NOT NULL,
  not_after        timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_cas_tenant ON tenant_cas (tenant_id);

-- At most two active CAs per tenant. The tenant row lock serialises concurrent writers of one tenant.
CREATE FUNCTION tenant_cas_limit_active() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.status = 'active' THEN
    PERFORM 1 FROM tenants WHERE id = NEW.tenant_id FOR UPDATE;
    IF (SELECT count(*) FROM tenant_cas
        WHERE tenant_id = NEW.tenant_id AND status = 'active' AND spki_sha256 <> NEW.spki_sha256) >= 2 THEN
      RAISE EXCEPTION 'tenant % already has two active CAs', NEW.tenant_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'tenant_cas_at_most_two_active';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tenant_cas_limit_active BEFORE INSERT OR UPDATE OF status, tenant_id ON tenant_cas
  FOR EACH ROW EXECUTE FUNCTION tenant_cas_limit_active();

CREATE TABLE issued_certificates (
  serial              text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]+$'),
  tenant_id           uuid NOT NULL REFERENCES tenants (id),
  ca_spki_sha256      text REFERENCES tenant_cas (spki_sha256),
  component_id        text NOT NULL,
  component_type      text NOT NULL,
  partition_id        text NOT NULL DEFAULT 'default',
  fingerprint_sha256  text NOT NULL UNIQUE,
  not_after           timestamptz NOT NULL,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  issued_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issued_certificates_component ON issued_certificates (tenant_id, component_id);

-- Serials as lowercase hex without leading zeros (RegistrySnapshot.normalizeSerial). tenant_id is NULL
-- for a serial this store did not issue.
CREATE TABLE revocations (
  serial      text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]+$'),
  tenant_id   uuid REFERENCES tenants (id),
  reason      text NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE onboarding_packages (
  id                   uuid PRIMARY KEY,
  tenant_id            uuid NOT NULL REFERENCES tenants (id),
  component_id         text NOT NULL,
  component_type       text NOT NULL,
  partition_id         text NOT NULL DEFAULT 'default',
  state                text NOT NULL DEFAULT 'issued'
                         CHECK (state IN ('issued', 'delivered', 'activated', 'revoked', 'expired')),
  download_token_hash  bytea NOT NULL,
  certificate_serial   text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  expires_at           timestamptz NOT NULL,
  delivered_at         timestamptz,
  activated_at         timestamptz,
  revoked_at           timestamptz
);
CREATE INDEX onboarding_packages_tenant ON onboarding_packages (tenant_id, state);

-- Append-only: no UPDATE, DELETE or TRUNCATE (the triggers refuse them). No foreign key, so the
-- trail outlives whatever it talks about.
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor      text NOT NULL,
  action     text NOT NULL,
  tenant_id  uuid,
  detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- One value sealed under the master key when the schema is first used: a wrong key fails its GCM tag.
CREATE TABLE master_key_check (
  id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  sealed      bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every gateway LISTENs on tenantgate_registry and re-reads its snapshot. One notification per
-- statement; NOTIFY is delivered at commit, so readers see the committed change.
CREATE FUNCTION notify_registry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tenantgate_registry',
    json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', TG_OP)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION notify_registry();
CREATE TRIGGER tenant_cas_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_cas
  FOR EACH STATEMENT EXECUTE FUNCTION notify_registry();
CREATE TRIGGER revocations_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON revocations
  FOR EACH STATEMENT EXECUTE FUNCTION notify_registry();
