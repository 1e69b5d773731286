"""The domain model: the records that cross the store boundary, their statuses and the rules
every backend keeps. Below the store; imports nothing of leadflow but ``errors``."""
