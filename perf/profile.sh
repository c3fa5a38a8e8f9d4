#!/usr/bin/env bash
# Profile `ringgate forward` while `bench tcp` drives 64-byte ping-pong through it.
#
#   perf/profile.sh [io_uring|epoll] [seconds]              # perf record -g, attached to the proxy
#   PROFILER=callgrind perf/profile.sh [io_uring|epoll] [seconds]   # valgrind --tool=callgrind
#
# Environment: CONNECTIONS (default 16), LOOPS (default 1), OUT (default .build/perf),
# RINGGATE (another ringgate executable; default: the release build, rebuilt first).
# Output: $OUT/perf.data + $OUT/perf-report.txt, or $OUT/callgrind.out.* + $OUT/callgrind-report.txt.
set -euo pipefail
backend="${1:-io_uring}"
seconds="${2:-10}"
connections="${CONNECTIONS:-16}"
loops="${LOOPS:-1}"
profiler="${PROFILER:-perf}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$root/.build/perf}"
cd "$root"
mkdir -p "$out"

swift build -c release --product bench
bin="$(swift build -c release --show-bin-path)"
if [ -z "${RINGGATE:-}" ]; then
    swift build -c release --product ringgate
fi
ringgate="${RINGGATE:-$bin/ringgate}"
common=(tcp --backends "$backend" --no-haproxy --no-direct --no-build-ringgate
        --connections "$connections" --loops "$loops" --rounds 1 --warmup 1)

case "$profiler" in
perf)
    command -v perf >/dev/null || { echo "perf is not installed (apt-get install -y linux-perf)" >&2; exit 1; }
    "$bin/bench" "${common[@]}" --ringgate "$ringgate" --duration "$((seconds + 2))" --json "$out/profile-bench.json" \
        >"$out/bench.stdout" 2>"$out/bench.stderr" &
    bench_pid=$!
    pid=""
    for _ in $(seq 300); do
        pid="$(sed -n "s/.*ringgate-$backend (pid \([0-9]*\)) listening.*/\1/p" "$out/bench.stderr")"
        [ -n "$pid" ] && break
        kill -0 "$bench_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$pid" ]; then
        wait "$bench_pid" || true
        echo "ringgate-$backend did not start; bench said:" >&2
        cat "$out/bench.stderr" >&2
        exit 1
    fi
    sleep 1  # past the warm-up
    perf record -g -F 999 -p "$pid" -o "$out/perf.data" -- sleep "$seconds"
    wait "$bench_pid"
    perf report -i "$out/perf.data" --stdio --no-children --percent-limit 0.5 >"$out/perf-report.txt" 2>/dev/null
    ;;
callgrind)
    command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }
    wrapper="$out/ringgate-under-callgrind"
    rm -f "$out"/callgrind.out.*
    cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" "$ringgate" "\$@"
WRAP
    chmod +x "$wrapper"
    "$bin/bench" "${common[@]}" --ringgate "$wrapper" --duration "$seconds" --json "$out/profile-bench.json" \
        >"$out/bench.stdout" 2>"$out/bench.stderr"
    # The forwarding process's file (the other one is the `forward --help` probe).
    profile="$(grep -l '^cmd:.* forward --listen' "$out"/callgrind.out.* | head -1)"
    [ -n "$profile" ] || { echo "no callgrind output of the forwarding process; bench said:" >&2; cat "$out/bench.stderr" >&2; exit 1; }
    callgrind_annotate "$profile" | head -80 >"$out/callgrind-report.txt"
    ;;
*)
    echo "PROFILER must be perf or callgrind" >&2
    exit 1
    ;;
esac
cat "$out/bench.stdout"
echo
report="$out/perf-report.txt"
[ "$profiler" = callgrind ] && report="$out/callgrind-report.txt"
echo "profile of ringgate-$backend: data in $out, report in $report"
