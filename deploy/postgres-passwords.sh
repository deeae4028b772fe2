#!/usr/bin/env bash
# Run by the postgres image once, after postgres-init.sql and the audit
# roles: gives each service role the password in its secret file
# (/run/secrets/<role>.db-password, made by deploy/secrets.sh). No
# password is ever written in the compose file or the repository.
set -euo pipefail
for role in intake notification dispatch referral audit audit_owner; do
    file=/run/secrets/$role.db-password
    [ -r "$file" ] || { echo "postgres-passwords: $file is missing (run deploy/secrets.sh)" >&2; exit 1; }
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v role="$role" -v pw="$(cat "$file")" <<'SQL'
ALTER ROLE :"role" PASSWORD :'pw';
SQL
done
