# shellcheck shell=bash
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
    use_given RabbitMQ AMQP_URL port_open "$(url_host "$AMQP_URL")" "$(url_port "$AMQP_URL" 5672)"
    return
  fi
  if [ "$USE_DOCKER" -eq 1 ]; then
    await_container RabbitMQ "$RABBIT_PORT" port_open 127.0.0.1 "$RABBIT_PORT"
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

