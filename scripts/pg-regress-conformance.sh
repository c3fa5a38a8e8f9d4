#!/usr/bin/env bash
# Conformance: PostgreSQL 15's own regression suite (pg_regress, installcheck style) run
# directly against a throwaway server, then through `ringgate serve` (a `postgres` resource,
# allow-all policy, no masks) against a second, identically made server; the two runs must
# give the same per-test outcomes and byte-identical results/*.out files. The comparison is
# direct vs gateway, never against expected/: tests that fail on their own here (regress.so,
# the suite's C library, is not built) fail the same way both times.
#
# Usage: scripts/pg-regress-conformance.sh [RINGGATE_BINARY]
#   RINGGATE_BINARY                default $RINGGATE_BIN, else .build/release/ringgate
#   RINGGATE_REGRESS_SCHEDULE      parallel (default: parallel_schedule as written, up to 20
#                                  sessions at once) or serial (the same tests one at a time)
#   RINGGATE_REGRESS_TESTS         run these tests (space-separated) instead of the schedule
#   RINGGATE_REGRESS_IO_BACKEND    auto (default), io_uring or epoll
#   RINGGATE_REGRESS_TIMEOUT       seconds each pg_regress run may take (default 900)
#   RINGGATE_REGRESS_KEEP=1        keep the work directory (servers' logs, results, diffs)
#   RINGGATE_PG_REGRESS_DIR        the suite fetched by scripts/fetch-pg-regress.sh
# Exits non-zero when a test differs and is not in the allow-list below, or a run fails to run.
set -euo pipefail
total_started=$SECONDS
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/lib/postgres.sh   # PG_BIN, rg_free_port (a port the OS picks)

# Known differences that are not the gateway's fault: test name -> why. Each entry must be
# explained; a test listed here still has its diff printed. Keep it small. Written as
#   [test_name]="why the output differs and why that is not the gateway's doing"
# (a file a test writes is keyed "results/FILE"). Empty: on 2026-12-07 nothing differed, on
# either schedule or io backend (perf/notes/2026-12-07-pg-regress-conformance.md).
declare -A allowed=(
)

ringgate=${1:-${RINGGATE_BIN:-$root/.build/release/ringgate}}
schedule_kind=${RINGGATE_REGRESS_SCHEDULE:-parallel}
io_backend=${RINGGATE_REGRESS_IO_BACKEND:-auto}
run_timeout=${RINGGATE_REGRESS_TIMEOUT:-900}
suite=${RINGGATE_PG_REGRESS_DIR:-/var/cache/ringgate/pg-regress}/regress
pg_regress=${PG_REGRESS:-/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress}

die() { echo "pg-regress-conformance: $*" >&2; exit 2; }
[ -x "$ringgate" ] || die "no ringgate binary at $ringgate (swift build -c release --product ringgate)"
[ -x "$pg_regress" ] || die "no pg_regress at $pg_regress (package postgresql-client-15)"
[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL 15 server in $PG_BIN (package postgresql-15)"
[ -f "$suite/parallel_schedule" ] || die "no regression suite in $suite (run scripts/fetch-pg-regress.sh)"
case $schedule_kind in
    serial) schedule_options=(--schedule="$suite/parallel_schedule" --max-connections=1) ;;
    parallel) schedule_options=(--schedule="$suite/parallel_schedule" --max-concurrent-tests=20) ;;
    *) die "RINGGATE_REGRESS_SCHEDULE must be serial or parallel" ;;
esac
if [ -n "${RINGGATE_REGRESS_TESTS:-}" ]; then
    read -r -a schedule_options <<< "$RINGGATE_REGRESS_TESTS"
    schedule_kind="tests: $RINGGATE_REGRESS_TESTS"
fi

# PostgreSQL refuses to run as root: as root, the servers and pg_regress (whose psql and the
# server share its output directory, server-side COPY writes there) run as `postgres`.
as_pg=()
pg_owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
    as_pg=(runuser -u postgres --)
    pg_owner=postgres
fi
# pg_regress (psql) and the server (server-side COPY FROM data/) read the suite as that user.
"${as_pg[@]}" test -r "$suite/data/onek.data" || die "$pg_owner cannot read $suite (check the modes of its directories)"
# Nothing from the caller's environment may steer libpq or pg_regress differently per run.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGPASSFILE PGDATABASE PGOPTIONS PGSERVICE \
    PGSERVICEFILE PGSSLMODE PGAPPNAME PGTZ PGDATESTYLE PGCLIENTENCODING PGCONNECT_TIMEOUT
export LC_ALL=C LANG=C

work=$(mktemp -d /tmp/ringgate-pg-regress.XXXXXX)
chmod 755 "$work"
gateway_pid=""
cleanup() {
    local status=$?
    if [ -n "$gateway_pid" ]; then
        kill -TERM "$gateway_pid" 2>/dev/null || true
        wait "$gateway_pid" 2>/dev/null || true
    fi
    for server in direct gateway; do
        if [ -d "$work/$server/pg/data" ]; then
            "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/$server/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
    done
    if [ "${RINGGATE_REGRESS_KEEP:-0}" = 1 ]; then
        echo "pg-regress-conformance: kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

# start_server NAME PORT PASSWORD: initdb (no locale, UTF8, SCRAM over TCP) and start it.
start_server() {
    local name=$1 port=$2 password=$3
    local dir="$work/$name/pg"
    mkdir -p "$dir"
    chown "$pg_owner" "$work/$name" "$dir"
    chmod 700 "$dir"
    (umask 077 && printf '%s\n' "$password" > "$dir/pwfile")
    chown "$pg_owner" "$dir/pwfile"
    "${as_pg[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$dir/pwfile" -E UTF8 --no-locale --no-sync >/dev/null
    rm -f "$dir/pwfile"
    # As pg_regress's own temporary instance (max_prepared_transactions for prepared_xacts),
    # plus durability off: a throwaway server.
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 50
max_prepared_transactions = 2
fsync = off
synchronous_commit = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%a '
CONF
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

# run_suite NAME PORT PASSWORD: pg_regress against 127.0.0.1:PORT as `postgres`, the password
# (superuser password, or gateway token) in a 0600 passfile, never on a command line.
run_suite() {
    local name=$1 port=$2 password=$3
    local out="$work/$name/out"
    mkdir -p "$out"
    chown "$pg_owner" "$out"
    (umask 077 && printf '127.0.0.1:%s:*:postgres:%s\n' "$port" "$password" > "$work/$name/pgpass")
    chown "$pg_owner" "$work/$name/pgpass"
    local started=$SECONDS status=0
    # --dlpath is the same for both runs: the message naming the missing regress.so matches.
    timeout --kill-after=10 "$run_timeout" "${as_pg[@]}" env PGPASSFILE="$work/$name/pgpass" \
        "$pg_regress" --inputdir="$suite" --outputdir="$out" --bindir="$PG_BIN" --dlpath="$work/lib" \
        --host=127.0.0.1 --port="$port" --user=postgres --no-locale "${schedule_options[@]}" \
        > "$work/$name/pg_regress.log" 2>&1 || status=$?
    echo $((SECONDS - started)) > "$work/$name/seconds"
    # pg_regress exits 1 when some test fails (against expected/); anything else means it did not run.
    if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
        echo "pg-regress-conformance: pg_regress ($name) exited with $status; its log ends:" >&2
        tail -n 30 "$work/$name/pg_regress.log" >&2
        [ "$name" = gateway ] && { echo "gateway stderr ends:" >&2; tail -n 30 "$work/gateway/ringgate.stderr" >&2; }
        exit 2
    fi
}

# outcomes NAME: "test outcome" lines (ok, FAILED, failed (ignored)) from pg_regress's log.
outcomes() {
    sed -nE 's/^(test +| +)([A-Za-z0-9_.]+) +\.\.\. (ok|FAILED|failed \(ignored\))( .*)?$/\2 \3/p' \
        "$work/$1/pg_regress.log" | sed -E 's/ +[0-9]+ ms$//' | sort
}

direct_pg_port=$(rg_free_port)
gateway_pg_port=$(rg_free_port)
gateway_port=$(rg_free_port)
direct_password=$(secret)
upstream_password=$(secret)

echo "pg-regress-conformance: schedule $schedule_kind; ringgate $ringgate (io backend $io_backend)"

# 1. Directly.
start_server direct "$direct_pg_port" "$direct_password"
echo "pg-regress-conformance: running the suite directly against 127.0.0.1:$direct_pg_port ..."
run_suite direct "$direct_pg_port" "$direct_password"

# 2. Through the gateway: a second server made the same way, the gateway logs in upstream as
#    `postgres` (superuser: the suite creates databases, roles, tablespaces) with a password
#    only it holds; pg_regress logs in as identity `postgres` with a gateway token.
start_server gateway "$gateway_pg_port" "$upstream_password"
gw="$work/gateway"
(umask 077 && printf '%s' "$upstream_password" > "$gw/upstream.password")
"$ringgate" token keygen --out "$gw/token-signing.key" >/dev/null
cat > "$gw/ringgate.yaml" <<YAML
# Generated by scripts/pg-regress-conformance.sh: allow-all, no masks, no limits.
gateway:
  io_backend: $io_backend
  loops: 2
  drain_timeout: 5s
  access_log: $gw/access.log
  audit_log: $gw/audit.jsonl
resources:
  - name: pg-regress
    protocol: postgres
    listen: 127.0.0.1:$gateway_port
    upstream: 127.0.0.1:$gateway_pg_port
    connect_timeout: 10s
    idle_timeout: 1h
    default: allow
    tls:
      mode: disable
    credentials:
      username: postgres
      password_file: $gw/upstream.password
gateway_tokens:
  signing_key_file: $gw/token-signing.key
  max_ttl: 2h
groups:
  - name: regress
    members: [postgres]
policies:
  - id: regress-allow-all
    resources: [pg-regress]
    groups: [regress]
    allow: [all, opaque]
YAML
chmod 644 "$gw/ringgate.yaml"
"$ringgate" check-config "$gw/ringgate.yaml" >/dev/null
"$ringgate" serve --config "$gw/ringgate.yaml" --no-watch 2> "$gw/ringgate.stderr" &
gateway_pid=$!
listening=no
for _ in $(seq 1 200); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $gateway_port), 0.2).close()" 2>/dev/null; then
        listening=yes
        break
    fi
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.1
done
[ "$listening" = yes ] || { tail -n 20 "$gw/ringgate.stderr" >&2; die "ringgate serve did not start listening"; }
token=$("$ringgate" token issue --config "$gw/ringgate.yaml" --identity postgres --groups regress \
    --ttl 2h --resources pg-regress)
echo "pg-regress-conformance: running the suite through ringgate serve on 127.0.0.1:$gateway_port ..."
run_suite gateway "$gateway_port" "$token"
token=""
kill -0 "$gateway_pid" 2>/dev/null || { tail -n 20 "$gw/ringgate.stderr" >&2; die "ringgate serve exited during the run"; }
# Stop it (drains, flushes the audit log) before counting what it saw.
kill -TERM "$gateway_pid"
gateway_status=0
wait "$gateway_pid" || gateway_status=$?
gateway_pid=""
[ "$gateway_status" -eq 0 ] || { tail -n 20 "$gw/ringgate.stderr" >&2; die "ringgate serve exited with $gateway_status on SIGTERM"; }

# 3. Compare.
outcomes direct > "$work/direct.outcomes"
outcomes gateway > "$work/gateway.outcomes"
count() { grep -c -F " $2" "$work/$1.outcomes" || true; }
tests_run=$(wc -l < "$work/direct.outcomes")
[ "$tests_run" -gt 0 ] || die "pg_regress reported no tests (see $work/direct/pg_regress.log)"

differing=()
unexplained=()
# compare KEY DIRECT_OUTCOME GATEWAY_OUTCOME FILE: FILE relative to each run's out/ directory.
compare() {
    local key=$1 d=$2 g=$3 file=$4
    if [ "$d" = "$g" ] && cmp -s "$work/direct/out/$file" "$work/gateway/out/$file"; then
        return
    fi
    differing+=("$key")
    [ -n "${allowed[$key]:-}" ] || unexplained+=("$key")
    {
        echo
        echo "--- $key: direct ${d:-missing}, through ringgate ${g:-missing}${allowed[$key]:+ (allow-listed: ${allowed[$key]})}"
        diff -u --label "direct/$file" --label "gateway/$file" \
            "$work/direct/out/$file" "$work/gateway/out/$file" 2>&1 | head -n 60 || true
    } >> "$work/differences.txt"
}
# pg_regress's own setup (DROP/CREATE/ALTER DATABASE regression, through the gateway too),
# less the line naming the port.
for run in direct gateway; do
    sed -n '/running regression test queries/q; /^(using postmaster on /d; p' "$work/$run/pg_regress.log" \
        > "$work/$run/out/setup.log"
done
compare "pg_regress setup" ran ran setup.log
outcome_of() { awk -v test="$2" '$1 == test { $1 = ""; print substr($0, 2) }' "$work/$1.outcomes"; }
written() { [ -f "$work/$1/out/results/$2" ] && echo written || true; }
# Every test: its outcome and its results/TEST.out.
while read -r test; do
    compare "$test" "$(outcome_of direct "$test")" "$(outcome_of gateway "$test")" "results/$test.out"
done < <(cut -d' ' -f1 "$work/direct.outcomes" "$work/gateway.outcomes" | sort -u)
# Every other file the tests wrote there (server-side COPY TO, lo_export): same content.
files_compared=0
while read -r file; do
    files_compared=$((files_compared + 1))
    compare "results/$file" "$(written direct "$file")" "$(written gateway "$file")" "results/$file"
done < <(cd "$work" && ls direct/out/results gateway/out/results | grep -v -e '\.out$' -e ':$' -e '^$' | sort -u)

# The gateway run went through the gateway, and the allow-all policy refused nothing.
sessions=$(grep -c '"kind":"session_start"' "$gw/audit.jsonl" || true)
statements=$(grep -c '"kind":"statement"' "$gw/audit.jsonl" || true)
refused=$(grep '"kind":"statement"' "$gw/audit.jsonl" | grep -vc '"action":"allow"' || true)

printf '\n== pg_regress conformance (PostgreSQL 15, %s)\n' "$schedule_kind"
printf '%-22s %6s %8s %8s %8s\n' "" tests passed failed seconds
for run in direct gateway; do
    label=$run
    [ $run = gateway ] && label="through ringgate"
    printf '%-22s %6s %8s %8s %8s\n' "$label" "$(wc -l < "$work/$run.outcomes")" "$(count $run ok)" \
        "$(( $(count $run FAILED) + $(count $run 'failed (ignored)') ))" "$(cat "$work/$run/seconds")"
done
echo "through ringgate: $sessions sessions, $statements statements decided, $refused refused"
echo "other result files compared: $files_compared"
echo "tests or files that differ: ${#differing[@]} (not allow-listed: ${#unexplained[@]})"
for test in "${!allowed[@]}"; do
    printf '%s\n' "${differing[@]}" | grep -qx "$test" || echo "allow-listed but identical this time: $test"
done
[ -f "$work/differences.txt" ] && cat "$work/differences.txt"
echo "total time: $((SECONDS - total_started)) s"
if [ "$sessions" -lt "$tests_run" ] || [ "$refused" -ne 0 ]; then
    echo "pg-regress-conformance: FAIL: the gateway run did not go through the allow-all gateway as expected" >&2
    exit 1
fi
if [ ${#unexplained[@]} -gt 0 ]; then
    echo "pg-regress-conformance: FAIL: differences not in the allow-list: ${unexplained[*]}" >&2
    exit 1
fi
echo "pg-regress-conformance: OK"
