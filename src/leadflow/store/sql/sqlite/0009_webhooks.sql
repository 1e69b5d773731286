-- leadflow schema, version 9: webhooks. Signed inbound leads (one secret per tenant, a replay
-- guard) and outbound subscriptions with their delivery log (an event goes at most once to a
-- subscription).

CREATE TABLE webhook_secrets (
    tenant_id  TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE webhook_subscriptions (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    url         TEXT NOT NULL,
    event_types TEXT NOT NULL DEFAULT '[]',   -- a JSON list; "*" matches every type
    secret      TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    description TEXT,
    created_at  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    event_id        INTEGER NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      REAL NOT NULL,
    delivered_at    REAL,
    lease_owner     TEXT,
    lease_until     REAL,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE status = 'pending';

CREATE TABLE webhook_replays (
    digest  TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_replays_seen ON webhook_replays (seen_at);
