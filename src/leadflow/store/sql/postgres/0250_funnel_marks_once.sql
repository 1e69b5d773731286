-- leadflow schema, version 250: on SQLite the funnel summary's row triggers (0220) now write
-- the run a row had before only when it changed. PostgreSQL's trigger functions did so from
-- the start; this version only keeps both dialects' numbering in step.
SELECT 1;
