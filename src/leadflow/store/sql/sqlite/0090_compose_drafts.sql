-- leadflow schema, version 90: the text each ai_compose step chose (the model's draft or the
-- node's template, and why), kept before the message is queued. Keyed by the step's
-- idempotency key (run:node:step), so a step executed again after a crash finds its text and
-- sends the same one; the first draft kept for a step wins. Like contacts, a draft's tenant
-- needs no tenants row (data entered without a tenant belongs to "default").

CREATE TABLE compose_drafts (
    tenant_id  TEXT NOT NULL,  -- no foreign key: leads of tenant "default" may have no tenants row
    step_key   TEXT NOT NULL,               -- run:node:step, the message's idempotency key
    contact_id TEXT NOT NULL,
    node       TEXT NOT NULL,
    channel    TEXT NOT NULL,               -- sms or email
    body       TEXT NOT NULL,               -- the text queued
    source     TEXT NOT NULL,               -- model or template
    created_at REAL NOT NULL,
    subject    TEXT,
    reasons    TEXT NOT NULL DEFAULT '[]',  -- JSON list: why the template went out
    draft      TEXT,                        -- the model's refused draft, for review
    PRIMARY KEY (tenant_id, step_key)
) WITHOUT ROWID;
CREATE INDEX compose_drafts_contact ON compose_drafts (tenant_id, contact_id, created_at);
