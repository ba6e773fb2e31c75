#!/usr/bin/env bash
# Checks the model against this machine's real kernel: runs COMMAND untraced, measures the CPU
# time its (and the system's) anonymous zero-fill faults take on the real kernel, captures it once
# with tools/capture-perf.sh, replays the capture under zero-on-fault on the calibrated profile,
# and prints predicted against measured, for each THP setting. Restores the THP setting after.
#
# usage: tools/validate-host.sh [--thp never,always] [--reps N] [--name NAME] [--profile P]
#                               [--out DIR] [--period NS] [--warm MIB] -- COMMAND...
#   --profile  the profile to predict with (default: host, from `prezero calibrate`)
#   --out      where captures and results go (default: validate-host/NAME)
#   --warm     MiB written and freed right before each run (default 2048; 0: none), so memory a
#              VM's host reclaimed is backed again: the model prices the kernel, not the host
# Prints one JSON line per THP setting:
#   {"thp": ..., "predicted_fault_ns": ..., "predicted_cold_fault_ns": ..., "measured_fault_ns": ..., "measured_min_ns": ...,
#    "measured_max_ns": ..., ...}
# then the THP-versus-4 KiB difference, predicted and measured.
#
# How the real kernel is measured: `perf record -a -e cpu-clock -c PERIOD -g --kernel-callchains`
# (no tracepoints)
# while COMMAND runs, REPS times after one warm-up run. A sample is in the anonymous zero-fill
# fault path when its kernel call chain holds do_anonymous_page, do_huge_pmd_anonymous_page or
# wp_page_copy under asm_exc_page_fault; samples in a fault whose chain names no handler (entry,
# exit, VMA lookup) are shared out in proportion. Measured = those samples x PERIOD: the median
# and [min-max] over the runs. Sampling error is about 1/sqrt(samples) (printed). The instrument,
# checked on tools/workloads/fault-latency.c (512 MiB x 4 of 4 KiB faults, rdtscp p50 1.2 us):
# PERIOD 500 us gives 1,296 ns a fault and leaves the fault's p99 as it is (4.7 us); at 100 us
# each sample that lands in a fault adds ~15 us to it (p99 17 us) and the faults read 16 % slow.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
thp_list="never,always" reps=5 name="" profile="host" out="" period=500000 warm=2048
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --thp) thp_list=$2; shift 2;;
        --reps) reps=$2; shift 2;;
        --name) name=$2; shift 2;;
        --profile) profile=$2; shift 2;;
        --out) out=$2; shift 2;;
        --period) period=$2; shift 2;;
        --warm) warm=$2; shift 2;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "validate-host.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "validate-host.sh: no COMMAND after --" >&2; usage; }
[ "$(id -u)" = 0 ] || { echo "validate-host.sh: run as root (perf -a, THP settings)" >&2; exit 1; }
command -v perf >/dev/null || { echo "validate-host.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
[ -n "$name" ] || name=$(basename "$1")
out=${out:-validate-host/$name}
mkdir -p "$out"
prezero=${PREZERO:-$root/.build/release/prezero}
[ -x "$prezero" ] || (cd "$root" && swift build -c release >/dev/null)
if [ "$profile" = host ] && ! "$prezero" profiles host >/dev/null 2>&1; then
    echo "validate-host.sh: no calibrated profile of this machine: run \`$prezero calibrate\` first (or pass --profile)" >&2
    exit 1
fi

thp=/sys/kernel/mm/transparent_hugepage/enabled
saved=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp")
work=$(mktemp -d)
trap 'echo "$saved" > "$thp"; rm -rf "$work"' EXIT

gcc -O2 -o "$work/warm-memory" "$here/workloads/warm-memory.c"
warm_memory() { [ "$warm" = 0 ] || "$work/warm-memory" "$warm"; }

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# measure_once: anonymous-fault samples x period, and the run's system time (ns).
measure_once() {
    warm_memory
    /usr/bin/time -f "%S" -o "$work/time" perf record -q -a -e cpu-clock -c "$period" -g --kernel-callchains -o "$work/run.data" -- "$@" >/dev/null 2>"$work/err" \
        || { cat "$work/err" >&2; echo "validate-host.sh: COMMAND failed" >&2; exit 1; }
    perf script -i "$work/run.data" -F comm,pid,ip,sym 2>/dev/null | awk -v period="$period" '
        BEGIN { RS = "" }
        /asm_exc_page_fault/ {
            if ($0 ~ /do_anonymous_page|do_huge_pmd_anonymous_page|wp_page_copy/) anon++
            else if ($0 ~ /handle_mm_fault|__handle_mm_fault/ && $0 ~ /filemap|do_fault|do_read_fault|do_cow_fault|do_shared_fault|do_swap_page|do_wp_page|finish_fault|handle_pte_fault/) other++
            else unknown++
        }
        END {
            share = anon + other > 0 ? anon / (anon + other) : 0
            printf "%.0f %d %d %d\n", (anon + unknown * share) * period, anon, other, unknown
        }'
}

declare -A predicted measured mmin mmax
for setting in ${thp_list//,/ }; do
    echo "$setting" > "$thp"
    echo "validate-host.sh: THP $setting: warm-up run" >&2
    "$@" >/dev/null 2>&1 || true
    : > "$work/values"
    samples=0
    for r in $(seq 1 "$reps"); do
        read -r ns anon other unknown < <(measure_once "$@")
        echo "$ns" >> "$work/values"
        samples=$((samples + anon))
        echo "validate-host.sh: THP $setting run $r: $ns ns in anonymous faults ($anon samples in the path, $other in other faults, $unknown unattributed)" >&2
    done
    measured[$setting]=$(median < "$work/values")
    mmin[$setting]=$(sort -g "$work/values" | head -1)
    mmax[$setting]=$(sort -g "$work/values" | tail -1)

    echo "validate-host.sh: THP $setting: capture" >&2
    warm_memory
    "$here/capture-perf.sh" -o "$out/$name-thp-$setting" -- "$@" >/dev/null
    "$prezero" replay "$out/$name-thp-$setting.perf.txt.zst" --policy zero-on-fault --profile "$profile" --json \
        > "$out/$name-thp-$setting.zero-on-fault.json"
    # The prediction at the cold end of the fault path's warmth too (the profile's fault_base_ns
    # range, docs/model.md): every fault's base cost at the range's high end, as the verdicts'
    # "fault path warmth" re-prices it (exact under the trace's time); null without one.
    read -r pred faults huge cold < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
m, p = r["metrics"], r["profile"]
high = (p.get("uncertainty") or {}).get("fault_base_ns", {}).get("high")
cold = "null" if high is None else round(m["fault_path_ns"] + m["faults"] * (high - p["fault_base_ns"]))
print(round(m["fault_path_ns"]), m["faults"], m["huge_faults"], cold)' "$out/$name-thp-$setting.zero-on-fault.json")
    predicted[$setting]=$pred
    err=$(python3 -c "import math; print(round(100 / math.sqrt(max($samples, 1)), 1))")
    printf '{"program": "%s", "thp": "%s", "predicted_fault_ns": %s, "predicted_cold_fault_ns": %s, "measured_fault_ns": %s, "measured_min_ns": %s, "measured_max_ns": %s, "zero_fill_faults": %s, "huge_faults": %s, "sampling_error_pct": %s, "reps": %s}\n' \
        "$name" "$setting" "$pred" "$cold" "${measured[$setting]}" "${mmin[$setting]}" "${mmax[$setting]}" "$faults" "$huge" "$err" "$reps" | tee -a "$out/results.jsonl"
done

set -- ${thp_list//,/ }
if [ $# -ge 2 ]; then
    a=$1 b=$2
    python3 -c "
p_a, p_b, m_a, m_b = ${predicted[$a]}, ${predicted[$b]}, ${measured[$a]}, ${measured[$b]}
print(f'THP $b vs $a: predicted {p_b - p_a:+,.0f} ns ({(p_b / p_a - 1) * 100 if p_a else 0:+.0f}%), measured {m_b - m_a:+,.0f} ns ({(m_b / m_a - 1) * 100 if m_a else 0:+.0f}%)')"
fi
