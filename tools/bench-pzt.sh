#!/usr/bin/env bash
# Benchmark the native format: size against zstd-compressed text at the same level, on the
# bundled kernel captures, and decoding speed on a >= 1 M-event capture.
# Targets (issue 5): >= 2x smaller, >= 20 M events/s read in a release build.
#
# usage: tools/bench-pzt.sh [BIG_TRACE]   (default: the capture tools/bench-stat.sh makes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
(cd "$root" && swift build -c release >/dev/null)
p="$root/.build/release/prezero"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
level=19
echo "size at zstd level $level (text recompressed at the same level):"
for t in "$root"/traces/*.perf.txt.zst "$root"/traces/*.ftrace.txt.zst; do
    n=$(basename "$t")
    zstd -dc "$t" | zstd -q -$level -T0 > "$work/$n"
    "$p" convert "$t" -o "$work/$n.pzt" --level $level 2>/dev/null
    a=$(stat -c %s "$work/$n"); b=$(stat -c %s "$work/$n.pzt")
    awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN { r = a / b; printf "  %-34s text %9d B  pzt %9d B  %.2fx %s\n", n, a, b, r, (r >= 2 ? "ok" : "MISSED") }'
done
big=${1:-${TMPDIR:-/tmp}/prezero-bench/gcc-10s.perf.txt.zst}
if [ -f "$big" ]; then
    "$p" convert "$big" -o "$work/big.pzt" --level 3 2>/dev/null
    events=$("$p" stat "$work/big.pzt" --count-only)
    s=$( { /usr/bin/time -f %e "$p" stat "$work/big.pzt" --count-only >/dev/null; } 2>&1 | tail -1)
    awk -v e="$events" -v s="$s" 'BEGIN { r = e / s / 1e6; printf "read: %d events in %.2f s = %.1f M events/s (target >= 20: %s)\n", e, s, r, (r >= 20 ? "ok" : "MISSED") }'
else
    echo "read speed: no >= 1 M-event capture at $big (run tools/bench-stat.sh first, or pass one)"
fi
