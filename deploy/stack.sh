#!/usr/bin/env bash
# CareLedger local infrastructure: PostgreSQL + single-node Kafka (KRaft) on 127.0.0.1.
#
#   deploy/stack.sh up           start everything (idempotent), create roles/dbs/topics,
#                                write .local/stack.env
#   deploy/stack.sh down         stop what `up` started
#   deploy/stack.sh status       report; exit code 1 if anything is down
#   deploy/stack.sh env          print the export lines (eval "$(deploy/stack.sh env)")
#   deploy/stack.sh kafka-stop   stop only the broker (tests use this)
#   deploy/stack.sh kafka-start  start only the broker (same data)
#
# All state lives in .local/ at the repository root (or $CARELEDGER_LOCAL_DIR). See deploy/README.md.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$DEPLOY_DIR/.." && pwd -P)
# All state in one folder: .local (may be a link to shared state), or CARELEDGER_LOCAL_DIR for a
# second stack beside it (the stack start test runs one on other ports).
LOCAL_DIR=$(readlink -f "${CARELEDGER_LOCAL_DIR:-$ROOT/.local}")
ENV_FILE="$LOCAL_DIR/stack.env"
KEK_FILE="$LOCAL_DIR/kek"
HOST=127.0.0.1
PG_PORT=${CARELEDGER_PG_PORT:-55432}
KAFKA_PORT=${CARELEDGER_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${CARELEDGER_KAFKA_CONTROLLER_PORT:-9093}
PYTHON=${CARELEDGER_PYTHON:-$ROOT/.venv/bin/python}

# shellcheck source=lib/common.sh
. "$DEPLOY_DIR/lib/common.sh"
# shellcheck source=lib/pg.sh
. "$DEPLOY_DIR/lib/pg.sh"
# shellcheck source=lib/kafka.sh
. "$DEPLOY_DIR/lib/kafka.sh"

check_port CARELEDGER_PG_PORT "$PG_PORT"
check_port CARELEDGER_KAFKA_PORT "$KAFKA_PORT"
check_port CARELEDGER_KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ] || die "Kafka broker and controller ports must differ"

# One `up`/`down` at a time (parallel make targets, concurrent test sessions).
lock() {
    mkdir -p "$LOCAL_DIR"
    exec 9>"$LOCAL_DIR/stack.lock"
    if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
        say "stack: another deploy/stack.sh is running; waiting..."
        flock -w 300 9 || die "stack: timed out waiting for $LOCAL_DIR/stack.lock"
    fi
}

# Ports of whatever is running now (an `up` with other ports does not move them).
sync_running_ports() {
    local p
    if [ -s "$PG_DATA/postmaster.pid" ]; then
        p=$(pg_running_port)
        [ -n "$p" ] && PG_PORT=$p
    fi
    if kafka_pid >/dev/null; then
        p=$(kafka_running_port)
        [ -n "$p" ] && KAFKA_PORT=$p
    fi
    return 0
}

cmd_up() {
    local t0=$SECONDS
    require_python # fail before starting anything
    lock
    pg_start
    pg_ensure_role_and_databases
    kafka_start
    KAFKA_BOOTSTRAP_SERVERS="$HOST:$KAFKA_PORT" "$PYTHON" "$DEPLOY_DIR/topics.py" ||
        die "topics: creation failed"
    ensure_kek
    write_env_file
    say "stack: up ($((SECONDS - t0)) s)"
}

cmd_down() {
    lock
    kafka_stop
    pg_stop
    say "stack: down"
}

cmd_status() {
    local rc=0
    pg_status || rc=1
    kafka_status || rc=1
    if [ -f "$ENV_FILE" ]; then say "env: $ENV_FILE"; else say "env: $ENV_FILE missing (run up)"; fi
    return "$rc"
}

cmd_env() {
    if [ -f "$ENV_FILE" ]; then
        cat "$ENV_FILE"
    else
        sync_running_ports
        render_env
    fi
}

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    kafka-start)
        lock
        kafka_start
        ;;
    kafka-stop)
        lock
        kafka_stop
        ;;
    -h | --help | help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
esac
