-- leadflow schema, version 40: closed deals (RESO-style: ClosePrice, CloseDate, ListingKey, side,
-- commission), one per (tenant, deal key), linked to a contact and an agent (MemberKey). Money is
-- integer cents so revenue attribution can split it exactly. Never edit a shipped migration:
-- later changes go in a new file.

CREATE TABLE deals (
    tenant_id        TEXT COLLATE "C" NOT NULL,  -- like contacts: no tenants row needed (default)
    deal_key         TEXT COLLATE "C" NOT NULL,
    contact_id       TEXT COLLATE "C",
    agent_key        TEXT COLLATE "C",
    listing_key      TEXT COLLATE "C",
    side             TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    close_price      BIGINT NOT NULL,   -- cents
    commission       BIGINT,            -- cents, NULL when not given
    close_date       TEXT NOT NULL,     -- ISO date (YYYY-MM-DD)
    closed_at        DOUBLE PRECISION NOT NULL,  -- epoch seconds of the close date, 00:00 UTC
    created_at       DOUBLE PRECISION NOT NULL,
    updated_at       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, deal_key)
);
CREATE INDEX deals_closed ON deals (tenant_id, closed_at);
CREATE INDEX deals_contact ON deals (contact_id);
