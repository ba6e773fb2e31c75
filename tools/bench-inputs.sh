#!/usr/bin/env bash
# Benchmark reading every input kind (release build), each beside the tool that reads the same
# file, on >= 1 M-event real captures of 10 s of gcc -O2 on the lz4 sources:
#   perf.data      prezero stat  vs  perf kmem --page stat        (issue 14 goal <= 0.2x)
#   trace.dat      prezero stat  vs  trace-cmd report > /dev/null
#   zstd text      prezero stat  vs  zstd -dc                     (issue 14 goal <= 2x)
#   decoding alone (prezero stat --count-only: the helper and its stream, no statistics) of the
#   perf.data and the trace.dat, in records/s                     (issue 14 goal >= 30 M/s)
# Median of 5 runs (hyperfine, one warm-up) with min-max, records/s at the median, peak RSS.
#
# usage: tools/bench-inputs.sh
#   Uses (or first captures; needs root, perf, trace-cmd and tracefs) $TMPDIR/prezero-bench/
#   gcc-10s.perf.data (tools/bench-stat.sh's capture) and gcc-10s-tc.trace.dat.zst (the same
#   workload through tools/capture-ftrace.sh --via trace-cmd, 256 MiB of ring buffer per CPU).
# Needs hyperfine, zstd, perf, trace-cmd and GNU time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine zstd trace-cmd perf; do
    command -v "$tool" >/dev/null || { echo "bench-inputs.sh: $tool not found" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench-inputs.sh: GNU time not found (apt-get install time)" >&2; exit 1; }
work=${TMPDIR:-/tmp}/prezero-bench
[ -f "$work/gcc-10s.perf.data" ] || "$root/tools/bench-stat.sh" >/dev/null
name="$work/gcc-10s-tc"
if [ ! -f "$name.trace.dat.zst" ]; then
    (cd "$work/src/lz4-4.4.5/lz4libs" && "$root/tools/capture-ftrace.sh" --via trace-cmd --no-text -b 262144 -l 3 -o "$name" -- \
        sh -c 'end=$(($(date +%s)+10)); while [ $(date +%s) -lt $end ]; do ls *.c | xargs -P 2 -I{} gcc -O2 -c {} -o /dev/null; done')
fi
(cd "$root" && swift build -c release >/dev/null)
prezero="$root/.build/release/prezero"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zstd -q -dc "$name.trace.dat.zst" > "$tmp/trace.dat"
perf_data="$work/gcc-10s.perf.data" text="$work/gcc-10s.perf.txt.zst"
count() { "$prezero" stat "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["trace"]["lines"])'; }
perf_records=$(count "$perf_data") dat_records=$(count "$tmp/trace.dat") text_lines=$(count "$text")
echo "perf.data: $perf_data ($perf_records records, $(du -h "$perf_data" | cut -f1))"
echo "trace.dat: $name.trace.dat.zst ($dat_records records, $(du -h "$tmp/trace.dat" | cut -f1) plain)"
echo "text:      $text ($text_lines lines, $(du -h "$text" | cut -f1) zstd)"
json=$tmp/runs.json
hyperfine -N --warmup 1 --runs 5 --export-json "$json" \
    -n "prezero stat perf.data" "$prezero stat $perf_data" \
    -n "perf kmem --page stat" "perf kmem -i $perf_data --page stat" \
    -n "prezero stat trace.dat" "$prezero stat $tmp/trace.dat" \
    -n "trace-cmd report" "trace-cmd report -i $tmp/trace.dat" \
    -n "prezero stat text" "$prezero stat $text" \
    -n "zstd -dc text" "zstd -dc $text" \
    -n "decode perf.data" "$prezero stat --count-only $perf_data" \
    -n "decode trace.dat" "$prezero stat --count-only $tmp/trace.dat" >/dev/null 2>&1
rss() { /usr/bin/time -f %M "$prezero" stat "$1" 2>&1 >/dev/null | tail -1; }
python3 - "$json" "$perf_records" "$dat_records" "$text_lines" "$(rss "$perf_data")" "$(rss "$tmp/trace.dat")" "$(rss "$text")" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
perf_n, dat_n, text_n = (int(x) for x in sys.argv[2:5])
rss = [int(x) / 1024 for x in sys.argv[5:8]]
m = lambda n: runs[n]["median"]
def row(name, n):
    r = runs[name]
    print(f"  {name:24s} median {r['median']:6.3f} s ({min(r['times']):.3f}-{max(r['times']):.3f})  {n / r['median'] / 1e6:5.2f} M records/s")
print("perf.data:"); row("prezero stat perf.data", perf_n); row("perf kmem --page stat", perf_n)
print(f"  ratio {m('prezero stat perf.data') / m('perf kmem --page stat'):.2f}x (goal <= 0.2x); prezero peak RSS {rss[0]:.1f} MB")
print("trace.dat:"); row("prezero stat trace.dat", dat_n); row("trace-cmd report", dat_n)
print(f"  ratio {m('prezero stat trace.dat') / m('trace-cmd report'):.2f}x; prezero peak RSS {rss[1]:.1f} MB")
print("zstd text:"); row("prezero stat text", text_n); row("zstd -dc text", text_n)
print(f"  ratio {m('prezero stat text') / m('zstd -dc text'):.2f}x (goal <= 2x); prezero peak RSS {rss[2]:.1f} MB")
print("decoding alone (stat --count-only):"); row("decode perf.data", perf_n); row("decode trace.dat", dat_n)
print(f"  goal >= 30 M records/s")
PY
