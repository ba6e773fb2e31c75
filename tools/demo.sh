#!/usr/bin/env bash
# The main job on a bundled trace, from nothing: install the system dependency when missing,
# build in release mode, then compare every prezeroing policy on a real compiler capture and
# write a markdown report with charts to demo/report.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"
cd "$root"
swift build -c release
p=.build/release/prezero
$p stat traces/gcc-lz4.perf.txt.zst | sed -n '1,12p'
$p compare traces/gcc-lz4.perf.txt.zst -o demo/report.md --json demo/results.json --csv demo/results.csv
sed -n '/^Workload regime/p;/^Touch density/p;/^- \*\*/p' demo/report.md
echo "full report: demo/report.md (charts beside it)"
