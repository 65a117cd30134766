#!/bin/sh
# Entry point of the PACKAGE.broker image.
#
#   (no argument) or "serve"   apply pending migrations, then replace this shell with the server
#   anything else              run as a package-broker command: "migrate", "user create ...",
#                              "audit verify", "help", "--help" ...
#
# Environment (besides the server's PB_* settings):
#   PACKAGE_BROKER_BIN             the CLI script (default /app/bin/package-broker.js)
#   PACKAGE_BROKER_SKIP_MIGRATE=1  do not run "migrate" before "serve" (a separate step did it;
#                                  "serve" still applies anything pending itself)
#   MIGRATION_DATABASE_URL         the database URL "migrate" uses instead of PB_DATABASE_URL
#                                  (the role that owns the schema; docs/operations/postgres-roles.md)
#   PACKAGE_BROKER_ALLOW_ROOT=1    run even as root (uid 0); refused otherwise
set -eu

bin="${PACKAGE_BROKER_BIN:-/app/bin/package-broker.js}"

# Applies pending migrations, with the schema owner's URL when one is given.
migrate_database() {
  if [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
    PB_DATABASE_URL="$MIGRATION_DATABASE_URL" node "$bin" migrate
  else
    node "$bin" migrate
  fi
}

say() {
  printf 'docker-entrypoint: %s\n' "$*" >&2
}

if [ "$(id -u)" = "0" ] && [ "${PACKAGE_BROKER_ALLOW_ROOT:-0}" != "1" ]; then
  say "refusing to run as root (uid 0)."
  say "Run as the image's user (the default, uid 10001), e.g. drop '--user root' / 'user: root',"
  say "or set PACKAGE_BROKER_ALLOW_ROOT=1 if you really mean it."
  exit 64
fi

if [ ! -f "$bin" ]; then
  say "the package-broker command is not at $bin (set PACKAGE_BROKER_BIN)."
  exit 69
fi

if [ "$#" -eq 0 ]; then
  set -- serve
fi

if [ "$1" = "serve" ]; then
  data_dir="${PB_DATA_DIR:-./data}"
  if [ -d "$data_dir" ] && [ ! -w "$data_dir" ]; then
    say "the data folder $data_dir is not writable by uid $(id -u)."
    say "Give the volume to that user (chown $(id -u):$(id -g)) or set the pod's fsGroup."
    exit 73
  fi
  if [ "${PACKAGE_BROKER_SKIP_MIGRATE:-0}" != "1" ]; then
    say "applying database migrations"
    if ! migrate_database; then
      say "migrations failed; the server was not started."
      exit 70
    fi
  fi
  say "starting the server"
  exec node "$bin" "$@"
fi

if [ "$1" = "migrate" ]; then
  shift
  if [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
    PB_DATABASE_URL="$MIGRATION_DATABASE_URL" exec node "$bin" migrate "$@"
  fi
  exec node "$bin" migrate "$@"
fi

exec node "$bin" "$@"
