-- Pick the due runs and lease them in one statement; SKIP LOCKED leaves the rows another
-- claimer holds, so two claimers never get the same run.
WITH picked AS (
    SELECT id FROM runs WHERE {{LIVE}} AND wake_at <= %(now)s
    AND (lease_until IS NULL OR lease_until < %(now)s)
    ORDER BY wake_at, id LIMIT %(limit)s FOR NO KEY UPDATE SKIP LOCKED)
UPDATE runs SET lease_owner = %(owner)s, lease_until = %(until)s
WHERE id IN (SELECT id FROM picked) RETURNING {{RUN_COLS}};
