#!/usr/bin/env bash
# CI gate for the micro-benchmarks in Benchmarks/ (a nested SwiftPM package using
# ordo-one/benchmark 1.38.1 with its MallocInterposer trait).
#
#   scripts/bench-check.sh            # run every benchmark target, check static p90 thresholds
#   scripts/bench-check.sh ScanMask   # only one benchmark target
#
# Targets: ScanMask, DataRowDecode, SQLClassify (`thresholds check`
# without --target runs every executable target the plugin discovers, so a new target is
# checked without changing this script). The plugin silently skips a benchmark that has
# no threshold file, so the script first lists every benchmark and fails on a missing one.
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
#   swift package --package-path Benchmarks benchmark     # every target
# Units per target are in Benchmarks/README.md; compare numbers only within one run on
# one machine.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
args=(thresholds check --path "$root/Benchmarks/Thresholds" --no-progress)
if [[ $# -ge 1 ]]; then
    args+=(--target "$1")
fi

# `thresholds check` silently skips a benchmark without a threshold file: list every
# benchmark first (this also builds them) and fail when one has no file.
listing=$(swift package --package-path "$root/Benchmarks" benchmark list 2>&1) || {
    echo "$listing" >&2
    echo "bench-check: FAILED (could not list the benchmarks)"
    exit 1
}
target_header="^Target '([A-Za-z0-9_]+)' available benchmarks:$"
missing=()
count=0
current=""
while IFS= read -r line; do
    if [[ "$line" =~ $target_header ]]; then
        current=${BASH_REMATCH[1]}
    elif [[ -z "$line" ]]; then
        current=""
    elif [[ -n "$current" && ( $# -eq 0 || "$current" == "$1" ) ]]; then
        count=$((count + 1))
        [[ -f "$root/Benchmarks/Thresholds/$current.$line.p90.json" ]] || missing+=("$current.$line")
    fi
done <<< "$listing"
if [[ $count -eq 0 ]]; then
    echo "bench-check: FAILED (no benchmarks found)"
    exit 1
fi
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "bench-check: FAILED: no Benchmarks/Thresholds/<Target>.<Benchmark>.p90.json for: ${missing[*]}"
    exit 1
fi
echo "bench-check: $count benchmarks, each with a threshold file"

swift package --package-path "$root/Benchmarks" benchmark "${args[@]}"
status=$?
case $status in
    0) echo "bench-check: all benchmarks equal to their thresholds" ;;
    4) echo "bench-check: benchmarks better than their thresholds (update Benchmarks/Thresholds)"; status=0 ;;
    *) echo "bench-check: FAILED (exit $status)" ;;
esac
exit $status
