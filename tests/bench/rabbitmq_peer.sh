#!/usr/bin/env bash
# A private RabbitMQ 3.10 node with the AMQP 1.0 plugin, for amqp_bench: state,
# logs and Erlang cookie in DIR, everything on loopback, its own epmd on its
# own port so that nothing outside DIR is touched.
#   rabbitmq_peer.sh start DIR AMQP_PORT DIST_PORT EPMD_PORT CTL_PORT
#   rabbitmq_peer.sh stop DIR
# `start` returns once the node accepts connections; `stop` stops the node and
# the epmd it started.
set -euo pipefail

rabbit_bin=/usr/lib/rabbitmq/bin

# The environment rabbitmq-server and rabbitmqctl both need, from DIR/ports.
load_environment() {
  local dir="$1" amqp_port dist_port epmd_port ctl_port
  read -r amqp_port dist_port epmd_port ctl_port <"$dir/ports"
  export HOME="$dir/home"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_NODENAME=rabbit@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$amqp_port"
  export RABBITMQ_DIST_PORT="$dist_port"
  export RABBITMQ_CTL_DIST_PORT_MIN="$ctl_port"
  export RABBITMQ_CTL_DIST_PORT_MAX="$ctl_port"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT="$epmd_port"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

start() {
  local dir="$1"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  echo "$2 $3 $4 $5" >"$dir/ports"
  load_environment "$dir"
  : >"$RABBITMQ_CONF_ENV_FILE"
  echo '[rabbitmq_amqp1_0].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
  cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_NODE_PORT
amqp1_0.default_user = guest
amqp1_0.default_vhost = /
EOF
  # The node runs on after this script; its output goes to a file so that
  # whoever waits for this script is not left holding its pipes.
  setsid "$rabbit_bin/rabbitmq-server" </dev/null >"$dir/server.out" 2>&1 &
  if ! "$rabbit_bin/rabbitmqctl" wait --timeout 120 "$RABBITMQ_PID_FILE" >"$dir/wait.out" 2>&1; then
    cat "$dir/wait.out" "$dir/server.out" >&2
    stop "$dir"
    exit 1
  fi
}

stop() {
  local dir="$1"
  load_environment "$dir"
  if ! "$rabbit_bin/rabbitmqctl" stop "$RABBITMQ_PID_FILE" >/dev/null 2>&1 &&
    [[ -s $RABBITMQ_PID_FILE ]]; then
    # The node this script started, and only it, if it would not stop.
    kill -KILL "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null || true
  fi
  # ERL_EPMD_PORT is set: this reaches only the epmd on this node's own port.
  epmd -kill >/dev/null 2>&1 || true
}

case "${1:-}" in
  start)
    [[ $# -eq 6 ]] || { echo "usage: $0 start DIR AMQP_PORT DIST_PORT EPMD_PORT CTL_PORT" >&2; exit 2; }
    start "$2" "$3" "$4" "$5" "$6"
    ;;
  stop)
    [[ $# -eq 2 ]] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    stop "$2"
    ;;
  *)
    echo "usage: $0 start DIR AMQP_PORT DIST_PORT EPMD_PORT CTL_PORT | stop DIR" >&2
    exit 2
    ;;
esac
