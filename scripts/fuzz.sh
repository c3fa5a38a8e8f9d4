#!/usr/bin/env bash
# Builds and runs one libFuzzer harness for a bounded time.
#
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   scripts/fuzz.sh all [SECONDS] [extra libFuzzer flags...]   # every fuzz/*.swift in turn
#
# TARGET names fuzz/TARGET.swift: a file that defines
#   @_cdecl("LLVMFuzzerTestOneInput") func ...(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt
# It is compiled with every Swift file under Sources/Codecs into ONE module (so it uses
# Codecs types without `import Codecs`, internal ones included), with
# `swiftc -sanitize=fuzzer,address`, at -Onone so the standard library's bounds checks on
# unsafe buffer subscripts stay on next to AddressSanitizer. A new harness is one new file
# in fuzz/ (plus optional seed inputs in fuzz/seeds/TARGET/); nothing here changes.
#
# The run stops after SECONDS (default 60) or at the first crash, leak, timeout (10 s per
# input) or RSS over 2 GiB; exit status is libFuzzer's (0 = clean). The growing corpus
# lives in .build/fuzz/TARGET-corpus (not committed); crash inputs land in .build/fuzz/.
# Environment: FUZZ_OPT (default -Onone), FUZZ_MAX_LEN (default 4096), FUZZ_JOBS.
# See fuzz/README.md for longer runs.
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 TARGET [SECONDS] [libFuzzer flags...]" >&2
    echo "targets: $(cd "$(dirname "$0")/../fuzz" && ls *.swift 2>/dev/null | sed 's/\.swift$//' | tr '\n' ' ')" >&2
    exit 64
fi
target=$1
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))

root=$(cd "$(dirname "$0")/.." && pwd)

# `all`: run every harness for SECONDS each, one after the other; exit non-zero when any
# target fails (all are run regardless, so one report covers every harness).
if [[ "$target" == all ]]; then
    failed=()
    for file in "$root"/fuzz/*.swift; do
        name=$(basename "$file" .swift)
        echo "fuzz.sh: === $name ===" >&2
        if ! "$0" "$name" "$seconds" "$@"; then failed+=("$name"); fi
    done
    if [[ ${#failed[@]} -gt 0 ]]; then
        echo "fuzz.sh: FAILED: ${failed[*]}" >&2
        exit 1
    fi
    echo "fuzz.sh: all targets clean" >&2
    exit 0
fi

harness="$root/fuzz/$target.swift"
if [[ ! -f "$harness" ]]; then
    echo "no harness $harness" >&2
    exit 64
fi
[[ "$target" =~ ^[A-Za-z][A-Za-z0-9_]*$ ]] || { echo "target name must be an identifier" >&2; exit 64; }

out="$root/.build/fuzz"
mkdir -p "$out/$target-corpus" "$out/$target-artifacts"
binary="$out/$target"

mapfile -t sources < <(find "$root/Sources/Codecs" -name '*.swift' | sort)
# swiftc refuses two files with the same name in one module (fuzz/SQLLexer.swift next to
# Sources/Codecs/SQL/SQLLexer.swift): compile a copy of the harness under a unique name.
cp "$harness" "$out/FuzzHarness_$target.swift"
harness="$out/FuzzHarness_$target.swift"
echo "fuzz.sh: building $target (${#sources[@]} Codecs sources + harness)" >&2
# Compile inside the output folder so no intermediate file lands in the work tree.
(cd "$out" && swiftc -sanitize=fuzzer,address -parse-as-library "${FUZZ_OPT:--Onone}" -g \
    -swift-version 6 -enable-experimental-feature Lifetimes \
    -module-name "Fuzz$target" -package-name RingGateFuzz \
    "${sources[@]}" "$harness" -o "$binary")

corpora=("$out/$target-corpus")
[[ -d "$root/fuzz/seeds/$target" ]] && corpora+=("$root/fuzz/seeds/$target")

echo "fuzz.sh: running $target for ${seconds}s" >&2
exec "$binary" \
    -max_total_time="$seconds" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len="${FUZZ_MAX_LEN:-4096}" \
    -print_final_stats=1 \
    -artifact_prefix="$out/$target-artifacts/" \
    ${FUZZ_JOBS:+-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS"} \
    "$@" \
    "${corpora[@]}"
