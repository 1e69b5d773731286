-- Pick the due events and lease them in one statement (SKIP LOCKED: no event twice).
WITH picked AS (
    SELECT id FROM events WHERE processed_at IS NULL AND occurred_at <= %(now)s
    AND (lease_until IS NULL OR lease_until < %(now)s)
    ORDER BY id LIMIT %(limit)s FOR NO KEY UPDATE SKIP LOCKED)
UPDATE events SET lease_owner = %(owner)s, lease_until = %(until)s
WHERE id IN (SELECT id FROM picked) RETURNING {{EVENT_COLS}};
