-- leadflow schema, version 50: the ledger of language-model calls (AI drafting). One row per
-- call or cache answer: no prompt, answer or key is kept. Summed per tenant for the monthly
-- token budget, listed by the API.

CREATE TABLE ai_calls (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    at          REAL NOT NULL,
    purpose     TEXT NOT NULL,           -- workflow | campaign | ...
    model       TEXT NOT NULL,
    tokens_in   INTEGER NOT NULL,
    tokens_out  INTEGER NOT NULL,
    latency_ms  REAL NOT NULL,
    cache_hit   INTEGER NOT NULL,        -- 0 / 1
    outcome     TEXT NOT NULL,           -- ok | invalid | timeout | rate_limited | server_error | down | over_budget
    mode        TEXT NOT NULL            -- json_schema | tool | json_object | '' (no request)
);

CREATE INDEX ai_calls_tenant_at ON ai_calls (tenant_id, at);
