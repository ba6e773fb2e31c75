#!/usr/bin/env bash
# Regenerate docs/examples/: a comparison of every policy on the bundled traces and on a
# synthetic page-fault test (2 MiB huge pages, where prezeroing pays), with charts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build -c release >/dev/null
p=.build/release/prezero
out=docs/examples
mkdir -p "$out"
rm -f "$out"/*.svg
work=$(mktemp -d)
export PREZERO_CONFIG_DIR="$work/config"  # the built-in profile, whatever this machine has calibrated
trap 'rm -rf "$work"' EXIT
$p synth pft --memory 1GiB --reps 2 --threads 1 --lines 8 --page-size 4KiB --cpus 2 --order 9 -o "$work/pft-thp.perf.txt.zst" 2>/dev/null
cp "$work/pft-thp.perf.txt.zst" "$work/pft-thp.meta.json" "$out/" 2>/dev/null || true
$p compare traces/gcc-lz4.perf.txt.zst traces/python-sort.ftrace.txt.zst "$out/pft-thp.perf.txt.zst" \
    -o "$out/report.md" --json "$out/results.json" --csv "$out/results.csv"
# A sweep through a batch plan: kscrubd-v4's wake order and idle-zero's stop fraction.
cat > "$work/plan.toml" <<PLAN
traces = ["$root/traces/git-clone.perf.txt.zst"]
touch = ["first-line", "full"]
[[policy]]
name = "zero-on-fault"
[[policy]]
name = "kscrubd-v4"
scrub_start = [3, 5, 7]
[[policy]]
name = "idle-zero"
stop_fraction = { from = 0.4, to = 0.8, step = 0.2 }
PLAN
$p batch "$work/plan.toml" -o "$work/results" 2>/dev/null
$p report "$work/results" -o "$out/sweep.md"
sed -i "s|$root/||g" "$out/sweep.md"
echo "wrote $out/report.md, $out/sweep.md and their charts" >&2
