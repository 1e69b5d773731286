-- leadflow schema, version 8: workflow drafts, one editable (possibly invalid) definition per
-- tenant and workflow key; publishing a draft makes a version and deletes the draft.

CREATE TABLE workflow_drafts (
    tenant_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    definition TEXT NOT NULL,             -- JSON
    updated_at REAL NOT NULL,
    updated_by TEXT,                      -- the API key id that saved it, when known
    PRIMARY KEY (tenant_id, key)
);
