#!/usr/bin/env bash
# Brings up the backing services the subgraphs and the tests need, on localhost:
#
#   PostgreSQL 15  127.0.0.1:5432   role shop/shop, databases shop + shop_test (pg_trgm)
#   RabbitMQ       127.0.0.1:5672   guest/guest, vhosts "/" (dev) + "shop_test" (tests)
#   MongoDB API    127.0.0.1:27017  FerretDB 1.24.2 on PostgreSQL (database "ferretdb" on the cluster above,
#                                   configured so that FerretDB's filters use indexes: scripts/infra/ferretdb.sh)
#
# Idempotent: whatever already runs is left alone, so a second run takes a second or two.
# With --test-tools (as `pnpm test` calls it) it also installs what only tests use: Debian's
# chromium (tracker browser test), schemathesis in a Python venv (.infra/schemathesis) and
# The Guild's federation-gateway-audit from ../shared (.infra/federation-audit).
#
# Environment:
#   DATABASE_URL / AMQP_URL / MONGO_URL  use that server instead: nothing is installed or
#                                        started for it, the script only checks it answers.
#   INFRA_NO_DOCKER=1                    never use docker compose, even when a Docker
#                                        engine is usable (by default it is preferred then).
#   FERRETDB_HANDLER=sqlite              FerretDB on SQLite files in .infra/ferretdb/ instead (opt-in).
#   MONGO_PORT, FERRETDB_HOME,           a FerretDB of one's own beside the usual one: its port, the
#   FERRETDB_PG_DATABASE                 directory for its pid/state/log, its PostgreSQL database.
#
# Stop everything again with scripts/infra-down.sh (pnpm infra:down).
set -euo pipefail

INFRA_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/infra" && pwd)"
# shellcheck source=scripts/infra/common.sh
source "$INFRA_SCRIPTS/common.sh"
# shellcheck source=scripts/infra/postgres.sh
source "$INFRA_SCRIPTS/postgres.sh"
# shellcheck source=scripts/infra/rabbitmq.sh
source "$INFRA_SCRIPTS/rabbitmq.sh"
# shellcheck source=scripts/infra/ferretdb.sh
source "$INFRA_SCRIPTS/ferretdb.sh"
# shellcheck source=scripts/infra/chromium.sh
source "$INFRA_SCRIPTS/chromium.sh"
# shellcheck source=scripts/infra/schemathesis.sh
source "$INFRA_SCRIPTS/schemathesis.sh"
# shellcheck source=scripts/infra/federation-audit.sh
source "$INFRA_SCRIPTS/federation-audit.sh"
take_infra_lock

# ---------------------------------------------------------------------------
main() {
  local start=$SECONDS
  mkdir -p "$LOG_DIR"
  command -v node >/dev/null || die "node is required"

  USE_DOCKER=0
  if docker_usable; then USE_DOCKER=1; fi

  if [ "$USE_DOCKER" -eq 1 ]; then
    local services=()
    [ -n "${MONGO_URL:-}" ] || services+=(mongo)
    [ -n "${DATABASE_URL:-}" ] || services+=(postgres)
    [ -n "${AMQP_URL:-}" ] || services+=(rabbitmq)
    if [ "${#services[@]}" -gt 0 ]; then
      log "Docker engine found: docker compose up -d ${services[*]}"
      # compose.infra.yml publishes them on 127.0.0.1 with development credentials (never on a shared host).
      dev_compose 600 up -d "${services[@]}" || die "docker compose up failed"
    fi
  elif [ -z "${MONGO_URL:-}" ] && ! ferretdb_running && ! port_open 127.0.0.1 "$MONGO_PORT"; then
    prepare_ferretdb # a needed build runs while PostgreSQL and RabbitMQ come up
  fi

  up_postgres
  up_rabbitmq
  up_mongo
  # Tools only the test suite needs (`pnpm test` passes --test-tools), so `pnpm dev` skips them.
  if [ "${1:-}" = "--test-tools" ]; then
    up_chromium
    up_schemathesis
    up_federation_audit
  fi

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
  elif [ "$USE_DOCKER" -eq 1 ] || [ "$MONGO_FOREIGN" -eq 1 ]; then
    log "  MongoDB     127.0.0.1:$MONGO_PORT  mongodb://127.0.0.1:$MONGO_PORT"
  else
    local where="PostgreSQL database $FERRETDB_PG_DATABASE"
    [ "$FERRETDB_HANDLER" = pg ] || where="$FERRETDB_DATA/"
    log "  MongoDB     127.0.0.1:$MONGO_PORT  mongodb://127.0.0.1:$MONGO_PORT   (FerretDB, data in $where, log in $FERRETDB_LOG)"
  fi
}

main "$@"
