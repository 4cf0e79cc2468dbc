# shellcheck shell=bash
# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
PG_SETUP_SQL=$(cat <<'SQL'
SELECT 'CREATE ROLE shop' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop')
\gexec
ALTER ROLE shop WITH LOGIN CREATEDB PASSWORD 'shop';
SELECT 'CREATE DATABASE shop OWNER shop' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'shop')
\gexec
SELECT 'CREATE DATABASE shop_test OWNER shop' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'shop_test')
\gexec
SQL
)

# pg_ready HOST PORT
pg_ready() {
  if command -v pg_isready >/dev/null; then pg_isready -q -t 2 -h "$1" -p "$2"; else port_open "$1" "$2"; fi
}

# pg_url_ready URL: the same check for a server given by URL. libpq rejects Prisma-style
# ?schema=... parameters, so pg_isready gets the URL without its query string.
pg_url_ready() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -t 2 -d "${1%%\?*}"
  else
    port_open "$(url_host "$1")" "$(url_port "$1" 5432)"
  fi
}

pg_cluster_status() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }'; }

# FerretDB's pool (200, ferretdb.sh), a private FerretDB of a test beside it (50) and the Prisma
# clients need more than PostgreSQL's default of 100 connections. Raised once, with a restart.
PG_MAX_CONNECTIONS=300
ensure_pg_max_connections() {
  local current
  current=$(as_postgres psql -X -At -p "$PG_PORT" -d postgres -c 'SHOW max_connections') ||
    die "could not read max_connections from PostgreSQL"
  [ "$current" -lt "$PG_MAX_CONNECTIONS" ] || return 0
  log "PostgreSQL: max_connections $current -> $PG_MAX_CONNECTIONS (restart)"
  as_postgres psql -X -q -p "$PG_PORT" -d postgres -c "ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS" >/dev/null ||
    die "could not set max_connections"
  pg_cluster restart
}

# pg_cluster start|restart: the local cluster, through systemd where pg_ctlcluster redirects there
# and directly where it cannot (no systemd); then waits until it accepts connections.
pg_cluster() {
  $SUDO timeout 60 pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" "$1" 9>&- ||
    $SUDO timeout 60 pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" "$1" 9>&- ||
    die "could not $1 PostgreSQL; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
  wait_for 30 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_ready 127.0.0.1 "$PG_PORT" ||
    die "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"
}

up_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    use_given PostgreSQL DATABASE_URL pg_url_ready "$DATABASE_URL"
    return
  fi
  if [ "$USE_DOCKER" -eq 1 ]; then
    await_container PostgreSQL "$PG_PORT" pg_ready 127.0.0.1 "$PG_PORT"
    return
  fi

  if ! [ -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ] || ! command -v pg_ctlcluster >/dev/null ||
    ! [ -f "/usr/share/postgresql/$PG_VERSION/extension/pg_trgm.control" ]; then
    apt_install postgresql postgresql-contrib
  fi
  if [ -z "$(pg_cluster_status)" ]; then
    log "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER"
    $SUDO pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null ||
      die "pg_createcluster $PG_VERSION $PG_CLUSTER failed"
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $3 }')
  [ "$port" = "$PG_PORT" ] || die "cluster $PG_VERSION/$PG_CLUSTER is configured for port $port, expected $PG_PORT"

  if [ "$(pg_cluster_status)" != "online" ]; then
    log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
    pg_cluster start
  fi
  wait_for 30 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_ready 127.0.0.1 "$PG_PORT" ||
    die "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"

  ensure_pg_max_connections
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<<"$PG_SETUP_SQL" >/dev/null ||
    die "creating role/databases shop failed"
  local db
  for db in shop shop_test; do
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$db" \
      -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' >/dev/null ||
      die "CREATE EXTENSION pg_trgm in $db failed (is postgresql-contrib installed?)"
  done
}

