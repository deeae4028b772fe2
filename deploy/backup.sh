#!/usr/bin/env bash
# deploy/backup.sh -- one copy of PELUKAN's database, every service's schema
# as it was at one moment (pg_dump reads in one snapshot), so that after a
# restore each service's offsets, outbox and command log agree with the
# others'. Run it as a role that may read everything (a superuser, or one
# granted pg_read_all_data), with libpq's variables or a conninfo:
#
#   PGHOST=... PGPORT=... PGUSER=postgres PGDATABASE=pelukan deploy/backup.sh DIR
#
# Writes DIR/pelukan-<UTC time>.dump (pg_dump's custom format, compressed)
# and its .sha256, both readable by this user only, and reads the copy's
# table of contents back before it calls it done. deploy/restore.sh puts
# it into a new, empty database.
#
# The copy holds no key. Victims' and reporters' data in it is sealed with
# data keys that only the master key unwraps (PELUKAN_MASTER_KEY_FILE);
# keep that key apart from the copies (deploy/secrets.sh), or a stolen copy
# is read. It does hold what is not personal in plain (codes, states,
# times, staff accounts): keep copies as closed as the database.
set -euo pipefail

die() { echo "backup: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR   (the database from PGHOST, PGPORT, PGUSER, PGDATABASE; default pelukan)"
dir=$1
export PGDATABASE=${PGDATABASE:-pelukan}
command -v pg_dump >/dev/null || die "pg_dump not found (Debian: postgresql-client)"
umask 077
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$dir/pelukan-$stamp.dump"
[ ! -e "$out" ] || die "$out exists"

# One snapshot for every schema; written under a temporary name, so that a
# copy cut short is never taken for a whole one.
pg_dump --format=custom --compress=6 --file="$out.part" \
    || { rm -f "$out.part"; die "pg_dump failed: no copy written"; }
pg_restore --list "$out.part" >/dev/null || { rm -f "$out.part"; die "the copy does not read back"; }
mv "$out.part" "$out"
(cd "$dir" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
echo "backup: $out ($(stat -c %s "$out") bytes); check with: sha256sum -c $out.sha256"
