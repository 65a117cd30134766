#!/bin/sh
# Run by the postgres image on its first start (empty data volume): creates the broker's roles.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner_password="$BROKER_DB_OWNER_PASSWORD" \
  -v app_password="$BROKER_DB_APP_PASSWORD" \
  -f /package-broker-sql/roles.sql
