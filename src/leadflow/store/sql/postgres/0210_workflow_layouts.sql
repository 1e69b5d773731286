-- leadflow schema, version 210: the designer's layout of a workflow key, {node id: {x, y}} as
-- JSON, kept after its draft is published (publishing a draft deletes the draft and its layout
-- with it), so the published versions open with the nodes where they were placed.

CREATE TABLE workflow_layouts (
    tenant_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    layout     TEXT NOT NULL,             -- JSON
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
