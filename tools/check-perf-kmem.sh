#!/usr/bin/env bash
# Compare `prezero stat --json` SUMMARY with `perf kmem --page stat` on the same perf.data,
# field for field, for prezero reading the perf script text and reading the perf.data itself.
# usage: tools/check-perf-kmem.sh NAME   (NAME.perf.data and NAME.perf.txt.zst, as written by
# `tools/capture-perf.sh --keep-data -o NAME -- ...`). Exits 1 on any difference.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: tools/check-perf-kmem.sh NAME}
(cd "$root" && swift build -c release >/dev/null 2>&1)
kmem=$(perf kmem -i "$name.perf.data" --page stat 2>/dev/null)
status=0
for input in "$name.perf.txt.zst" "$name.perf.data"; do
echo "prezero stat $input:"
"$root/.build/release/prezero" stat "$input" --json | python3 -c '
import json, re, sys
ours = json.load(sys.stdin)["summary"]
perf = {}
for line in sys.argv[1].splitlines():
    m = re.match(r"Total (.+?)\s*:\s*(\d+)\s*\[\s*(\d+) KB \]", line)
    if m:
        perf[m.group(1)] = (int(m.group(2)), int(m.group(3)))
keys = {"allocation requests": "alloc", "free requests": "free", "alloc+freed requests": "alloc_freed",
        "alloc-only requests": "alloc_only", "free-only requests": "free_only", "allocation failures": "alloc_failures"}
bad = 0
for label, key in keys.items():
    count_key = key if key == "alloc_failures" else key + "_requests"
    mine = (ours[count_key], ours[key + "_kb"])
    same = perf.get(label) == mine
    bad += not same
    verdict = "same" if same else "DIFFERENT"
    print(f"{label:22s} perf kmem {perf.get(label)}  prezero {mine}  {verdict}")
sys.exit(1 if bad else 0)
' "$kmem" || status=1
done
exit $status
