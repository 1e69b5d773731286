"""Experiments: A/B tests, their statistics and adaptive allocation."""
