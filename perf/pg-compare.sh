#!/usr/bin/env bash
# pgbench through RingGate next to the baselines, in one run on one machine:
#   direct PostgreSQL, ringgate `tcp` (relay), ringgate `postgres` (token login, every statement
#   classified and decided, audit to a file), and pgbouncer (session pooling).
# For each target and client count it runs `SELECT 1` (simple protocol) for SECONDS seconds,
# rounds interleaved, and prints TPS, average latency and the proxy's CPU per transaction
# (utime+stime of its process over the run / transactions).
# Usage: perf/pg-compare.sh [SECONDS=10] [ROUNDS=2]    (release build of ringgate)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-10}
rounds=${2:-2}
. scripts/lib/postgres.sh
swift build -c release --product ringgate >&2
ringgate="$root/.build/release/ringgate"

work=$(mktemp -d /tmp/ringgate-pgcmp.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rg_pg_stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$(rg_free_port); relay_port=$(rg_free_port); gate_port=$(rg_free_port); bouncer_port=$(rg_free_port)
rg_pg_start "$work/pg" "$pg_port" superpw
PGPASSWORD=superpw psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
    -c "CREATE ROLE bench LOGIN PASSWORD 'benchpw'" -c "CREATE DATABASE bench OWNER bench"
printf 'benchpw\n' > "$work/pw"; chmod 600 "$work/pw"
"$ringgate" token keygen --out "$work/key.pem" >/dev/null 2>&1; chmod 600 "$work/key.pem"
cat > "$work/gw.yaml" <<YAML
gateway:
  loops: 1
  audit_log: $work/audit.jsonl
resources:
  - name: relay
    protocol: tcp
    listen: 127.0.0.1:$relay_port
    upstream: 127.0.0.1:$pg_port
  - name: pg
    protocol: postgres
    listen: 127.0.0.1:$gate_port
    upstream: 127.0.0.1:$pg_port
    default: deny
    credentials:
      username: bench
      password_file: $work/pw
gateway_tokens:
  issuer: ringgate
  signing_key_file: $work/key.pem
  max_ttl: 1h
groups:
  - name: bench
    members: [bench]
policies:
  - id: no-destroy
    resources: [pg]
    groups: [bench]
    deny: [drop, truncate, delete-without-where, update-without-where]
  - id: read-write
    resources: [pg]
    groups: [bench]
    allow: [read, write, transaction, set]
YAML
"$ringgate" serve --config "$work/gw.yaml" 2>"$work/gw.log" & pids+=($!); gw_pid=$!
token=$("$ringgate" token issue --config "$work/gw.yaml" --identity bench --groups bench --ttl 1h --resources pg)
mkdir -p "$work/pgb"
cat > "$work/pgb/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
auth_type = plain
auth_file = $work/pgb/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
logfile = $work/pgb/pgbouncer.log
pidfile = $work/pgb/pgbouncer.pid
INI
printf '"bench" "benchpw"\n' > "$work/pgb/users.txt"
chown -R postgres "$work/pgb"
runuser -u postgres -- pgbouncer "$work/pgb/pgbouncer.ini" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 50); do [ -s "$work/pgb/pgbouncer.pid" ] && break; sleep 0.1; done
bouncer_pid=$(cat "$work/pgb/pgbouncer.pid")
echo 'SELECT 1;' > "$work/select1.sql"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() {  # name port password pid clients
    local name=$1 port=$2 password=$3 pid=$4 clients=$5 before after out tps lat tx
    before=$([ "$pid" = "-" ] && echo 0 || cpu_ticks "$pid")
    out=$(PGPASSWORD=$password pgbench -n -M simple -f "$work/select1.sql" -c "$clients" -j "$clients" -T "$seconds" \
        -h 127.0.0.1 -p "$port" -U bench bench 2>&1)
    after=$([ "$pid" = "-" ] && echo 0 || cpu_ticks "$pid")
    tps=$(awk '/^tps/ {print $3}' <<<"$out")
    lat=$(awk '/latency average/ {print $4}' <<<"$out")
    tx=$(awk '/number of transactions actually processed/ {print $6}' <<<"$out")
    tx=${tx%%/*}
    local cpu="-"
    [ "$pid" != "-" ] && cpu=$(awk -v t="$((after - before))" -v n="$tx" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$clients" "$tps" "$lat" "$cpu"
}

printf 'target\tclients\ttps\tlatency_ms\tproxy_cpu_us_per_tx\n'
for round in $(seq "$rounds"); do
    for clients in 1 16; do
        run direct "$pg_port" benchpw - "$clients"
        run ringgate-tcp "$relay_port" benchpw "$gw_pid" "$clients"
        run ringgate-postgres "$gate_port" "$token" "$gw_pid" "$clients"
        run pgbouncer "$bouncer_port" benchpw "$bouncer_pid" "$clients"
    done
done
