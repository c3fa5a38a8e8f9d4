#!/usr/bin/env bash
# CI latency gate: a short `bench tcp` run (settings in perf/baselines/tcp.json) that fails only
# when a ratio measured side by side leaves its bounds. Absolute times never fail it. Before it,
# `bench policy --check` fails if a policy decision allocates.
#
#   perf/gate.sh                    # build, run, judge (exit 1 on a failed rule)
#   perf/gate.sh --allow-missing    # skip rules whose target could not run (e.g. no `ringgate forward` yet)
#   perf/gate.sh --results FILE     # judge an existing `bench tcp --json FILE` instead of running
#
# Extra arguments go to `bench gate` (see `swift run -c release bench gate --help`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v haproxy >/dev/null 2>&1 || echo "perf/gate.sh: haproxy not installed; rules against haproxy will be skipped (apt-get install -y haproxy)" >&2
swift build -c release --product bench
swift build -c release --product ringgate
bin="$(swift build -c release --show-bin-path)"
# The loops must be specialized on the passthrough session (an unspecialized loop looks up type
# metadata on every slot access; see LoopRunner in Sources/IOCore/Server/ProxyServer.swift).
# The optimizer may inline a specialized `run` into the specialized runner, so this looks for
# any specialized method of each loop (there are none when specialization fails).
# (nm's output is read whole first: `nm | grep -q` under pipefail fails when grep exits early.)
symbols="$(nm "$bin/ringgate")"
for loop in URingLoop EpollLoop; do
    if ! grep -q "${#loop}${loop}V.*AA18PassthroughSessionV_Tg5$" <<<"$symbols"; then
        echo "perf/gate.sh: FAIL: $loop is not specialized on PassthroughSession in the release ringgate" >&2
        exit 1
    fi
done
# Policy decisions allocate nothing in the release build (the ns per decision are printed, not judged).
"$bin/bench" policy --check --seconds 0.5
exec "$bin/bench" gate --baseline "$root/perf/baselines/tcp.json" --no-build-ringgate "$@"
