#!/usr/bin/env bash
# readme.sh -- the README, as a new user meets it: `make run`'s stack
# (deploy/local/run.sh) started as the README says, then every `sh` block of
# README.md run in order in one shell, from a directory laid out like the
# source tree. Then a start that must fail: it must say which service and
# why, and exit non-zero.
#
#   tests/readme.sh WORKDIR     (tests/run.sh runs it; exit 0 = passed)
#
# What differs from a user's terminal, and only that: the stack listens on
# free ports (the examples' localhost:8085 is rewritten to the edge's), a
# `curl` that gets an HTTP error fails the run (--fail-with-body), and a
# command the README says runs "until Ctrl-C" is stopped after 5 s.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
W=${1:?usage: readme.sh WORKDIR}
mkdir -p "$W"
W=$(cd "$W" && pwd)
ln -sfn "$ROOT/deploy" "$W/deploy"
export PELUKAN_VAR_DIR=$W/var

# A block of free ports: 5 HTTP, 5 metrics, 15 bus endpoints, the archive,
# PostgreSQL, the edge's HTTP and metrics. Below the kernel's ephemeral range, like tests/run.sh.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
    BASE=$((20000 + (RANDOM % 400) * 30))
    ok=1
    for i in $(seq 0 28); do port_free $((BASE + i)) || { ok=0; break; }; done
    [ $ok = 1 ] && break
done
i=0
for s in intake notification dispatch referral audit; do
    S=${s^^}
    export "PELUKAN_${S}_HTTP_PORT=$((BASE + i))" "PELUKAN_${S}_METRICS_PORT=$((BASE + 5 + i))"
    export "PELUKAN_${S}_PUB=tcp://127.0.0.1:$((BASE + 10 + 3 * i))"
    export "PELUKAN_${S}_REPLAY=tcp://127.0.0.1:$((BASE + 11 + 3 * i))"
    export "PELUKAN_${S}_RPC=tcp://127.0.0.1:$((BASE + 12 + 3 * i))"
    i=$((i + 1))
done
export PELUKAN_AUDIT_ARCHIVE=tcp://127.0.0.1:$((BASE + 25)) PELUKAN_PG_PORT=$((BASE + 26))
export PELUKAN_EDGE_HTTP_PORT=$((BASE + 27)) PELUKAN_EDGE_METRICS_PORT=$((BASE + 28))
API=$PELUKAN_EDGE_HTTP_PORT

# 1. The stack, as `make run` starts it (after building).
BUILD=$BUILD "$ROOT/deploy/local/run.sh" > "$W/run.log" 2>&1 &
RUN=$!
stop_run() {
    kill -TERM "$RUN" 2>/dev/null
    wait "$RUN" 2>/dev/null
}
for _ in $(seq 600); do
    grep -q 'run: logs in' "$W/run.log" && break
    kill -0 "$RUN" 2>/dev/null || break
    sleep 0.2
done
if ! grep -q 'run: logs in' "$W/run.log"; then
    echo "readme: make run's stack did not start:"
    tail -20 "$W/run.log"
    stop_run
    exit 1
fi

# 2. The README's sh blocks, in order, in one shell.
{
    echo 'set -euo pipefail'
    echo "cd '$W'"
    echo 'curl() { command curl --fail-with-body "$@"; }'
    awk '/^```sh$/ {on = 1; next} /^```/ {on = 0} on' "$ROOT/README.md" |
        grep -v '^make ' |
        sed -E "s/localhost:8085/localhost:$API/g" |
        sed -E 's/^(.*[^ ]) +# ([^#]*)until Ctrl-C$/timeout 5 \1 || [ $? = 124 ]   # \2until Ctrl-C/'
} > "$W/examples.sh"
(cd "$W" && bash -x "$W/examples.sh") > "$W/examples.log" 2>&1
rc=$?
if [ $rc != 0 ]; then
    echo "readme: the README's examples failed (exit $rc); the last commands and answers:"
    tail -25 "$W/examples.log"
fi
stop_run

# Security review N7: a fresh make run gives each service a master key of
# its own, none the shared one.
keys=$(for f in "$W/var/keys/master.key" "$W"/var/keys/{intake,notification,dispatch,referral,audit}.master; do
    cat "$f" 2>/dev/null && echo
done | sort -u | grep -c .)
if [ "$keys" != 6 ]; then
    echo "readme: a fresh make run's master keys are not six distinct keys ($keys distinct)"
    rc=1
fi

# 3. A start that fails says which service and why, and exits non-zero.
if [ $rc = 0 ]; then
    PELUKAN_INTAKE_OTP_TTL_S=5 BUILD=$BUILD timeout 120 "$ROOT/deploy/local/run.sh" > "$W/bad.log" 2>&1
    bad=$?
    if [ $bad = 0 ] || ! grep -q 'run: intake .*stopped at start-up' "$W/bad.log" ||
        ! grep -q 'PELUKAN_INTAKE_OTP_TTL_S' "$W/bad.log" || ! grep -q 'run: not started: intake' "$W/bad.log"; then
        echo "readme: a start with a bad setting did not fail clearly (exit $bad):"
        tail -20 "$W/bad.log"
        rc=1
    fi
fi
[ $rc = 0 ] && echo "readme: $(grep -c . "$W/examples.sh") lines of the README's examples ran; a bad start failed clearly"
exit $rc
