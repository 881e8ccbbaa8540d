#!/usr/bin/env bash
# Runs the conformance suite against a throwaway RabbitMQ node, the reference the suite is judged by.
#
#   bash conformance-tests/run-against-rabbitmq.sh [jest args...]
#   LEVERET_INTEROP=1 RMQ_JEST_PROJECT=interop bash conformance-tests/run-against-rabbitmq.sh   (pika, amqp-tools)
#
# Installs Debian's rabbitmq-server when it is missing, starts a private node by hand (no systemd, the management
# plugin only, every file under one temp dir, its own epmd port, its own cookie), waits for it, runs
# `npx jest --selectProjects conformance` with AMQP_URL and MANAGEMENT_URL pointing at it, then stops the node and
# removes the dir.
# Exits with jest's status. KEEP_RMQ_DIR=1 keeps the temp dir (node logs) for a post-mortem.
set -euo pipefail

RMQ_BIN=/usr/lib/rabbitmq/bin
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ ! -x "$RMQ_BIN/rabbitmq-server" ]; then
  echo "run-against-rabbitmq: installing rabbitmq-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y rabbitmq-server
fi

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

WORK_DIR="$(mktemp -d -t leveret-rmq-XXXXXX)"
AMQP_PORT="${RABBITMQ_CONFORMANCE_PORT:-$(free_port)}"
DIST_PORT="$(free_port)"
EPMD_PORT="$(free_port)"
HTTP_PORT="$(free_port)"
RMQ_PID=""

mkdir -p "$WORK_DIR/home" "$WORK_DIR/mnesia" "$WORK_DIR/log"
# The management plugin, so tests that set up users and permissions over HTTP run against RabbitMQ too.
echo '[rabbitmq_management].' > "$WORK_DIR/enabled_plugins"
: > "$WORK_DIR/rabbitmq-env.conf"
# A config file of our own keeps the node off /etc/rabbitmq; RabbitMQ's defaults are what the suite asserts, except
# the management listener, moved to a free port on loopback.
printf 'management.tcp.port = %s\nmanagement.tcp.ip = 127.0.0.1\n' "$HTTP_PORT" > "$WORK_DIR/rabbitmq.conf"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$WORK_DIR/home/.erlang.cookie"
chmod 400 "$WORK_DIR/home/.erlang.cookie"

export HOME="$WORK_DIR/home"
export RABBITMQ_NODENAME="leveret-conf-$$@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$AMQP_PORT"
export RABBITMQ_DIST_PORT="$DIST_PORT"
export ERL_EPMD_PORT="$EPMD_PORT"
export RABBITMQ_MNESIA_BASE="$WORK_DIR/mnesia"
export RABBITMQ_LOG_BASE="$WORK_DIR/log"
export RABBITMQ_ENABLED_PLUGINS_FILE="$WORK_DIR/enabled_plugins"
export RABBITMQ_CONF_ENV_FILE="$WORK_DIR/rabbitmq-env.conf"
export RABBITMQ_CONFIG_FILE="$WORK_DIR/rabbitmq"
export RABBITMQ_PID_FILE="$WORK_DIR/rabbitmq.pid"

cleanup() {
  local status=$?
  if [ -n "$RMQ_PID" ] && kill -0 "$RMQ_PID" 2>/dev/null; then
    "$RMQ_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do kill -0 "$RMQ_PID" 2>/dev/null || break; sleep 0.2; done
    kill "$RMQ_PID" 2>/dev/null || true
  fi
  # The epmd on our private port was started by this node; stop only that one.
  epmd -port "$EPMD_PORT" -kill >/dev/null 2>&1 || true
  [ -n "${KEEP_RMQ_DIR:-}" ] || rm -rf "$WORK_DIR"
  exit "$status"
}
trap cleanup EXIT INT TERM

echo "run-against-rabbitmq: starting $RABBITMQ_NODENAME on 127.0.0.1:$AMQP_PORT (logs in $WORK_DIR/log)" >&2
"$RMQ_BIN/rabbitmq-server" > "$WORK_DIR/log/stdout.log" 2>&1 &
RMQ_PID=$!

# await_startup fails at once while the node has not registered with epmd yet, so retry it until it succeeds.
started=""
for _ in $(seq 1 240); do
  if ! kill -0 "$RMQ_PID" 2>/dev/null; then break; fi
  if "$RMQ_BIN/rabbitmqctl" -n "$RABBITMQ_NODENAME" await_startup --timeout 60 > "$WORK_DIR/log/await.log" 2>&1; then
    started=yes
    break
  fi
  sleep 0.5
done
if [ -z "$started" ]; then
  echo "run-against-rabbitmq: RabbitMQ did not start; rabbitmqctl said:" >&2
  cat "$WORK_DIR/log/await.log" >&2 || true
  echo "run-against-rabbitmq: its output:" >&2
  tail -n 50 "$WORK_DIR/log/stdout.log" >&2 || true
  exit 1
fi

cd "$REPO_ROOT"
set +e
npm_config_update_notifier=false AMQP_URL="amqp://guest:guest@127.0.0.1:$AMQP_PORT" \
  MANAGEMENT_URL="http://127.0.0.1:$HTTP_PORT" npx jest "$@" --selectProjects "${RMQ_JEST_PROJECT:-conformance}"
JEST_STATUS=$?
set -e
exit "$JEST_STATUS"
