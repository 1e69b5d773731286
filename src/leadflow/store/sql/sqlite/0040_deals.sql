-- leadflow schema, version 40: closed deals (RESO-style: ClosePrice, CloseDate, ListingKey, side,
-- commission), one per (tenant, deal key), linked to a contact and an agent (MemberKey). Money is
-- integer cents so revenue attribution can split it exactly. Never edit a shipped migration:
-- later changes go in a new file.

CREATE TABLE deals (
    tenant_id        TEXT NOT NULL,  -- like contacts: no tenants row needed (default)
    deal_key         TEXT NOT NULL,
    contact_id       TEXT,
    agent_key        TEXT,
    listing_key      TEXT,
    side             TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    close_price      INTEGER NOT NULL,   -- cents
    commission       INTEGER,            -- cents, NULL when not given
    close_date       TEXT NOT NULL,      -- ISO date (YYYY-MM-DD)
    closed_at        REAL NOT NULL,      -- epoch seconds of the close date, 00:00 UTC
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL,
    PRIMARY KEY (tenant_id, deal_key)
) WITHOUT ROWID;
CREATE INDEX deals_closed ON deals (tenant_id, closed_at);
CREATE INDEX deals_contact ON deals (contact_id);
