-- leadflow schema, version 160: the designer's layout of a workflow draft, {node id: {x, y}}
-- as JSON, kept beside the definition (not in it: the definition's YAML stays free of layout).
-- NULL until the designer places the draft's nodes.

ALTER TABLE workflow_drafts ADD COLUMN layout TEXT;
