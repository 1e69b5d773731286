"""Channels: providers that really send, and the compliance policy checked at dispatch."""
