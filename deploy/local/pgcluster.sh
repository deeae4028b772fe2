#!/usr/bin/env bash
# pgcluster.sh -- a throwaway PostgreSQL 15 cluster for `make run` and `make test`.
#
#   pgcluster.sh start DIR PORT   create (first time) and start the cluster in DIR
#   pgcluster.sh stop DIR         stop it
#   pgcluster.sh psql DIR PORT    a superuser psql on it
#   pgcluster.sh place DIR        where the cluster meant for DIR goes: DIR
#                                 itself, or, run as root when the cluster's
#                                 user cannot reach DIR (a checkout under
#                                 /root), a directory of its own under
#                                 /var/lib/pelukan named for DIR (the same
#                                 every time, so the cluster is reused)
#
# PostgreSQL refuses to run as root: as root the cluster runs as the
# unprivileged user $PELUKAN_PG_USER (default "pelukan", created if needed).
# One database "pelukan", PostGIS, and for each service a role and a schema
# of the same name; each role has rights on its own schema only. The audit
# schema belongs to audit_owner instead (deploy/audit-roles.sql).
set -euo pipefail

PGBIN=${PELUKAN_PG_BIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=${PELUKAN_PG_USER:-pelukan}
SERVICES="intake notification dispatch referral audit"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

die() { echo "pgcluster: $*" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        # From / : the caller's directory may be closed to that user.
        (cd / && runuser -u "$PGUSER_OS" -- "$@")
    else
        "$@"
    fi
}

ensure_user() {
    [ "$(id -u)" = 0 ] || return 0
    id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
}

superuser_psql() {
    local dir=$1 port=$2; shift 2
    PGOPTIONS='-c client_min_messages=warning' as_owner "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U postgres "$@"
}

start() {
    local dir=$1 port=$2
    [ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 is not installed ($PGBIN/initdb missing); run 'make deps'"
    ensure_user
    mkdir -p "$dir/run"
    if [ "$(id -u)" = 0 ]; then
        chown "$PGUSER_OS" "$dir" "$dir/run"
        # The owner must reach the directory through every parent.
        as_owner test -w "$dir" || die "user $PGUSER_OS cannot write $dir (a parent directory is closed to it); set PELUKAN_VAR_DIR to a path it can reach"
    fi
    local fresh=0
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        fresh=1
        as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    if as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        echo "pgcluster: already running in $dir"
    else
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 start \
            -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" >/dev/null \
            || { tail -20 "$dir/postgresql.log" >&2; die "PostgreSQL did not start (port $port taken?)"; }
    fi
    # Idempotent: a cluster made by an older version gets what is new.
    bootstrap "$dir" "$port"
}

bootstrap() {
    local dir=$1 port=$2
    superuser_psql "$dir" "$port" -d postgres -c "CREATE DATABASE pelukan" >/dev/null 2>&1 || true
    local sql="CREATE EXTENSION IF NOT EXISTS postgis;
REVOKE ALL ON DATABASE pelukan FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
    for s in $SERVICES; do
        [ "$s" = audit ] && continue
        sql="$sql
DO \$\$ BEGIN CREATE ROLE $s LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
GRANT CONNECT ON DATABASE pelukan TO $s;
CREATE SCHEMA IF NOT EXISTS $s AUTHORIZATION $s;
REVOKE ALL ON SCHEMA $s FROM PUBLIC;
ALTER ROLE $s SET search_path = $s, public;"
    done
    superuser_psql "$dir" "$port" -d pelukan -c "$sql" >/dev/null || die "bootstrap of roles and schemas failed"
    superuser_psql "$dir" "$port" -d pelukan <"$ROOT/deploy/audit-roles.sql" >/dev/null \
        || die "bootstrap of the audit roles failed"
}

place() {
    local dir=$1
    if [ "$(id -u)" = 0 ]; then
        ensure_user
        mkdir -p "$dir"
        if ! runuser -u "$PGUSER_OS" -- test -x "$dir"; then
            local id
            id=$(printf '%s' "$(cd "$dir" && pwd)" | sha256sum | cut -c1-12)
            dir=/var/lib/pelukan/clusters/$id
            mkdir -p "$dir"
            chmod 755 /var/lib/pelukan /var/lib/pelukan/clusters
        fi
    fi
    echo "$dir"
}

stop() {
    local dir=$1
    [ -f "$dir/data/PG_VERSION" ] || return 0
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# DIR made absolute: the cluster's user works from /.
[ $# -ge 2 ] && set -- "$1" "$(realpath -m "$2")" "${@:3}"
case "${1:-}" in
start) [ $# = 3 ] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
stop) [ $# = 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
place) [ $# = 2 ] || die "usage: $0 place DIR"; place "$2" ;;
psql) [ $# -ge 3 ] || die "usage: $0 psql DIR PORT [psql args]"; d=$2 p=$3; shift 3; superuser_psql "$d" "$p" -d pelukan "$@" ;;
*) die "usage: $0 start DIR PORT | stop DIR | psql DIR PORT | place DIR" ;;
esac
