#!/usr/bin/env bash
# Brings up the backing services the subgraphs and the tests need, on localhost:
#
#   PostgreSQL 15  127.0.0.1:5432   role shop/shop, databases shop + shop_test (pg_trgm)
#   RabbitMQ       127.0.0.1:5672   guest/guest, vhosts "/" (dev) + "shop_test" (tests)
#   MongoDB API    127.0.0.1:27017  FerretDB 1.24.2 on SQLite (data in .infra/ferretdb/)
#
# Idempotent: whatever already runs is left alone, so a second run takes a second or two.
#
# Environment:
#   DATABASE_URL / AMQP_URL / MONGO_URL  use that server instead: nothing is installed or
#                                        started for it, the script only checks it answers.
#   INFRA_NO_DOCKER=1                    never use docker compose, even when a Docker
#                                        engine is usable (by default it is preferred then).
#
# Stop everything again with scripts/infra-down.sh (pnpm infra:down).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="$REPO/.infra"

# One infra-up/infra-down at a time (e.g. two `pnpm test` runs starting together).
# The lock is fd 9; every daemon is started with 9>&- so that it does not keep the lock.
mkdir -p "$INFRA_DIR"
exec 9>"$INFRA_DIR/infra.lock"
if command -v flock >/dev/null && ! flock -w 900 9; then
  echo "[infra] ERROR: another infra-up/infra-down kept $INFRA_DIR/infra.lock for 15 min" >&2
  exit 1
fi

LOG_DIR="$INFRA_DIR/logs"
export PATH="/usr/local/go/bin:$PATH"

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
RABBIT_PORT=5672
MONGO_PORT=27017
FERRETDB_VERSION=v1.24.2
FERRETDB_DATA="$INFRA_DIR/ferretdb"
FERRETDB_STATE="$INFRA_DIR/ferretdb-state"
FERRETDB_PID="$INFRA_DIR/ferretdb.pid"
FERRETDB_LOG="$LOG_DIR/ferretdb.log"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: does something accept TCP connections there?
port_open() { timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION CMD...: retry CMD until it succeeds; 1 on timeout.
wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '[infra] timed out after %ss waiting for %s\n' "$secs" "$what" >&2
      return 1
    fi
    sleep 0.5
  done
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* yourself, or set the matching *_URL"
  if [ "$APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    $SUDO timeout 600 apt-get -o DPkg::Lock::Timeout=120 update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  $SUDO env DEBIAN_FRONTEND=noninteractive timeout 1200 \
    apt-get -o DPkg::Lock::Timeout=120 install -y -qq "$@" || die "apt-get install $* failed"
}

as_postgres() { $SUDO runuser -u postgres -- "$@"; }

# host:port of the first host in a URL like scheme://user:pass@host:port,host2/path?query
url_host() { local a=${1#*://}; a=${a%%[/?]*}; a=${a##*@}; a=${a%%,*}; printf '%s' "${a%:*}"; }
url_port() {
  local a=${1#*://}; a=${a%%[/?]*}; a=${a##*@}; a=${a%%,*}
  case "$a" in *:*) printf '%s' "${a##*:}" ;; *) printf '%s' "$2" ;; esac
}

# MongoDB "ping" over the wire protocol (OP_MSG), with no npm dependency.
# Usage: node -e "$MONGO_PING_JS" URL  -> exit 0 ok, 1 failed, 2 cannot check (srv/tls)
MONGO_PING_JS=$(cat <<'JS'
const net = require('node:net');
const url = process.argv[1];
if (/^mongodb\+srv:/.test(url) || /[?&](tls|ssl)=true/.test(url)) process.exit(2);
let a = url.replace(/^mongodb:\/\//, '').split(/[/?]/)[0];
a = a.slice(a.lastIndexOf('@') + 1).split(',')[0];
const m = a.match(/^\[(.*)\](?::(\d+))?$/) || a.match(/^([^:]*)(?::(\d+))?$/);
const host = m[1] || '127.0.0.1', port = Number(m[2] || 27017);
const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
const cstr = (s) => Buffer.from(`${s}\0`);
const body = Buffer.concat([Buffer.from([0x10]), cstr('ping'), i32(1),
  Buffer.from([0x02]), cstr('$db'), i32(6), cstr('admin'), Buffer.from([0])]);
const doc = Buffer.concat([i32(body.length + 4), body]);
const msg = Buffer.concat([i32(21 + doc.length), i32(1), i32(0), i32(2013), i32(0), Buffer.from([0]), doc]);
const fail = (why) => { console.error(`mongo ping ${host}:${port}: ${why}`); process.exit(1); };
function okField(b, off) { // value of the top-level "ok" field of the BSON document at off
  const end = off + b.readInt32LE(off);
  let p = off + 4;
  while (p < end - 1) {
    const t = b[p++]; const z = b.indexOf(0, p); const name = b.toString('utf8', p, z); p = z + 1;
    let v, n;
    switch (t) {
      case 0x01: v = b.readDoubleLE(p); n = 8; break;
      case 0x10: v = b.readInt32LE(p); n = 4; break;
      case 0x12: v = Number(b.readBigInt64LE(p)); n = 8; break;
      case 0x08: v = b[p]; n = 1; break;
      case 0x02: case 0x0d: case 0x0e: n = 4 + b.readInt32LE(p); break;
      case 0x03: case 0x04: n = b.readInt32LE(p); break;
      case 0x05: n = 5 + b.readInt32LE(p); break;
      case 0x07: n = 12; break;
      case 0x09: case 0x11: n = 8; break;
      case 0x13: n = 16; break;
      case 0x06: case 0x0a: case 0x7f: case 0xff: n = 0; break;
      default: return undefined;
    }
    if (name === 'ok') return v;
    p += n;
  }
  return undefined;
}
const sock = net.connect({ host, port });
sock.setTimeout(3000, () => { sock.destroy(); fail('timeout'); });
sock.on('error', (e) => fail(e.message));
sock.on('close', () => fail('connection closed without a reply'));
sock.on('connect', () => sock.write(msg));
let buf = Buffer.alloc(0);
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
  sock.destroy();
  if (buf.readInt32LE(12) !== 2013) fail('unexpected reply opcode');
  if (okField(buf, 21) !== 1) fail('reply is not { ok: 1 }');
  process.exit(0);
});
JS
)
mongo_ping() { node -e "$MONGO_PING_JS" "$1"; }

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

pg_cluster_status() { pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }'; }

up_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    # libpq rejects Prisma-style ?schema=... parameters, so check without the query string
    if command -v pg_isready >/dev/null; then
      wait_for 15 "PostgreSQL at DATABASE_URL" pg_isready -q -t 2 -d "${DATABASE_URL%%\?*}" ||
        die "DATABASE_URL is set but PostgreSQL there does not answer"
    else
      wait_for 15 "PostgreSQL at DATABASE_URL" port_open "$(url_host "$DATABASE_URL")" "$(url_port "$DATABASE_URL" 5432)" ||
        die "DATABASE_URL is set but nothing listens there"
    fi
    log "PostgreSQL: using DATABASE_URL (not started here)"
    return
  fi
  if [ "$USE_DOCKER" -eq 1 ]; then
    wait_for 120 "PostgreSQL (docker) on 127.0.0.1:$PG_PORT" pg_ready 127.0.0.1 "$PG_PORT" ||
      die "PostgreSQL container did not become ready"
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
    $SUDO timeout 60 pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start 9>&- ||
      $SUDO timeout 60 pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" start 9>&- ||
      die "could not start PostgreSQL; see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
  fi
  wait_for 30 "PostgreSQL on 127.0.0.1:$PG_PORT" pg_ready 127.0.0.1 "$PG_PORT" ||
    die "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"

  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<<"$PG_SETUP_SQL" >/dev/null ||
    die "creating role/databases shop failed"
  local db
  for db in shop shop_test; do
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$db" \
      -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' >/dev/null ||
      die "CREATE EXTENSION pg_trgm in $db failed (is postgresql-contrib installed?)"
  done
}

# ---------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------
rabbit_env() {
  # The node is rabbit@<short hostname>; if that name does not resolve the node
  # cannot start and the CLI cannot reach it. Fall back to rabbit@localhost then.
  if [ -z "${RABBITMQ_NODENAME:-}" ] && ! getent hosts "$(hostname -s)" >/dev/null 2>&1; then
    export RABBITMQ_NODENAME=rabbit@localhost
    log "hostname $(hostname -s) does not resolve; using RabbitMQ node name $RABBITMQ_NODENAME"
  fi
}

rabbit_ready() { rabbitmqctl -q await_startup --timeout 5; }

up_rabbitmq() {
  if [ -n "${AMQP_URL:-}" ]; then
    wait_for 15 "RabbitMQ at AMQP_URL" port_open "$(url_host "$AMQP_URL")" "$(url_port "$AMQP_URL" 5672)" ||
      die "AMQP_URL is set but nothing listens there"
    log "RabbitMQ: using AMQP_URL (not started here)"
    return
  fi
  if [ "$USE_DOCKER" -eq 1 ]; then
    wait_for 120 "RabbitMQ (docker) on 127.0.0.1:$RABBIT_PORT" port_open 127.0.0.1 "$RABBIT_PORT" ||
      die "RabbitMQ container did not become ready"
    return
  fi

  if ! command -v rabbitmq-server >/dev/null || ! command -v rabbitmqctl >/dev/null; then
    apt_install rabbitmq-server
  fi
  rabbit_env
  if ! port_open 127.0.0.1 "$RABBIT_PORT" && ! rabbitmqctl -q ping >/dev/null 2>&1; then
    log "starting RabbitMQ (takes ~5-15 s)"
    (cd / && setsid rabbitmq-server -detached </dev/null >"$LOG_DIR/rabbitmq-start.log" 2>&1 9>&-) ||
      die "rabbitmq-server -detached failed; see $LOG_DIR/rabbitmq-start.log and /var/log/rabbitmq/"
  fi
  if ! wait_for 90 "RabbitMQ to start" rabbit_ready; then
    tail -n 20 /var/log/rabbitmq/*.log 2>/dev/null >&2 || true
    die "RabbitMQ did not start; see /var/log/rabbitmq/ (node name, Erlang cookie /var/lib/rabbitmq/.erlang.cookie)"
  fi
  wait_for 30 "RabbitMQ on 127.0.0.1:$RABBIT_PORT" port_open 127.0.0.1 "$RABBIT_PORT" ||
    die "RabbitMQ runs but does not listen on 127.0.0.1:$RABBIT_PORT"

  # vhost shop_test with full permissions for guest (one CLI call when already set up)
  if ! rabbitmqctl -q list_permissions -p shop_test 2>/dev/null | grep -qxF "$(printf 'guest\t.*\t.*\t.*')"; then
    rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx shop_test ||
      rabbitmqctl -q add_vhost shop_test >/dev/null || die "rabbitmqctl add_vhost shop_test failed"
    rabbitmqctl -q set_permissions -p shop_test guest '.*' '.*' '.*' >/dev/null ||
      die "rabbitmqctl set_permissions -p shop_test guest failed"
    log "RabbitMQ: vhost shop_test ready for guest"
  fi
}

# ---------------------------------------------------------------------------
# MongoDB wire protocol: FerretDB
# ---------------------------------------------------------------------------
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
    wait_for 15 "MongoDB at MONGO_URL" mongo_ping "$MONGO_URL" ||
      die "MONGO_URL is set but the server there does not answer a MongoDB ping"
    log "MongoDB: using MONGO_URL (not started here)"
    return
  fi
  local url="mongodb://127.0.0.1:$MONGO_PORT"
  if [ "$USE_DOCKER" -eq 1 ]; then
    wait_for 120 "MongoDB (docker) on 127.0.0.1:$MONGO_PORT" mongo_ping "$url" ||
      die "MongoDB container did not become ready"
    return
  fi

  if ferretdb_running; then
    # answers at once, or is still starting, or is shutting down (then start a new one)
    local deadline=$((SECONDS + 30))
    while ferretdb_running; do
      if mongo_ping "$url" >/dev/null 2>&1; then return; fi
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
    return
  fi

  finish_ferretdb_build
  mkdir -p "$FERRETDB_DATA" "$FERRETDB_STATE" "$LOG_DIR"
  log "starting FerretDB ($FERRETDB_BIN, SQLite in $FERRETDB_DATA/)"
  # setsid + nohup: survives this script and the pnpm process that ran it
  (cd "$INFRA_DIR" && exec setsid nohup "$FERRETDB_BIN" \
    --handler=sqlite \
    --sqlite-url="file:$FERRETDB_DATA/" \
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

# ---------------------------------------------------------------------------
main() {
  local start=$SECONDS
  mkdir -p "$LOG_DIR"
  command -v node >/dev/null || die "node is required"

  USE_DOCKER=0
  if [ "${INFRA_NO_DOCKER:-}" != 1 ] && command -v docker >/dev/null 2>&1 &&
    timeout 10 docker info >/dev/null 2>&1; then
    USE_DOCKER=1
  fi

  if [ "$USE_DOCKER" -eq 1 ]; then
    local services=()
    [ -n "${MONGO_URL:-}" ] || services+=(mongo)
    [ -n "${DATABASE_URL:-}" ] || services+=(postgres)
    [ -n "${AMQP_URL:-}" ] || services+=(rabbitmq)
    if [ "${#services[@]}" -gt 0 ]; then
      log "Docker engine found: docker compose up -d ${services[*]}"
      (cd "$REPO" && timeout 600 docker compose up -d "${services[@]}") || die "docker compose up failed"
    fi
  elif [ -z "${MONGO_URL:-}" ] && ! ferretdb_running && ! port_open 127.0.0.1 "$MONGO_PORT"; then
    prepare_ferretdb # a needed build runs while PostgreSQL and RabbitMQ come up
  fi

  up_postgres
  up_rabbitmq
  up_mongo

  local how="local"
  [ "$USE_DOCKER" -eq 0 ] || how="docker compose"
  log "ready in $((SECONDS - start))s ($how):"
  if [ -n "${DATABASE_URL:-}" ]; then
    log "  PostgreSQL  DATABASE_URL (set by you)"
  else
    log "  PostgreSQL  127.0.0.1:$PG_PORT   postgresql://shop:shop@127.0.0.1:$PG_PORT/shop   (tests: .../shop_test)"
  fi
  if [ -n "${AMQP_URL:-}" ]; then
    log "  RabbitMQ    AMQP_URL (set by you)"
  else
    log "  RabbitMQ    127.0.0.1:$RABBIT_PORT   amqp://guest:guest@127.0.0.1:$RABBIT_PORT   (tests: amqp://guest:guest@127.0.0.1:$RABBIT_PORT/shop_test)"
  fi
  if [ -n "${MONGO_URL:-}" ]; then
    log "  MongoDB     MONGO_URL (set by you)"
  elif [ "$USE_DOCKER" -eq 1 ]; then
    log "  MongoDB     127.0.0.1:$MONGO_PORT  mongodb://127.0.0.1:$MONGO_PORT"
  else
    log "  MongoDB     127.0.0.1:$MONGO_PORT  mongodb://127.0.0.1:$MONGO_PORT   (FerretDB, data in .infra/ferretdb/, log in .infra/logs/ferretdb.log)"
  fi
}

main "$@"
