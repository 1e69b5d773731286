-- The latest version of every workflow of one tenant.
SELECT DISTINCT ON (key, tenant_id) {{WORKFLOW_COLS}} FROM workflows
WHERE tenant_id = %(tenant)s
ORDER BY key, tenant_id, version DESC;
