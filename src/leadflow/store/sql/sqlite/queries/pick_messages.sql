-- The due messages to claim, with their status before the claim ('sending' = in doubt). A
-- contact waits while it has an unprocessed holding event (a reply, an opt-out) or while
-- another owner is sending to it, so one worker at a time dispatches to a contact. Read
-- under the write lock, then leased by lease_messages.
SELECT m.id, m.status FROM messages m WHERE {{QUEUED}} AND m.due_at <= :now
AND (m.status <> 'sending' OR m.lease_until IS NULL OR m.lease_until < :now)
AND (m.contact_id IS NULL OR (
    NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = m.contact_id
        AND e.processed_at IS NULL AND e.type IN {{HOLDS}})
    AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.contact_id = m.contact_id
        AND o.status = 'sending' AND o.lease_owner IS NOT NULL AND o.lease_owner <> :owner
        AND o.lease_until >= :now)))
ORDER BY m.due_at, m.id LIMIT :limit;
