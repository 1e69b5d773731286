-- leadflow schema, version 150: the audit of contact erasures (the right to erasure). One row
-- per erased contact: the tenant, a SHA-256 digest of the contact id (never the id itself, nor
-- any other personal data), who asked, when, and how many rows of each table were deleted or
-- blanked (counts, a JSON object).

CREATE TABLE erasures (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT NOT NULL,
    contact_digest TEXT NOT NULL,
    erased_by      TEXT NOT NULL,
    erased_at      REAL NOT NULL,
    counts         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX erasures_tenant ON erasures (tenant_id, erased_at);
