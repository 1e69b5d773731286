-- leadflow schema, version 13: reserved for the listing-matching tables, which ship in their own
-- file with this number; this placeholder only keeps the numbering contiguous until then.
SELECT 1;
