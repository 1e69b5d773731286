-- leadflow schema, version 30: playbooks. Tasks for people (created by notify_agent nodes or
-- through the API), every owner assignment with the rule and reason that made it, and each
-- agent's routing profile (working hours, urgent-task consent, availability, areas, sources).

CREATE TABLE tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    contact_id   TEXT NOT NULL,
    assignee     TEXT NOT NULL,             -- RESO MemberKey of the tenant
    title        TEXT NOT NULL,
    body         TEXT,
    label        TEXT,                      -- cma | photos | follow_up ...
    priority     TEXT NOT NULL,             -- low | normal | high | urgent
    status       TEXT NOT NULL,             -- open | done
    due_at       REAL NOT NULL,
    created_at   REAL NOT NULL,
    completed_at REAL,
    completed_by TEXT,
    overdue_at   REAL,                      -- when task.overdue was recorded (once)
    run_id       BIGINT,
    workflow_key TEXT,
    step_key     TEXT NOT NULL UNIQUE       -- the creating step: creation is idempotent
);
CREATE INDEX tasks_assignee ON tasks (tenant_id, assignee, status, id);
CREATE INDEX tasks_contact ON tasks (tenant_id, contact_id, id);
CREATE INDEX tasks_overdue ON tasks (due_at) WHERE status = 'open' AND overdue_at IS NULL;

CREATE TABLE owner_assignments (
    tenant_id   TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    member_key  TEXT NOT NULL,
    rule        TEXT NOT NULL,              -- round_robin | area | source | team_lead | manual ...
    reason      TEXT NOT NULL,
    step_key    TEXT NOT NULL PRIMARY KEY,
    assigned_at REAL NOT NULL
);
CREATE INDEX owner_assignments_contact ON owner_assignments (tenant_id, contact_id, assigned_at);
CREATE INDEX owner_assignments_member ON owner_assignments (tenant_id, member_key, assigned_at);

CREATE TABLE agent_profiles (
    tenant_id          TEXT NOT NULL,
    member_key         TEXT NOT NULL,
    time_zone          TEXT NOT NULL,
    hours_start        TEXT NOT NULL,
    hours_end          TEXT NOT NULL,
    weekdays           TEXT NOT NULL,       -- JSON list of mon..sun
    urgent_after_hours INTEGER NOT NULL,
    available          INTEGER NOT NULL,
    areas              TEXT NOT NULL,       -- JSON list of ZIP codes / city names
    sources            TEXT NOT NULL,       -- JSON list of lead sources
    updated_at         REAL NOT NULL,
    PRIMARY KEY (tenant_id, member_key)
);
