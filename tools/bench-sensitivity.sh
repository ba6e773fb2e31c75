#!/usr/bin/env bash
# Benchmark a compare of every policy with verdict ranges (issue 12, item 4; release build)
# against one replay, on a ~1.5 M-event real capture: wall time (median of RUNS, default 3,
# with min-max) and peak RSS. Goals: <= 15x one replay's wall time on 2 cores, <= 1.5 GB.
# Also the same compare with --sensitivity off, for what the ranges add.
#
# usage: tools/bench-sensitivity.sh [TRACE]
#   Without TRACE, captures one: 15 s of gcc -O2 on the lz4 sources (needs root and perf), kept
#   in ${TMPDIR:-/tmp}/prezero-bench/gcc-15s.perf.txt.zst.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/bin/time ] || { echo "bench-sensitivity.sh: GNU time not found (apt-get install time)" >&2; exit 1; }
trace=${1:-}
if [ -z "$trace" ]; then
    bench=${TMPDIR:-/tmp}/prezero-bench
    trace="$bench/gcc-15s.perf.txt.zst"
    if [ ! -f "$trace" ]; then
        mkdir -p "$bench/src"
        [ -d "$bench/src/lz4-4.4.5" ] || (cd "$bench/src" && pip download -q --no-binary :all: --no-deps lz4==4.4.5 -d . >/dev/null && tar xzf lz4-4.4.5.tar.gz)
        (cd "$bench/src/lz4-4.4.5/lz4libs" && "$root/tools/capture-perf.sh" -l 3 -o "$bench/gcc-15s" -- \
            sh -c 'end=$(($(date +%s)+15)); while [ $(date +%s) -lt $end ]; do ls *.c | xargs -P 2 -I{} gcc -O2 -c {} -o /dev/null; done')
    fi
fi
[ -f "$trace" ] || { echo "bench-sensitivity.sh: $trace missing" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
p="$root/.build/release/prezero"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PREZERO_CONFIG_DIR="$work/config"   # the built-in profile, not a calibrated host
events=$("$p" stat "$trace" --count-only)
runs=${RUNS:-3}
echo "trace: $trace ($events events); $(nproc) cores; median of $runs runs (min-max)"
timed() { { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null || true; } | tail -1; }
summary() {  # NAME, reads "seconds kb" lines; prints "NAME median min max MB"
    sort -n | awk -v name="$1" '{ s[NR] = $1; if ($2 > kb) kb = $2 }
        END { printf "%-34s %7.2f s (%.2f-%.2f)  peak RSS %7.1f MB\n", name, s[int((NR + 1) / 2)], s[1], s[NR], kb / 1024 }'
}
for policy in zero-on-fault kscrubd-v4; do
    for _ in $(seq "$runs"); do timed "$p" replay "$trace" --policy "$policy"; done | summary "one replay ($policy)" | tee -a "$work/table"
done
for _ in $(seq "$runs"); do timed "$p" compare "$trace" --sensitivity off -o "$work/off.md"; done | summary "compare, 8 policies, no ranges" | tee -a "$work/table"
for _ in $(seq "$runs"); do timed "$p" compare "$trace" -o "$work/on.md" --json "$work/on.json"; done | summary "compare, 8 policies, with ranges" | tee -a "$work/table"
replays=$(grep -o '"verdict"' "$work/on.json" | wc -l)
python3 - "$work/table" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(.+?)\s+([\d.]+) s .*peak RSS\s+([\d.]+) MB", line)
    rows[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)))
on = rows["compare, 8 policies, with ranges"]
for base in ("one replay (zero-on-fault)", "one replay (kscrubd-v4)"):
    t, _ = rows[base]
    print(f"with ranges / {base}: {on[0] / t:.1f}x wall time (goal <= 15x)")
print(f"with ranges: peak RSS {on[1]:.0f} MB (goal <= 1536 MB)")
PY
echo "verdicts with a range: $replays"
