# shellcheck shell=bash
# PostgreSQL part of deploy/stack.sh. Sourced, not executed.
#
# One private cluster in .local/pg/data, listening on 127.0.0.1:$PG_PORT only.
# When run as root the cluster belongs to the `postgres` system user (initdb and
# the server refuse to run as root); otherwise it belongs to the current user.

PG_DIR="$LOCAL_DIR/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/server.log"
PG_PASSWORD_FILE="$PG_DIR/password"
# Two roles per database: `careledger` owns every database and its tables (migrations, and the
# tests' admin URL: it creates their throwaway databases); `<database>_app` is the role the
# service runs as, granted by the migrations what it needs and no more (it cannot change or
# remove events). PG_TEST_RUNTIME_ROLE plays that part in the tests' throwaway databases.
PG_ROLE=careledger
PG_TEST_RUNTIME_ROLE=careledger_test_app
PG_RUNTIME_ATTRIBUTES=(NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS)
PG_DATABASES=(careledger_intake careledger_assessment careledger_referral
    careledger_archive careledger_notify careledger_keys)

# Unix socket paths are limited to ~107 bytes; fall back to /tmp for deep repos.
PG_SOCK_DIR="$PG_DIR/sock"
if [ $((${#PG_SOCK_DIR} + 20)) -gt 107 ]; then
    PG_SOCK_DIR="/tmp/careledger-pg-$(printf '%s' "$PG_DIR" | cksum | cut -d' ' -f1)"
fi

if is_root; then PG_OS_USER=postgres; else PG_OS_USER=$(id -un); fi
PG_SUPERUSER=$PG_OS_USER # initdb names the bootstrap superuser after the OS user
PG_BIN=""

# pg_run CMD...: run as the cluster owner, from a directory it can read.
# fd 9 (stack.sh's lock) is closed so the postmaster does not inherit it.
pg_run() {
    if is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@") 9>&-
    else
        (cd / && "$@") 9>&-
    fi
}

# Major version reported by a bindir's pg_ctl ("15", "16", ...).
pg_bindir_major() {
    "$1/pg_ctl" --version 2>/dev/null | sed -n 's/.* \([0-9][0-9]*\)\(\.[0-9]*\)*.*/\1/p' | head -n1
}

# pg_find_bindir: sets PG_BIN. Prefers the version that created an existing
# cluster, otherwise the newest installed server.
pg_find_bindir() {
    local candidates=() d want="" best="" best_major=0 major
    if [ -n "${CARELEDGER_PG_BINDIR:-}" ]; then candidates+=("$CARELEDGER_PG_BINDIR"); fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        [ -n "$d" ] && candidates+=("$d")
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -d "$d" ] && candidates+=("$d")
    done
    [ -s "$PG_DATA/PG_VERSION" ] && want=$(head -n1 "$PG_DATA/PG_VERSION")
    for d in "${candidates[@]}"; do
        if [ ! -x "$d/initdb" ] || [ ! -x "$d/pg_ctl" ] || [ ! -x "$d/postgres" ]; then continue; fi
        major=$(pg_bindir_major "$d")
        [ -n "$major" ] || continue
        if [ -n "$want" ]; then
            if [ "$major" = "$want" ]; then
                PG_BIN=$d
                return 0
            fi
        elif [ "$major" -gt "$best_major" ]; then
            best=$d
            best_major=$major
        fi
    done
    if [ -n "$want" ]; then
        die "postgres: $PG_DATA was created by PostgreSQL $want but no PostgreSQL $want server binaries were found (install postgresql-$want, or remove $PG_DATA to start over)"
    fi
    [ -n "$best" ] || return 1
    PG_BIN=$best
}

pg_ensure_installed() {
    if ! pg_find_bindir; then
        say "postgres: server binaries not found"
        apt_install postgresql
        pg_find_bindir || die "postgres: still no server binaries after installing postgresql"
    fi
    if is_root && ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_OS_USER"
    fi
    command -v runuser >/dev/null 2>&1 || ! is_root || die "runuser (util-linux) is required when running as root"
}

# pg_check_traversable DIR: the cluster owner must be able to reach DIR.
pg_check_traversable() {
    local dir=$1 p="" part parts=()
    if pg_run test -x "$dir" && pg_run test -w "$dir"; then return 0; fi
    # Walk down from / to name the first directory that blocks the way.
    IFS=/ read -ra parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        p="$p/$part"
        if ! pg_run test -x "$p"; then
            die "postgres: the '$PG_OS_USER' user cannot traverse $p ($(stat -c '%A %U:%G' "$p")), so it cannot reach $dir. Fix: chmod o+x $p (or keep the repository somewhere world-traversable)."
        fi
    done
    die "postgres: the '$PG_OS_USER' user cannot write to $dir"
}

pg_prepare_dirs() {
    mkdir -p "$PG_DIR"
    if is_root; then
        chown "$PG_OS_USER:" "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    pg_check_traversable "$PG_DIR"
    if [ "$PG_SOCK_DIR" = "$PG_DIR/sock" ]; then
        pg_run mkdir -p "$PG_SOCK_DIR"
        pg_run chmod 700 "$PG_SOCK_DIR"
    elif [ ! -d "$PG_SOCK_DIR" ]; then
        mkdir -m 700 "$PG_SOCK_DIR"
        if is_root; then chown "$PG_OS_USER:" "$PG_SOCK_DIR"; fi
    fi
}

pg_locale() {
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then echo C.UTF-8; else echo C; fi
}

pg_init() {
    [ -s "$PG_DATA/PG_VERSION" ] && return 0
    if [ -d "$PG_DATA" ] && [ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]; then
        die "postgres: $PG_DATA exists but is not a cluster (no PG_VERSION); move it away and rerun"
    fi
    local loc
    loc=$(pg_locale)
    say "postgres: initdb $PG_DATA (PostgreSQL $(pg_bindir_major "$PG_BIN"), locale $loc)"
    if ! pg_run "$PG_BIN/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --locale="$loc" >"$PG_DIR/initdb.log.tmp" 2>&1; then
        mv -f "$PG_DIR/initdb.log.tmp" "$PG_DIR/initdb.log" 2>/dev/null || true
        tail_log "$PG_DIR/initdb.log"
        die "postgres: initdb failed"
    fi
    mv -f "$PG_DIR/initdb.log.tmp" "$PG_DIR/initdb.log" 2>/dev/null || true
    printf "\n# Added by deploy/stack.sh: listen address, port, socket dir.\ninclude_if_exists = 'careledger.conf'\n" |
        pg_run tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# Rewritten before every start, so port overrides take effect.
pg_write_conf() {
    local sock=${PG_SOCK_DIR//\'/\'\'}
    pg_run tee "$PG_DATA/careledger.conf" >/dev/null <<EOF
# Managed by deploy/stack.sh; rewritten at every start.
listen_addresses = '$HOST'
port = $PG_PORT
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
max_connections = 200
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

pg_is_running() {
    [ -s "$PG_DATA/postmaster.pid" ] || return 1
    [ -n "$PG_BIN" ] || pg_find_bindir || return 1
    pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# Port of the running server (line 4 of postmaster.pid).
pg_running_port() {
    sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null
}

pg_psql() {
    pg_run "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK_DIR" -p "$PG_PORT" \
        -U "$PG_SUPERUSER" -d postgres "$@"
}

pg_start() {
    pg_ensure_installed
    pg_prepare_dirs
    pg_init
    if pg_is_running; then
        local running
        running=$(pg_running_port)
        if [ -n "$running" ] && [ "$running" != "$PG_PORT" ]; then
            warn "postgres: already running on port $running (ignoring CARELEDGER_PG_PORT=$PG_PORT; run 'down' first to change it)"
            PG_PORT=$running
        fi
        say "postgres: already running on $HOST:$PG_PORT"
        return 0
    fi
    require_port_free postgres "$PG_PORT"
    pg_write_conf
    say "postgres: starting on $HOST:$PG_PORT"
    if ! pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 2>&1; then
        tail_log "$PG_LOG"
        die "postgres: failed to start (log: $PG_LOG)"
    fi
    say "postgres: ready"
}

# pg_runtime_role DATABASE: the role the service of DATABASE runs as.
pg_runtime_role() { printf '%s_app' "$1"; }

pg_password_file() {
    if [ "$1" = "$PG_ROLE" ]; then echo "$PG_PASSWORD_FILE"; else echo "$PG_DIR/$1.password"; fi
}

# pg_password ROLE: the role's password, generated on first use (mode 600, URL-safe).
pg_password() {
    local file pw
    file=$(pg_password_file "$1")
    if [ ! -s "$file" ]; then
        write_secret "$file" "$(random_token)"
        say "postgres: generated password for role $1 in $file" >&2
    fi
    chmod 600 "$file"
    pw=$(read_secret_file "$file")
    case "$pw" in
        '' | *[!A-Za-z0-9._~-]*) die "postgres: $file must hold a URL-safe password ([A-Za-z0-9._~-]+)" ;;
    esac
    printf '%s' "$pw"
}

# pg_ensure_role ROLE ATTRIBUTES...: create the login role if missing, then set its attributes.
# The password goes through stdin, not argv (invisible to ps).
pg_ensure_role() {
    local role=$1 pw
    shift
    pw=$(pg_password "$role") || exit 1
    pg_psql <<SQL || die "postgres: could not create/update role $role"
\\set pw '$pw'
SELECT 'CREATE ROLE $role' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') \\gexec
ALTER ROLE $role WITH LOGIN $* PASSWORD :'pw';
SQL
}

pg_ensure_role_and_databases() {
    local db missing list="" grants=""
    pg_ensure_role "$PG_ROLE" CREATEDB NOSUPERUSER
    # Dropping a throwaway test database WITH (FORCE) must be able to stop an autovacuum worker
    # busy in it; without this the drop fails with "must be a member of the role ...".
    pg_psql -c "SET client_min_messages = warning; GRANT pg_signal_backend TO $PG_ROLE" ||
        die "postgres: could not grant pg_signal_backend"
    for db in "${PG_DATABASES[@]}"; do
        pg_ensure_role "$(pg_runtime_role "$db")" "${PG_RUNTIME_ATTRIBUTES[@]}"
    done
    pg_ensure_role "$PG_TEST_RUNTIME_ROLE" "${PG_RUNTIME_ATTRIBUTES[@]}"
    for db in "${PG_DATABASES[@]}"; do list+="${list:+,}'$db'"; done
    missing=$(pg_psql -At -c "SELECT d FROM unnest(ARRAY[$list]) AS d
        WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d)") ||
        die "postgres: could not list databases"
    for db in $missing; do
        pg_psql -c "CREATE DATABASE $db OWNER $PG_ROLE" || die "postgres: could not create $db"
        say "postgres: created database $db"
    done
    # A service's runtime role connects to its own database only; what it may do inside is
    # granted by the migrations (libs/events/migrations), which run as the owner.
    for db in "${PG_DATABASES[@]}"; do
        grants+="REVOKE CONNECT ON DATABASE $db FROM PUBLIC;
GRANT CONNECT ON DATABASE $db TO $(pg_runtime_role "$db");
"
    done
    pg_psql <<<"$grants" || die "postgres: could not grant CONNECT to the runtime roles"
    say "postgres: roles $PG_ROLE (owner) and <database>_app (runtime), ${#PG_DATABASES[@]} databases ok"
}

pg_stop() {
    if [ ! -s "$PG_DATA/postmaster.pid" ] || ! pg_is_running; then
        say "postgres: not running"
        return 0
    fi
    say "postgres: stopping"
    pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null ||
        die "postgres: pg_ctl stop failed (log: $PG_LOG)"
    say "postgres: stopped"
}

# pg_status: prints one line, returns non-zero when down.
pg_status() {
    if pg_is_running; then
        local port pid
        port=$(pg_running_port)
        pid=$(head -n1 "$PG_DATA/postmaster.pid")
        if "$PG_BIN/pg_isready" -q -h "$HOST" -p "$port" -t 3 >/dev/null 2>&1; then
            say "postgres: running on $HOST:$port (pid $pid, data $PG_DATA)"
            return 0
        fi
        say "postgres: process $pid running but not accepting connections on $HOST:$port"
        return 1
    fi
    say "postgres: stopped"
    return 1
}
