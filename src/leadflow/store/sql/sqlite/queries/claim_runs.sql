-- Lease the due runs: one UPDATE under the write lock (BEGIN IMMEDIATE), so nobody claims
-- in between.
UPDATE runs SET lease_owner = :owner, lease_until = :until WHERE id IN (
    SELECT id FROM runs WHERE {{LIVE}} AND wake_at <= :now
    AND (lease_until IS NULL OR lease_until < :now)
    ORDER BY wake_at, id LIMIT :limit)
RETURNING {{RUN_COLS}};
