#!/usr/bin/env bash
# Benchmark `prezero compare`: six policies on one >= 1 M-event capture in one run, against one
# policy's `prezero replay` on the same trace. Target (issue 4): <= 2.5x, on 2 cores.
#
# The two commands alternate (RUNS times each, after one warm-up of each), so drift in a shared
# VM's speed hits both alike; the ratio is of the medians.
#
# usage: tools/bench-compare.sh [TRACE] [RUNS]   (default: the capture tools/bench-stat.sh makes; 5)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
trace=${1:-${TMPDIR:-/tmp}/prezero-bench/gcc-10s.perf.txt.zst}
runs=${2:-5}
[ -f "$trace" ] || { echo "bench-compare.sh: $trace missing (run tools/bench-stat.sh first, or pass a trace)" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
p="$root/.build/release/prezero"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 - "$p" "$trace" "$out" "$runs" "$(nproc)" <<'PY'
import statistics, subprocess, sys, time
prezero, trace, out, runs, cores = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
six = "zero-on-fault,kscrubd-v4,kscrubd-v8,init-on-free,idle-zero,oracle"
commands = {
    "one": [prezero, "replay", trace, "--policy", "kscrubd-v4"],
    "six": [prezero, "compare", trace, "--policies", six, "--sensitivity", "off", "-o", f"{out}/report.md"],
}
def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
for cmd in commands.values():
    timed(cmd)  # warm-up: page cache, binary
times = {name: [] for name in commands}
for _ in range(runs):
    for name, cmd in commands.items():
        times[name].append(timed(cmd))
one, sixt = statistics.median(times["one"]), statistics.median(times["six"])
ratio = sixt / one
print(f"one policy (replay kscrubd-v4): median {one:.2f} s of {runs} ({min(times['one']):.2f}-{max(times['one']):.2f})")
print(f"six policies (one compare):     median {sixt:.2f} s of {runs} ({min(times['six']):.2f}-{max(times['six']):.2f}) on {cores} cores")
print(f"ratio: {ratio:.2f}x (target <= 2.5x) {'ok' if ratio <= 2.5 else 'MISSED'}")
PY
