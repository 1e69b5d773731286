"""A/B experiments and bandits: statistics, allocation and their simulated proof."""
