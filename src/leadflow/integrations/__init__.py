"""CRM connectors: GoHighLevel (API v2) and Follow Up Boss, both ways (webhooks in, the ``crm``
node, the contact sync and the delivery log out). See docs/integrations.md."""
