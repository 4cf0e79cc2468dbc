# FerretDB: the MongoDB wire-protocol server used where MongoDB cannot be installed.
# shellcheck shell=bash
# ---------------------------------------------------------------------------
# FerretDB binary. `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`
# builds a binary that panics at start ("Invalid build/version/version.txt"):
# the module zip lacks the generated build/version/version.txt. So we build from
# a copy of the module source with that file written in.
# ---------------------------------------------------------------------------
ferretdb_works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

find_ferretdb() {
  local c
  for c in "$(command -v ferretdb 2>/dev/null || true)" "$GOBIN_DIR/ferretdb"; do
    if [ -n "$c" ] && ferretdb_works "$c"; then printf '%s' "$c"; return 0; fi
  done
  return 1
}

build_ferretdb() { # build_ferretdb VERSION TARGET (runs in its own process group)
  set -euo pipefail
  local version=$1 target=$2 tmp src
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand $tmp now: it is a local, gone when the EXIT trap runs
  trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" EXIT
  cd "$tmp"
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src" ]; then echo "go mod download did not give a source dir"; exit 1; fi
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  echo "$version" >"$tmp/src/build/version/version.txt"
  echo "source" >"$tmp/src/build/version/package.txt"
  cd "$tmp/src"
  go build -buildvcs=false -trimpath -o "$tmp/ferretdb" ./cmd/ferretdb
  "$tmp/ferretdb" --version
  mkdir -p "$(dirname "$target")"
  install -m 0755 "$tmp/ferretdb" "$target.new"
  mv -f "$target.new" "$target"
}

BUILD_PID=""
FERRETDB_BIN=""
GOBIN_DIR=""
cleanup() { # stop an unfinished background build (timeout leads its own process group)
  if [ -n "$BUILD_PID" ] && kill -0 "$BUILD_PID" 2>/dev/null; then
    kill -- "-$BUILD_PID" 2>/dev/null || kill "$BUILD_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sets FERRETDB_BIN, or starts building the binary in the background.
prepare_ferretdb() {
  if [ -n "$FERRETDB_BIN" ] || [ -n "$BUILD_PID" ]; then return 0; fi
  GOBIN_DIR="$(go env GOPATH 2>/dev/null | cut -d: -f1)/bin"
  [ "$GOBIN_DIR" != "/bin" ] || GOBIN_DIR="$HOME/go/bin"
  FERRETDB_BIN=$(find_ferretdb) || { FERRETDB_BIN=""; start_ferretdb_build; }
}

start_ferretdb_build() {
  command -v go >/dev/null || die "no working ferretdb binary and no Go toolchain to build one (expected /usr/local/go/bin/go)"
  mkdir -p "$LOG_DIR"
  log "building FerretDB $FERRETDB_VERSION into $GOBIN_DIR/ferretdb in the background (about 1-2 min; log: $LOG_DIR/ferretdb-build.log)"
  # timeout runs the build in its own process group, so cleanup can stop all of it
  timeout 1200 bash -c "$(declare -f build_ferretdb); build_ferretdb \"\$1\" \"\$2\"" _ \
    "$FERRETDB_VERSION" "$GOBIN_DIR/ferretdb" >"$LOG_DIR/ferretdb-build.log" 2>&1 </dev/null 9>&- &
  BUILD_PID=$!
}

finish_ferretdb_build() {
  prepare_ferretdb
  if [ -n "$BUILD_PID" ]; then
    local rc=0
    wait "$BUILD_PID" || rc=$?
    BUILD_PID=""
    if [ "$rc" -ne 0 ]; then
      tail -n 30 "$LOG_DIR/ferretdb-build.log" >&2 || true
      die "building FerretDB failed (exit $rc); full log: $LOG_DIR/ferretdb-build.log"
    fi
    log "FerretDB built"
  fi
  FERRETDB_BIN=$(find_ferretdb) || die "FerretDB was built but $GOBIN_DIR/ferretdb does not run"
}

# ---------------------------------------------------------------------------
# MongoDB wire protocol: FerretDB
# ---------------------------------------------------------------------------
# FERRETDB_HANDLER picks FerretDB's storage: pg (default) or sqlite.
# - pg: a database of its own (FERRETDB_PG_DATABASE, default ferretdb) on the local PostgreSQL
#   cluster, or on DATABASE_URL's server. Data lives in PostgreSQL and survives restarts. Writers
#   run concurrently, and with the configuration below (ferretdb_pg_configure) filters on indexed
#   fields are index scans, so costs stay flat as collections grow (BENCHMARKS.md).
# - sqlite: files in $FERRETDB_DATA/, opt-in (FERRETDB_HANDLER=sqlite). Every filter reads the whole
#   collection and one writer goes at a time (SQLITE_BUSY under about 10 concurrent updaters). Kept
#   for comparisons and for an existing SQLite data directory.
FERRETDB_HANDLER=${FERRETDB_HANDLER:-pg}
FERRETDB_PG_DATABASE=${FERRETDB_PG_DATABASE:-ferretdb}
case "$FERRETDB_HANDLER" in pg | sqlite) ;; *) die "FERRETDB_HANDLER must be pg or sqlite, not $FERRETDB_HANDLER" ;; esac
[[ "$FERRETDB_PG_DATABASE" =~ ^[a-z_][a-z0-9_]*$ ]] || die "FERRETDB_PG_DATABASE must be a plain lower-case name"
FERRETDB_PG_URL="postgresql://shop:shop@127.0.0.1:$PG_PORT/$FERRETDB_PG_DATABASE"
# FerretDB's own PostgreSQL pool, above its default of 50: an update or delete matching several
# documents holds two of its connections at once, and as many of them at once as the pool has
# connections hang FerretDB for good (packages/platform/src/mongo-pool.ts). 200 stays above fewer
# than twenty processes at the services' default MONGO_MAX_POOL_SIZE of 10; PostgreSQL allows 300
# clients (postgres.sh). Idle connections close after a minute.
FERRETDB_POOL_PARAMS="pool_max_conns=200&pool_max_conn_idle_time=1m"
# ferretdb_pg_sql [OWNER]: the idempotent CREATE DATABASE
ferretdb_pg_sql() {
  printf "SELECT 'CREATE DATABASE %s%s' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%s')\n\\gexec\n" \
    "$FERRETDB_PG_DATABASE" "${1:+ OWNER $1}" "$FERRETDB_PG_DATABASE"
}

# Run in FerretDB's database, as a superuser (event triggers need one). Idempotent.
# - cursor_tuple_fraction = 1.0: PostgreSQL plans a cursor for its first 10 % of rows by default,
#   which can favour a sequential scan, and FerretDB wants all rows. Measured here it changed
#   nothing: FerretDB's driver (pgx, cached prepared statements) reads through protocol portals,
#   which PostgreSQL plans for all rows anyway; 100 finds on 20,000 documents were 100 GIN scans and
#   no sequential scan with 0.1 and with 1.0. Kept as a guard for cursor-based reads.
# - GIN twins: FerretDB turns an index {field: 1} into a B-tree on (_jsonb -> 'field') but filters
#   with (_jsonb -> 'field') @> '"value"', which only a GIN index serves. The event trigger gives
#   every B-tree index FerretDB creates on a top-level field a GIN jsonb_path_ops index on its
#   leading expression (once per field); the B-trees stay and keep enforcing uniqueness. Dotted
#   fields are left alone: FerretDB does not push filters on them down. A second trigger drops a
#   twin once no B-tree on its table leads with its field (an index dropped through the wire must
#   stop serving, or a plan check would pass without it). The last statements add the twins
#   missing on tables made before the triggers existed, and drop the ones left without a B-tree.
# - fastupdate = off on the twins: with GIN's default pending list, every lookup also reads all
#   entries written since the last vacuum (after a 20,000-document bulk insert: 52 buffers and
#   2.5 ms for one _id, against 3 buffers and 0.05 ms once flushed).
FERRETDB_PG_CONFIGURE_SQL=$(cat <<'SQL'
SET client_min_messages = warning;
SELECT format('ALTER DATABASE %I SET cursor_tuple_fraction = 1.0', current_database())
\gexec
CREATE OR REPLACE FUNCTION public.ferretdb_gin_twin(btree oid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  lead text;
  tbl oid;
BEGIN
  SELECT pg_get_indexdef(i.indexrelid, 1, false), i.indrelid INTO lead, tbl
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
  JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
  WHERE i.indexrelid = btree AND am.amname = 'btree' AND t.relname NOT LIKE '\_ferretdb\_%'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema');
  IF lead IS NULL OR lead !~ '^\(\(_jsonb -> ''[^'']*''::text\)\)$' THEN RETURN; END IF;
  IF EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
             WHERE i.indrelid = tbl AND am.amname = 'gin' AND pg_get_indexdef(i.indexrelid, 1, false) = lead) THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE INDEX %I ON %s USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
                 left((SELECT relname FROM pg_class WHERE oid = btree), 59) || '_gin', tbl::regclass, lead);
END
$fn$;
CREATE OR REPLACE FUNCTION public.ferretdb_gin_twins() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM public.ferretdb_gin_twin(created.objid);
  END LOOP;
END
$fn$;
SELECT 'CREATE EVENT TRIGGER ferretdb_gin_twins ON ddl_command_end WHEN TAG IN (''CREATE INDEX'') EXECUTE FUNCTION public.ferretdb_gin_twins()'
WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'ferretdb_gin_twins')
\gexec
CREATE OR REPLACE FUNCTION public.ferretdb_gin_orphans_drop(in_schema name) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  orphans text;
BEGIN
  -- Twins (a GIN on one `_jsonb -> 'field'`, named *_gin) whose table has no B-tree leading with it.
  SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ') INTO orphans
  FROM pg_index g JOIN pg_class c ON c.oid = g.indexrelid JOIN pg_am am ON am.oid = c.relam
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE am.amname = 'gin' AND c.relname LIKE '%\_gin' AND (in_schema IS NULL OR n.nspname = in_schema)
    AND pg_get_indexdef(g.indexrelid, 1, false) ~ '^\(\(_jsonb -> ''[^'']*''::text\)\)$'
    AND NOT EXISTS (SELECT FROM pg_index b JOIN pg_class bc ON bc.oid = b.indexrelid JOIN pg_am bam ON bam.oid = bc.relam
                    WHERE b.indrelid = g.indrelid AND bam.amname = 'btree'
                      AND pg_get_indexdef(b.indexrelid, 1, false) = pg_get_indexdef(g.indexrelid, 1, false));
  -- One statement: the drop fires the trigger again, which then finds none left.
  IF orphans IS NOT NULL THEN EXECUTE 'DROP INDEX ' || orphans; END IF;
END
$fn$;
CREATE OR REPLACE FUNCTION public.ferretdb_gin_twins_dropped() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN SELECT DISTINCT schema_name FROM pg_event_trigger_dropped_objects() WHERE object_type = 'index' LOOP
    PERFORM public.ferretdb_gin_orphans_drop(dropped.schema_name);
  END LOOP;
END
$fn$;
SELECT 'CREATE EVENT TRIGGER ferretdb_gin_twins_dropped ON sql_drop WHEN TAG IN (''DROP INDEX'') EXECUTE FUNCTION public.ferretdb_gin_twins_dropped()'
WHERE NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'ferretdb_gin_twins_dropped')
\gexec
SELECT count(public.ferretdb_gin_twin(indexrelid)) FROM pg_index;
SELECT public.ferretdb_gin_orphans_drop(NULL);
SQL
)

# Creates FerretDB's database and configures it: on the local cluster (owned by shop, configured
# as postgres), or on DATABASE_URL's server (configured as that user, which must be a superuser).
ferretdb_pg_database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    local server=${DATABASE_URL%%\?*}
    FERRETDB_PG_URL="${server%/*}/$FERRETDB_PG_DATABASE"
    command -v psql >/dev/null || die "FerretDB needs psql to create its database on DATABASE_URL's server (or set MONGO_URL)"
    psql -X -q -v ON_ERROR_STOP=1 -d "$server" <<<"$(ferretdb_pg_sql)" >/dev/null ||
      die "could not create the database $FERRETDB_PG_DATABASE for FerretDB on DATABASE_URL's server"
    psql -X -q -v ON_ERROR_STOP=1 -d "$FERRETDB_PG_URL" <<<"$FERRETDB_PG_CONFIGURE_SQL" >/dev/null ||
      warn "could not configure $FERRETDB_PG_DATABASE on DATABASE_URL's server (the event trigger needs a superuser): FerretDB's filters will scan whole collections"
    return
  fi
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<<"$(ferretdb_pg_sql shop)" >/dev/null ||
    die "could not create the PostgreSQL database $FERRETDB_PG_DATABASE for FerretDB"
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$FERRETDB_PG_DATABASE" <<<"$FERRETDB_PG_CONFIGURE_SQL" >/dev/null ||
    die "could not configure the PostgreSQL database $FERRETDB_PG_DATABASE for FerretDB"
}

# warn_if_other_handler PID: a running FerretDB on the other handler keeps serving until restarted
# (the plan tests then fail on SQLite: it cannot use indexes).
warn_if_other_handler() {
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 0
  case "$cmdline" in *ferretdb*) ;; *) return 0 ;; esac
  if ! grep -q -- "--handler=$FERRETDB_HANDLER " <<<"$cmdline"; then
    warn "FerretDB (pid $1) runs on another handler than FERRETDB_HANDLER=$FERRETDB_HANDLER and keeps serving: pnpm infra:down && pnpm infra:up (from the checkout that started it) switches it (data is not carried over; SQLite files stay where they are)"
  fi
}

MONGO_FOREIGN=0 # set when another server already answered on MONGO_PORT

ferretdb_running() {
  local pid
  [ -f "$FERRETDB_PID" ] || return 1
  pid=$(cat "$FERRETDB_PID" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q ferretdb "/proc/$pid/cmdline" 2>/dev/null
}

up_mongo() {
  if [ -n "${MONGO_URL:-}" ]; then
    local rc=0
    mongo_ping "$MONGO_URL" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -eq 2 ]; then
      log "MongoDB: using MONGO_URL (srv/TLS URL, not checked; not started here)"
      return
    fi
    use_given MongoDB MONGO_URL mongo_ping "$MONGO_URL"
    return
  fi
  local url="mongodb://127.0.0.1:$MONGO_PORT"
  if [ "$USE_DOCKER" -eq 1 ]; then
    await_container MongoDB "$MONGO_PORT" mongo_ping "$url"
    return
  fi

  # configured on every run, also under a FerretDB that already runs (settings apply to new sessions)
  if [ "$FERRETDB_HANDLER" = pg ]; then ferretdb_pg_database; fi
  if ferretdb_running; then
    # answers at once, or is still starting, or is shutting down (then start a new one)
    local deadline=$((SECONDS + 30))
    while ferretdb_running; do
      if mongo_ping "$url" >/dev/null 2>&1; then
        warn_if_other_handler "$(cat "$FERRETDB_PID")"
        return
      fi
      [ "$SECONDS" -lt "$deadline" ] ||
        die "FerretDB (pid $(cat "$FERRETDB_PID")) runs but does not answer on $url; see $FERRETDB_LOG"
      sleep 0.3
    done
  fi
  rm -f "$FERRETDB_PID"
  if port_open 127.0.0.1 "$MONGO_PORT"; then
    mongo_ping "$url" >/dev/null 2>&1 ||
      die "port $MONGO_PORT is taken by something that does not answer a MongoDB ping: $(ss -ltnpH "sport = :$MONGO_PORT" 2>/dev/null | head -n 1)"
    log "MongoDB: a server not started by this script already answers on $url; using it"
    MONGO_FOREIGN=1
    warn_if_other_handler "$(ss -ltnpH "sport = :$MONGO_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)"
    return
  fi

  finish_ferretdb_build
  local storage
  case "$FERRETDB_HANDLER" in
    sqlite) storage=(--handler=sqlite --sqlite-url="file:$FERRETDB_DATA/") ;;
    pg) storage=(--handler=pg --postgresql-url="$FERRETDB_PG_URL?$FERRETDB_POOL_PARAMS") ;;
  esac
  mkdir -p "$FERRETDB_DATA" "$FERRETDB_STATE" "$(dirname "$FERRETDB_LOG")"
  log "starting FerretDB ($FERRETDB_BIN, ${storage[*]})"
  # setsid + nohup: survives this script and the pnpm process that ran it
  (cd "$FERRETDB_HOME" && exec setsid nohup "$FERRETDB_BIN" \
    "${storage[@]}" \
    --state-dir="$FERRETDB_STATE" \
    --listen-addr="127.0.0.1:$MONGO_PORT" \
    --debug-addr=- \
    --telemetry=disable \
    --log-level=warn \
    </dev/null >>"$FERRETDB_LOG" 2>&1 9>&-) &
  local pid=$!
  echo "$pid" >"$FERRETDB_PID"
  local deadline=$((SECONDS + 30))
  until mongo_ping "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$FERRETDB_PID"
      tail -n 20 "$FERRETDB_LOG" >&2 || true
      die "FerretDB exited at start; see $FERRETDB_LOG"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "FerretDB did not answer a ping within 30s; see $FERRETDB_LOG"
    sleep 0.3
  done
}

