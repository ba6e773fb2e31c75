#!/usr/bin/env bash
# Print the table of bundled traces in traces/README.md from `prezero stat --json` and the
# metadata sidecars. usage: tools/describe-traces.sh [TRACE...]   (default: traces/*.txt.zst)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
(cd "$root" && swift build -c release >/dev/null 2>&1)
cd "$root/traces"
[ $# -gt 0 ] || set -- *.txt.zst
echo "| trace | captured with | command | lines | page allocs | zero-fill faults | of them THP/mTHP | size | span |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"
for f in "$@"; do
    meta="${f%%.*}.meta.json"
    "$root/.build/release/prezero" stat "$f" --json | python3 -c '
import json, os, sys
f, meta = sys.argv[1], json.load(open(sys.argv[2]))
d = json.load(sys.stdin)
cmd = " ".join(meta["command"])
cmd = (cmd if len(cmd) <= 80 else cmd[:77] + "...").replace("|", "\\|")
tool = meta["tool"]
lines, allocs = d["trace"]["lines"], d["summary"]["alloc_requests"]
rows = d["zero_fill_faults"]
zero_fill, huge = sum(r["faults"] for r in rows), sum(r["faults"] for r in rows if r["order"] > 0)
span = d["time"]["span_ns"] / 1e9
size = os.path.getsize(f) / 1e6
print(f"| `{f}` | `{tool}` | `{cmd}` | {lines:,} | {allocs:,} | {zero_fill:,} | {huge:,} | {size:.2f} MB | {span:.2f} s |")
' "$f" "$meta"
done
