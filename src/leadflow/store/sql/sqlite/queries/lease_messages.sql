-- Lease the messages pick_messages chose (one JSON list of ids).
UPDATE messages SET status = 'sending', lease_owner = :owner, lease_until = :until
WHERE id IN (SELECT value FROM json_each(:ids));
