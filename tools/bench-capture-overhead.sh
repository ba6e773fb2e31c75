#!/usr/bin/env bash
# What recording costs the traced program: its wall time untraced, under `perf record` of the
# events tools/capture-perf.sh records without kmem:rss_stat, and with it, in interleaved rounds
# (this VM drifts), as medians with min-max. The program is tools/workloads/fault-paths.c in its
# dontneed mode (8 rounds of faulting every page of MIB MiB): fault-bound, so this is the worst
# case; a program that faults less pays less.
#
# usage: tools/bench-capture-overhead.sh [ROUNDS (default 7)] [MIB (default 64)]   (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tracefs.sh"
rounds=${1:-7} mib=${2:-64}
command -v perf >/dev/null || { echo "bench-capture-overhead.sh: perf not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -pthread -o "$tmp/fault-paths" "$here/workloads/fault-paths.c"
require_tracefs bench-capture-overhead.sh
all=$(available_events bench-capture-overhead.sh)
case ",$all," in *,kmem:rss_stat,*) ;; *) echo "bench-capture-overhead.sh: this kernel has no kmem:rss_stat; nothing to compare" >&2; exit 1;; esac
base=$(without_events "$all" rss_stat)
# The program's own time, in ms, so perf's start and stop are not in it.
timed="s=\$(date +%s%N); $tmp/fault-paths dontneed $mib >/dev/null; echo \$(( (\$(date +%s%N) - s) / 1000000 ))"
for ((r = 0; r < rounds; r++)); do
    echo "untraced $(sh -c "$timed")"
    echo "traced $(perf record -q -a -e "$base" -o "$tmp/p.data" -- sh -c "$timed" 2>/dev/null)"
    echo "traced+rss_stat $(perf record -q -a -e "$all" -o "$tmp/p.data" -- sh -c "$timed" 2>/dev/null)"
done >"$tmp/times"
# A failed perf record leaves a line without its time: say so rather than time nothing.
if awk 'NF != 2 || $2 !~ /^[0-9]+$/ { bad = 1 } END { exit !bad }' "$tmp/times"; then
    echo "bench-capture-overhead.sh: a run gave no time (did perf record fail?):" >&2
    cat "$tmp/times" >&2
    exit 1
fi
python3 - "$tmp/times" "$rounds" "$mib" <<'PY'
import statistics, sys
times = {}
for line in open(sys.argv[1]):
    name, ms = line.split()
    times.setdefault(name, []).append(int(ms))
print(f"fault-paths dontneed {sys.argv[3]}: {sys.argv[2]} rounds, program wall time in ms, median (min-max)")
base = statistics.median(times["untraced"])
for name in ("untraced", "traced", "traced+rss_stat"):
    t = times[name]
    m = statistics.median(t)
    print(f"  {name:16} {m:7.0f} ({min(t)}-{max(t)})  {m / base:.2f}x untraced")
print(f"  kmem:rss_stat adds {statistics.median(times['traced+rss_stat']) / statistics.median(times['traced']) - 1:+.0%} to the traced run")
PY
