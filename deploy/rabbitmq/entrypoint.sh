#!/usr/bin/env bash
# The rabbitmq image's own entrypoint, then the per-service users (service-users.sh); the
# container reports healthy only after they exist (the healthcheck looks for the marker file).
set -euo pipefail
rm -f /tmp/service-users-ready
docker-entrypoint.sh "$@" &
broker=$!
trap 'kill -TERM "$broker"; wait "$broker"' TERM INT
until rabbitmqctl -q await_startup --timeout 60 >/dev/null 2>&1; do
  kill -0 "$broker" || exit 1
  sleep 1
done
bash /etc/shop/rabbitmq/service-users.sh
touch /tmp/service-users-ready
wait "$broker"
