-- leadflow schema, version 18: each tenant's senders (the phone numbers, Twilio Messaging
-- Services and e-mail from-addresses its messages leave from). An inbound text, call or e-mail
-- is routed to the tenant owning the number or address it was sent to, so a sender belongs to
-- one tenant at most: (kind, address) is the key.

CREATE TABLE tenant_senders (
    kind       TEXT COLLATE "C" NOT NULL,   -- phone | messaging_service | email
    address    TEXT COLLATE "C" NOT NULL,   -- E.164 number, Messaging Service SID, e-mail
    tenant_id  TEXT COLLATE "C" NOT NULL,
    label      TEXT COLLATE "C",            -- e-mail: the display name of the From header
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, address)
);
CREATE INDEX tenant_senders_tenant ON tenant_senders (tenant_id, kind, created_at);
