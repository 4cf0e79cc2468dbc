#!/usr/bin/env bash
# Stops the backing services that scripts/infra-up.sh starts (pnpm infra:down).
# Idempotent. Services replaced by DATABASE_URL / AMQP_URL / MONGO_URL are left alone,
# like infra-up leaves them alone. Data is kept (the PostgreSQL cluster with FerretDB's database,
# .infra/ferretdb/ for FerretDB on SQLite). With FERRETDB_HOME (and MONGO_PORT) set, it stops only
# that private FerretDB.
set -euo pipefail

# shellcheck source=scripts/infra/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/infra" && pwd)/common.sh"
take_infra_lock
STATUS=0

if docker_usable; then
  services=()
  [ -n "${MONGO_URL:-}" ] || services+=(mongo)
  [ -n "${DATABASE_URL:-}" ] || services+=(postgres)
  [ -n "${AMQP_URL:-}" ] || services+=(rabbitmq)
  if [ "${#services[@]}" -gt 0 ]; then
    log "docker compose stop ${services[*]}"
    dev_compose 120 stop "${services[@]}" || exit 1
  fi
  exit 0
fi

# stop_pid PID NAME: SIGTERM, then SIGKILL after 10 s
stop_pid() {
  local pid=$1 name=$2 _
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { log "$name stopped (pid $pid)"; return 0; }
    sleep 0.2
  done
  warn "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}

# --- FerretDB: the process in the pid file, or a FerretDB on our data dir holding the port
if [ -z "${MONGO_URL:-}" ]; then
  pid=""
  if [ -f "$FERRETDB_PID" ]; then
    pid=$(cat "$FERRETDB_PID" 2>/dev/null || true)
    if ! { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q ferretdb "/proc/$pid/cmdline" 2>/dev/null; }; then
      pid=""
    fi
  fi
  if [ -z "$pid" ] && command -v ss >/dev/null; then
    p=$(ss -ltnpH "sport = :$MONGO_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true)
    if [ -n "$p" ] && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "--state-dir=$FERRETDB_STATE"; then
      pid=$p
    fi
  fi
  if [ -n "$pid" ]; then
    stop_pid "$pid" FerretDB
  else
    log "FerretDB: not running"
  fi
  rm -f "$FERRETDB_PID"
fi

if [ "$FERRETDB_PRIVATE" -eq 1 ]; then
  log "FERRETDB_HOME is set: only that FerretDB is stopped; PostgreSQL and RabbitMQ are left running"
  exit 0
fi

# --- RabbitMQ
if [ -z "${AMQP_URL:-}" ] && command -v rabbitmqctl >/dev/null; then
  if [ -z "${RABBITMQ_NODENAME:-}" ] && ! getent hosts "$(hostname -s)" >/dev/null 2>&1; then
    export RABBITMQ_NODENAME=rabbit@localhost # same fallback as infra-up.sh
  fi
  if timeout 30 rabbitmqctl -q ping >/dev/null 2>&1; then
    # shutdown (unlike stop) needs no pid file and waits until the Erlang VM has exited
    if timeout 120 rabbitmqctl -q shutdown >/dev/null; then
      log "RabbitMQ stopped"
    else
      warn "rabbitmqctl shutdown failed"
      STATUS=1
    fi
  else
    log "RabbitMQ: not running"
  fi
fi

# --- PostgreSQL
if [ -z "${DATABASE_URL:-}" ] && command -v pg_lsclusters >/dev/null; then
  status=$(pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }')
  if [ "$status" = "online" ]; then
    if $SUDO timeout 60 pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop ||
      $SUDO timeout 60 pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_CLUSTER" stop; then
      log "PostgreSQL $PG_VERSION/$PG_CLUSTER stopped"
    else
      warn "could not stop PostgreSQL $PG_VERSION/$PG_CLUSTER"
      STATUS=1
    fi
  else
    log "PostgreSQL $PG_VERSION/$PG_CLUSTER: not running"
  fi
fi

exit "$STATUS"
