#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, and runs unit, integration (real
# PostgreSQL), fuzz-smoke and allocation-gate tests. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# PostgreSQL 15's own regression SQL: the corpus of the classifier's differential test.
if [ -x scripts/fetch-pg-regress.sh ]; then
    scripts/fetch-pg-regress.sh
fi

swift build --build-tests
swift test --skip-build

# Bounded fuzzing of every libFuzzer harness (scripts/fuzz.sh documents longer runs).
if [ -x scripts/fuzz.sh ]; then
    scripts/fuzz.sh all "${RINGGATE_FUZZ_SECONDS:-20}"
fi

# Micro-benchmark gates: zero allocations per operation (ordo-one/benchmark thresholds).
if [ -x scripts/bench-check.sh ]; then
    scripts/bench-check.sh
fi
