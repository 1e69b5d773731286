-- leadflow schema, version 14: which listings were sent to which contact (by a match_properties
-- node), so a listing is never sent to the same lead twice. Never edit a shipped migration:
-- later changes go in a new file.

CREATE TABLE listing_matches (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    contact_id  TEXT NOT NULL,
    listing_key TEXT NOT NULL,     -- RESO ListingKey
    score       REAL NOT NULL,     -- 0-100 when it was picked
    step_key    TEXT NOT NULL,     -- (run, node, step): the same step re-run finds its picks
    matched_at  REAL NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, listing_key)
) WITHOUT ROWID;
CREATE INDEX listing_matches_step ON listing_matches (step_key);
