#!/usr/bin/env bash
# fresh.sh -- `make check-fresh`: the README's two commands on a fresh
# Debian 12, as a new machine meets them.
#
# Builds a minimal Debian 12 root with debootstrap (Debian's package; kept
# as a pristine copy under $FRESH_DIR/base and copied for each run), adds
# what the README says a fresh machine needs first (make, git), the host's
# trusted CA certificates and DNS, clones this checkout into /root/pelukan
# (a closed home, as root's clone would be), and runs there exactly:
#
#   make test                  (must end with "N passed, 0 failed")
#   make run                   (until it prints where to connect, then Ctrl-C)
#
# Exit 0 when both did what the README says. Logs: $FRESH_DIR/run-*/.
# Needs root (chroot, mounts) and Debian's mirror and the npm registry.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FRESH_DIR=${FRESH_DIR:-/var/tmp/pelukan-fresh}
MIRROR=${FRESH_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" = 0 ] || { echo "check-fresh: run as root (chroot and mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap >/dev/null ||
    { echo "check-fresh: cannot install debootstrap" >&2; exit 2; }

BASE=$FRESH_DIR/base
if [ ! -f "$BASE/.complete" ]; then
    echo "check-fresh: debootstrap bookworm into $BASE (once)"
    rm -rf "$BASE"
    mkdir -p "$FRESH_DIR"
    debootstrap --variant=minbase bookworm "$BASE" "$MIRROR" > "$FRESH_DIR/debootstrap.log" 2>&1 ||
        { tail -20 "$FRESH_DIR/debootstrap.log"; echo "check-fresh: debootstrap failed" >&2; exit 1; }
    touch "$BASE/.complete"
fi

RUN=$FRESH_DIR/run-$(date +%Y%m%d-%H%M%S)
R=$RUN/root
mkdir -p "$RUN"
echo "check-fresh: a fresh copy in $R"
cp -a "$BASE" "$R"
mounted=()
mnt() { mount "$@" && mounted+=("${@: -1}"); }
cleanup() {
    # Whatever the chroot left running (PostgreSQL, services) ends first.
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
}
trap cleanup EXIT
mnt -t proc proc "$R/proc"
mnt -t sysfs sys "$R/sys"
mnt --bind /dev "$R/dev"
mnt -t devpts devpts "$R/dev/pts"
mnt -t tmpfs tmpfs "$R/dev/shm"
mnt -t tmpfs tmpfs "$R/tmp"
chmod 1777 "$R/tmp"

# What the host trusts and how it resolves names; the apt sources of the
# mirror debootstrap used.
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$R/usr/local/share/ca-certificates/" 2>/dev/null
# As in any chroot or container: packages do not start their daemons
# (PostgreSQL's own cluster would start on the host's network).
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
echo "deb $MIRROR bookworm main" > "$R/etc/apt/sources.list"
echo "deb $MIRROR bookworm-updates main" >> "$R/etc/apt/sources.list"

# The project, as root would clone it.
git -C "$ROOT" bundle create "$RUN/pelukan.bundle" HEAD >/dev/null 2>&1 ||
    { echo "check-fresh: git bundle failed" >&2; exit 1; }
cp "$RUN/pelukan.bundle" "$R/root/"

inside() {
    chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt /bin/bash -c "$1"
}
echo "check-fresh: what a fresh machine needs before the README's commands (make, git)"
inside 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make git ca-certificates &&
        update-ca-certificates' > "$RUN/prepare.log" 2>&1 ||
    { tail -20 "$RUN/prepare.log"; echo "check-fresh: preparing the root failed" >&2; exit 1; }
inside 'cd /root && git clone -q pelukan.bundle pelukan && chmod 700 /root' >> "$RUN/prepare.log" 2>&1 ||
    { tail -20 "$RUN/prepare.log"; echo "check-fresh: clone failed" >&2; exit 1; }

ok=1
echo "check-fresh: make test (log: $RUN/make-test.log)"
inside 'cd /root/pelukan && make test' > "$RUN/make-test.log" 2>&1
rc=$?
tail -3 "$RUN/make-test.log"
if [ $rc != 0 ] || ! tail -1 "$RUN/make-test.log" | grep -qE '^[0-9]+ passed, 0 failed$'; then
    echo "check-fresh: make test failed (exit $rc)"; grep -aE '^\[FAIL\]|^run.sh:' "$RUN/make-test.log" | head -20
    ok=0
fi

echo "check-fresh: make run until ready (log: $RUN/make-run.log)"
inside 'cd /root/pelukan && exec make run' > "$RUN/make-run.log" 2>&1 &
run_pid=$!
ready=0
for _ in $(seq 1800); do
    grep -q 'run: logs in' "$RUN/make-run.log" && { ready=1; break; }
    kill -0 $run_pid 2>/dev/null || break
    sleep 0.5
done
# Ctrl-C, as the README says, to make run's runner inside this root.
for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null | grep -q 'deploy/local/run.sh' &&
        kill -INT "${p#/proc/}" 2>/dev/null
done
for _ in $(seq 120); do kill -0 $run_pid 2>/dev/null || break; sleep 0.5; done
kill -KILL $run_pid 2>/dev/null
wait $run_pid 2>/dev/null
if [ $ready = 1 ]; then
    grep -E '^run: ' "$RUN/make-run.log" | head -12
else
    echo "check-fresh: make run did not get ready"; tail -20 "$RUN/make-run.log"; ok=0
fi
[ $ok = 1 ] && echo "check-fresh: passed (make test and make run on a fresh Debian 12)" && exit 0
echo "check-fresh: failed"
exit 1
