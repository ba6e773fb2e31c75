#!/usr/bin/env bash
# Benchmark a compare of every policy with verdict ranges (issue 12, item 4; release build)
# against one replay, on a ~1.5 M-event real capture: wall time (median of RUNS, default 3,
# with min-max) and peak RSS. Goals: <= 15x one replay's wall time on 2 cores, <= 1.5 GB.
# Also the same compare with --sensitivity off, for what the ranges add.
# The commands run in rounds (one of each, in turn), and each round's ratio is its compare
# against its own replay: on this project's VM one command varies 20-30 % from run to run, so
# runs of one command after the other's would compare two states of the machine.
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
[ "$runs" -ge 1 ] 2>/dev/null || { echo "bench-sensitivity.sh: RUNS must be a positive number" >&2; exit 2; }
echo "trace: $trace ($events events); $(nproc) cores; median of $runs runs (min-max)"
timed() { { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null || true; } | tail -1; }
names=("one replay (zero-on-fault)" "one replay (kscrubd-v4)" "compare, 8 policies, no ranges" "compare, 8 policies, with ranges")
for round in $(seq "$runs"); do
    echo "0 $(timed "$p" replay "$trace" --policy zero-on-fault)" >>"$work/times"
    echo "1 $(timed "$p" replay "$trace" --policy kscrubd-v4)" >>"$work/times"
    echo "2 $(timed "$p" compare "$trace" --sensitivity off -o "$work/off.md")" >>"$work/times"
    echo "3 $(timed "$p" compare "$trace" -o "$work/on.md" --json "$work/on.json")" >>"$work/times"
    [ -t 2 ] && echo "round $round of $runs done" >&2
done
replays=$(grep -o '"verdict"' "$work/on.json" | wc -l)
python3 - "$work/times" "${names[@]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
names = sys.argv[2:]
bad = [r for r in rows if len(r) != 3]
if bad or {r[0] for r in rows} != {"0", "1", "2", "3"}:
    sys.exit(f"bench-sensitivity.sh: a command gave no time (rows {bad}); run it by hand to see why")
seconds = {k: [float(r[1]) for r in rows if r[0] == str(k)] for k in range(4)}
kb = {k: max(int(r[2]) for r in rows if r[0] == str(k)) for k in range(4)}
for k, name in enumerate(names):
    s = seconds[k]
    print(f"{name:<34} {statistics.median(s):7.2f} s ({min(s):.2f}-{max(s):.2f})  peak RSS {kb[k] / 1024:7.1f} MB")
for k, base in ((0, names[0]), (1, names[1])):
    ratios = [on / one for on, one in zip(seconds[3], seconds[k])]
    print(f"with ranges / {base}: {statistics.median(ratios):.1f}x wall time, each round's own ratio "
          f"({min(ratios):.1f}-{max(ratios):.1f}x over {len(ratios)} rounds; goal <= 15x)")
print(f"with ranges: peak RSS {kb[3] / 1024:.0f} MB (goal <= 1536 MB)")
PY
echo "verdicts with a range: $replays"
