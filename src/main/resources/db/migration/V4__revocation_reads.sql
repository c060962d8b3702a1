-- Incremental revocation reads (tenant/PostgresTenantRegistry): every revocation records the
-- transaction that added it, so a gateway that read the table as of one MVCC snapshot reads next only
-- the rows that snapshot could not see (pg_visible_in_snapshot), not every revocation after each
-- change. A transaction id, unlike a sequence value, cannot be overtaken by an earlier transaction
-- that commits later: whatever was in progress at the last read is still "not visible" to it.
-- pg_current_xact_id() is the top-level transaction's id, also inside a savepoint. Rows that exist
-- already get the migrating transaction's id; the index serves "added_xid >= the last snapshot's xmin".
-- Needs PostgreSQL 13 or later (xid8, pg_current_xact_id, pg_visible_in_snapshot).
ALTER TABLE revocations ADD COLUMN added_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX revocations_added_xid ON revocations (added_xid);
