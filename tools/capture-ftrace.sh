#!/usr/bin/env bash
# Record the tracepoints prezero uses through tracefs (ftrace), system-wide, while COMMAND runs;
# write NAME.ftrace.txt.zst and NAME.meta.json.
#
# usage: tools/capture-ftrace.sh [-o NAME] [-l ZSTD_LEVEL] [-b BUFFER_KB] [--tgid] [--no-irq-info]
#                                [--via pipe|trace-cmd] -- COMMAND...
#   --via pipe       stream trace_pipe while the command runs (default; LOST lines mark overruns)
#   --via trace-cmd  fill the tracefs buffers, then trace-cmd extract and trace-cmd report
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/metadata.sh"

name=capture level=12 buffer_kb=32768 tgid=0 irq_info=1 via=pipe
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o) name=$2; shift 2;;
        -l) level=$2; shift 2;;
        -b) buffer_kb=$2; shift 2;;
        --tgid) tgid=1; shift;;
        --no-irq-info) irq_info=0; shift;;
        --via) via=$2; shift 2;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "capture-ftrace.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "capture-ftrace.sh: no COMMAND after --" >&2; usage; }
case "$via" in pipe|trace-cmd) ;; *) echo "capture-ftrace.sh: --via must be pipe or trace-cmd" >&2; exit 2;; esac
T=/sys/kernel/tracing
[ -d "$T/events" ] || T=/sys/kernel/debug/tracing
[ -w "$T/tracing_on" ] || { echo "capture-ftrace.sh: $T not writable (run as root; mount tracefs)" >&2; exit 1; }

events=$(available_events)
snapshot=$(mktemp -d)
cp /proc/buddyinfo "$snapshot/buddyinfo"
cp /proc/zoneinfo "$snapshot/zoneinfo"
out="$name.ftrace.txt.zst"

restore() {
    echo 0 > "$T/tracing_on" || true
    echo 0 > "$T/events/enable" || true
    echo 0 > "$T/options/record-tgid" 2>/dev/null || true
    echo 1 > "$T/options/irq-info" 2>/dev/null || true
    rm -rf "$snapshot"
}
trap restore EXIT

start=$(date +%s.%N)
status=0
echo 0 > "$T/tracing_on"
echo 0 > "$T/events/enable"
echo "$buffer_kb" > "$T/buffer_size_kb"
echo "$tgid" > "$T/options/record-tgid"
echo "$irq_info" > "$T/options/irq-info"
for e in ${events//,/ }; do echo 1 > "$T/events/${e%%:*}/${e#*:}/enable"; done
echo > "$T/trace"
if [ "$via" = trace-cmd ]; then
    # `trace-cmd record` needs ftrace_enabled, which some machines refuse; extract the buffers
    # that tracefs filled instead. The buffer must hold the whole run (-b).
    command -v trace-cmd >/dev/null || { echo "capture-ftrace.sh: trace-cmd not found (Debian: apt-get install trace-cmd)" >&2; exit 1; }
    echo 1 > "$T/tracing_on"
    "$@" || status=$?
    echo 0 > "$T/tracing_on"
    trace-cmd extract -o "$snapshot/trace.dat" >/dev/null 2>&1
    trace-cmd report -i "$snapshot/trace.dat" 2>/dev/null | zstd -q -T0 "-$level" > "$out.tmp"
else
    # cat reads trace_pipe (which never ends) into a fifo; killing cat lets zstd see EOF and flush.
    mkfifo "$snapshot/pipe"
    zstd -q -T0 "-$level" < "$snapshot/pipe" > "$out.tmp" &
    compressor=$!
    cat "$T/trace_pipe" > "$snapshot/pipe" &
    reader=$!
    echo 1 > "$T/tracing_on"
    "$@" || status=$?
    echo 0 > "$T/tracing_on"
    sleep 1   # let the reader drain the per-CPU buffers
    kill "$reader" 2>/dev/null || true
    wait "$reader" 2>/dev/null || true
    wait "$compressor"
fi
end=$(date +%s.%N)
mv "$out.tmp" "$out"

BUDDYINFO_SNAPSHOT="$snapshot/buddyinfo" ZONEINFO_SNAPSHOT="$snapshot/zoneinfo" \
    write_metadata "$name.meta.json" "tools/capture-ftrace.sh --via $via" "ftrace" "$events" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "" "$@"
lines=$(zstd -dc "$out" 2>/dev/null | wc -l || true)
echo "wrote $out ($(du -h "$out" | cut -f1), $lines lines) and $name.meta.json" >&2
exit $status
