#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs the unit, property and
# real-server integration tests (PostgreSQL 15, psql, psycopg), PostgreSQL's own regression
# suite direct vs through the gateway, bounded fuzzing, the zero-allocation micro-benchmark
# gates, the latency gate on side-by-side ratios, and the demo's smoke test.
# Usage: scripts/test.sh            (RINGGATE_FUZZ_SECONDS, default 20 per fuzz target)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "dependencies"
scripts/install-deps.sh

step "PostgreSQL 15 regression suite (classifier differential test, conformance)"
scripts/fetch-pg-regress.sh

step "build (debug, with tests)"
swift build --build-tests

step "tests"
swift test --skip-build

step "conformance: PostgreSQL 15's regression suite, direct vs through ringgate serve (debug build)"
scripts/pg-regress-conformance.sh "$(swift build --show-bin-path)/ringgate"

step "fuzzing, ${RINGGATE_FUZZ_SECONDS:-20} s per target"
scripts/fuzz.sh all "${RINGGATE_FUZZ_SECONDS:-20}"

step "micro-benchmark gates (0 allocations per operation)"
scripts/bench-check.sh

step "latency gate (ratios against direct and haproxy, measured in one run)"
perf/gate.sh

step "the README's first command, as a smoke test (scripts/demo.sh --smoke, release build)"
scripts/demo.sh --smoke

step "done"
