-- The latest version of every workflow of one tenant.
SELECT {{WORKFLOW_COLS}} FROM workflows w
WHERE version = (SELECT max(version) FROM workflows x
    WHERE x.tenant_id = w.tenant_id AND x.key = w.key)
AND w.tenant_id = :tenant
ORDER BY key, tenant_id;
