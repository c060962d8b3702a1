-- Per-tenant quota overrides (tenant/TenantLimits): a JSON object of the limits that differ from the
-- gateway's configured defaults, e.g. {"rps": 50, "connections": 200}; absent keys inherit, 0 means
-- unlimited. Changing it fires tenants_notify, so every gateway re-reads its snapshot and resizes the
-- tenant's buckets in place.
ALTER TABLE tenants
  ADD COLUMN limits jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(limits) = 'object');
