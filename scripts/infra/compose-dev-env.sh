#!/usr/bin/env bash
# Prints NAME=value for every variable docker-compose.yml requires (`${NAME:?…}`), for
# `pnpm infra:up` with a Docker engine (compose.infra.yml): the caller's own value where set, else a
# development one; the services are published on loopback only. Compose checks every variable of
# the file, not only those of the services it starts, so each one needs a value.
set -euo pipefail
# shellcheck source=scripts/infra/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# The values `pnpm infra:up` prints in its URLs; any other is only read by services it does not start.
declare -A development=([POSTGRES_PASSWORD]=shop [RABBITMQ_PASSWORD]=guest [SMTP_URL]=smtp://127.0.0.1:1025)
printf 'POSTGRES_USER=%s\nRABBITMQ_USER=%s\n' "${POSTGRES_USER:-shop}" "${RABBITMQ_USER:-guest}"
for name in $(compose_required_variables); do
  printf '%s=%s\n' "$name" "${!name:-${development[$name]:-development-only-not-a-secret-0123456789}}"
done
