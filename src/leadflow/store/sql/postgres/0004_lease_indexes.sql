-- leadflow schema, version 4: indexes only (no table changes), so the upgrade keeps every row.
-- Never edit a shipped migration: later changes go in 0005 and on.

-- Work in flight, by the owner that holds it. Workers list who holds what (to release the
-- leases of a worker that died) and release them; only leased rows are in these indexes, so
-- both stay cheap however many runs wait.
CREATE INDEX runs_leased ON runs (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX messages_leased ON messages (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX events_leased ON events (lease_owner) WHERE lease_owner IS NOT NULL;
