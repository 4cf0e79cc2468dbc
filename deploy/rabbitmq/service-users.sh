#!/usr/bin/env bash
# One RabbitMQ user per service, allowed only what that service declares, consumes and publishes.
# Run by deploy/rabbitmq/entrypoint.sh in docker compose once the broker is up, and by
# events/src/broker-permissions.test.ts against the test broker: one definition for both.
# Idempotent: users are created or given their password again, permissions are set again.
#
#   RABBITMQ_<SERVICE>_PASSWORD  each service's password (required)
#   RABBITMQ_VHOST               default /
#   AMQP_EXCHANGE                the shared topic exchange, default shop.events
#   RABBITMQ_USER_PREFIX         prepended to every user name (tests), default none
#
# The shared exchange is declared here, never by a service: services run with
# AMQP_EXCHANGE_PROVISIONED=true and only check it, so no service may delete or redeclare it.
# Per user, vhost permissions cover its own queues and exchanges (named by its prefix): configure,
# write and read; and the shared exchange: write and read only. Topic permissions on the shared
# exchange limit the routing keys it may publish (write) and bind to (read). No service may write
# to the default exchange (`amq.default`), which reaches every queue of the vhost by name: a
# consumer's queues reach each other through its own exchange, `<queue>.moves` (events/src/topology.ts).
set -euo pipefail

vhost="${RABBITMQ_VHOST:-/}"
exchange="${AMQP_EXCHANGE:-shop.events}"
prefix="${RABBITMQ_USER_PREFIX:-}"
x="${exchange//./\\.}"

# Interpolated into JSON below and into permission patterns.
[[ "$exchange" =~ ^[A-Za-z0-9._-]+$ && "$vhost" =~ ^[A-Za-z0-9._/-]+$ ]] ||
  { echo "AMQP_EXCHANGE and RABBITMQ_VHOST: letters, digits and . _ - (/) only" >&2; exit 1; }
# Idempotent: an exchange that exists with these properties is left as it is.
printf '{"exchanges":[{"name":"%s","vhost":"%s","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}]}' \
  "$exchange" "$vhost" | rabbitmqctl -q import_definitions --format json >/dev/null
echo "rabbitmq exchange $exchange (topic, durable) in vhost $vhost"

# service   own-name prefix   publishes (topic write)   bind keys (topic read)
grant() {
  local service="$1" own="$2" publishes="$3" consumes="$4"
  local variable="RABBITMQ_${service^^}_PASSWORD"
  local password="${!variable:?set $variable}"
  local user="${prefix}${service}"
  local own_names="^(${own})\$" names="^(${own}|${x})\$"
  # The password on standard input (printf is a shell builtin): never in a process's arguments,
  # which anyone on the host may list.
  if rabbitmqctl -q list_users | cut -f1 | grep -qxF "$user"; then
    printf '%s' "$password" | rabbitmqctl -q change_password "$user" >/dev/null
  else
    printf '%s' "$password" | rabbitmqctl -q add_user "$user" >/dev/null
  fi
  rabbitmqctl -q set_user_tags "$user" >/dev/null
  rabbitmqctl -q set_permissions -p "$vhost" "$user" "$own_names" "$names" "$names" >/dev/null
  rabbitmqctl -q set_topic_permissions -p "$vhost" "$user" "$exchange" "$publishes" "$consumes" >/dev/null
  echo "rabbitmq user $user: publishes $publishes, binds $consumes"
}

grant orders 'orders\..*' '^order\.(created|updated)$' '^(payment\.(succeeded|failed)|user\.deleted)$'
grant payments 'payments\..*' '^payment\.(succeeded|failed)$' '^order\.updated$'
grant notifications 'notifications\..*' '^notification\.(email|sms)$' \
  '^(order\.(created|updated)|payment\.(succeeded|failed)|notification\.(email|sms)|user\.deleted)$'
grant products 'products\..*' '^product\.changed$' '^payment\.succeeded$'
grant gateway 'gateway\..*' '^$' '^(order\.updated|payment\.(succeeded|failed)|product\.changed)$'
grant users 'users\..*' '^(notification\.email|user\.deleted)$' '^$'
