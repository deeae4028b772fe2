#!/usr/bin/env bash
# Makes, once, every secret that docker-compose.yml hands out, into
# ./secrets, and the public bus keys into ./.env (compose reads it):
#   <peer>.curve          bus secret key of each service and of pelukanctl ("ctl")
#   <peer>.pub            its public key (configuration, not secret)
#   <service>.master      the master key of each service (each seals its own data;
#                         the edge seals with intake's)
#   audit-signing.key     the Ed25519 seed of the audit checkpoints
#   <role>.db-password    the database password of each role (read by postgres)
#   <role>.pgpass         the same as a libpq password file (read by the service)
# Secret files are mode 0600 and owned by the user that reads them (the
# image's "pelukan", or postgres's uid 999): services refuse key files that
# others may read. Existing files are kept: run it again after adding one.
#   usage: deploy/secrets.sh [DIR]     (needs the image: docker build -f deploy/Dockerfile -t pelukan .)
set -euo pipefail
dir=$(realpath "${1:-secrets}")
image=${PELUKAN_IMAGE:-pelukan:latest}
mkdir -p "$dir"
docker run --rm -u 0 -v "$dir:/out" --entrypoint sh "$image" -ec '
    cd /out
    umask 077
    for p in intake notification dispatch referral audit edge ctl; do
        [ -f "$p.curve" ] || pelukanctl bus keygen /out "$p"
    done
    for s in intake notification dispatch referral audit; do
        [ -f "$s.master" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n" > "$s.master"
    done
    [ -f audit-signing.key ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n" > audit-signing.key
    for r in postgres intake notification dispatch referral audit audit_owner; do
        [ -f "$r.db-password" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d " \n" > "$r.db-password"
        printf "*:*:*:%s:%s\n" "$r" "$(cat "$r.db-password")" > "$r.pgpass"
        chown 999 "$r.db-password"
    done
    chown pelukan *.curve *.master audit-signing.key *.pgpass
    chmod 600 *.curve *.master audit-signing.key *.pgpass *.db-password
    chmod 644 *.pub'
for p in intake notification dispatch referral audit edge ctl; do
    echo "PELUKAN_${p^^}_CURVE_PUBLIC_KEY=$(cat "$dir/$p.pub")"
done > .env
echo "secrets in $dir; public keys in .env"
