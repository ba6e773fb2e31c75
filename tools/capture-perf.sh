#!/usr/bin/env bash
# Record the page-allocator, fault and scheduler tracepoints prezero uses, system-wide, while
# COMMAND runs; write NAME.perf.txt.zst (perf script text) and NAME.meta.json (machine snapshot,
# including what `perf kmem --page stat` printed for the same perf.data, as a cross-check).
#
# usage: tools/capture-perf.sh [-o NAME] [-l ZSTD_LEVEL] [-m MMAP_PAGES] [--keep-data] [--no-alloc-zone] -- COMMAND...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/metadata.sh"

name=capture level=12 mmap_pages=1024 keep=0 drop_zone=0
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o) name=$2; shift 2;;
        -l) level=$2; shift 2;;
        -m) mmap_pages=$2; shift 2;;
        --keep-data) keep=1; shift;;
        --no-alloc-zone) drop_zone=1; shift;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "capture-perf.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "capture-perf.sh: no COMMAND after --" >&2; usage; }
command -v perf >/dev/null || { echo "capture-perf.sh: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "capture-perf.sh: zstd not found (Debian: apt-get install zstd)" >&2; exit 1; }

events=$(available_events)
if [ $drop_zone = 1 ]; then
    events=$(printf '%s' "$events" | tr ',' '\n' | grep -v -e alloc_zone_locked -e pcpu_drain | paste -sd, -)
fi
event_args=()
for e in ${events//,/ }; do event_args+=(-e "$e"); done

data="$name.perf.data"
snapshot=$(mktemp -d)
trap 'rm -rf "$snapshot"' EXIT
cp /proc/buddyinfo "$snapshot/buddyinfo"
cp /proc/zoneinfo "$snapshot/zoneinfo"

start=$(date +%s.%N)
status=0
perf record -q -a -m "$mmap_pages" "${event_args[@]}" -o "$data" -- "$@" || status=$?
end=$(date +%s.%N)

perf script -i "$data" --show-lost-events -F comm,pid,tid,cpu,time,event,trace --ns 2>/dev/null \
    | zstd -q -T0 "-$level" > "$name.perf.txt.zst.tmp"
mv "$name.perf.txt.zst.tmp" "$name.perf.txt.zst"

# perf kmem's own summary of the same perf.data: the oracle `prezero stat` must equal.
kmem=$(perf kmem -i "$data" --page stat 2>/dev/null | sed -n '/^SUMMARY (page allocator)/,/^Total allocation failures/p')
extra=",
  \"perf_kmem_page_stat\": $(json_string "$kmem"),
  \"perf_version\": $(json_string "$(perf --version)")"
BUDDYINFO_SNAPSHOT="$snapshot/buddyinfo" ZONEINFO_SNAPSHOT="$snapshot/zoneinfo" \
    write_metadata "$name.meta.json" "tools/capture-perf.sh" "perf-script" "$events" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$extra" "$@"

[ $keep = 1 ] || rm -f "$data" "$data.old"
lines=$(zstd -dc "$name.perf.txt.zst" | wc -l)
echo "wrote $name.perf.txt.zst ($(du -h "$name.perf.txt.zst" | cut -f1), $lines lines) and $name.meta.json" >&2
exit $status
