#!/usr/bin/env bash
# CI gate for the micro-benchmarks in Benchmarks/ (a nested SwiftPM package using
# ordo-one/benchmark 1.38.1 with its MallocInterposer trait).
#
#   scripts/bench-check.sh            # run every benchmark, check static p90 thresholds
#   scripts/bench-check.sh ScanMask   # only one benchmark target
#
# Each benchmark has Benchmarks/Thresholds/<Target>.<Benchmark>.p90.json, today holding
# {"mallocCountTotal": 0}: the check fails (exit 2) when a benchmark allocates at p90, and
# reports (exit 4, treated as success here) when a metric is better than its threshold.
# Only deterministic counts are gated, never time: the machines CI runs on are noisy.
# Benchmark names must not contain '/' (it breaks the threshold file lookup).
#
# Printing throughput (not gated), release build, from the repository root:
#   swift package --package-path Benchmarks benchmark --target ScanMask
#   swift package --package-path Benchmarks benchmark --target ScanMask --format markdown
# The table shows throughput (# / s, one iteration = 1 MiB, so the value is MiB/s) and
# wall-clock time per MiB; compare numbers only within one run on one machine.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
args=(thresholds check --path "$root/Benchmarks/Thresholds" --no-progress)
if [[ $# -ge 1 ]]; then
    args+=(--target "$1")
fi

swift package --package-path "$root/Benchmarks" benchmark "${args[@]}"
status=$?
case $status in
    0) echo "bench-check: all benchmarks equal to their thresholds" ;;
    4) echo "bench-check: benchmarks better than their thresholds (update Benchmarks/Thresholds)"; status=0 ;;
    *) echo "bench-check: FAILED (exit $status)" ;;
esac
exit $status
