-- Lease the due events, oldest first, under the write lock.
UPDATE events SET lease_owner = :owner, lease_until = :until WHERE id IN (
    SELECT id FROM events WHERE processed_at IS NULL AND occurred_at <= :now
    AND (lease_until IS NULL OR lease_until < :now) ORDER BY id LIMIT :limit)
RETURNING {{EVENT_COLS}};
