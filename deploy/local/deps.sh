#!/usr/bin/env bash
# deps.sh -- installs the Debian 12 packages PELUKAN needs, only those missing.
set -euo pipefail

PACKAGES=(
    gcc make pkg-config git curl ca-certificates
    protobuf-c-compiler libprotobuf-c-dev
    libzmq3-dev libczmq-dev
    libpq-dev postgresql-15 postgresql-15-postgis-3
    libuv1-dev libh2o-dev libssl-dev
    libjansson-dev libsodium-dev libcurl4-openssl-dev
    libcriterion-dev
    cppcheck clang-format valgrind wrk jq
    chromium fonts-noto-core
)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done
# Node.js and npm run the contract check and the linters (tools/): any
# install of them will do (a machine may have its own); Debian's otherwise.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing+=(nodejs npm)
fi
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: install them as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Do not let the package's own cluster start: we run our own.
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/pelukan-apt.log 2>&1; then
    apt-get update >/tmp/pelukan-apt-update.log 2>&1 || { cat /tmp/pelukan-apt-update.log >&2; exit 1; }
    apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/pelukan-apt.log 2>&1 \
        || { tail -30 /tmp/pelukan-apt.log >&2; echo "deps: apt-get install failed" >&2; exit 1; }
fi
echo "deps: done"
