# shellcheck shell=bash
# Kafka part of deploy/stack.sh. Sourced, not executed.
#
# Apache Kafka (jars from Maven Central via deploy/kafka/pom.xml), one KRaft node
# that is both broker and controller, formatted with --standalone.

KAFKA_DIR="$LOCAL_DIR/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_LIBS_STAMP="$KAFKA_DIR/libs.pom.sha256"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CONFIG="$KAFKA_DIR/server.properties"
KAFKA_LOG="$KAFKA_DIR/server.log"
KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
KAFKA_CLUSTER_ID_FILE="$KAFKA_DIR/cluster-id"
KAFKA_FORMATTED_FILE="$KAFKA_DIR/formatted-controller"
KAFKA_POM="$DEPLOY_DIR/kafka/pom.xml"
KAFKA_TEMPLATE="$DEPLOY_DIR/kafka/server.properties.template"
KAFKA_LOG4J="$DEPLOY_DIR/kafka/log4j2.xml"
KAFKA_START_TIMEOUT=${CARELEDGER_KAFKA_START_TIMEOUT:-60}
KAFKA_STOP_TIMEOUT=20

kafka_java() {
    java -Dlog4j2.configurationFile="$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" "$@"
}

kafka_ensure_java() {
    local missing=() major
    command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
    if ! kafka_libs_ok && ! command -v mvn >/dev/null 2>&1; then missing+=(maven); fi
    if [ ${#missing[@]} -gt 0 ]; then
        say "kafka: missing tools (${missing[*]})"
        apt_install "${missing[@]}"
    fi
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    if [ -n "$major" ] && [ "$major" -lt 17 ]; then
        die "kafka: Java $major found; Kafka 4 needs Java 17 or newer (apt-get install -y openjdk-17-jre-headless)"
    fi
}

# Libs are valid when the broker jar is there and they came from the current pom.
kafka_libs_ok() {
    compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null || return 1
    [ -s "$KAFKA_LIBS_STAMP" ] || return 1
    [ "$(cat "$KAFKA_LIBS_STAMP")" = "$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)" ]
}

kafka_ensure_libs() {
    kafka_libs_ok && return 0
    local tmp="$KAFKA_DIR/libs.new"
    say "kafka: copying jars from Maven Central (deploy/kafka/pom.xml changed or first run)..."
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp" >"$KAFKA_DIR/mvn.log" 2>&1; then
        tail_log "$KAFKA_DIR/mvn.log"
        die "kafka: mvn dependency:copy-dependencies failed (log: $KAFKA_DIR/mvn.log)"
    fi
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "kafka: mvn did not produce kafka_2.13-*.jar"
    rm -rf "$KAFKA_LIBS.old"
    if [ -d "$KAFKA_LIBS" ]; then mv "$KAFKA_LIBS" "$KAFKA_LIBS.old"; fi
    mv "$tmp" "$KAFKA_LIBS"
    rm -rf "$KAFKA_LIBS.old"
    sha256sum "$KAFKA_POM" | cut -d' ' -f1 >"$KAFKA_LIBS_STAMP"
    say "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

kafka_ensure_cluster_id() {
    local cid
    if [ -s "$KAFKA_CLUSTER_ID_FILE" ]; then return 0; fi
    cid=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka: StorageTool random-uuid returned '$cid'"
    printf '%s\n' "$cid" >"$KAFKA_CLUSTER_ID_FILE"
    say "kafka: cluster id $cid"
}

kafka_render_config() {
    local tpl
    [ -f "$KAFKA_TEMPLATE" ] || die "kafka: $KAFKA_TEMPLATE missing"
    tpl=$(<"$KAFKA_TEMPLATE")
    # Quoted replacements: no '&' surprises with bash 5.2's patsub_replacement.
    tpl=${tpl//@HOST@/"$HOST"}
    tpl=${tpl//@KAFKA_PORT@/"$KAFKA_PORT"}
    tpl=${tpl//@CONTROLLER_PORT@/"$KAFKA_CONTROLLER_PORT"}
    tpl=${tpl//@LOG_DIRS@/"${KAFKA_DATA//\\/\\\\}"}
    printf '%s\n' "$tpl" >"$KAFKA_CONFIG.tmp"
    mv -f "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
}

# Format the storage once. The controller endpoint is recorded in the metadata
# log by --standalone, so refuse to start with a different controller port.
kafka_format() {
    local want="$HOST:$KAFKA_CONTROLLER_PORT" have
    if [ -f "$KAFKA_DATA/meta.properties" ]; then
        have=$(cat "$KAFKA_FORMATTED_FILE" 2>/dev/null || true)
        if [ -n "$have" ] && [ "$have" != "$want" ]; then
            die "kafka: storage was formatted for controller $have, now $want. Use the old CARELEDGER_KAFKA_CONTROLLER_PORT, or wipe with: deploy/stack.sh kafka-stop && rm -rf $KAFKA_DATA $KAFKA_FORMATTED_FILE"
        fi
        return 0
    fi
    say "kafka: formatting $KAFKA_DATA (KRaft standalone, cluster $(cat "$KAFKA_CLUSTER_ID_FILE"))"
    mkdir -p "$KAFKA_DATA"
    if ! kafka_java kafka.tools.StorageTool format --standalone \
        -t "$(cat "$KAFKA_CLUSTER_ID_FILE")" -c "$KAFKA_CONFIG" >"$KAFKA_DIR/format.log" 2>&1; then
        tail_log "$KAFKA_DIR/format.log"
        die "kafka: storage format failed"
    fi
    printf '%s\n' "$want" >"$KAFKA_FORMATTED_FILE"
}

# kafka_pid: prints the pid of our broker if it is alive.
kafka_pid() {
    local pid cmdline
    [ -s "$KAFKA_PID_FILE" ] || return 1
    pid=$(head -n1 "$KAFKA_PID_FILE")
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    # Guard against pid reuse: it must be *our* broker (zombies have no cmdline).
    case "$cmdline" in
        *kafka.Kafka*"$KAFKA_CONFIG"*) printf '%s\n' "$pid" ;;
        *) return 1 ;;
    esac
}

# kafka_alive: true while the process we started (the recorded pid) exists and is no zombie.
# Unlike kafka_pid it does not ask that the command line be the broker's yet: until the
# launcher has exec'ed java, /proc shows setsid or nohup, and one such read is not a death.
kafka_alive() {
    local pid state
    [ -s "$KAFKA_PID_FILE" ] || return 1
    pid=$(head -n1 "$KAFKA_PID_FILE")
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 0
    [ "$state" != "Z" ]
}

# Port the running broker was started with (from the generated config).
kafka_running_port() {
    sed -n 's|^advertised.listeners=PLAINTEXT://[^:]*:\([0-9][0-9]*\).*|\1|p' "$KAFKA_CONFIG" 2>/dev/null
}

kafka_answers() {
    tcp_open "$HOST" "$KAFKA_PORT" &&
        KAFKA_BOOTSTRAP_SERVERS="$HOST:$KAFKA_PORT" "$PYTHON" "$DEPLOY_DIR/topics.py" --check --timeout 5
}

kafka_wait() {
    local start=$SECONDS
    if kafka_answers; then
        say "kafka: ready"
        return 0
    fi
    say "kafka: waiting for broker on $HOST:$KAFKA_PORT..."
    while :; do
        if ! kafka_alive; then
            tail_log "$KAFKA_LOG"
            die "kafka: broker process exited during startup (log: $KAFKA_LOG)"
        fi
        if kafka_answers; then
            say "kafka: ready ($((SECONDS - start)) s)"
            return 0
        fi
        if [ $((SECONDS - start)) -ge "$KAFKA_START_TIMEOUT" ]; then
            tail_log "$KAFKA_LOG"
            die "kafka: broker did not answer within $KAFKA_START_TIMEOUT s (still running as pid $(kafka_pid); log: $KAFKA_LOG)"
        fi
        sleep 1
    done
}

kafka_start() {
    local pid running
    require_python
    mkdir -p "$KAFKA_DIR"
    if pid=$(kafka_pid); then
        running=$(kafka_running_port)
        if [ -n "$running" ] && [ "$running" != "$KAFKA_PORT" ]; then
            warn "kafka: already running on port $running (ignoring CARELEDGER_KAFKA_PORT=$KAFKA_PORT; run 'kafka-stop' first to change it)"
            KAFKA_PORT=$running
        fi
        say "kafka: already running (pid $pid) on $HOST:$KAFKA_PORT"
        kafka_wait
        return 0
    fi
    rm -f "$KAFKA_PID_FILE"
    kafka_ensure_java
    kafka_ensure_libs
    require_port_free kafka "$KAFKA_PORT"
    require_port_free "kafka controller" "$KAFKA_CONTROLLER_PORT"
    kafka_ensure_cluster_id
    kafka_render_config
    kafka_format
    # Keep the log from growing without bound across restarts.
    if [ -f "$KAFKA_LOG" ] && [ "$(stat -c %s "$KAFKA_LOG")" -gt $((50 * 1024 * 1024)) ]; then
        mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
    fi
    printf '==== %s deploy/stack.sh: starting kafka ====\n' "$(date -u +%FT%TZ)" >>"$KAFKA_LOG"
    say "kafka: starting on $HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)"
    local launcher=()
    if command -v setsid >/dev/null 2>&1; then launcher=(setsid); fi
    # Own session: a Ctrl-C in the terminal that ran `up` must not kill the broker.
    (
        cd "$KAFKA_DIR" || exit 1
        exec 9>&- # do not inherit stack.sh's lock
        exec "${launcher[@]}" nohup java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
            -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
            -Djava.awt.headless=true -Dlog4j2.configurationFile="$KAFKA_LOG4J" \
            -Dkafka.logs.dir="$KAFKA_DIR" \
            -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONFIG" >>"$KAFKA_LOG" 2>&1 </dev/null
    ) &
    local child=$! i
    printf '%s\n' "$child" >"$KAFKA_PID_FILE"
    # The pid only matches once the subshell has exec'ed java.
    for ((i = 0; i < 50; i++)); do
        kafka_pid >/dev/null && break
        sleep 0.1
    done
    kafka_wait
}

kafka_stop() {
    local pid i
    if ! pid=$(kafka_pid); then
        say "kafka: not running"
        rm -f "$KAFKA_PID_FILE"
        return 0
    fi
    say "kafka: stopping (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < KAFKA_STOP_TIMEOUT * 5; i++)); do
        kafka_pid >/dev/null || break
        sleep 0.2
    done
    if kafka_pid >/dev/null; then
        warn "kafka: still running after $KAFKA_STOP_TIMEOUT s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 25; i++)); do
            kafka_pid >/dev/null || break
            sleep 0.2
        done
    fi
    rm -f "$KAFKA_PID_FILE"
    say "kafka: stopped"
}

kafka_status() {
    local pid port
    if ! pid=$(kafka_pid); then
        say "kafka: stopped"
        return 1
    fi
    port=$(kafka_running_port)
    KAFKA_PORT=${port:-$KAFKA_PORT}
    if kafka_answers; then
        say "kafka: running on $HOST:$KAFKA_PORT (pid $pid, data $KAFKA_DATA)"
        return 0
    fi
    say "kafka: process $pid running but the broker does not answer on $HOST:$KAFKA_PORT"
    return 1
}
