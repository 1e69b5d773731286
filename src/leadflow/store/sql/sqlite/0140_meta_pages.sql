-- leadflow schema, version 140: tenants' Facebook pages (Messenger and Lead Ads webhooks are
-- routed by page id, messages sent with the page access token) and the Messenger links from a
-- page-scoped user id (PSID) to the tenant's contact.

CREATE TABLE meta_pages (
    page_id      TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    name         TEXT,
    access_token TEXT NOT NULL,   -- the page access token (a secret; never shown in full)
    created_at   REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX meta_pages_tenant ON meta_pages (tenant_id, page_id);

CREATE TABLE messenger_links (
    page_id    TEXT NOT NULL,
    psid       TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (page_id, psid)
) WITHOUT ROWID;
CREATE INDEX messenger_links_contact ON messenger_links (contact_id);
