#!/usr/bin/env bash
# Benchmark `prezero stat` (release build) on a >= 1 M-event real capture against
# `zstd -dc FILE > /dev/null` and `perf kmem --page stat` on the same perf.data.
# Prints both ratios and prezero's peak RSS. Targets: <= 0.5x perf kmem, <= 4x zstd -dc, <= 100 MB.
#
# usage: tools/bench-stat.sh [NAME]
#   NAME.perf.data and NAME.perf.txt.zst from `tools/capture-perf.sh --keep-data -o NAME -- ...`.
#   Without NAME, captures a fresh one: 10 s of gcc -O2 on the lz4 sources (needs root and perf).
# Needs hyperfine and GNU time (Debian: apt-get install hyperfine time).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine zstd perf; do
    command -v "$tool" >/dev/null || { echo "bench-stat.sh: $tool not found" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-stat.sh: GNU time not found (apt-get install time)" >&2; exit 1; }

name=${1:-}
if [ -z "$name" ]; then
    work=${TMPDIR:-/tmp}/prezero-bench
    mkdir -p "$work/src"
    name="$work/gcc-10s"
    if [ ! -f "$name.perf.data" ]; then
        (cd "$work/src" && pip download -q --no-binary :all: --no-deps lz4==4.4.5 -d . >/dev/null && tar xzf lz4-4.4.5.tar.gz)
        (cd "$work/src/lz4-4.4.5/lz4libs" && "$root/tools/capture-perf.sh" --keep-data -l 3 -o "$name" -- \
            sh -c 'end=$(($(date +%s)+10)); while [ $(date +%s) -lt $end ]; do ls *.c | xargs -P 2 -I{} gcc -O2 -c {} -o /dev/null; done')
    fi
fi
trace="$name.perf.txt.zst"
data="$name.perf.data"
[ -f "$trace" ] && [ -f "$data" ] || { echo "bench-stat.sh: need $trace and $data" >&2; exit 1; }

(cd "$root" && swift build -c release >/dev/null)
prezero="$root/.build/release/prezero"
lines=$(zstd -dc "$trace" | wc -l)
echo "capture: $trace ($lines lines, $(du -h "$trace" | cut -f1) compressed)"
[ "$lines" -ge 1000000 ] || echo "warning: fewer than 1 M events; the targets are for >= 1 M"

json=$(mktemp)
trap 'rm -f "$json"' EXIT
hyperfine -N --warmup 1 --runs 5 --export-json "$json" \
    -n prezero "$prezero stat $trace" \
    -n zstd "zstd -dc $trace" \
    -n perf-kmem "perf kmem -i $data --page stat" >/dev/null 2>&1
rss_kb=$(/usr/bin/time -f %M "$prezero" stat "$trace" 2>&1 >/dev/null | tail -1)

python3 - "$json" "$rss_kb" "$lines" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
rss_mb = int(sys.argv[2]) / 1024
lines = int(sys.argv[3])
p, z, k = (runs[n]["median"] for n in ("prezero", "zstd", "perf-kmem"))
print(f"prezero stat     : {p:.3f} s median of 5 ({lines / p / 1e6:.1f} M lines/s)")
print(f"zstd -dc         : {z:.3f} s")
print(f"perf kmem --page : {k:.3f} s")
print(f"prezero / perf kmem : {p / k:.2f}x   (target <= 0.5x)  {'ok' if p / k <= 0.5 else 'MISSED'}")
print(f"prezero / zstd -dc  : {p / z:.2f}x   (target <= 4x)    {'ok' if p / z <= 4 else 'MISSED'}")
print(f"prezero peak RSS    : {rss_mb:.1f} MB (target <= 100 MB) {'ok' if rss_mb <= 100 else 'MISSED'}")
PY
