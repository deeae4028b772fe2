#!/usr/bin/env bash
# run.sh -- the whole PELUKAN system on one machine, without Docker.
#
# Starts (or reuses) the PostgreSQL cluster under $VAR_DIR, writes the
# development keys once, starts every service that is built, prints where
# each listens, and on Ctrl-C stops them and the cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
VAR_DIR=${PELUKAN_VAR_DIR:-${VAR_DIR:-$ROOT/var}}
PG_PORT=${PELUKAN_PG_PORT:-55432}
# These two are this script's, not the services' (which refuse settings
# they do not know).
unset PELUKAN_VAR_DIR PELUKAN_PG_PORT
SERVICES="intake notification dispatch referral audit edge"
cd "$ROOT"
mkdir -p "$VAR_DIR"
# The cluster runs as its own user, who must reach its directory: where
# VAR_DIR is closed to it (a clone under /root), it goes under
# /var/lib/pelukan instead, the same place every time.
PG_DIR=$("$ROOT/deploy/local/pgcluster.sh" place "$VAR_DIR/pg")
[ "$PG_DIR" = "$VAR_DIR/pg" ] ||
    echo "run: $VAR_DIR is closed to the cluster's user: the PostgreSQL cluster is in $PG_DIR"
had_data=0
[ -f "$PG_DIR/data/PG_VERSION" ] && had_data=1
"$ROOT/deploy/local/pgcluster.sh" start "$PG_DIR" "$PG_PORT"
# Keys, logs and the sink file hold secrets or phone numbers: nobody else
# on this machine reads them (the cluster, run by its own user, is started).
umask 077
mkdir -p "$VAR_DIR/keys" "$VAR_DIR/log"
chmod 700 "$VAR_DIR/keys" "$VAR_DIR/log"

KEY=${PELUKAN_MASTER_KEY_FILE:-$VAR_DIR/keys/master.key}
if [ ! -f "$KEY" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$KEY")
    echo "run: wrote a development master key to $KEY (never use it in production)"
fi
export PELUKAN_MASTER_KEY_FILE=$KEY
# Each service that seals data has a master key of its own (a key taken
# from one service opens nothing of another's): a new one for a new
# cluster. Only a cluster made before per-service keys existed, whose data
# the shared key sealed, gets the shared key as each service's first one.
for s in intake notification dispatch referral audit; do
    var="PELUKAN_${s^^}_MASTER_KEY_FILE"
    own=${!var:-$VAR_DIR/keys/$s.master}
    if [ ! -f "$own" ]; then
        if [ $had_data = 1 ]; then
            cp "$KEY" "$own"
        else
            (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$own")
        fi
    fi
    export "$var=$own"
done
# The edge seals with intake's key: the case owner opens what it sealed.
export PELUKAN_EDGE_MASTER_KEY_FILE=$PELUKAN_INTAKE_MASTER_KEY_FILE
# The bus: a CURVE key pair per service and one for pelukanctl ("ctl");
# the public keys are configuration, each secret key stays with its owner.
for peer in intake notification dispatch referral audit edge ctl; do
    if [ ! -f "$VAR_DIR/keys/$peer.curve" ]; then
        "$BUILD/bin/pelukanctl" bus keygen "$VAR_DIR/keys" "$peer"
        echo "run: wrote a bus key pair for $peer to $VAR_DIR/keys/$peer.curve (.pub)"
    fi
    export "PELUKAN_${peer^^}_CURVE_PUBLIC_KEY=$(cat "$VAR_DIR/keys/$peer.pub")"
    export "PELUKAN_${peer^^}_CURVE_SECRET_KEY_FILE=$VAR_DIR/keys/$peer.curve"
done
AUDIT_KEY=${PELUKAN_AUDIT_SIGNING_KEY_FILE:-$VAR_DIR/keys/audit-signing.key}
if [ ! -f "$AUDIT_KEY" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$AUDIT_KEY")
    echo "run: wrote a development audit signing key to $AUDIT_KEY"
fi
export PELUKAN_AUDIT_SIGNING_KEY_FILE=$AUDIT_KEY
export PELUKAN_DB_URL=${PELUKAN_DB_URL:-"host=127.0.0.1 port=$PG_PORT dbname=pelukan"}
export PELUKAN_SQL_DIR=${PELUKAN_SQL_DIR:-$ROOT}
export PELUKAN_NOTIFICATION_SINK_FILE=${PELUKAN_NOTIFICATION_SINK_FILE:-$VAR_DIR/notification-sink.jsonl}
# What pelukanctl needs to reach this system: `. $VAR_DIR/pelukan.env`.
env | grep -E '^PELUKAN_(DB_URL|SQL_DIR|AUDIT_SIGNING_KEY_FILE|AUDIT_ARCHIVE|[A-Z]+_(PUB|CURVE_PUBLIC_KEY)|CTL_CURVE_SECRET_KEY_FILE)=' |
    sed -E "s/^([^=]+)=(.*)$/export \1='\2'/" > "$VAR_DIR/pelukan.env"
echo "export PATH=\"$ROOT/$BUILD/bin:\$PATH\"" >> "$VAR_DIR/pelukan.env"

pids=()
declare -A pid_of
stop_all() {
    local status=${1:-0}
    trap - INT TERM EXIT
    echo
    echo "run: stopping services"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    echo "run: stopping PostgreSQL"
    "$ROOT/deploy/local/pgcluster.sh" stop "$PG_DIR"
    echo "run: stopped"
    exit "$status"
}
trap stop_all INT TERM EXIT

http_port() {
    local var="PELUKAN_${1^^}_HTTP_PORT" i=0
    for s in $SERVICES; do [ "$s" = "$1" ] && break; i=$((i + 1)); done
    echo "${!var:-808$i}" # the edge, last, is 8085
}

for s in $SERVICES; do
    bin="$BUILD/bin/pelukan-$s"
    [ -x "$bin" ] || { echo "run: $bin not built, skipping"; continue; }
    # The log pipe ignores Ctrl-C: it ends when the service closes its
    # output, so the last lines ("stopped cleanly") are not lost.
    "$bin" > >(trap '' INT TERM; sed -u "s/^/[$s] /" | tee -a "$VAR_DIR/log/$s.log") 2>&1 &
    pids+=($!)
    pid_of[$s]=$!
done

# Wait until each answers its health endpoint, then say where it is. A
# service that stops or stays silent is named with the reason from its
# log, and the whole run stops with a failure status.
echo
failed=()
for s in $SERVICES; do
    [ -n "${pid_of[$s]:-}" ] || continue
    port=$(http_port "$s")
    for _ in $(seq 300); do
        curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        kill -0 "${pid_of[$s]}" 2>/dev/null || break
        sleep 0.1
    done
    if curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
        mvar="PELUKAN_${s^^}_METRICS_PORT"
        printf 'run: %-13s http://127.0.0.1:%s  (/healthz /readyz; metrics on %s:%s)\n' "$s" "$port" \
            "${PELUKAN_METRICS_ADDR:-127.0.0.1}" "${!mvar:-$((port + 1010))}"
    else
        sleep 0.2 # the last lines of a service that stopped
        why=$({ grep -E 'level=error|error:|failed' "$VAR_DIR/log/$s.log" 2>/dev/null || true; } | tail -2 |
            sed "s/^\[$s\] //")
        if kill -0 "${pid_of[$s]}" 2>/dev/null; then
            printf 'run: %-13s did not answer on port %s within 30 s\n' "$s" "$port"
        else
            printf 'run: %-13s stopped at start-up\n' "$s"
        fi
        printf '     %s\n' "${why:-(no error in its log)}" "see $VAR_DIR/log/$s.log"
        failed+=("$s")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run: not started: ${failed[*]}; stopping everything" >&2
    stop_all 1
fi
echo "run: PostgreSQL   host=127.0.0.1 port=$PG_PORT dbname=pelukan (psql: deploy/local/pgcluster.sh psql $PG_DIR $PG_PORT)"
echo "run: reporter app http://localhost:$(http_port edge)/  (the installable web app, from build/web)"
echo "run: reporter API http://127.0.0.1:$(http_port edge)/v1 (services/intake/openapi.yaml, served by the edge);"
if [ -z "${PELUKAN_NOTIFICATION_SMS_URL:-}" ] || [ -z "${PELUKAN_NOTIFICATION_SMTP_URL:-}" ]; then
    echo "     no SMS/SMTP provider set (PELUKAN_NOTIFICATION_SMS_URL, _SMTP_URL): codes and alerts are written to"
    echo "     ${PELUKAN_NOTIFICATION_SINK_FILE:-$VAR_DIR/notification-sink.jsonl} (development only: it holds phone numbers)"
fi
# Demo staff with development passwords (<login>-dev-password; never use
# them anywhere else). Accounts that exist are left as they are.
seed_staff() {
    printf '%s\n' "$1-dev-password" | "$BUILD/bin/pelukanctl" staff add --login "$1" --role "$2" --name "$3" \
        --email "$1@pelukan.localhost" ${4:+--agency "$4"} --password-stdin >/dev/null 2>&1 || true
}
for i in 1 2 3; do seed_staff "admin$i" admin "Admin $i"; done
for i in 1 2 3 4 5 6 7 8; do seed_staff "pendamping$i" companion "Pendamping $i"; done
seed_staff uptdppa1 agency "UPTD PPA" uptd_ppa
seed_staff puspaga1 agency "Puspaga" puspaga
seed_staff supervisor1 supervisor "Supervisor"
seed_staff auditor1 auditor "Auditor"
echo "run: demo staff  POST /v1/staff/login, password <login>-dev-password: admin1-3, pendamping1-8,"
echo "     uptdppa1, puspaga1 (agency), supervisor1, auditor1 (pelukanctl staff list)"
pub=$(grep -ho 'signed with Ed25519 public key [0-9a-f]*' "$VAR_DIR/log/audit.log" 2>/dev/null | tail -1 | awk '{print $NF}')
echo "run: audit log  archive ${PELUKAN_AUDIT_ARCHIVE:-tcp://127.0.0.1:7444}, checkpoint key ${pub:-(see the audit log)};"
echo "     . $VAR_DIR/pelukan.env   # pelukanctl on the PATH, with its bus key and this system's settings"
echo "     pelukanctl audit verify | replay [--follow] | access --case ID | prove --case ID"
echo "run: logs in $VAR_DIR/log; press Ctrl-C to stop everything"
wait
