-- leadflow schema, version 10: listings (RESO Property), one per (tenant, ListingKey). Never edit a shipped
-- migration: later changes go in a new file.

CREATE TABLE listings (
    tenant_id                          TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    listing_key                        TEXT COLLATE "C" NOT NULL,  -- RESO ListingKey
    listing_id                         TEXT COLLATE "C",  -- ListingId (the MLS number)
    standard_status                    TEXT COLLATE "C",  -- RESO spelling: ActiveUnderContract
    property_type                      TEXT COLLATE "C",
    property_sub_type                  TEXT COLLATE "C",
    list_price                         DOUBLE PRECISION,
    original_list_price                DOUBLE PRECISION,
    close_price                        DOUBLE PRECISION,
    unparsed_address                   TEXT COLLATE "C",
    street_number                      TEXT COLLATE "C",
    street_name                        TEXT COLLATE "C",
    city                               TEXT COLLATE "C",
    state_or_province                  TEXT COLLATE "C",
    postal_code                        TEXT COLLATE "C",  -- a string, never a number
    county_or_parish                   TEXT COLLATE "C",
    subdivision_name                   TEXT COLLATE "C",
    latitude                           DOUBLE PRECISION,
    longitude                          DOUBLE PRECISION,
    bedrooms_total                     INTEGER,
    bathrooms_total_integer            INTEGER,
    living_area                        DOUBLE PRECISION,
    lot_size_acres                     DOUBLE PRECISION,
    year_built                         INTEGER,
    garage_spaces                      DOUBLE PRECISION,
    pool_private_yn                    BOOLEAN,           -- flags: NULL when unknown
    waterfront_yn                      BOOLEAN,
    new_construction_yn                BOOLEAN,
    internet_entire_listing_display_yn BOOLEAN,           -- IDX display permission
    public_remarks                     TEXT COLLATE "C",
    list_agent_key                     TEXT COLLATE "C",
    list_office_key                    TEXT COLLATE "C",
    modification_timestamp             DOUBLE PRECISION,  -- epoch seconds (UTC)
    photos                             TEXT COLLATE "C" NOT NULL DEFAULT '[]',  -- JSON list of URLs
    extra                              TEXT COLLATE "C" NOT NULL DEFAULT '{}',  -- JSON: other fields
    created_at                         DOUBLE PRECISION NOT NULL,
    updated_at                         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (tenant_id, listing_key)
);
CREATE INDEX listings_status_price ON listings (tenant_id, standard_status, list_price);
CREATE INDEX listings_postal_code ON listings (tenant_id, postal_code);
CREATE INDEX listings_city ON listings (tenant_id, city);
