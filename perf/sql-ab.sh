#!/usr/bin/env bash
# In-process A/B of the SQL classifier: the working tree's Sources/Codecs against REF's.
#
# Usage: perf/sql-ab.sh [REF [ROUNDS]]     (REF defaults to HEAD, ROUNDS to 400)
#        SQL_AB_ALIGN=1 perf/sql-ab.sh ...  (every function aligned to 64 bytes, see below)
#
# Single runs on a shared host swing up to 2x, and where a function lands in the binary moves
# it by 5% or more, so this builds perf/sql-ab twice: once with REF in slot A and the working
# tree in slot B, once swapped. Each run alternates the slots round by round in one process
# and reports the per-round ratio B/A; the slot bias cancels in the geometric mean of the two
# orders: new/base = sqrt(r1 / r2), bias = sqrt(r1 * r2) (r = the p50 of B/A). With
# SQL_AB_ALIGN=1 both slots' functions start on 64-byte boundaries, which removed most of that
# bias here (0.99-1.01 against 1.03), at the price of measuring a layout the release build
# does not have.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-HEAD}
rounds=${2:-400}
package=$root/perf/sql-ab
base=${TMPDIR:-/tmp}/ringgate-sql-ab-base
revision=$(git -C "$root" rev-parse --verify "$ref^{commit}")
if [ -e "$base/.git" ]; then
    git -C "$base" checkout -q --detach "$revision"
else
    rm -rf "$base"
    git -C "$root" worktree add -q --detach "$base" "$revision"
fi

run() {  # slot A's Codecs, slot B's Codecs
    ln -sfn "$1" "$package/Sources/SlotA"
    ln -sfn "$2" "$package/Sources/SlotB"
    if ! swift build -c release --manifest-cache none --package-path "$package" > "$package/.build-log" 2>&1; then
        grep -E "error" "$package/.build-log" >&2 || cat "$package/.build-log" >&2
        echo "sql-ab: the build failed" >&2
        exit 1
    fi
    "$package/.build/release/sql-ab" "$rounds"
}

echo "sql-ab: base $ref ($revision), new = working tree, $rounds rounds per order, SQL_AB_ALIGN=${SQL_AB_ALIGN:-0}"
echo "order 1: A = base, B = new"
first=$(run "$base/Sources/Codecs" "$root/Sources/Codecs") || exit 1
echo "$first"
echo "order 2: A = new, B = base"
second=$(run "$root/Sources/Codecs" "$base/Sources/Codecs") || exit 1
echo "$second"
p50() {  # a run's output, a text's name: that text's p50 of B/A
    echo "$1" | grep "^$2:" | sed -E 's/.*B\/A p25 [0-9.]+ p50 ([0-9.]+).*/\1/'
}
for text in join script insert; do
    r1=$(p50 "$first" "$text")
    r2=$(p50 "$second" "$text")
    awk -v t="$text" -v a="$r1" -v b="$r2" 'BEGIN { printf "%s: new/base %.3f (slot bias %.3f)\n", t, sqrt(a / b), sqrt(a * b) }'
done
