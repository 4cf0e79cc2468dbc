#!/usr/bin/env bash
# `pnpm deploy:smoke`: the shipped deployment, really run. Builds every image from the Dockerfile
# under podman, starts docker-compose.yml (with deploy/podman/compose.smoke.yml, which only swaps
# the backing services for images built here) in its health order, runs the migration job, drives
# the customer flow through the published gateway (tests/deploy-smoke), then tears everything down
# and prints the image sizes and the time to healthy.
#
#   pnpm deploy:smoke                 the whole run
#   pnpm deploy:smoke --build-only    base and app images only (what CI runs)
#   pnpm deploy:smoke:down            stops a stack left running by DEPLOY_SMOKE_KEEP=1
#   DEPLOY_SMOKE_KEEP=1 pnpm deploy:smoke   leaves the stack running (podman ps; the env file is
#                                     .infra/deploy-smoke/smoke.env) for a look by hand
#
# Base images are made once and kept in podman's store (scripts/infra/base-images.sh); app images
# are rebuilt every run (podman's layer cache makes an unchanged tree cheap).
set -euo pipefail

INFRA_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/infra"
# shellcheck source=scripts/infra/common.sh
source "$INFRA_SCRIPTS/common.sh"
# shellcheck source=scripts/infra/podman.sh
source "$INFRA_SCRIPTS/podman.sh"
# shellcheck source=scripts/infra/base-images.sh
source "$INFRA_SCRIPTS/base-images.sh"
# shellcheck source=scripts/infra/ferretdb.sh
source "$INFRA_SCRIPTS/ferretdb.sh"

MODE=${1:-all}
case "$MODE" in all | --build-only | --down) ;; *) die "usage: deploy-smoke.sh [--build-only | --down]" ;; esac
SMOKE_DIR="$INFRA_DIR/deploy-smoke"
ENV_FILE="$SMOKE_DIR/smoke.env"
PROJECT=shop-smoke
GATEWAY_URL=http://127.0.0.1:3000
# Service, then the port its image exposes and checks (the Dockerfile's PORT).
APP_IMAGES=(users:3001 products:3002 orders:3003 payments:3004 notifications:3005 gateway:3000)
mkdir -p "$SMOKE_DIR" "$LOG_DIR"
cd "$REPO"

build_app_images() {
  local entry service port
  for entry in "${APP_IMAGES[@]}"; do
    service=${entry%:*} port=${entry#*:}
    log "images: building localhost/shop/$service from the Dockerfile"
    # --format docker: OCI images drop HEALTHCHECK. --network host: `pnpm install` inside.
    podman build --format docker --pull=never --network host --target service \
      --build-arg "SERVICE=$service" --build-arg "PORT=$port" -t "localhost/shop/$service" . \
      >"$LOG_DIR/image-$service.log" 2>&1 || die "building $service failed: $LOG_DIR/image-$service.log"
  done
  log "images: building localhost/shop/migrate from the Dockerfile"
  podman build --format docker --pull=never --network host --target migrate -t localhost/shop/migrate . \
    >"$LOG_DIR/image-migrate.log" 2>&1 || die "building migrate failed: $LOG_DIR/image-migrate.log"
}

print_image_sizes() {
  local service bytes
  printf '\n%-14s %s\n' image 'size (uncompressed)'
  for service in users products orders payments notifications gateway migrate; do
    bytes=$(podman image inspect --format '{{.Size}}' "localhost/shop/$service")
    printf '%-14s %d MB\n' "$service" "$((bytes / 1000000))"
  done
}

# Each image started with no environment at all must stop at once and name what is missing.
check_missing_environment() {
  local entry service output code
  for entry in "${APP_IMAGES[@]}"; do
    service=${entry%:*}
    code=0
    output=$(timeout 30 podman run --rm "localhost/shop/$service" 2>&1) || code=$?
    # 124: still running after 30 s (timeout's code); 0: it did not refuse.
    if [ "$code" = 0 ] || [ "$code" = 124 ] || [[ "$output" != *JWT_SECRET* ]]; then
      die "$service without its environment did not stop naming JWT_SECRET (exit $code): $output"
    fi
  done
  log "smoke: every image refuses to start without its environment, and names the variable"
}

# A fresh secret for every variable docker-compose.yml requires (.env.example lists them).
write_env_file() {
  local name
  : >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
  for name in JWT_SECRET GATEWAY_SIGNING_SECRETS POSTGRES_PASSWORD MONGO_ROOT_PASSWORD MONGO_REPLICA_KEY \
    RABBITMQ_PASSWORD RABBITMQ_{ORDERS,PAYMENTS,NOTIFICATIONS,PRODUCTS,GATEWAY}_PASSWORD \
    MONGO_{USERS,ORDERS,PAYMENTS,NOTIFICATIONS}_PASSWORD ADMIN_PASSWORD; do
    printf '%s=%s\n' "$name" "$(openssl rand -hex 24)" >>"$ENV_FILE"
  done
  printf 'ADMIN_EMAIL=admin@smoke.test\nSMTP_URL=smtp://mail:1025\n' >>"$ENV_FILE"
}

compose() {
  "$PODMAN_COMPOSE" -p "$PROJECT" --env-file "$ENV_FILE" -f docker-compose.yml -f deploy/podman/compose.smoke.yml \
    --profile app "$@"
}

teardown() {
  if [ "${DEPLOY_SMOKE_KEEP:-}" = 1 ]; then
    log "smoke: DEPLOY_SMOKE_KEEP=1, the stack keeps running (stop it with: pnpm deploy:smoke:down)"
    return
  fi
  log "smoke: tearing down"
  compose down -v -t 5 >>"$LOG_DIR/deploy-smoke-compose.log" 2>&1 || true
}

# wait_healthy SECONDS SERVICE...: podman 4.3 runs no health checks by itself without systemd, and
# podman-compose then ignores `condition: service_healthy`, so the smoke runs each container's own
# HEALTHCHECK until all pass, in the order docker-compose.yml's depends_on gives.
wait_healthy() {
  local secs=$1 deadline=$((SECONDS + $1)) service pending
  shift
  pending=("$@")
  while [ "${#pending[@]}" -gt 0 ]; do
    local still=()
    for service in "${pending[@]}"; do
      [ "$(podman inspect --format '{{.State.Status}}' "${PROJECT}_${service}_1")" = running ] ||
        { podman logs --tail 20 "${PROJECT}_${service}_1" >&2; die "$service is not running"; }
      podman healthcheck run "${PROJECT}_${service}_1" >/dev/null 2>&1 || still+=("$service")
    done
    pending=("${still[@]}")
    if [ "${#pending[@]}" -gt 0 ]; then
      [ "$SECONDS" -lt "$deadline" ] || die "not healthy after ${secs}s: ${pending[*]}"
      sleep 1
    fi
  done
}

start_stack() {
  local started=$SECONDS
  compose down -v -t 5 >"$LOG_DIR/deploy-smoke-compose.log" 2>&1 || true
  write_env_file
  trap teardown EXIT
  log "smoke: starting docker-compose.yml (project $PROJECT) in its health order"
  compose up -d --no-deps postgres rabbitmq mail >>"$LOG_DIR/deploy-smoke-compose.log" 2>&1
  wait_healthy 120 postgres rabbitmq
  compose up -d --no-deps mongo migrate >>"$LOG_DIR/deploy-smoke-compose.log" 2>&1
  [ "$(podman wait "${PROJECT}_migrate_1")" = 0 ] ||
    { podman logs "${PROJECT}_migrate_1" >&2; die "the migrate job failed"; }
  wait_healthy 60 mongo
  compose up -d --no-deps users products orders payments notifications >>"$LOG_DIR/deploy-smoke-compose.log" 2>&1
  wait_healthy 120 users products orders payments notifications
  compose up -d --no-deps gateway >>"$LOG_DIR/deploy-smoke-compose.log" 2>&1
  wait_healthy 60 gateway
  HEALTHY_AFTER=$((SECONDS - started))
  log "smoke: all healthy ${HEALTHY_AFTER}s after the first container started"
}

run_flow() {
  log "smoke: the customer flow against $GATEWAY_URL (tests/deploy-smoke)"
  # shellcheck disable=SC2046 # the env file's lines are NAME=value words
  env DEPLOY_SMOKE_GATEWAY_URL="$GATEWAY_URL" DEPLOY_SMOKE_PROJECT="$PROJECT" \
    $(grep -E '^ADMIN_(EMAIL|PASSWORD)=' "$ENV_FILE" | sed 's/^/DEPLOY_SMOKE_/') \
    pnpm exec vitest run --config tests/deploy-smoke/vitest.config.ts
}

up_podman
up_podman_compose
if [ "$MODE" = --down ]; then
  [ -f "$ENV_FILE" ] || write_env_file # down only needs the variables set
  DEPLOY_SMOKE_KEEP=0 teardown
  exit 0
fi
build_started=$SECONDS
build_debian_image
build_node_image
if [ "$MODE" = all ]; then
  finish_ferretdb_build
  build_smoke_images
fi
build_app_images
BUILT_AFTER=$((SECONDS - build_started))
log "images: built in ${BUILT_AFTER}s"
print_image_sizes
[ "$MODE" = --build-only ] && exit 0

check_missing_environment
start_stack
run_flow
print_image_sizes
printf '\nimages built in %ss; stack healthy in %ss; whole smoke %ss\n' "$BUILT_AFTER" "$HEALTHY_AFTER" "$SECONDS"
