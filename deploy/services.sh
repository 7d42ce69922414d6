#!/usr/bin/env bash
# Starts/stops the five CareLedger services on loopback against the local stack.
#   deploy/services.sh start    start the services not running yet, wait until ready, print URLs
#   deploy/services.sh stop     stop them
#   deploy/services.sh status   which are up
#   deploy/services.sh ready    every service answers 200 on /ready (exit 1 otherwise)
# Logs: .local/logs/<service>.log. Uses the development token issuer (make token).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
LOCAL_DIR=${CARELEDGER_LOCAL_DIR:-$ROOT/.local}  # as deploy/stack.sh
RUN_DIR="$LOCAL_DIR/run"
LOG_DIR="$LOCAL_DIR/logs"
PY="$ROOT/.venv/bin/python"
declare -A PORTS=([intake]=8001 [assessment]=8002 [referral]=8003 [archive]=8004 [notify]=8005)
ORDER=(intake assessment referral archive notify)

port_of() {  # INTAKE_PORT etc. override the defaults
    local var="${1^^}_PORT"
    echo "${!var:-${PORTS[$1]}}"
}

pid_of() {
    local file="$RUN_DIR/$1.pid"
    [ -s "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null && cat "$file"
}

wait_pid_file() {  # $1 pid file: written by the starting process within 5 s
    local i
    for i in $(seq 1 50); do [ -s "$1" ] && return 0; sleep 0.1; done
    echo "no pid in $1 after 5 s"; return 1
}

wait_ready() {  # $1 service; up to 60 s for /ready
    local url="http://127.0.0.1:$(port_of "$1")/ready" i
    for i in $(seq 1 120); do
        if "$PY" - "$url" <<'PY' 2>/dev/null; then return 0; fi
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
PY
        pid_of "$1" >/dev/null || { echo "$1: exited; last lines of $LOG_DIR/$1.log:"; tail -20 "$LOG_DIR/$1.log"; return 1; }
        sleep 0.5
    done
    echo "$1: not ready after 60 s; see $LOG_DIR/$1.log"
    return 1
}

# Each service migrates as its database's owner and runs as the database's runtime role, which
# may append events but never change or remove them (libs/events/grants.py).
use_runtime_roles() {
    local upper owner runtime
    for upper in INTAKE ASSESSMENT REFERRAL ARCHIVE NOTIFY KEYSTORE; do
        owner="${upper}_DATABASE_URL" runtime="${upper}_RUNTIME_DATABASE_URL"
        [ -n "${!runtime:-}" ] || { echo "no $runtime in .local/stack.env: run 'make stack'"; exit 1; }
        export "${upper}_MIGRATION_DATABASE_URL=${!owner}" "${upper}_DATABASE_URL=${!runtime}"
    done
}

start() {
    [ -f "$LOCAL_DIR/stack.env" ] || { echo "no $LOCAL_DIR/stack.env: run 'make stack' first"; exit 1; }
    # shellcheck disable=SC1091
    . "$LOCAL_DIR/stack.env"
    use_runtime_roles
    export CARELEDGER_DEV_AUTH=${CARELEDGER_DEV_AUTH:-true}
    export PYTHONPATH="$ROOT/libs:$ROOT/services"
    mkdir -p "$RUN_DIR" "$LOG_DIR"
    local svc
    for svc in "${ORDER[@]}"; do
        if pid_of "$svc" >/dev/null; then echo "$svc: already running"; continue; fi
        echo "$svc: starting on 127.0.0.1:$(port_of "$svc")"
        rm -f "$RUN_DIR/$svc.pid"  # a stale one names a process that is gone
        # The process writes its own pid before it becomes the service (exec): the pid file
        # names the service even where setsid has to fork (a caller with job control).
        setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$RUN_DIR/$svc.pid" \
            "$PY" -m "$svc" >>"$LOG_DIR/$svc.log" 2>&1 < /dev/null &
        wait_pid_file "$RUN_DIR/$svc.pid"
    done
    for svc in "${ORDER[@]}"; do
        wait_ready "$svc"
        echo "$svc: ready  http://127.0.0.1:$(port_of "$svc")  (API: /openapi.json, with a token)"
    done
    echo
    echo "Call the API with a development token:"
    echo "  TOKEN=\$(make -s token ROLE=supervisor ORG=org-demo)"
    echo "  curl -H \"Authorization: Bearer \$TOKEN\" http://127.0.0.1:8001/v1/event-schemas"
    echo "Stop everything with: make stop"
}

stop() {
    local svc pid
    for svc in "${ORDER[@]}"; do
        if pid=$(pid_of "$svc"); then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
            kill -KILL "$pid" 2>/dev/null || true
            echo "$svc: stopped"
        fi
        rm -f "$RUN_DIR/$svc.pid"
    done
}

status() {
    local svc rc=0
    for svc in "${ORDER[@]}"; do
        if pid=$(pid_of "$svc"); then echo "$svc: running (pid $pid, port $(port_of "$svc"))"
        else echo "$svc: stopped"; rc=1; fi
    done
    return $rc
}

ready() {
    local svc url rc=0
    for svc in "${ORDER[@]}"; do
        url="http://127.0.0.1:$(port_of "$svc")/ready"
        if "$PY" - "$url" <<'PY'; then echo "$svc: ready ($url)"; else echo "$svc: NOT ready ($url)"; rc=1; fi
import sys, urllib.error, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=5).status == 200 else 1)
except (urllib.error.URLError, OSError):
    sys.exit(1)
PY
    done
    return $rc
}

case "${1:-}" in
    start) start ;;
    ready) ready ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status|ready"; exit 2 ;;
esac
