-- leadflow schema, version 60: the web app's signed-in browser sessions. The cookie holds a
-- random id; only its SHA-256 is kept here, with the public id of the API key signed in with
-- (never the key) and the CSRF token that writes must carry. Every API process reads them, so
-- sign-in, sign-out and revocation hold across `leadflow serve --processes N` and restarts.

CREATE TABLE web_sessions (
    digest     TEXT COLLATE "C" NOT NULL PRIMARY KEY,   -- SHA-256 (hex) of the session id
    key_id     TEXT COLLATE "C" NOT NULL,               -- api_keys.id
    tenant_id  TEXT COLLATE "C" NOT NULL,
    csrf       TEXT COLLATE "C" NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    seen_at    DOUBLE PRECISION NOT NULL
);
CREATE INDEX web_sessions_key ON web_sessions (key_id);
CREATE INDEX web_sessions_seen ON web_sessions (seen_at);
