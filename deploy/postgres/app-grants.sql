-- PACKAGE.broker: what the application role may do, table by table. Run after every
-- `package-broker migrate`, as the owner role or a superuser (idempotent):
--
--   psql -v ON_ERROR_STOP=1 -U postgres -d package_broker -f deploy/postgres/app-grants.sql
--
-- See docs/operations/postgres-roles.md for why each audit table gets what it gets.
\set ON_ERROR_STOP 1
begin;

-- Every table of the application: read and write rows, never TRUNCATE, REFERENCES or TRIGGER.
grant select, insert, update, delete on all tables in schema public to package_broker_app;
revoke truncate, references, trigger on all tables in schema public from package_broker_app;
grant usage, select on all sequences in schema public to package_broker_app;

-- The migration bookkeeping: the server only checks that nothing is pending.
revoke insert, update, delete on schema_migrations, schema_migrations_lock from package_broker_app;

-- The audit log and its checkpoints: append-only for the server. Revoking table-level UPDATE
-- also removes column grants, so the purge's column list is granted again afterwards.
revoke update, delete, truncate on audit_logs, audit_checkpoints from package_broker_app;
grant select, insert on audit_logs, audit_checkpoints to package_broker_app;
-- The retention purge clears an old event's payload and stamps purged_at; the audit_logs_guard
-- trigger refuses any other UPDATE (seq, id, timestamp, category, action, leaf hash ... stay).
grant update ("user", actor, ip_address, user_agent, request_id, target, details, ip_key, purged_at)
  on audit_logs to package_broker_app;

-- The Merkle tree's frontier and the search indexer's cursor: one row each, updated in place.
revoke delete on audit_state, audit_search_state from package_broker_app;
-- Personal data kept beside the log (raw IPs, their day keys, actors' e-mail addresses) stays
-- deletable: crypto-shredding and erasure requests delete or clear it. The search projection
-- drops purged events. The sink and alert tables are ordinary state.

commit;
