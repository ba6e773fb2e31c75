#!/usr/bin/env bash
# The model's prediction for init_on_free=1 and init_on_alloc=1 on a compile captured here,
# beside Potapenko's published figures (commit 6471384af2a6: kernel build -j12, init_on_free
# +8.4 % wall, +24.4 % sys; init_on_alloc -0.13 % wall, +0.57 % sys). A prediction: this kernel
# cannot switch either option without a reboot, so nothing here is measured with them on.
#
# Runs COMMAND (default: gcc -O2 on a generated 13,500-line C file) REPS times untraced for its
# wall and system time, captures it once (tools/capture-perf.sh), replays the capture under
# zero-on-fault, init-on-free and init-on-alloc on PROFILE, and prints a markdown table:
# predicted extra kernel time (the policies' difference in fault path, zeroing and free path)
# as a share of the measured system and wall time.
#
# usage: tools/init-on-prediction.sh [--reps N] [--profile P] [-- COMMAND...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
reps=5 profile=host
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=$2; shift 2;;
        --profile) profile=$2; shift 2;;
        --) shift; break;;
        *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2;;
    esac
done
prezero=$root/.build/release/prezero
[ -x "$prezero" ] || (cd "$root" && swift build -c release >/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# = 0 ]; then
    "$here/workloads/gen-compile-input.py" one "$work/big.c"
    set -- gcc -O2 -c "$work/big.c" -o /dev/null
fi
"$@" >/dev/null 2>&1  # warm-up
for r in $(seq 1 "$reps"); do
    /usr/bin/time -f "%e %S" -a -o "$work/times" "$@" >/dev/null 2>&1
done
"$here/capture-perf.sh" -o "$work/capture" -- "$@" >/dev/null 2>&1
for policy in zero-on-fault init-on-free init-on-alloc; do
    "$prezero" replay "$work/capture.perf.txt.zst" --policy "$policy" --profile "$profile" --json > "$work/$policy.json"
done
python3 - "$work" "$*" <<'PY'
import json, statistics, sys
work, command = sys.argv[1], sys.argv[2]
times = [tuple(map(float, line.split())) for line in open(f"{work}/times") if line.strip()]
wall = statistics.median(t[0] for t in times) * 1e9
sys_ns = statistics.median(t[1] for t in times) * 1e9
def kernel(m):  # the policy-dependent kernel time: total less the program's own touches
    return m["total_cpu_ns"] - m["touch_ns"] - m["later_touch_ns"]
runs = {p: json.load(open(f"{work}/{p}.json"))["metrics"] for p in ("zero-on-fault", "init-on-free", "init-on-alloc")}
base = runs["zero-on-fault"]
print(f"Workload: `{command}` (median of {len(times)} runs: wall {wall / 1e9:.2f} s, system {sys_ns / 1e9:.3f} s); "
      f"{base['allocations']:,} page allocations, {base['frees']:,} frees, {base['faults']:,} zero-fill faults in the capture.\n")
print("| option | published (kernel build -j12) | predicted extra kernel time | of system time | of wall time | pages cleared (extra) |")
print("|---|---|---:|---:|---:|---:|")
published = {"init-on-free": "+8.4 % wall, +24.4 % sys", "init-on-alloc": "-0.13 % wall, +0.57 % sys"}
for p in ("init-on-free", "init-on-alloc"):
    m = runs[p]
    extra = kernel(m) - kernel(base)
    cleared = m["bytes_zeroed"] / 4096 - base["bytes_zeroed"] / 4096
    print(f"| {p.replace('-', '_')} | {published[p]} | {extra / 1e6:+.1f} ms | {extra / sys_ns * 100:+.1f} % | "
          f"{extra / wall * 100:+.2f} % | {cleared:+,.0f} |")
PY
