#!/usr/bin/env bash
# Benchmark the replay (release build) as issue 14 measures it, on the >= 1 M-event capture
# tools/bench-stat.sh makes (or TRACE), converted to .pzt so decoding costs little:
#   - every policy's replay: median of RUNS (default 5) with min-max, events/s, peak RSS
#     (goal >= 5 M events/s each);
#   - a tiny trace's replay (its first 300 lines): time and peak RSS (goal <= 20 ms, <= 20 MB),
#     and, for one run, its RSS split into anon and file-backed pages (PREZERO_MEMORY_REPORT=1),
#     beside `prezero --version` (the process alone);
#   - six policies in one compare against one replay: wall time and peak RSS (goals <= 2x the
#     replay's RSS, <= (6 / cores + 1) x its time).
#
# usage: tools/bench-policies.sh [TRACE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/bin/time ] || { echo "bench-policies.sh: GNU time not found (apt-get install time)" >&2; exit 1; }
trace=${1:-${TMPDIR:-/tmp}/prezero-bench/gcc-10s.perf.txt.zst}
[ -f "$trace" ] || { echo "bench-policies.sh: $trace missing (run tools/bench-stat.sh first, or pass a trace)" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
p="$root/.build/release/prezero"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PREZERO_CONFIG_DIR="$work/config"   # the built-in profile, not a calibrated host
"$p" convert "$trace" -o "$work/trace.pzt" >/dev/null 2>&1
events=$("$p" stat "$work/trace.pzt" --count-only)
runs=${RUNS:-5}
echo "trace: $trace ($events events, as .pzt); $(nproc) cores; median of $runs runs (min-max)"
timed() {  # prints "seconds kb" of one run (a tiny trace's replay exits 4: no verdict)
    { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null || true; } | tail -1
}
summary() {  # NAME EVENTS, reads "seconds kb" lines
    sort -n | awk -v name="$1" -v n="$2" '{ s[NR] = $1; if ($2 > kb) kb = $2 }
        END { med = s[int((NR + 1) / 2)]; printf "%-18s %6.3f s (%.3f-%.3f)  %6.2f M events/s  peak RSS %6.1f MB\n",
              name, med, s[1], s[NR], (n > 0 && med > 0 ? n / med / 1e6 : 0), kb / 1024 }'
}
policies=$("$p" policies | sed -n 's/^### //p')
[ "${SKIP_POLICIES:-0}" = 1 ] && policies=""
for policy in $policies; do
    for _ in $(seq "$runs"); do timed "$p" replay "$work/trace.pzt" --policy "$policy"; done | summary "$policy" "$events"
done
{ zstd -dcf "$trace" 2>/dev/null || true; } | head -300 > "$work/tiny.txt"
echo "tiny trace (300 lines) and the process alone:"
for _ in $(seq "$runs"); do timed "$p" replay "$work/tiny.txt"; done | summary "  replay tiny" 0
for _ in $(seq "$runs"); do timed "$p" --version; done | summary "  --version" 0
# What the tiny replay's RSS is made of: memory prezero allocated (anon) or the binary's pages the
# kernel mapped (file).
PREZERO_MEMORY_REPORT=1 "$p" replay "$work/tiny.txt" 2>&1 >/dev/null | sed -n 's/^prezero memory: /  replay tiny, one run: /p'
six=zero-on-fault,kscrubd-v4,kscrubd-v8,init-on-free,idle-zero,oracle
echo "six policies in one compare against one replay (kscrubd-v4), from the .pzt:"
for _ in $(seq "$runs"); do timed "$p" replay "$work/trace.pzt" --policy kscrubd-v4; done | summary "  one replay" "$events" | tee "$work/one"
for _ in $(seq "$runs"); do timed "$p" compare "$work/trace.pzt" --policies "$six" --sensitivity off -o "$work/report.md"; done | summary "  compare of 6" "$events" | tee "$work/six"
python3 - "$work/one" "$work/six" "$(nproc)" <<'PY'
import re, sys
def read(path):
    text = open(path).read()
    return float(re.search(r"(\d+\.\d+) s", text).group(1)), float(re.search(r"RSS +([\d.]+) MB", text).group(1))
(t1, m1), (t6, m6), cores = read(sys.argv[1]), read(sys.argv[2]), int(sys.argv[3])
print(f"  time {t6 / t1:.2f}x one replay (goal <= {6 / cores + 1:.1f}x), peak RSS {m6 / m1:.2f}x (goal <= 2x)")
PY
