# Helpers for .ci/run, in a file of their own so tests can source them and run one step
# (tests/test_ci_rabbitmq.py runs the RabbitMQ steps against stand-ins for the broker's CLI).
# Sourced, never run: it sets no shell options and starts nothing.

RABBIT_WAIT_SECONDS="${RABBIT_WAIT_SECONDS:-60}"
RABBIT_AMQP_PORT="${RABBIT_AMQP_PORT:-5672}"
RABBIT_UI_PORT="${RABBIT_UI_PORT:-15672}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'ci: error: %s\n' "$*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi

port_open() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# wait_for_port PORT: succeeds once PORT accepts connections, fails after RABBIT_WAIT_SECONDS.
wait_for_port() {
  local deadline=$((SECONDS + RABBIT_WAIT_SECONDS))
  until port_open "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# Start the local broker unless something already answers AMQP.
ensure_rabbit_running() {
  if ! port_open "$RABBIT_AMQP_PORT"; then
    log "starting RabbitMQ (waiting up to ${RABBIT_WAIT_SECONDS}s for port $RABBIT_AMQP_PORT)"
    "${SUDO[@]}" rabbitmq-server -detached >/dev/null 2>&1 || true
    if ! wait_for_port "$RABBIT_AMQP_PORT"; then
      tail -n 20 /var/log/rabbitmq/*.log 2>/dev/null >&2 || true
      die "RabbitMQ did not open port $RABBIT_AMQP_PORT within ${RABBIT_WAIT_SECONDS}s"
    fi
  fi
  log "RabbitMQ answering on port $RABBIT_AMQP_PORT"
}

# The management UI behind `make rabbit-ui`, enabled on the running node unless it answers
# already. Enabling a plugin starts it inside the node: no restart, open connections and
# queues stay, so this is safe while tests use the broker. It is also recorded in the
# node's enabled_plugins file, so the UI comes back whenever the broker restarts.
ensure_rabbit_management() {
  if ! port_open "$RABBIT_UI_PORT"; then
    log "enabling the RabbitMQ management plugin (in place, the broker keeps running)"
    "${SUDO[@]}" rabbitmq-plugins enable rabbitmq_management >/dev/null \
      || die "rabbitmq-plugins could not enable rabbitmq_management"
    wait_for_port "$RABBIT_UI_PORT" \
      || die "the RabbitMQ management UI did not open port $RABBIT_UI_PORT within ${RABBIT_WAIT_SECONDS}s"
  fi
  log "RabbitMQ management UI on http://localhost:$RABBIT_UI_PORT (make rabbit-ui)"
}

# promtool (make lint checks the Prometheus config and rules with it; the tests run the
# rules' unit tests), unless on PATH already. Unpacked from Debian's `prometheus` package
# rather than installed: installing would also set up and start a Prometheus server
# (systemd unit, user, data dir) that nothing here wants. PROMTOOL_DIR: where it goes.
PROMTOOL_DIR="${PROMTOOL_DIR:-/usr/local/bin}"
ensure_promtool() {
  if command -v promtool >/dev/null; then
    log "promtool: $(command -v promtool)"
    return 0
  fi
  log "installing promtool into $PROMTOOL_DIR (unpacked from Debian's prometheus package)"
  local work
  work="$(mktemp -d)"
  "${SUDO[@]}" apt-get update -qq
  (cd "$work" && apt-get download -qq prometheus) || die "apt-get download prometheus failed"
  dpkg-deb -x "$work"/prometheus_*.deb "$work/root" || die "could not unpack the prometheus package"
  "${SUDO[@]}" install -m 0755 "$work/root/usr/bin/promtool" "$PROMTOOL_DIR/promtool"
  rm -rf "$work"
  command -v promtool >/dev/null || die "promtool not on PATH after installing it into $PROMTOOL_DIR"
  log "promtool: $(command -v promtool)"
}
