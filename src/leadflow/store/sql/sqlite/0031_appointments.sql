-- leadflow schema, version 31: appointments booked on agents' booking pages. A slot of an
-- agent holds at most one booked appointment: the partial unique index makes a second booking
-- of it fail, also when two requests race.

CREATE TABLE appointments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT NOT NULL,
    agent        TEXT NOT NULL,             -- RESO MemberKey
    contact_id   TEXT NOT NULL,
    starts_at    REAL NOT NULL,
    ends_at      REAL NOT NULL,
    status       TEXT NOT NULL,             -- booked | cancelled
    created_at   REAL NOT NULL,
    cancelled_at REAL,
    replaces     BIGINT                   -- the appointment this one rescheduled
);
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (tenant_id, agent, starts_at)
    WHERE status = 'booked';
CREATE INDEX appointments_agent ON appointments (tenant_id, agent, starts_at);
CREATE INDEX appointments_contact ON appointments (tenant_id, contact_id, starts_at);
