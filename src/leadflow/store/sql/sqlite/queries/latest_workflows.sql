-- The latest version of every workflow (all tenants).
SELECT {{WORKFLOW_COLS}} FROM workflows w
WHERE version = (SELECT max(version) FROM workflows x
    WHERE x.tenant_id = w.tenant_id AND x.key = w.key)
ORDER BY key, tenant_id;
