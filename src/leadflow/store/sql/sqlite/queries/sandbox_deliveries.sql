-- The sandbox provider's ledger, in the order delivered.
SELECT {{SANDBOX_COLS}} FROM sandbox_deliveries ORDER BY rowid;
