# shellcheck shell=bash
# Shared helpers for deploy/stack.sh. Sourced, not executed.

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# check_port NAME VALUE: VALUE must be a TCP port number.
check_port() {
    case "$2" in
        '' | *[!0-9]*) die "$1 must be a port number, got '$2'" ;;
    esac
    if [ "$2" -lt 1 ] || [ "$2" -gt 65535 ]; then
        die "$1 must be between 1 and 65535, got $2"
    fi
}

# tcp_open HOST PORT: true if something accepts TCP connections there.
tcp_open() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# require_port_free NAME PORT: fail early (and clearly) if the port is taken.
require_port_free() {
    if tcp_open "$HOST" "$2"; then
        die "$1: $HOST:$2 is already in use by another process (set a different port, see deploy/README.md)"
    fi
}

# apt_install PKG...: install Debian packages when root, otherwise print the command.
apt_install() {
    if ! is_root; then
        die "missing packages; run: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y $*"
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages by hand: $*"
    say "apt: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
        die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
        die "apt-get install -y $* failed"
}

# random_token: 32 URL-safe characters (letters and digits only).
random_token() {
    head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | cut -c1-32
}

# write_secret FILE VALUE: create FILE (mode 600) containing VALUE.
write_secret() {
    (
        umask 077
        printf '%s\n' "$2" >"$1.tmp.$$"
    )
    mv -f "$1.tmp.$$" "$1"
}

# shell_quote VALUE: single-quoted, safe for sh/bash/dash `eval`.
shell_quote() {
    local q="'\\''"
    printf "'%s'" "${1//\'/$q}"
}

tail_log() {
    local file=$1 lines=${2:-40}
    if [ -f "$file" ]; then
        warn "---- last $lines lines of $file ----"
        tail -n "$lines" "$file" >&2
        warn "----"
    fi
}

# Python from the project's virtualenv (for aiokafka).
require_python() {
    [ -x "$PYTHON" ] ||
        die "$PYTHON not found; create the virtualenv first (python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt)"
    "$PYTHON" -c 'import aiokafka' 2>/dev/null ||
        die "aiokafka is not installed in $PYTHON's environment (.venv/bin/pip install aiokafka)"
}

# ---------------------------------------------------------------- stack.env

read_secret_file() {
    local file=$1 value
    [ -s "$file" ] || return 1
    value=$(head -n1 "$file")
    printf '%s' "$value"
}

ensure_kek() {
    if [ ! -s "$KEK_FILE" ]; then
        write_secret "$KEK_FILE" "$(head -c 32 /dev/urandom | base64 -w0)"
        say "kek: generated $KEK_FILE (local development only)"
    fi
    chmod 600 "$KEK_FILE"
}

# pg_url ROLE DATABASE [SCHEME]: URL of DATABASE on the local cluster, logged in as ROLE.
pg_url() {
    printf '%s://%s:%s@%s:%s/%s' "${3:-postgresql+asyncpg}" "$1" \
        "$(read_secret_file "$(pg_password_file "$1")")" "$HOST" "$PG_PORT" "$2"
}

# render_env: print the export lines for the running stack. <SERVICE>_DATABASE_URL is the
# owner's (migrations, tools, tests), <SERVICE>_RUNTIME_DATABASE_URL the role the service runs
# as; deploy/services.sh hands a service both (as <SERVICE>_MIGRATION_DATABASE_URL and
# <SERVICE>_DATABASE_URL). Tests keep the owner's URL: they make throwaway databases with it.
render_env() {
    local kek svc upper db role
    kek=$(read_secret_file "$KEK_FILE") || die "$KEK_FILE missing; run deploy/stack.sh up"
    for role in "$PG_ROLE" "$PG_TEST_RUNTIME_ROLE" "${PG_DATABASES[@]/%/_app}"; do # see pg_runtime_role
        [ -s "$(pg_password_file "$role")" ] || die "$(pg_password_file "$role") missing; run deploy/stack.sh up"
    done
    printf '# CareLedger local stack (deploy/stack.sh). Local development only.\n'
    printf 'export KAFKA_BOOTSTRAP_SERVERS=%s\n' "$(shell_quote "$HOST:$KAFKA_PORT")"
    printf 'export CARELEDGER_PG_ADMIN_URL=%s\n' \
        "$(shell_quote "$(pg_url "$PG_ROLE" postgres postgresql)")"
    printf 'export CARELEDGER_PG_RUNTIME_URL=%s\n' \
        "$(shell_quote "$(pg_url "$PG_TEST_RUNTIME_ROLE" postgres postgresql)")"
    for svc in intake assessment referral archive notify keystore; do
        upper=$(printf '%s' "$svc" | tr '[:lower:]' '[:upper:]')
        db=careledger_$svc
        [ "$svc" != keystore ] || db=careledger_keys
        printf 'export %s_DATABASE_URL=%s\n' "$upper" "$(shell_quote "$(pg_url "$PG_ROLE" "$db")")"
        printf 'export %s_RUNTIME_DATABASE_URL=%s\n' "$upper" \
            "$(shell_quote "$(pg_url "$(pg_runtime_role "$db")" "$db")")"
    done
    printf 'export CARELEDGER_KEK=%s\n' "$(shell_quote "$kek")"
}

write_env_file() {
    local content
    content=$(render_env)
    (
        umask 077
        printf '%s\n' "$content" >"$ENV_FILE.tmp.$$"
    )
    mv -f "$ENV_FILE.tmp.$$" "$ENV_FILE"
    say "env: wrote $ENV_FILE (eval \"\$(deploy/stack.sh env)\" to use it)"
}
