#!/usr/bin/env bash
# Record the page-allocator, fault, scheduler and memory-counter (kmem:rss_stat) tracepoints
# prezero uses, system-wide, while COMMAND runs; write NAME.perf.data.zst (the recording,
# compressed: prezero reads it directly), NAME.perf.txt.zst (its perf script text; --no-text
# skips it) and NAME.meta.json (machine snapshot, including what `perf kmem --page stat`
# printed for the same perf.data and the kernel's own counters over the recording, as
# cross-checks).
# Mounts tracefs first when it is not mounted (as root); writes all outputs or, if the recording
# fails or holds no mm_page_alloc event, none, and exits non-zero.
#
# usage: tools/capture-perf.sh [-o NAME] [-l ZSTD_LEVEL] [-m MMAP_PAGES] [--keep-data] [--no-text] [--no-alloc-zone]
#                              [--no-rss-stat] [--with-touch[=SECONDS]] -- COMMAND...
#   --no-rss-stat leave out kmem:rss_stat (one more event per fault: +11-19 % on a fault-bound
#                 traced program, tools/bench-capture-overhead.sh), so nothing tells shmem, cached
#                 and hugetlb first writes apart
#   --keep-data   also keep the uncompressed NAME.perf.data (for perf kmem, tools/bench-stat.sh)
#   --with-touch  then run COMMAND a second time under valgrind lackey (at most SECONDS, default
#                 600: a longer run is cut there and the profile says so) and write NAME.touch.json,
#                 its touch profile (prezero touch-profile), for --touch profile:NAME.touch.json.
#                 COMMAND runs twice: it must not depend on what its first run left behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/metadata.sh"
. "$here/lib/tracefs.sh"

name=capture level=12 mmap_pages=1024 keep=0 drop_zone=0 text=1 touch_seconds=0 rss_stat=1
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o) name=$2; shift 2;;
        -l) level=$2; shift 2;;
        -m) mmap_pages=$2; shift 2;;
        --keep-data) keep=1; shift;;
        --no-text) text=0; shift;;
        --no-alloc-zone) drop_zone=1; shift;;
        --no-rss-stat) rss_stat=0; shift;;
        --with-touch) touch_seconds=600; shift;;
        --with-touch=*) touch_seconds=${1#--with-touch=}; shift;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "capture-perf.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "capture-perf.sh: no COMMAND after --" >&2; usage; }
command -v perf >/dev/null || { echo "capture-perf.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "capture-perf.sh: zstd not found (Debian: apt-get install zstd)" >&2; exit 1; }
prezero=${PREZERO:-$here/../.build/release/prezero}
if [ "$touch_seconds" != 0 ]; then
    case "$touch_seconds" in ''|*[!0-9]*) echo "capture-perf.sh: --with-touch=SECONDS needs a whole number" >&2; exit 2;; esac
    command -v valgrind >/dev/null || { echo "capture-perf.sh: --with-touch needs valgrind (Debian: apt-get install valgrind)" >&2; exit 1; }
    [ -x "$prezero" ] || { echo "capture-perf.sh: --with-touch needs prezero at $prezero (swift build -c release, or set PREZERO)" >&2; exit 1; }
fi

require_tracefs capture-perf.sh
events=$(available_events capture-perf.sh) || exit 1
[ $drop_zone = 1 ] && events=$(without_events "$events" alloc_zone_locked pcpu_drain)
[ $rss_stat = 1 ] || events=$(without_events "$events" rss_stat)
event_args=()
for e in ${events//,/ }; do event_args+=(-e "$e"); done

# Every output is written under a .tmp name and renamed into place only once the trace is known
# to hold page events, so a failed capture leaves nothing rather than a trace prezero cannot use.
data="$name.perf.data" packed="$name.perf.data.zst" trace="$name.perf.txt.zst" meta="$name.meta.json"
snapshot=$(mktemp -d)
trap 'rm -rf "$snapshot"; rm -f "$data.tmp" "$data.tmp.old" "$packed.tmp" "$trace.tmp" "$meta.tmp" "$meta.tmp.tmp"' EXIT
fail() { echo "capture-perf.sh: $*; no outputs written" >&2; exit 1; }
cp /proc/buddyinfo "$snapshot/buddyinfo"
cp /proc/zoneinfo "$snapshot/zoneinfo"
cp /proc/loadavg "$snapshot/loadavg"
pool_at_start=$(hugetlb_pool_pages)
rm -f "$data.tmp"   # perf record would keep a stale one as .old

start=$(date +%s.%N)
status=0
perf record -q -a -m "$mmap_pages" "${event_args[@]}" -o "$data.tmp" -- "$here/lib/counted.sh" "$snapshot" "$@" || status=$?
end=$(date +%s.%N)
[ -s "$data.tmp" ] || fail "perf record wrote no data (exit status $status)"
zstd -q -T0 "-$level" < "$data.tmp" > "$packed.tmp" || fail "zstd failed on the perf.data"

if ! perf script -i "$data.tmp" --show-lost-events -F comm,pid,tid,cpu,time,event,trace --ns 2>"$snapshot/script.err" \
    | zstd -q -T0 "-$level" > "$trace.tmp"; then
    cat "$snapshot/script.err" >&2
    fail "perf script failed on the recording (perf record exit status $status)"
fi
read -r lines allocs < <(zstd -dc "$trace.tmp" | awk '/mm_page_alloc:/ {n++} END {print NR, n + 0}')
[ "$allocs" -gt 0 ] || fail "the recording has no mm_page_alloc events ($lines lines; perf record exit status $status)"
# perf can record nothing in a CPU's idle context (seen on this project's VM: RCU callbacks there
# free page tables, and those frees go missing). Say so; prezero replays the frees it can find.
zstd -dc "$trace.tmp" | awk '
    { for (i = 2; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) { split($(i - 1), p, "/"); if (p[1] == "0") idle[$i]++; break } }
    /sched_switch:/ && / next_pid=0 / { for (i = 2; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) { switches[$i]++; break } }
    END { for (c in switches) if (switches[c] >= 5 && !(c in idle))
        printf "note: cpu %s went idle %d times but the recording holds no event in its idle context: perf lost them (frees by RCU callbacks among them); prezero stat and replay count the frees they can recover (frees_lost_in_idle_context); tools/capture-ftrace.sh records them\n", c, switches[c] > "/dev/stderr" }'

# perf kmem's own summary of the same perf.data: the oracle `prezero stat` must equal. Without it
# the trace is still good, so its failure leaves null in the sidecar rather than losing the run.
if kmem=$(perf kmem -i "$data.tmp" --page stat 2>/dev/null | sed -n '/^SUMMARY (page allocator)/,/^Total allocation failures/p'); then
    kmem_json=$(json_string "$kmem")
else
    echo "note: perf kmem --page stat failed; the sidecar's perf_kmem_page_stat is null" >&2
    kmem_json=null
fi
extra=",
  \"perf_kmem_page_stat\": $kmem_json,
  \"perf_version\": $(json_string "$(perf --version)")"
KERNEL_COUNTERS_DIR="$snapshot" HUGETLB_POOL_AT_START=$pool_at_start BUDDYINFO_SNAPSHOT="$snapshot/buddyinfo" ZONEINFO_SNAPSHOT="$snapshot/zoneinfo" LOADAVG_SNAPSHOT="$snapshot/loadavg" \
    write_metadata "$meta.tmp" "tools/capture-perf.sh" "perf-script" "$events" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$extra" "$@"

# The traces go last: once they exist, so do the others.
kept=""
if [ $keep = 1 ]; then mv "$data.tmp" "$data"; kept=" and $data"; else rm -f "$data" "$data.old"; fi
mv "$meta.tmp" "$meta"
mv "$packed.tmp" "$packed"
written="$packed ($(du -h "$packed" | cut -f1))"
if [ $text = 1 ]; then mv "$trace.tmp" "$trace"; written="$written, $trace ($(du -h "$trace" | cut -f1))"; fi
echo "wrote $written, $lines lines, $allocs mm_page_alloc, $meta$kept" >&2

# The touch profile: COMMAND again under lackey, its log streamed into prezero touch-profile.
if [ "$touch_seconds" != 0 ]; then
    touch="$name.touch.json"
    mkfifo "$snapshot/lackey"
    label="valgrind lackey run of: $*"
    "$prezero" touch-profile - --label "$label" -o "$touch.tmp" < "$snapshot/lackey" &
    reader=$!
    lackey_status=0
    timeout --signal=INT "$touch_seconds" valgrind --tool=lackey --trace-mem=yes --trace-children=yes --log-file="$snapshot/lackey" "$@" >/dev/null || lackey_status=$?
    if [ $lackey_status = 124 ]; then
        echo "note: the lackey run was cut after $touch_seconds s: the touch profile covers the pages touched until then" >&2
        label="$label (cut after $touch_seconds s)"
    fi
    if wait "$reader"; then
        # The label says whether the run was cut; set it once the run is over.
        python3 - "$touch.tmp" "$label" <<'PY'
import json, sys
path, label = sys.argv[1], sys.argv[2]
profile = json.load(open(path))
profile["sources"] = [label]
json.dump(profile, open(path, "w"), indent=2, sort_keys=True)
PY
        mv "$touch.tmp" "$touch"
        echo "wrote $touch" >&2
    else
        rm -f "$touch.tmp"
        echo "capture-perf.sh: the touch profile failed (lackey exit status $lackey_status); the capture is kept" >&2
        [ $status = 0 ] && status=1
    fi
fi
exit $status
