-- leadflow schema, version 80: automation rules. A rule per tenant (enabled or not, its current
-- version), every version of what it says, and each firing: one per (event, rule), the unique
-- key that keeps a rule from acting twice on an event, whoever evaluates it.

CREATE TABLE automation_rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL,            -- the current (latest) version
    enabled    INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX automation_rules_tenant ON automation_rules (tenant_id, id);

CREATE TABLE automation_rule_versions (
    rule_id    BIGINT NOT NULL REFERENCES automation_rules (id),
    version    INTEGER NOT NULL,
    spec       TEXT NOT NULL,               -- JSON: name, event, filter, actions, priority, stop
    created_at REAL NOT NULL,
    PRIMARY KEY (rule_id, version)
);

CREATE TABLE automation_rule_firings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    rule_id      BIGINT NOT NULL,
    rule_version INTEGER NOT NULL,
    event_id     BIGINT NOT NULL,
    contact_id   TEXT,
    actions      TEXT NOT NULL,             -- JSON list: the actions as planned
    outcome      TEXT NOT NULL,             -- applied | failed
    error        TEXT,
    source       TEXT NOT NULL,             -- worker | execute
    fired_at     REAL NOT NULL,
    UNIQUE (event_id, rule_id)
);
CREATE INDEX automation_rule_firings_rule ON automation_rule_firings (tenant_id, rule_id, id);
