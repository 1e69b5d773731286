-- leadflow schema, version 13: trained predictive-score models, one row per (tenant, version).
-- ``model`` holds the pickled fitted estimator; leadflow loads only models it trained itself
-- (rows written by `leadflow scoring retrain`), never a blob from elsewhere.

CREATE TABLE score_models (
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    version       INTEGER NOT NULL,
    created_at    DOUBLE PRECISION NOT NULL,
    algorithm     TEXT NOT NULL,           -- logistic | boosting
    goal          TEXT NOT NULL,           -- the event type predicted, e.g. appointment.booked
    horizon_days  INTEGER NOT NULL,
    metrics       TEXT NOT NULL,           -- JSON: validation measures, rows, positives
    feature_names TEXT NOT NULL,           -- JSON list, in the model's column order
    model         BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
