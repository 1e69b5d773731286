-- leadflow schema, version 1.
-- Times are REAL epoch seconds (UTC); JSON columns hold compact JSON text.
-- Applied by `leadflow db upgrade` in one transaction together with its schema_migrations row.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    first_name TEXT,
    last_name  TEXT,
    email      TEXT,
    phone      TEXT,
    time_zone  TEXT,
    state      TEXT,
    owner      TEXT,
    stage      TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',
    fields     TEXT NOT NULL DEFAULT '{}',
    consent    TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE workflows (
    key          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    definition   TEXT NOT NULL,
    published_at REAL NOT NULL,
    PRIMARY KEY (key, version)
);

CREATE TABLE schedules (
    workflow_key  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    trigger_index INTEGER NOT NULL,
    cron          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    next_fire_at  REAL NOT NULL,
    PRIMARY KEY (workflow_key, trigger_index)
);
CREATE INDEX schedules_due ON schedules (next_fire_at);

CREATE TABLE runs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_key TEXT NOT NULL,
    version      INTEGER NOT NULL,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    node         TEXT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'waiting', 'paused', 'completed',
                                                 'exited', 'failed', 'cancelled')),
    wake_at      REAL,
    context      TEXT NOT NULL DEFAULT '{}',
    step_seq     INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    waiting_for  TEXT,
    seq          INTEGER NOT NULL DEFAULT 0,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    ended_at     REAL,
    exit_reason  TEXT,
    error        TEXT,
    lease_owner  TEXT,
    lease_until  REAL
);
-- Due work: only live runs are indexed, so a million ended runs cost nothing here.
CREATE INDEX runs_due ON runs (wake_at) WHERE status IN ('active', 'waiting');
CREATE INDEX runs_contact ON runs (contact_id, workflow_key);

CREATE TABLE steps (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    node       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    step_seq   INTEGER NOT NULL,
    attempt    INTEGER NOT NULL,
    outcome    TEXT NOT NULL,
    started_at REAL NOT NULL,
    due_at     REAL,
    error      TEXT,
    data       TEXT
);
CREATE INDEX steps_run ON steps (run_id);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER,
    contact_id        TEXT,
    workflow_key      TEXT,
    node              TEXT,
    channel           TEXT NOT NULL,
    to_addr           TEXT,
    idempotency_key   TEXT NOT NULL UNIQUE,
    due_at            REAL NOT NULL,
    created_at        REAL NOT NULL,
    subject           TEXT,
    body              TEXT,
    payload           TEXT NOT NULL DEFAULT '{}',
    status            TEXT NOT NULL CHECK (status IN ('pending', 'deferred', 'sending', 'sent',
                                                      'delivered', 'failed', 'suppressed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    sent_at           REAL,
    delivered_at      REAL,
    opened_at         REAL,
    clicked_at        REAL,
    replied_at        REAL,
    provider_id       TEXT,
    suppressed_reason TEXT,
    error             TEXT,
    lease_owner       TEXT,
    lease_until       REAL
);
-- The outbox queue: only messages that can still be claimed are indexed.
CREATE INDEX messages_due ON messages (due_at) WHERE status IN ('pending', 'deferred', 'sending');
CREATE INDEX messages_run ON messages (run_id);
CREATE INDEX messages_contact ON messages (contact_id, channel);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    type         TEXT NOT NULL,
    contact_id   TEXT,
    data         TEXT NOT NULL DEFAULT '{}',
    dedupe_key   TEXT NOT NULL UNIQUE,
    occurred_at  REAL NOT NULL,
    created_at   REAL NOT NULL,
    processed_at REAL,
    lease_owner  TEXT,
    lease_until  REAL
);
-- The event queue: unprocessed events only, in id order.
CREATE INDEX events_pending ON events (id, occurred_at) WHERE processed_at IS NULL;
CREATE INDEX events_contact ON events (contact_id, processed_at);

CREATE TABLE sandbox_deliveries (
    idempotency_key TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    to_addr         TEXT,
    body            TEXT,
    provider_id     TEXT NOT NULL,
    delivered_at    REAL NOT NULL,
    duplicates      INTEGER NOT NULL DEFAULT 0
);
