"""The data-access layer the API's routes go through: every read and write is made in the
caller's :class:`~leadflow.model.records.Scope` (tenant, and for agents and managers the
owners they may see), so isolation is enforced here and in the store's queries, not in the
routes. A route never holds the raw store."""
