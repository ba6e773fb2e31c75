#!/usr/bin/env bash
# Replays every bundled trace under every policy, cold and warmed (--warmup idle:1), and writes
# each `replay --json` to OUTDIR/TRACE.POLICY.WARMUP.json: the "before" and "after" sets that
# tools/compare-results.py compares metric by metric when a change must leave results equal.
#
# usage: tools/replay-all.sh PREZERO OUTDIR [EXTRA REPLAY ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: tools/replay-all.sh PREZERO OUTDIR [ARGS...]" >&2; exit 2; }
prezero=$1 out=$2
shift 2
mkdir -p "$out"
export PREZERO_CONFIG_DIR=${PREZERO_CONFIG_DIR:-$(mktemp -d)}  # built-in profiles, not a calibrated host
policies=$("$prezero" policies | sed -n "s/^### //p")
for trace in "$root"/traces/*.zst "$root"/traces/*.pzt; do
    name=$(basename "$trace"); name=${name%%.*}
    for policy in $policies; do
        for warm in none idle:1; do
            rc=0
            "$prezero" replay "$trace" --policy "$policy" --warmup "$warm" --json "$@" \
                > "$out/$name.$policy.${warm/:/}.json" 2>/dev/null || rc=$?
            # 4: no verdict (no zero-fill faults) still writes its result
            [ $rc -eq 0 ] || [ $rc -eq 4 ] || { echo "replay-all.sh: $name $policy $warm: exit $rc" >&2; exit 1; }
        done
    done
done
echo "$(ls "$out" | wc -l) results in $out"
