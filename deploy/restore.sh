#!/usr/bin/env bash
# deploy/restore.sh -- puts a copy made by deploy/backup.sh into a new,
# empty database, and refuses any other: a restore never writes over a
# database that holds cases. Run it as a superuser, with libpq's
# variables (PGHOST, PGPORT, PGUSER):
#
#   deploy/restore.sh FILE.dump DATABASE
#
# It checks the copy against its .sha256, makes DATABASE (from template0),
# opens it only to the services' roles (as the bootstrap does), restores
# everything in one transaction (all or nothing), and prints each
# service's schema level. Then point the services at DATABASE
# (PELUKAN_DB_URL) with the master key the copy was made under, and start
# them: intake serves the copy's cases and sessions; a consumer behind its
# producers catches up from their outbox or the audit's archive.
#
# The roles must exist first (deploy/postgres-init.sql and
# deploy/audit-roles.sql on a new server; deploy/local/pgcluster.sh here).
set -euo pipefail

die() { echo "restore: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 FILE.dump DATABASE   (the server from PGHOST, PGPORT, PGUSER)"
file=$1 db=$2
roles="intake notification dispatch referral audit audit_owner"
[ -r "$file" ] || die "cannot read $file"
[[ $db =~ ^[a-z_][a-z0-9_]*$ ]] || die "a database name of lower-case letters, digits and _: $db"
[ -r "$file.sha256" ] || die "no $file.sha256 beside the copy: it cannot be checked"
(cd "$(dirname "$file")" && sha256sum --quiet -c "$(basename "$file").sha256") \
    || die "$file does not match its .sha256: damaged or changed, not restored"
pg_restore --list "$file" >/dev/null || die "$file is not a copy pg_restore reads"

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
exists=$(psql_q -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")
[ "$exists" = 0 ] || die "database $db exists: restore into a new one (a restore never writes over cases)"
for r in $roles; do
    [ "$(psql_q -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = '$r'")" = 1 ] \
        || die "role $r is missing: run the bootstrap (deploy/postgres-init.sql, deploy/audit-roles.sql) first"
done

psql_q -d postgres -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8'"
grants="REVOKE ALL ON DATABASE $db FROM PUBLIC;"
for r in $roles; do grants="$grants GRANT CONNECT ON DATABASE $db TO $r;"; done
psql_q -d "$db" -c "$grants"
if ! pg_restore --exit-on-error --single-transaction --dbname="$db" "$file"; then
    psql_q -d postgres -c "DROP DATABASE $db" || true
    die "pg_restore failed: nothing restored ($db dropped again)"
fi
echo "restore: $file -> $db; each schema's migrations, by stream:"
for schema in $(psql_q -d "$db" -c "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                     WHERE c.relname = 'schema_migration' ORDER BY 1"); do
    psql_q -d "$db" -c "SELECT '  $schema: ' || string_agg(stream || ' ' || v, ', ' ORDER BY stream)
                        FROM (SELECT stream, max(version) AS v FROM $schema.schema_migration GROUP BY stream) m"
done
