#!/usr/bin/env bash
# Benchmark `prezero compare`: six policies on one >= 1 M-event capture in one run, against one
# policy's `prezero replay` on the same trace. Target (issue 4): <= 2.5x, on 2 cores.
#
# usage: tools/bench-compare.sh [TRACE]   (default: the capture tools/bench-stat.sh makes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
trace=${1:-${TMPDIR:-/tmp}/prezero-bench/gcc-10s.perf.txt.zst}
[ -f "$trace" ] || { echo "bench-compare.sh: $trace missing (run tools/bench-stat.sh first, or pass a trace)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench-compare.sh: hyperfine not found (apt-get install hyperfine)" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
p="$root/.build/release/prezero"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
six=zero-on-fault,kscrubd-v4,kscrubd-v8,init-on-free,idle-zero,oracle
json="$out/h.json"
hyperfine -N --warmup 1 --runs 3 --export-json "$json" \
    -n one "$p replay $trace --policy kscrubd-v4" \
    -n six "$p compare $trace --policies $six -o $out/report.md" >/dev/null 2>&1
python3 - "$json" "$(nproc)" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
ratio = r["six"] / r["one"]
print(f"one policy (replay kscrubd-v4): {r['one']:.2f} s")
print(f"six policies (one compare):     {r['six']:.2f} s on {sys.argv[2]} cores")
print(f"ratio: {ratio:.2f}x (target <= 2.5x) {'ok' if ratio <= 2.5 else 'MISSED'}")
PY
