-- leadflow schema, version 11: messages found by the id their provider gave them (status
-- callbacks and event webhooks name a message only by that id). Never edit a shipped migration:
-- later changes go in a new file.

CREATE INDEX messages_provider_id ON messages (provider_id) WHERE provider_id IS NOT NULL;
