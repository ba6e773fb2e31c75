#!/usr/bin/env bash
# Record the tracepoints prezero uses through tracefs (ftrace), system-wide, while COMMAND runs;
# write NAME.ftrace.txt.zst and NAME.meta.json (with the kernel's own counters over the recording,
# which `prezero stat` checks its counts against). Mounts tracefs first when it is not mounted (as
# root); writes both outputs or, if the recording fails or holds no mm_page_alloc event, neither,
# and exits non-zero.
#
# usage: tools/capture-ftrace.sh [-o NAME] [-l ZSTD_LEVEL] [-b BUFFER_KB] [--tgid] [--no-irq-info]
#                                [--via pipe|trace-cmd] [--no-text] [--no-rss-stat] -- COMMAND...
#   --via pipe       stream trace_pipe while the command runs (default; LOST lines mark overruns)
#   --via trace-cmd  fill the tracefs buffers, then trace-cmd extract: also writes the binary
#                    NAME.trace.dat.zst (prezero reads it directly), and its trace-cmd report text
#   --no-text        with --via trace-cmd: keep only NAME.trace.dat.zst, no text rendering
#   --no-rss-stat    leave out kmem:rss_stat (one more event per fault: +11-19 % on a fault-bound
#                    traced program, tools/bench-capture-overhead.sh), so nothing tells shmem,
#                    cached and hugetlb first writes apart
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/metadata.sh"
. "$here/lib/tracefs.sh"

name=capture level=12 buffer_kb=32768 tgid=0 irq_info=1 via=pipe text=1 rss_stat=1
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o) name=$2; shift 2;;
        -l) level=$2; shift 2;;
        -b) buffer_kb=$2; shift 2;;
        --tgid) tgid=1; shift;;
        --no-irq-info) irq_info=0; shift;;
        --via) via=$2; shift 2;;
        --no-text) text=0; shift;;
        --no-rss-stat) rss_stat=0; shift;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "capture-ftrace.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "capture-ftrace.sh: no COMMAND after --" >&2; usage; }
case "$via" in pipe|trace-cmd) ;; *) echo "capture-ftrace.sh: --via must be pipe or trace-cmd" >&2; exit 2;; esac
[ "$text" = 1 ] || [ "$via" = trace-cmd ] || { echo "capture-ftrace.sh: --no-text needs --via trace-cmd (the pipe is text)" >&2; exit 2; }
command -v zstd >/dev/null || { echo "capture-ftrace.sh: zstd not found (Debian: apt-get install zstd)" >&2; exit 1; }
if [ "$via" = trace-cmd ] && ! command -v trace-cmd >/dev/null; then
    echo "capture-ftrace.sh: trace-cmd not found (Debian: apt-get install trace-cmd)" >&2; exit 1
fi
require_tracefs capture-ftrace.sh
T=$TRACEFS
[ -w "$T/tracing_on" ] || { echo "capture-ftrace.sh: $T/tracing_on not writable (run as root)" >&2; exit 1; }

events=$(available_events capture-ftrace.sh) || exit 1
[ $rss_stat = 1 ] || events=$(without_events "$events" rss_stat)
snapshot=$(mktemp -d)
cp /proc/buddyinfo "$snapshot/buddyinfo"
cp /proc/zoneinfo "$snapshot/zoneinfo"
cp /proc/loadavg "$snapshot/loadavg"
pool_at_start=$(hugetlb_pool_pages)
# The clock in use ([local] global ... x86-tsc): restored after. The capture uses local, ftrace's
# default, whose times are nanoseconds; x86-tsc, uptime and counter count cycles, ticks or events, which
# prezero cannot convert.
clock_before=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$T/trace_clock" 2>/dev/null || true)
# The buffer size and the options the capture sets, restored after too.
buffer_before=$(cat "$T/buffer_size_kb" 2>/dev/null || true)
tgid_before=$(cat "$T/options/record-tgid" 2>/dev/null || true)
irq_info_before=$(cat "$T/options/irq-info" 2>/dev/null || true)
# Both outputs are written under .tmp names and renamed into place only once the trace is known
# to hold page events, so a failed capture leaves nothing rather than a trace prezero cannot use.
out="$name.ftrace.txt.zst" meta="$name.meta.json" dat="$name.trace.dat.zst"

restore() {
    [ -z "${reader:-}" ] || kill "$reader" 2>/dev/null || true   # an interrupted run: trace_pipe never ends
    echo 0 > "$T/tracing_on" || true
    echo 0 > "$T/events/enable" || true
    [ -z "$tgid_before" ] || echo "$tgid_before" > "$T/options/record-tgid" 2>/dev/null || true
    [ -z "$irq_info_before" ] || echo "$irq_info_before" > "$T/options/irq-info" 2>/dev/null || true
    [ -z "$clock_before" ] || echo "$clock_before" > "$T/trace_clock" 2>/dev/null || true
    # buffer_size_kb reads "N (expanded: M)" before the buffer was first used: N is the size.
    [ -z "$buffer_before" ] || echo "${buffer_before%% *}" > "$T/buffer_size_kb" 2>/dev/null || true
    rm -rf "$snapshot"
    rm -f "$out.tmp" "$meta.tmp" "$meta.tmp.tmp" "$dat.tmp"
}
trap restore EXIT
fail() { echo "capture-ftrace.sh: $*; no outputs written" >&2; exit 1; }

start=$(date +%s.%N)
status=0
echo 0 > "$T/tracing_on"
echo 0 > "$T/events/enable"
echo "$buffer_kb" > "$T/buffer_size_kb"
echo local > "$T/trace_clock"
echo "$tgid" > "$T/options/record-tgid"
echo "$irq_info" > "$T/options/irq-info"
for e in ${events//,/ }; do echo 1 > "$T/events/${e%%:*}/${e#*:}/enable"; done
echo > "$T/trace"
if [ "$via" = trace-cmd ]; then
    # `trace-cmd record` needs ftrace_enabled, which some machines refuse; extract the buffers
    # that tracefs filled instead. The buffer must hold the whole run (-b).
    echo 1 > "$T/tracing_on"
    "$here/lib/counted.sh" "$snapshot" "$@" || status=$?
    echo 0 > "$T/tracing_on"
    trace-cmd extract -o "$snapshot/trace.dat" > "$snapshot/extract.log" 2>&1 \
        || { cat "$snapshot/extract.log" >&2; fail "trace-cmd extract failed"; }
    zstd -q -T0 "-$level" < "$snapshot/trace.dat" > "$dat.tmp" || fail "zstd failed on the trace.dat"
    if [ "$text" = 1 ]; then
        trace-cmd report -i "$snapshot/trace.dat" 2>"$snapshot/report.err" | zstd -q -T0 "-$level" > "$out.tmp" \
            || { cat "$snapshot/report.err" >&2; fail "trace-cmd report failed"; }
    fi
else
    # cat reads trace_pipe (which never ends) into a file, compressed once the recording ends:
    # a compressor running beside the command was in the trace (a helper's audit: zstd -T0's
    # pages were 15,148 of 34,302 a capture allocated), cat's page-cache writes are the capture's
    # whole share now, as perf record's are. Not filtered out with set_event_notrace_pid: that
    # drops the interrupts' events too while its task runs, unmarked, and leaves the kernel's
    # counters holding what the trace lacks.
    cat "$T/trace_pipe" > "$snapshot/trace.txt" &
    reader=$!
    echo 1 > "$T/tracing_on"
    "$here/lib/counted.sh" "$snapshot" "$@" || status=$?
    echo 0 > "$T/tracing_on"
    sleep 1   # let the reader drain the per-CPU buffers
    kill "$reader" 2>/dev/null || true
    wait "$reader" 2>/dev/null || true
    reader=""
    zstd -q -T0 "-$level" < "$snapshot/trace.txt" > "$out.tmp" || fail "zstd failed on the trace_pipe text"
    rm -f "$snapshot/trace.txt"
fi
end=$(date +%s.%N)
if [ "$text" = 1 ]; then
    read -r lines allocs < <(zstd -dc "$out.tmp" 2>/dev/null | awk '/mm_page_alloc:/ {n++} END {print NR, n + 0}')
else
    read -r lines allocs < <(trace-cmd report -i "$snapshot/trace.dat" 2>/dev/null | awk '/mm_page_alloc:/ {n++} END {print NR, n + 0}')
fi
[ "$allocs" -gt 0 ] || fail "the recording has no mm_page_alloc events ($lines lines; command exit status $status)"

KERNEL_COUNTERS_DIR="$snapshot" HUGETLB_POOL_AT_START=$pool_at_start BUDDYINFO_SNAPSHOT="$snapshot/buddyinfo" ZONEINFO_SNAPSHOT="$snapshot/zoneinfo" LOADAVG_SNAPSHOT="$snapshot/loadavg" \
    write_metadata "$meta.tmp" "tools/capture-ftrace.sh --via $via" "ftrace" "$events" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "" "$@"
# The trace goes last: once it exists, so does the sidecar.
mv "$meta.tmp" "$meta"
written=""
if [ -f "$dat.tmp" ]; then mv "$dat.tmp" "$dat"; written="$dat ($(du -h "$dat" | cut -f1)), "; fi
if [ "$text" = 1 ]; then mv "$out.tmp" "$out"; written="$written$out ($(du -h "$out" | cut -f1)), "; fi
echo "wrote $written$lines lines, $allocs mm_page_alloc, and $meta" >&2
exit $status
