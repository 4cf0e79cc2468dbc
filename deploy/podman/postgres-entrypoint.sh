#!/usr/bin/env bash
# First start on an empty data directory: a cluster whose superuser is POSTGRES_USER with
# POSTGRES_PASSWORD (SCRAM over the network), the database POSTGRES_DB, and the scripts of
# /docker-entrypoint-initdb.d. Then runs "$@".
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --encoding=UTF8 --locale=C.UTF-8 --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  # As the official image does: the scripts in /docker-entrypoint-initdb.d run once, against the
  # server listening on its socket only (deploy/postgres/create-products-user.sh).
  if compgen -G '/docker-entrypoint-initdb.d/*.sh' >/dev/null; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    for script in /docker-entrypoint-initdb.d/*.sh; do
      POSTGRES_USER=$user POSTGRES_DB=${POSTGRES_DB:-postgres} bash "$script"
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
exec "$@"
