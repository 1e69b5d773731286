-- Pick the due messages (keeping each one's status before the claim: 'sending' is in doubt)
-- and lease them in one statement; SKIP LOCKED leaves rows another writer holds. A contact
-- waits while it has an unprocessed holding event (a reply, an opt-out) or while another
-- owner is sending to it. Claims take turns (an advisory lock held to COMMIT), so this sees
-- every lease committed before it.
WITH picked AS (
    SELECT m.id, m.status FROM messages m WHERE {{QUEUED}} AND m.due_at <= %(now)s
    AND (m.status <> 'sending' OR m.lease_until IS NULL OR m.lease_until < %(now)s)
    AND (m.contact_id IS NULL OR (
        NOT EXISTS (SELECT 1 FROM events e WHERE e.contact_id = m.contact_id
            AND e.processed_at IS NULL AND e.type IN {{HOLDS}})
        AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.contact_id = m.contact_id
            AND o.status = 'sending' AND o.lease_owner IS NOT NULL
            AND o.lease_owner <> %(owner)s AND o.lease_until >= %(now)s)))
    ORDER BY m.due_at, m.id LIMIT %(limit)s FOR NO KEY UPDATE OF m SKIP LOCKED),
leased AS (
    UPDATE messages SET status = 'sending', lease_owner = %(owner)s, lease_until = %(until)s
    WHERE id IN (SELECT id FROM picked) RETURNING id)
SELECT picked.id, picked.status FROM picked JOIN leased ON leased.id = picked.id;
