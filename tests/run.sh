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
    [ -n "${readme_pid:-}" ] && kill -TERM "$readme_pid" 2>/dev/null && wait "$readme_pid" 2>/dev/null
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
"$BUILD/bin/pelukanctl" bus keygen "$TMP/keys" intake notification dispatch referral audit edge ctl ||
    { echo "0 passed, 1 failed (pelukanctl bus keygen failed)"; exit 1; }
for s in intake notification dispatch referral audit; do
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/keys/$s.master")
done

export PKTEST_PG_PORT=$PGPORT PKTEST_ROOT=$ROOT PKTEST_BUILD=$ROOT/$BUILD PKTEST_TMP=$TMP

# The binaries to run are those of the sources in tests/ (the Makefile's
# UNIT_BINS, E2E_BINS and BENCH_BINS), never whatever else is in build/: a
# binary left by an earlier build of a deleted test does not run, and one
# that was not built fails.
bins_of() {
    local src
    for src in tests/"$1"/*.c; do echo "$BUILD/tests/$1/$(basename "$src" .c)"; done
}

if [ $MODE = bench ]; then
    status=0
    for b in $(bins_of bench); do
        case "$(basename "$b")" in *"${PKTEST_ONLY:-}"*) ;; *) continue ;; esac
        [ -x "$b" ] || { echo "run.sh: benchmark $b was not built" >&2; continue; }
        setsid "$b" > "$TMP/bench.out" &
        pid=$!
        tail -f --pid=$pid "$TMP/bench.out" &
        wait $pid || echo "run.sh: benchmark $b failed (benchmarks never fail the tests)" >&2
        kill -KILL -- "-$pid" 2>/dev/null
        sleep 0.2 # tail's last read (display only)
        # Every figure the benchmark (and the browser script it runs) can
        # print: one it did not print is printed as NaN, never left out.
        src=tests/bench/$(basename "$b").c
        for name in $(grep -ho 'BENCH [a-z0-9_]* ' "$src" $(grep -o 'tests/web/[a-z_]*\.mjs' "$src" | sort -u) |
            awk '{print $2}' | sort -u); do
            grep -q "^BENCH $name " "$TMP/bench.out" || echo "BENCH $name NaN (missing: $(basename "$b") did not print it)"
        done
    done
    exit $status
fi

passed=0 failed=0
# Every exchange with intake's API is recorded for the contract check.
export PKTEST_HTTP_RECORD=$TMP/http-exchanges.jsonl
# PKTEST_ONLY=name runs only the tests whose name contains it.
only() { case "$1" in *"${PKTEST_ONLY:-}"*) true ;; *) false ;; esac; }

# The README's examples against make run's stack (tests/readme.sh), beside
# the suites: they wait on their own stack most of the time. (They once ran
# after the suites because starting them beside made the bus's kill test
# fail twice; the cause was the test's producer, which wrote one event too
# many when a killed writer's last commit landed late (8773c2d); load only
# made that window wider.) Bounded: a code that never arrives fails the
# test instead of hanging make test.
readme_pid=
if [ $MODE = test ] && only readme/examples; then
    BUILD=$BUILD timeout -k 10 900 tests/readme.sh "$TMP/readme" > "$TMP/readme.out" 2>&1 &
    readme_pid=$!
fi

tests=($(bins_of unit))
[ $MODE = unit ] || tests+=($(bins_of e2e))
for t in "${tests[@]}"; do
    only "$(basename "$t")" || continue
    echo "== $(basename "$(dirname "$t")")/$(basename "$t")"
    if [ ! -x "$t" ]; then
        echo "run.sh: $t was not built"; failed=$((failed + 1)); continue
    fi
    # Each test binary runs in a session of its own: whatever processes it
    # started and could not stop (a failed assertion ends it at once) are
    # killed with it, and cannot disturb the next one.
    setsid $WRAP "$t" --jobs 1 > "$TMP/out" 2>&1 &
    pid=$!
    wait $pid; rc=$?
    kill -KILL -- "-$pid" 2>/dev/null
    kill_leftovers
    out=$(cat "$TMP/out")
    # czmq's "dangling socket" lines after a failed assertion are left out:
    # they pushed the failure itself out of the last 60 lines.
    echo "$out" | grep -vE "^\[(RUN |PASS|----\] +$|----\] Criterion|====\] Running)|dangling '[A-Z]+' socket" |
        tail -n 60
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
if [ -n "$readme_pid" ]; then
    echo "== readme/examples"
    wait $readme_pid; rc=$?
    cat "$TMP/readme.out"
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
    else
        [ $rc = 124 ] && echo "run.sh: the README's examples did not finish within 900 s"
        failed=$((failed + 1))
    fi
fi
# The contract: what the suites exchanged with intake, validated against
# openapi.yaml by a JSON Schema validator (tools/contract). One test. When
# every suite ran, an empty or missing record is a failure: the recording
# broke, and the check would otherwise vanish without a word.
if [ $MODE = test ] && only contract/openapi && { [ -z "${PKTEST_ONLY:-}" ] || [ -s "$PKTEST_HTTP_RECORD" ]; }; then
    echo "== contract/openapi"
    if [ ! -s "$PKTEST_HTTP_RECORD" ]; then
        echo "run.sh: no exchange with intake was recorded ($PKTEST_HTTP_RECORD missing or empty)"
        failed=$((failed + 1))
    elif node tools/contract/check.mjs services/intake/openapi.yaml "$PKTEST_HTTP_RECORD" > "$TMP/contract.out" 2>&1; then
        passed=$((passed + 1))
        cat "$TMP/contract.out"
    else
        failed=$((failed + 1))
        head -c 20000 "$TMP/contract.out"
    fi
fi
echo "$passed passed, $failed failed"
[ $failed = 0 ]
