#!/usr/bin/env bash
# The default user from the environment (the built-in guest account is not created), reachable
# from other containers, then the broker ("$@", usually rabbitmq-server).
set -euo pipefail
: "${RABBITMQ_DEFAULT_USER:?RABBITMQ_DEFAULT_USER is required}" "${RABBITMQ_DEFAULT_PASS:?RABBITMQ_DEFAULT_PASS is required}"
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
loopback_users = none
CONF
chmod 640 /etc/rabbitmq/rabbitmq.conf && chown root:rabbitmq /etc/rabbitmq/rabbitmq.conf
exec "$@"
