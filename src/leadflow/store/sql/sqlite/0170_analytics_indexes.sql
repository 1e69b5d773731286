-- leadflow schema, version 170: indexes for the analytics reads that count in the database
-- (the funnel, the cohort grid). Indexes only, so the upgrade keeps every row.

-- A run's steps by node with their kind and outcome: the funnel reads each run's steps from
-- the index alone. It starts with run_id, so it also serves everything steps_run served (the
-- steps of a run), and steps_run goes: a step insert maintains as many indexes as before.
CREATE INDEX steps_funnel ON steps (run_id, node, kind, outcome);
DROP INDEX steps_run;

-- Events of a type (the goal events of a funnel or cohort grid), by contact and time: the
-- first goal event of each run is found from the few goal events, not from every run.
CREATE INDEX events_type_contact ON events (type, contact_id, occurred_at);
