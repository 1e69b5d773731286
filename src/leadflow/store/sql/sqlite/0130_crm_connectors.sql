-- leadflow schema, version 130: CRM connectors (GoHighLevel, Follow Up Boss). One connector per
-- tenant and CRM (its config holds the API credentials; the API never shows them), the delivery
-- log of every outbound change (unique by idempotency key, written before the call), the links
-- between leadflow contacts and CRM contacts, and the contact sync's agreed values and log.

CREATE TABLE crm_connectors (
    tenant_id  TEXT NOT NULL,
    crm        TEXT NOT NULL CHECK (crm IN ('ghl', 'fub')),
    config     TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, crm)
) WITHOUT ROWID;

CREATE TABLE crm_deliveries (
    id              INTEGER PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    crm             TEXT NOT NULL,
    operation       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    contact_id      TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    http_status     INTEGER,
    remote_id       TEXT,
    error           TEXT,
    request         TEXT NOT NULL DEFAULT '{}',   -- what was asked (never a secret)
    calls           TEXT NOT NULL DEFAULT '[]',   -- each HTTP call: method, path, status, at
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    UNIQUE (tenant_id, crm, idempotency_key)
);
CREATE INDEX crm_deliveries_tenant ON crm_deliveries (tenant_id, id);

CREATE TABLE crm_links (
    tenant_id  TEXT NOT NULL,
    crm        TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    remote_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, crm, contact_id),
    UNIQUE (tenant_id, crm, remote_id)
) WITHOUT ROWID;

CREATE TABLE crm_sync_state (
    tenant_id  TEXT NOT NULL,
    crm        TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT,              -- JSON
    synced_at  REAL NOT NULL,
    PRIMARY KEY (tenant_id, crm, contact_id, field)
) WITHOUT ROWID;

CREATE TABLE crm_sync_log (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    crm          TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    field        TEXT NOT NULL,
    local_value  TEXT,            -- JSON
    remote_value TEXT,            -- JSON
    winner       TEXT NOT NULL CHECK (winner IN ('local', 'remote')),
    local_at     REAL,
    remote_at    REAL,
    at           REAL NOT NULL
);
CREATE INDEX crm_sync_log_contact ON crm_sync_log (tenant_id, crm, contact_id, id);
