-- leadflow schema, version 6: tenants (brokerages), their teams and agents (RESO Member), and
-- API keys. Never edit a shipped migration: later changes go in 0007 and on.

CREATE TABLE tenants (
    id         TEXT COLLATE "C" PRIMARY KEY,          -- a slug: lowercase letters, digits, '-'
    name       TEXT COLLATE "C" NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

-- RESO Teams: TeamKey, TeamName, TeamLeadKey
CREATE TABLE teams (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    team_key   TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    lead_key   TEXT COLLATE "C",
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, team_key)
);

-- RESO Member (agents), each in at most one team of its tenant
CREATE TABLE agents (
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    member_key    TEXT COLLATE "C" NOT NULL,
    team_key      TEXT COLLATE "C",
    first_name    TEXT COLLATE "C",
    last_name     TEXT COLLATE "C",
    email         TEXT COLLATE "C",
    mobile_phone  TEXT COLLATE "C",
    mls_id        TEXT COLLATE "C",
    office_key    TEXT COLLATE "C",
    office_name   TEXT COLLATE "C",
    state_license TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL DEFAULT 'Active',
    created_at    DOUBLE PRECISION NOT NULL,
    updated_at    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, member_key),
    FOREIGN KEY (tenant_id, team_key) REFERENCES teams (tenant_id, team_key)
);
CREATE INDEX agents_team ON agents (tenant_id, team_key);

-- API keys: only a SHA-256 digest of the secret part is kept; the key is shown once.
CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,        -- the public part of the key
    tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    role         TEXT COLLATE "C" NOT NULL CHECK (role IN ('admin', 'manager', 'agent')),
    member_key   TEXT COLLATE "C",
    name         TEXT COLLATE "C",
    digest       TEXT COLLATE "C" NOT NULL,
    created_at   DOUBLE PRECISION NOT NULL,
    revoked_at   DOUBLE PRECISION,
    FOREIGN KEY (tenant_id, member_key) REFERENCES agents (tenant_id, member_key)
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
