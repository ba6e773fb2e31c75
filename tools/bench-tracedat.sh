#!/usr/bin/env bash
# Benchmark reading trace-cmd's trace.dat (release build) on a >= 1 M-event real capture:
# `prezero stat` of the trace.dat (plain and zstd) against `trace-cmd report > /dev/null` on the
# same file, and `prezero stat` of its report text (zstd) against `zstd -dc`. Median of 5 runs
# (hyperfine, one warm-up), events/s at the median, and peak RSS.
#
# usage: tools/bench-tracedat.sh [NAME]
#   NAME.trace.dat.zst from `tools/capture-ftrace.sh --via trace-cmd -o NAME -- ...`. Without
#   NAME, captures one: 10 s of gcc -O2 on the lz4 sources, 256 MiB of ring buffer per CPU
#   (needs root, trace-cmd and tracefs).
# Needs hyperfine, zstd, trace-cmd and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine zstd trace-cmd; do
    command -v "$tool" >/dev/null || { echo "bench-tracedat.sh: $tool not found" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-tracedat.sh: GNU time not found (apt-get install time)" >&2; exit 1; }
name=${1:-}
if [ -z "$name" ]; then
    work=${TMPDIR:-/tmp}/prezero-bench
    mkdir -p "$work/src"
    name="$work/gcc-10s-tc"
    if [ ! -f "$name.trace.dat.zst" ]; then
        [ -d "$work/src/lz4-4.4.5" ] || (cd "$work/src" && pip download -q --no-binary :all: --no-deps lz4==4.4.5 -d . >/dev/null && tar xzf lz4-4.4.5.tar.gz)
        (cd "$work/src/lz4-4.4.5/lz4libs" && "$root/tools/capture-ftrace.sh" --via trace-cmd -b 262144 -l 3 -o "$name" -- \
            sh -c 'end=$(($(date +%s)+10)); while [ $(date +%s) -lt $end ]; do ls *.c | xargs -P 2 -I{} gcc -O2 -c {} -o /dev/null; done')
    fi
fi
[ -f "$name.trace.dat.zst" ] || { echo "bench-tracedat.sh: need $name.trace.dat.zst" >&2; exit 1; }
(cd "$root" && swift build -c release >/dev/null)
prezero="$root/.build/release/prezero"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zstd -q -dc "$name.trace.dat.zst" > "$work/trace.dat"
trace-cmd report -t -i "$work/trace.dat" 2>/dev/null | zstd -q -3 -T0 > "$work/report.txt.zst"
events=$("$prezero" stat "$work/trace.dat" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["trace"]["lines"])')
echo "capture: $name.trace.dat.zst ($events records, $(du -h "$work/trace.dat" | cut -f1) plain)"
json=$work/runs.json
hyperfine -N --warmup 1 --runs 5 --export-json "$json" \
    -n "prezero stat trace.dat" "$prezero stat $work/trace.dat" \
    -n "prezero stat trace.dat.zst" "$prezero stat $name.trace.dat.zst" \
    -n "trace-cmd report" "trace-cmd report -i $work/trace.dat" \
    -n "prezero stat report text (zstd)" "$prezero stat $work/report.txt.zst" \
    -n "zstd -dc report text" "zstd -dc $work/report.txt.zst" >/dev/null 2>&1
rss_kb=$(/usr/bin/time -f %M "$prezero" stat "$work/trace.dat" 2>&1 >/dev/null | tail -1)
python3 - "$json" "$events" "$rss_kb" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
events, rss = int(sys.argv[2]), int(sys.argv[3]) / 1024
for name, r in runs.items():
    print(f"{name:34s} median {r['median']:.3f} s ({min(r['times']):.3f}-{max(r['times']):.3f})  {events / r['median'] / 1e6:5.2f} M records/s")
m = lambda n: runs[n]["median"]
print(f"prezero stat trace.dat / trace-cmd report : {m('prezero stat trace.dat') / m('trace-cmd report'):.2f}x")
print(f"prezero stat text / zstd -dc              : {m('prezero stat report text (zstd)') / m('zstd -dc report text'):.2f}x (issue 14 goal <= 2x)")
print(f"trace.dat decode: {events / m('prezero stat trace.dat') / 1e6:.2f} M records/s (issue 14 goal >= 30)")
print(f"prezero stat trace.dat peak RSS: {rss:.1f} MB")
PY
