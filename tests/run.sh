#!/usr/bin/env bash
# run.sh -- starts a throwaway PostgreSQL on a free port, runs every test
# binary (or, with --bench, every benchmark), stops everything, and ends
# with one summary line: "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
MODE=test
[ "${1:-}" = "--bench" ] && MODE=bench
[ "${1:-}" = "--unit" ] && MODE=unit
# PKTEST_WRAP runs each unit test binary under a tool (valgrind).
WRAP=${PKTEST_WRAP:-}
cd "$ROOT"

TMP=$(mktemp -d /tmp/pelukan-test.XXXXXX)
chmod 755 "$TMP"
free_port() {
    local p
    for _ in $(seq 50); do
        # Below the kernel's ephemeral range (32768+), where the tests'
        # own free ports come from.
        p=$((20000 + RANDOM % 12000))
        (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
    done
    echo "run.sh: no free port found" >&2; exit 1
}
# Processes the tests started carry this run's key path in their
# environment; none may outlive the run (a failed assertion ends a test
# before it can stop what it started).
kill_leftovers() {
    local p
    for p in /proc/[0-9]*; do
        [ "$p" = "/proc/$$" ] && continue
        if grep -qaF "$TMP/master.key" "$p/environ" 2>/dev/null; then
            kill -KILL "${p#/proc/}" 2>/dev/null || true
        fi
    done
}
cleanup() {
    kill_leftovers
    deploy/local/pgcluster.sh stop "$TMP/pg"
    if [ -n "${PKTEST_KEEP:-}" ]; then echo "run.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
started=0
for attempt in 1 2 3; do
    PGPORT=$(free_port)
    if deploy/local/pgcluster.sh start "$TMP/pg" "$PGPORT"; then started=1; break; fi
    echo "run.sh: PostgreSQL did not start on port $PGPORT (attempt $attempt), trying another port" >&2
done
[ $started = 1 ] || { echo "0 passed, 1 failed (PostgreSQL did not start)"; exit 1; }
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/master.key"
chmod 600 "$TMP/master.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/audit-signing.key"
chmod 600 "$TMP/audit-signing.key"
# The bus's key pairs (every peer, "ctl" being pelukanctl), and a master
# key of its own for each service that seals data.
mkdir -m 700 "$TMP/keys"
"$BUILD/bin/pelukanctl" bus keygen "$TMP/keys" intake notification dispatch referral audit ctl ||
    { echo "0 passed, 1 failed (pelukanctl bus keygen failed)"; exit 1; }
for s in intake notification dispatch referral audit; do
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/keys/$s.master")
done

export PKTEST_PG_PORT=$PGPORT PKTEST_ROOT=$ROOT PKTEST_BUILD=$ROOT/$BUILD PKTEST_TMP=$TMP

if [ $MODE = bench ]; then
    status=0
    for b in "$BUILD"/tests/bench/*; do
        [ -x "$b" ] || continue
        case "$(basename "$b")" in *"${PKTEST_ONLY:-}"*) ;; *) continue ;; esac
        setsid "$b" &
        pid=$!
        wait $pid || echo "run.sh: benchmark $b failed (benchmarks never fail the tests)" >&2
        kill -KILL -- "-$pid" 2>/dev/null
    done
    exit $status
fi

passed=0 failed=0
# Every exchange with intake's API is recorded for the contract check.
export PKTEST_HTTP_RECORD=$TMP/http-exchanges.jsonl
tests=("$BUILD"/tests/unit/*)
[ $MODE = unit ] || tests+=("$BUILD"/tests/e2e/*)
for t in "${tests[@]}"; do
    [ -x "$t" ] || continue
    # PKTEST_ONLY=name runs only the binaries whose name contains it.
    case "$(basename "$t")" in *"${PKTEST_ONLY:-}"*) ;; *) continue ;; esac
    echo "== $(basename "$(dirname "$t")")/$(basename "$t")"
    # Each test binary runs in a session of its own: whatever processes it
    # started and could not stop (a failed assertion ends it at once) are
    # killed with it, and cannot disturb the next one.
    setsid $WRAP "$t" --jobs 1 > "$TMP/out" 2>&1 &
    pid=$!
    wait $pid; rc=$?
    kill -KILL -- "-$pid" 2>/dev/null
    kill_leftovers
    out=$(cat "$TMP/out")
    echo "$out" | grep -vE "^\[(RUN |PASS|----\] +$|----\] Criterion|====\] Running)" | tail -n 60
    line=$(echo "$out" | grep -E 'Synthesis: Tested' | tail -1)
    if [ -z "$line" ]; then
        echo "run.sh: $t printed no summary (exit $rc)"; failed=$((failed + 1)); continue
    fi
    p=$(echo "$line" | sed -E 's/.*Passing: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failing: ([0-9]+).*/\1/')
    c=$(echo "$line" | sed -E 's/.*Crashing: ([0-9]+).*/\1/')
    passed=$((passed + p)); failed=$((failed + f))
    [ "$rc" = 0 ] || [ "$f" != 0 ] || { echo "run.sh: $t exited $rc"; failed=$((failed + 1)); }
    : "$c"
done
# The README's examples against make run's stack (tests/readme.sh), after
# the suites: its stack starting beside them made the bus's kill test
# fail twice (not explained yet; see the issue notes).
if [ $MODE = test ] && case "readme/examples" in *"${PKTEST_ONLY:-}"*) true ;; *) false ;; esac; then
    echo "== readme/examples"
    if BUILD=$BUILD tests/readme.sh "$TMP/readme" > "$TMP/readme.out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    cat "$TMP/readme.out"
fi
# The contract: what the suites exchanged with intake, validated against
# openapi.yaml by a JSON Schema validator (tools/contract). One test.
if [ $MODE = test ] && [ -s "$PKTEST_HTTP_RECORD" ]; then
    echo "== contract/openapi"
    if node tools/contract/check.mjs services/intake/openapi.yaml "$PKTEST_HTTP_RECORD" > "$TMP/contract.out" 2>&1; then
        passed=$((passed + 1))
        cat "$TMP/contract.out"
    else
        failed=$((failed + 1))
        head -c 20000 "$TMP/contract.out"
    fi
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
