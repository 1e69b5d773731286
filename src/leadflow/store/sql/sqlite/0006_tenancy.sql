-- leadflow schema, version 6: tenants (brokerages), their teams and agents (RESO Member), and
-- API keys. Never edit a shipped migration: later changes go in 0007 and on.

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,          -- a slug: lowercase letters, digits, '-'
    name       TEXT NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;

-- RESO Teams: TeamKey, TeamName, TeamLeadKey
CREATE TABLE teams (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    team_key   TEXT NOT NULL,
    name       TEXT NOT NULL,
    lead_key   TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, team_key)
) WITHOUT ROWID;

-- RESO Member (agents), each in at most one team of its tenant
CREATE TABLE agents (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    member_key    TEXT NOT NULL,
    team_key      TEXT,
    first_name    TEXT,
    last_name     TEXT,
    email         TEXT,
    mobile_phone  TEXT,
    mls_id        TEXT,
    office_key    TEXT,
    office_name   TEXT,
    state_license TEXT,
    status        TEXT NOT NULL DEFAULT 'Active',
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL,
    PRIMARY KEY (tenant_id, member_key),
    FOREIGN KEY (tenant_id, team_key) REFERENCES teams (tenant_id, team_key)
) WITHOUT ROWID;
CREATE INDEX agents_team ON agents (tenant_id, team_key);

-- API keys: only a SHA-256 digest of the secret part is kept; the key is shown once.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,        -- the public part of the key
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    role         TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
    member_key   TEXT,
    name         TEXT,
    digest       TEXT NOT NULL,
    created_at   REAL NOT NULL,
    revoked_at   REAL,
    FOREIGN KEY (tenant_id, member_key) REFERENCES agents (tenant_id, member_key)
) WITHOUT ROWID;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
