-- The latest version of every workflow (all tenants).
SELECT DISTINCT ON (key, tenant_id) {{WORKFLOW_COLS}} FROM workflows
ORDER BY key, tenant_id, version DESC;
