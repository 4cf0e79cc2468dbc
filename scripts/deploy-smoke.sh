#!/usr/bin/env bash
# `pnpm deploy:smoke`: the shipped deployment, really run, under podman.
#  1. Builds every image from the Dockerfile (base images made locally the first time).
#  2. Checks each image refuses to start without its environment.
#  3. Starts docker-compose.yml (with deploy/podman/compose.smoke.yml, which only swaps the backing
#     services for images built here) in its health order, migration job included, and runs the
#     customer flow through the published gateway (tests/deploy-smoke, DEPLOY_SMOKE_RUN=single).
#  4. Starts it again with compose.scale.yml (two of every process behind nginx) and shows that a
#     subscriber on one gateway hears of a payment made through the other (DEPLOY_SMOKE_RUN=scaled).
#  5. Tears everything down and prints the image sizes and the times to healthy.
#
#   pnpm deploy:smoke                 the whole run (CI runs it: .ci/run)
#   pnpm deploy:smoke --build-only    the images only
#   DEPLOY_SMOKE_KEEP=1 pnpm deploy:smoke   leaves the scaled stack running for a look by hand
#                                     (podman ps; the env file is .infra/deploy-smoke/smoke.env)
#   pnpm deploy:smoke:down            removes a stack left running
#
# Base images are kept in podman's store (scripts/infra/base-images.sh); app images are rebuilt
# every run (podman's layer cache makes an unchanged tree cheap), and the untagged images earlier
# builds left are removed.
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
  # The stage every image copies from (install and build), tagged so that the prune below keeps it
  # as the next build's cache: an unchanged tree then rebuilds in seconds.
  log "images: building localhost/shop/workspace (install and build) from the Dockerfile"
  podman build --format docker --pull=never --network host --target workspace -t localhost/shop/workspace . \
    >"$LOG_DIR/image-workspace.log" 2>&1 || die "building the workspace failed: $LOG_DIR/image-workspace.log"
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

# Each build leaves images untagged: the previous build's (their tags moved to the new ones) and
# the build stages no tag holds. A machine that keeps podman's store between runs filled its disk
# with them (1,160 images on 6 Dec 2026). Removed here, and only those: every image the Dockerfile
# builds carries the label shop.image, and podman removes only the untagged ones no container uses.
prune_untagged_images() {
  local before after left
  before=$(podman images -a -q --filter label=shop.image | wc -l)
  podman image prune -f --filter label=shop.image >/dev/null
  after=$(podman images -a -q --filter label=shop.image | wc -l)
  left=$(podman images -q --filter dangling=true --filter label=shop.image | wc -l)
  log "images: removed $((before - after)) untagged images, replaced ones and build stages ($left kept: a container uses them)"
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
    # Without the health check, podman itself prints nothing here (it cannot reach systemd to
    # schedule one): the output is the container's alone.
    output=$(timeout 30 podman run --rm --no-healthcheck "localhost/shop/$service" 2>&1) || code=$?
    # 124: still running after 30 s (timeout's code); 0: it did not refuse. One line, naming the variable.
    if [ "$code" = 0 ] || [ "$code" = 124 ] || [[ "$output" != *JWT_SECRET* ]] || [[ "$output" == *$'\n'* ]]; then
      die "$service without its environment did not stop with one line naming JWT_SECRET (exit $code): $output"
    fi
  done
  log "smoke: every image refuses to start without its environment, in one line naming the variable"
}

# A fresh secret for every variable docker-compose.yml requires, the mail server the smoke reads,
# and a first admin.
write_env_file() {
  local name
  : >"$ENV_FILE"
  chmod 600 "$ENV_FILE"
  for name in $(compose_required_variables) ADMIN_PASSWORD; do
    [ "$name" != SMTP_URL ] || continue
    printf '%s=%s\n' "$name" "$(openssl rand -hex 24)" >>"$ENV_FILE"
  done
  printf 'ADMIN_EMAIL=admin@smoke.test\nSMTP_URL=smtp://mail:1025\n' >>"$ENV_FILE"
}

# The compose files of the current run: the single-host one, then the scaled one (start_stack).
COMPOSE_FILES=(docker-compose.yml deploy/podman/compose.smoke.yml)
SCALED_FILES=(docker-compose.yml compose.scale.yml deploy/podman/compose.smoke.yml deploy/podman/compose.smoke-scale.yml)

COMPOSE_LOG="$LOG_DIR/deploy-smoke-compose.log"
compose() {
  local file args=()
  for file in "${COMPOSE_FILES[@]}"; do args+=(-f "$file"); done
  "$PODMAN_COMPOSE" -p "$PROJECT" --env-file "$ENV_FILE" "${args[@]}" --profile app "$@" >>"$COMPOSE_LOG" 2>&1 ||
    { grep -v systemd "$COMPOSE_LOG" | tail -n 20 >&2; die "podman-compose $1 failed (log: $COMPOSE_LOG)"; }
}

teardown() {
  if [ "${DEPLOY_SMOKE_KEEP:-}" = 1 ]; then
    log "smoke: DEPLOY_SMOKE_KEEP=1, the stack keeps running (stop it with: pnpm deploy:smoke:down)"
    return
  fi
  log "smoke: tearing down"
  (compose down -v -t 5) || true
}

# The containers of SERVICE (one per replica).
containers_of() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" \
    --format '{{.Names}}'
}

# wait_healthy SECONDS SERVICE...: podman 4.3 runs no health checks by itself without systemd, and
# podman-compose then ignores `condition: service_healthy`, so the smoke runs every replica's own
# HEALTHCHECK until all pass, in the order docker-compose.yml's depends_on gives.
wait_healthy() {
  local secs=$1 deadline=$((SECONDS + $1)) service container pending=()
  shift
  for service in "$@"; do
    mapfile -t -O "${#pending[@]}" pending < <(containers_of "$service")
  done
  [ "${#pending[@]}" -gt 0 ] || die "no containers for: $*"
  while [ "${#pending[@]}" -gt 0 ]; do
    local still=()
    for container in "${pending[@]}"; do
      [ "$(podman inspect --format '{{.State.Status}}' "$container")" = running ] ||
        { podman logs --tail 20 "$container" 2>&1 | grep -v systemd >&2; die "$container is not running"; }
      podman healthcheck run "$container" >/dev/null 2>&1 || still+=("$container")
    done
    pending=("${still[@]}")
    if [ "${#pending[@]}" -gt 0 ]; then
      if [ "$SECONDS" -ge "$deadline" ]; then
        for container in "${pending[@]}"; do
          echo "--- $container (last lines)" >&2
          podman logs --tail 20 "$container" 2>&1 | grep -v systemd >&2
        done
        die "not healthy after ${secs}s: ${pending[*]}"
      fi
      sleep 1
    fi
  done
}

# start_services SERVICE...: their containers, without dependencies (start_stack keeps the order),
# and the address of any network bridge they made fixed at once (pin_bridge_addresses).
start_services() {
  compose up -d --no-deps "$@"
  pin_bridge_addresses "${PROJECT}_backend" "${PROJECT}_edge" "${PROJECT}_outbound"
}

# start_stack: the current COMPOSE_FILES from nothing, in their health order (the load balancer,
# when there is one, before the gateways, which reach the subgraphs through it).
start_stack() {
  local started=$SECONDS
  (compose down -v -t 5) || true
  log "smoke: starting ${COMPOSE_FILES[*]} (project $PROJECT) in its health order"
  # postgres alone first: it makes the backend network's bridge, fixed before anything else joins.
  start_services postgres
  start_services rabbitmq mail
  wait_healthy 120 postgres rabbitmq
  start_services mongo migrate
  [ "$(podman wait "${PROJECT}_migrate_1")" = 0 ] ||
    { podman logs "${PROJECT}_migrate_1" >&2; die "the migrate job failed"; }
  wait_healthy 60 mongo
  start_services users products orders payments notifications
  wait_healthy 120 users products orders payments notifications
  if [[ " ${COMPOSE_FILES[*]} " == *" compose.scale.yml "* ]]; then
    start_services lb
    wait_healthy 60 lb
  fi
  start_services gateway
  wait_healthy 60 gateway
  # Healthy gateways are not yet a served port: the load balancer started before them and finds
  # them at its next DNS re-resolution (nginx `resolve`, valid=5s); until then it answers 502.
  wait_for 30 "the gateway's readiness through $GATEWAY_URL" node -e \
    'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$GATEWAY_URL/health/ready" ||
    { print_problem_logs; die "$GATEWAY_URL does not serve the gateway's readiness"; }
  HEALTHY_AFTER=$((SECONDS - started))
  log "smoke: all healthy ${HEALTHY_AFTER}s after the first container started"
  wait_dns_settled
}

# Every app container must resolve every name it calls, each within 2 s, before the tests run.
# Podman's DNS server here (aardvark-dns 1.4) re-creates its sockets whenever a container starts
# and can drop queries meanwhile (containers/aardvark-dns#389); a lookup then waits out the
# resolver's timeout, longer than a subgraph call may take. The app containers retry a lookup
# after 1 s (dns_opt in compose.smoke.yml); this waits for the DNS to settle before the tests,
# and says so.
DNS_PROBE="const dns = require('node:dns');
setTimeout(() => process.exit(1), 2000);
const names = ['users', 'products', 'orders', 'payments', 'notifications', 'mongo', 'rabbitmq', 'postgres'];
Promise.all(names.map((name) => dns.promises.lookup(name))).then(() => process.exit(0), () => process.exit(1));"
wait_dns_settled() {
  local started=$SECONDS service container
  for service in gateway users products orders payments notifications; do
    for container in $(containers_of "$service"); do
      wait_for 120 "every name resolved in $container" podman exec "$container" node -e "$DNS_PROBE" ||
        die "podman's DNS does not answer in $container"
    done
  done
  if [ $((SECONDS - started)) -gt 10 ]; then
    log "smoke: waited $((SECONDS - started))s until podman's DNS answered every name in every container"
  fi
}

# run_flow RUN: tests/deploy-smoke's RUN (single or scaled) against the published port 3000.
run_flow() {
  log "smoke: the $1 run's tests against $GATEWAY_URL (tests/deploy-smoke)"
  # shellcheck disable=SC2046 # the env file's lines are NAME=value words
  env DEPLOY_SMOKE_RUN="$1" DEPLOY_SMOKE_GATEWAY_URL="$GATEWAY_URL" DEPLOY_SMOKE_PROJECT="$PROJECT" \
    DEPLOY_SMOKE_GATEWAYS="$(gateway_urls)" \
    $(grep -E '^ADMIN_(EMAIL|PASSWORD)=' "$ENV_FILE" | sed 's/^/DEPLOY_SMOKE_/') \
    pnpm exec vitest run --config tests/deploy-smoke/vitest.config.ts ||
    { print_problem_logs; die "the $1 run's tests failed (the services' warnings and errors are above)"; }
}

# What the containers said went wrong, before the teardown removes them: each app container's
# warnings and errors (pino levels 40 and up), and the last lines of the MongoDB-wire server and of
# the load balancer (in the scaled run: its upstreams' name lookups and refusals).
print_problem_logs() {
  local service container
  for service in gateway users products orders payments notifications; do
    for container in $(containers_of "$service"); do
      printf '\n--- %s (warnings and errors, last 30)\n' "$container" >&2
      podman logs "$container" 2>&1 | grep -E '"level":(40|50|60)' | tail -30 >&2 || true
    done
  done
  for container in $(containers_of mongo) $(containers_of lb); do
    printf '\n--- %s (last 30 lines)\n' "$container" >&2
    podman logs --tail 30 "$container" 2>&1 | grep -v systemd >&2 || true
  done
}

# Each gateway replica's own address on the `edge` network, which this host reaches: the scaled
# run's test subscribes on one and writes through the other.
gateway_urls() {
  local container urls=()
  for container in $(containers_of gateway); do
    urls+=("http://$(podman inspect --format "{{ (index .NetworkSettings.Networks \"${PROJECT}_edge\").IPAddress }}" "$container"):3000")
  done
  (IFS=,; printf '%s' "${urls[*]}")
}

# deploy/nginx.conf as shipped, but asking podman's DNS (the gateway of compose.scale.yml's backend
# subnet) instead of Docker's: compose.smoke-scale.yml mounts this copy (.infra/deploy-smoke/nginx.conf).
write_nginx_conf() {
  grep -q 'resolver 127.0.0.11 ' deploy/nginx.conf || die "deploy/nginx.conf no longer names Docker's DNS"
  sed 's/resolver 127\.0\.0\.11 /resolver 172.28.0.1 /' deploy/nginx.conf >"$SMOKE_DIR/nginx.conf"
}

up_podman
up_podman_compose
if [ "$MODE" = --down ]; then
  [ -f "$ENV_FILE" ] || write_env_file # down only needs the variables set
  COMPOSE_FILES=("${SCALED_FILES[@]}") # every service of either run
  DEPLOY_SMOKE_KEEP=0 teardown
  exit 0
fi
build_started=$SECONDS
build_debian_image bookworm localhost/shop-base/debian:bookworm
build_node_image
if [ "$MODE" = all ]; then
  finish_ferretdb_build
  build_smoke_images
fi
build_app_images
prune_untagged_images
BUILT_AFTER=$((SECONDS - build_started))
log "images: built in ${BUILT_AFTER}s"
if [ "$MODE" = --build-only ]; then
  print_image_sizes
  exit 0
fi

check_missing_environment
write_env_file
write_nginx_conf
trap teardown EXIT
start_stack
SINGLE_HEALTHY_AFTER=$HEALTHY_AFTER
run_flow single
COMPOSE_FILES=("${SCALED_FILES[@]}")
start_stack
run_flow scaled
print_image_sizes
printf '\nimages built in %ss; healthy in %ss (one of each) and %ss (compose.scale.yml); whole smoke %ss\n' \
  "$BUILT_AFTER" "$SINGLE_HEALTHY_AFTER" "$HEALTHY_AFTER" "$SECONDS"
