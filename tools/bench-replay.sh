#!/usr/bin/env bash
# Benchmark `prezero replay` (release build): one policy with the cache model on a >= 1 M-event
# real capture, on the 24 GiB epyc-zen5-vm profile. Prints the median time of RUNS runs (default
# 5), events/s at the median, and peak RSS.
# Targets (issue 3): >= 5 M events/s, <= 150 MB peak RSS whatever the trace length.
#
# usage: tools/bench-replay.sh [TRACE] [POLICY...]
#   TRACE defaults to the capture tools/bench-stat.sh makes ($TMPDIR/prezero-bench/gcc-10s.perf.txt.zst).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/bin/time ] || { echo "bench-replay.sh: GNU time not found (apt-get install time)" >&2; exit 1; }
trace=${1:-${TMPDIR:-/tmp}/prezero-bench/gcc-10s.perf.txt.zst}
shift || true
policies=("${@:-zero-on-fault kscrubd-v4}")
[ -f "$trace" ] || { echo "bench-replay.sh: $trace missing (run tools/bench-stat.sh first, or pass a trace)" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
prezero="$root/.build/release/prezero"
lines=$(zstd -dcf "$trace" | wc -l)
echo "trace: $trace ($lines lines)"
stat_s=$( { /usr/bin/time -f %e "$prezero" stat "$trace" >/dev/null; } 2>&1 | tail -1)
echo "stat (parse only): ${stat_s} s"
# Each policy runs RUNS times (default 5); the median time counts (a shared VM drifts).
runs=${RUNS:-5}
for policy in ${policies[*]}; do
    results=()
    for _ in $(seq "$runs"); do
        results+=("$( { /usr/bin/time -f "%e %M" "$prezero" replay "$trace" --policy "$policy" --profile epyc-zen5-vm >/dev/null; } 2>&1 | tail -1)")
    done
    printf '%s\n' "${results[@]}" | sort -n | awk -v p="$policy" -v n="$lines" -v runs="$runs" '
        { s[NR] = $1; if ($2 > kb) kb = $2 }
        END {
            med = s[int((NR + 1) / 2)]; eps = n / med / 1e6; mb = kb / 1024
            printf "%-16s median %5.2f s of %d (%.2f-%.2f)  %5.2f M events/s (target >= 5: %s)  peak RSS %5.1f MB (target <= 150: %s)\n",
                p, med, runs, s[1], s[NR], eps, (eps >= 5 ? "ok" : "MISSED"), mb, (mb <= 150 ? "ok" : "MISSED") }'
done
