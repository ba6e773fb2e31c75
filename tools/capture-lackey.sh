#!/usr/bin/env bash
# Record every load and store of COMMAND with valgrind's lackey tool; write NAME.lackey.zst
# (zstd-compressed lackey log) and NAME.meta.json (machine snapshot, page and line size).
#
# usage: tools/capture-lackey.sh [-o NAME] [-l ZSTD_LEVEL] -- COMMAND...
# Lackey slows a program ~100x and writes ~15 bytes per access: keep COMMAND small.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/metadata.sh"

name=capture level=19
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -o) name=$2; shift 2;;
        -l) level=$2; shift 2;;
        -h|--help) usage 0;;
        --) shift; break;;
        *) echo "capture-lackey.sh: unknown option '$1'" >&2; usage;;
    esac
done
[ $# -gt 0 ] || { echo "capture-lackey.sh: no COMMAND after --" >&2; usage; }
command -v valgrind >/dev/null || { echo "capture-lackey.sh: valgrind not found (Debian: apt-get install valgrind)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "capture-lackey.sh: zstd not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/log"
zstd -q -T0 "-$level" < "$work/log" > "$name.lackey.zst.tmp" &
compressor=$!
start=$(date +%s.%N)
status=0
valgrind --tool=lackey --trace-mem=yes --trace-children=yes --log-file="$work/log" "$@" || status=$?
end=$(date +%s.%N)
wait "$compressor"
mv "$name.lackey.zst.tmp" "$name.lackey.zst"
write_metadata "$name.meta.json" "tools/capture-lackey.sh" "lackey" "" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" ",
  \"timebase\": \"model\",
  \"valgrind_version\": $(json_string "$(valgrind --version)")" "$@"
echo "wrote $name.lackey.zst ($(du -h "$name.lackey.zst" | cut -f1)) and $name.meta.json" >&2
exit $status
