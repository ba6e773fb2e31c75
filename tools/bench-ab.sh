#!/usr/bin/env bash
# Two commands timed in turn, N times each (A, B, A, B, ...), so both see the same state of the
# machine: on this project's VM one command varies by 20-30 % from run to run, and memory left
# free is reclaimed by the host, so back-to-back runs of one command then the other mislead.
# Prints each command's median and min-max wall time.
#
# usage: tools/bench-ab.sh N 'COMMAND A' 'COMMAND B'
#   e.g. tools/bench-ab.sh 21 '/tmp/old/prezero stat t.perf.txt.zst' '.build/release/prezero stat t.perf.txt.zst'
set -euo pipefail
[ $# = 3 ] || { echo "usage: tools/bench-ab.sh N 'COMMAND A' 'COMMAND B'" >&2; exit 2; }
runs=$1 a=$2 b=$3
times_a=() times_b=()
now() { date +%s.%N; }
for _ in $(seq "$runs"); do
    for which in a b; do
        cmd=$([ "$which" = a ] && echo "$a" || echo "$b")
        start=$(now)
        bash -c "$cmd" >/dev/null 2>&1 || { echo "bench-ab.sh: '$cmd' failed" >&2; exit 1; }
        end=$(now)
        t=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }')
        if [ "$which" = a ]; then times_a+=("$t"); else times_b+=("$t"); fi
    done
done
summary() {  # NAME, times on stdin
    sort -n | awk -v name="$1" '{ v[NR] = $1 } END { printf "%s  median %.3f s (%.3f-%.3f), %d runs\n", name, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}
printf '%s\n' "${times_a[@]}" | summary "A: $a"
printf '%s\n' "${times_b[@]}" | summary "B: $b"
