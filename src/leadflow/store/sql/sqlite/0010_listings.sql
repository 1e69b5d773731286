-- leadflow schema, version 10: listings (RESO Property), one per (tenant, ListingKey). Never edit a shipped
-- migration: later changes go in a new file.

CREATE TABLE listings (
    tenant_id                          TEXT NOT NULL REFERENCES tenants (id),
    listing_key                        TEXT NOT NULL,       -- RESO ListingKey
    listing_id                         TEXT,                -- ListingId (the MLS number)
    standard_status                    TEXT,                -- RESO spelling: ActiveUnderContract
    property_type                      TEXT,
    property_sub_type                  TEXT,
    list_price                         REAL,
    original_list_price                REAL,
    close_price                        REAL,
    unparsed_address                   TEXT,
    street_number                      TEXT,
    street_name                        TEXT,
    city                               TEXT,
    state_or_province                  TEXT,
    postal_code                        TEXT,                -- a string, never a number
    county_or_parish                   TEXT,
    subdivision_name                   TEXT,
    latitude                           REAL,
    longitude                          REAL,
    bedrooms_total                     INTEGER,
    bathrooms_total_integer            INTEGER,
    living_area                        REAL,
    lot_size_acres                     REAL,
    year_built                         INTEGER,
    garage_spaces                      REAL,
    pool_private_yn                    INTEGER,             -- flags: 0/1, NULL when unknown
    waterfront_yn                      INTEGER,
    new_construction_yn                INTEGER,
    internet_entire_listing_display_yn INTEGER,             -- IDX display permission
    public_remarks                     TEXT,
    list_agent_key                     TEXT,
    list_office_key                    TEXT,
    modification_timestamp             REAL,                -- epoch seconds (UTC)
    photos                             TEXT NOT NULL DEFAULT '[]',  -- JSON list of URLs
    extra                              TEXT NOT NULL DEFAULT '{}',  -- JSON: other feed fields
    created_at                         REAL NOT NULL,
    updated_at                         REAL NOT NULL,
    PRIMARY KEY (tenant_id, listing_key)
) WITHOUT ROWID;
CREATE INDEX listings_status_price ON listings (tenant_id, standard_status, list_price);
CREATE INDEX listings_postal_code ON listings (tenant_id, postal_code);
CREATE INDEX listings_city ON listings (tenant_id, city);
