# Shared by infra-up.sh and infra-down.sh: paths, ports, logging, waiting, package installs.
# shellcheck shell=bash disable=SC2034 # the variables here are used by the scripts that source this file
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
INFRA_DIR="$REPO/.infra"

# One infra-up/infra-down at a time (e.g. two `pnpm test` runs starting together).
# The lock is fd 9; every daemon is started with 9>&- so that it does not keep the lock.
take_infra_lock() {
  mkdir -p "$INFRA_DIR"
  exec 9>"$INFRA_DIR/infra.lock"
  if command -v flock >/dev/null && ! flock -w 900 9; then
    echo "[infra] ERROR: another infra-up/infra-down kept $INFRA_DIR/infra.lock for 15 min" >&2
    exit 1
  fi
}

# The variables docker-compose.yml requires (`${NAME:?…}`); compose checks them all, whatever it starts.
compose_required_variables() {
  grep -o '\${[A-Z0-9_]*:?' "$REPO/docker-compose.yml" | sed 's/^\${//; s/:?$//' | sort -u
}

LOG_DIR="$INFRA_DIR/logs"
export PATH="/usr/local/go/bin:$PATH"

PG_VERSION=15
PG_CLUSTER=main
PG_PORT=5432
RABBIT_PORT=5672
# A second, private FerretDB beside the usual one (e.g. to compare handlers): MONGO_PORT=27117
# FERRETDB_HOME=/some/dir FERRETDB_PG_DATABASE=ferretdb_mine pnpm infra:up (and the same for infra:down).
MONGO_PORT=${MONGO_PORT:-27017}
FERRETDB_VERSION=v1.24.2
# A private FerretDB: infra-down.sh then stops only that one, never the shared PostgreSQL/RabbitMQ.
FERRETDB_PRIVATE=0
if [ -n "${FERRETDB_HOME:-}" ] && [ "$FERRETDB_HOME" != "$INFRA_DIR" ]; then FERRETDB_PRIVATE=1; fi
FERRETDB_HOME=${FERRETDB_HOME:-$INFRA_DIR}
FERRETDB_DATA="$FERRETDB_HOME/ferretdb"
FERRETDB_STATE="$FERRETDB_HOME/ferretdb-state"
FERRETDB_PID="$FERRETDB_HOME/ferretdb.pid"
FERRETDB_LOG="$FERRETDB_HOME/logs/ferretdb.log"

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

# use_given NAME VAR CHECK...: NAME runs elsewhere, at the URL in $VAR; wait for CHECK to pass there.
use_given() {
  local name=$1 var=$2
  shift 2
  wait_for 15 "$name at $var" "$@" || die "$var is set but $name there does not answer"
  log "$name: using $var (not started here)"
}

# await_container NAME PORT CHECK...: wait for NAME's container, published on 127.0.0.1:PORT.
await_container() {
  local name=$1 port=$2
  shift 2
  wait_for 120 "$name (docker) on 127.0.0.1:$port" "$@" || die "$name container did not become ready"
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

mongo_ping() { node "$REPO/scripts/infra/mongo-ping.cjs" "$1"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }

# A usable Docker engine (and not INFRA_NO_DOCKER=1): the backing services come from docker compose.
docker_usable() {
  [ "${INFRA_NO_DOCKER:-}" != 1 ] && command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

# dev_compose SECONDS ARGS…: docker compose (given at most SECONDS) on the development backing services (compose.infra.yml), as a
# project of their own: under the checkout's default project they were the app profile's services
# and volumes, so infra:up in a checkout that also runs the stack would replace its MongoDB (with
# access control) by the development one on the same volume, and infra:down would stop it.
dev_compose() {
  local seconds=$1 env_file status=0
  shift
  env_file=$(mktemp)
  bash "$REPO/scripts/infra/compose-dev-env.sh" >"$env_file"
  (cd "$REPO" && timeout "$seconds" docker compose -p shop-dev-infra --env-file "$env_file" \
    -f docker-compose.yml -f compose.infra.yml "$@") || status=$?
  rm -f "$env_file"
  return "$status"
}
