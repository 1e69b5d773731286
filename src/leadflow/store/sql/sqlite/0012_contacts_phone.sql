-- leadflow schema, version 12: contacts found by phone number alone. An inbound text names only
-- the number it came from, and that number's leads are looked up in every tenant. Never edit a
-- shipped migration: later changes go in a new file.

CREATE INDEX contacts_phone ON contacts (phone) WHERE phone IS NOT NULL;
