"""Webhooks: signed inbound leads (portal/CRM payloads, lead e-mails) and signed outbound
event deliveries to subscribers."""
