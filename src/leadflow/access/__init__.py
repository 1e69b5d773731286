"""The service layer behind both front doors: every operation of every resource (contacts,
events, runs, workflows, experiments, keys, listings, senders, scores, tenancy, webhooks), made
in the caller's :class:`~leadflow.model.records.Scope` (tenant, and for agents and managers the
owners they may see) with its role checked by :func:`leadflow.access.scope.require_role`, so
isolation and permissions are enforced here and in the store's queries. API routers and CLI
commands only parse input, call these functions and shape the output; the CLI calls them as an
admin of the tenant it names (:func:`leadflow.access.scope.operator`)."""
