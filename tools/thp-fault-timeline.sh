#!/usr/bin/env bash
# Where in a run THP faults get dear: runs COMMAND under THP always (restored after), REPS times
# after one warm-up run, each right after WARM MiB were written and freed (as validate-host.sh
# does), and prints per second of the run its THP faults (/proc/vmstat thp_fault_alloc, read
# every 0.25 s, each interval's faults counted at its midpoint), the CPU time in
# do_huge_pmd_anonymous_page (perf cpu-clock samples, period 500 us, with kernel call chains),
# and their ratio; both on CLOCK_MONOTONIC, from the first reading (just before perf starts). On a VM whose host takes back free memory
# (free page reporting), THP faults on blocks that sat free for seconds cost several times more:
# they show as seconds whose ms per fault is far above the others (docs/validation-host-zen4.md).
#
# usage: tools/thp-fault-timeline.sh [--reps N] [--warm MIB] -- COMMAND...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reps=3 warm=2048
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=$2; shift 2;;
        --warm) warm=$2; shift 2;;
        --) shift; break;;
        *) echo "thp-fault-timeline.sh: unknown option '$1'" >&2; exit 2;;
    esac
done
[ $# -gt 0 ] || { echo "usage: tools/thp-fault-timeline.sh [--reps N] [--warm MIB] -- COMMAND..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "thp-fault-timeline.sh: run as root (perf -a, THP settings)" >&2; exit 1; }
command -v perf >/dev/null || { echo "thp-fault-timeline.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
thp=/sys/kernel/mm/transparent_hugepage/enabled
old=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp")
sampler=""
cleanup() {
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
    echo "$old" > "$thp"
    rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -o "$work/warm-memory" "$here/workloads/warm-memory.c"
echo always > "$thp"
"$@" >/dev/null 2>&1  # warm-up run
for r in $(seq "$reps"); do
    "$work/warm-memory" "$warm"
    python3 -u -c '
import time
while True:
    faults = next(l.split()[1] for l in open("/proc/vmstat") if l.startswith("thp_fault_alloc "))
    print(time.clock_gettime(time.CLOCK_MONOTONIC), faults, flush=True)
    time.sleep(0.25)' > "$work/vmstat.$r" &
    sampler=$!
    sleep 0.1  # its first reading before the command starts
    perf record -q -a -k CLOCK_MONOTONIC -e cpu-clock -c 500000 -g -o "$work/perf.$r.data" -- "$@" >/dev/null 2>&1
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=""
    perf script -i "$work/perf.$r.data" -F time,ip,sym > "$work/script.$r" 2>/dev/null
done
python3 - "$work" "$reps" <<'PY'
import collections, re, sys
work, reps = sys.argv[1], int(sys.argv[2])
period_ms = 0.5
for r in range(1, reps + 1):
    # Each sample: a header line, its time right-aligned ("  123.456789:"), then its call chain,
    # each frame on a line starting with a tab.
    samples, time, chain = [], None, []
    def flush():
        if time is not None:
            samples.append((time, any("do_huge_pmd_anonymous_page" in f for f in chain)))
    for line in open(f"{work}/script.{r}"):
        if line.startswith("\t"):
            chain.append(line)
            continue
        header = re.match(r"\s*(\d+\.\d+):\s*$", line)
        if not header:
            continue
        flush()
        chain = []
        time = float(header.group(1))
    flush()
    readings = [(float(t), int(n)) for t, n in (l.split() for l in open(f"{work}/vmstat.{r}") if len(l.split()) == 2)]
    if not samples or not readings:
        print(f"run {r}: no samples" if not samples else f"run {r}: no vmstat readings")
        continue
    start = readings[0][0]  # both clocks CLOCK_MONOTONIC
    ms = collections.Counter()
    for t, huge in samples:
        if huge:
            ms[int(t - start)] += period_ms
    faults = collections.Counter()
    for (t0, n0), (t1, n1) in zip(readings, readings[1:]):
        faults[int((t0 + t1) / 2 - start)] += n1 - n0
    seconds = max(list(ms) + list(faults) + [0]) + 1
    print(f"run {r}: {sum(faults.values())} THP faults, {sum(ms.values()):.1f} ms in do_huge_pmd_anonymous_page")
    for s in range(seconds):
        n, t = faults.get(s, 0), ms.get(s, 0.0)
        print(f"  second {s:3d}: {n:5d} THP faults  {t:7.1f} ms  " + (f"{t / n:6.2f} ms a fault" if n else "-"))
PY
