"""Tenants (brokerages), their teams and agents, API keys and who may see what."""
