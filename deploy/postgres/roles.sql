-- PACKAGE.broker: the two database roles. Run once, as a superuser, in the broker's database:
--
--   psql -v ON_ERROR_STOP=1 -U postgres -d package_broker \
--     -v owner_password="$BROKER_DB_OWNER_PASSWORD" -v app_password="$BROKER_DB_APP_PASSWORD" \
--     -f deploy/postgres/roles.sql
--
-- package_broker_owner owns the schema's tables: `package-broker migrate` runs as it.
-- package_broker_app is what the server runs as: it can read and write the application's tables
-- but owns none, so it can neither change the schema nor disable the audit tables' triggers.
-- After every migration, run app-grants.sql (docs/operations/postgres-roles.md).
-- Safe to run again: existing roles get the given passwords.

select format('create role package_broker_owner login password %L', :'owner_password')
  where not exists (select from pg_roles where rolname = 'package_broker_owner') \gexec
select format('create role package_broker_app login password %L', :'app_password')
  where not exists (select from pg_roles where rolname = 'package_broker_app') \gexec
alter role package_broker_owner with login password :'owner_password';
alter role package_broker_app with login password :'app_password';

select format('grant connect, temporary on database %I to package_broker_owner, package_broker_app',
  current_database()) \gexec
select format('revoke all on database %I from public', current_database()) \gexec

grant usage, create on schema public to package_broker_owner;
grant usage on schema public to package_broker_app;
revoke create on schema public from public;

-- Tables that a later migration creates are usable by the server straight away; app-grants.sql
-- then narrows what it may do to the audit tables.
alter default privileges for role package_broker_owner in schema public
  grant select, insert, update, delete on tables to package_broker_app;
alter default privileges for role package_broker_owner in schema public
  grant usage, select on sequences to package_broker_app;
