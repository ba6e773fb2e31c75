#!/usr/bin/env bash
# The model's invariant checker (free pages conserved, no block both free and allocated, no
# block called zero after it was dirtied) on every bundled trace under every policy, plus a
# synthetic page-fault test with huge pages. Run by .ci/run; exits non-zero on any violation.
#
# usage: tools/check-invariants.sh [PREZERO_BINARY]    (default: .build/debug/prezero)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prezero=${1:-$root/.build/debug/prezero}
[ -x "$prezero" ] || { echo "check-invariants.sh: $prezero not built (swift build)" >&2; exit 1; }
prezero=$(cd "$(dirname "$prezero")" && pwd)/$(basename "$prezero")  # absolute: the suite works in a temporary folder
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
policies=$("$prezero" policies | sed -n "s/^### //p" | paste -sd, -)
count=$(echo "$policies" | tr ',' '\n' | wc -l)
"$prezero" synth pft --memory 256M --reps 2 --threads 2 --cpus 2 --order 9 --page-size 4KiB -o "$work/pft-thp.txt.zst" >/dev/null 2>&1
status=0
for trace in "$root"/traces/*.zst "$root"/traces/*.pzt "$work/pft-thp.txt.zst"; do
    if "$prezero" compare "$trace" --policies "$policies" --check --check-every 10000 -o "$work/report.md" 2> "$work/err.txt"; then
        passed=$(grep -c "invariant checks passed" "$work/err.txt" || true)
        checks=$(grep -o "[0-9]* invariant checks passed" "$work/err.txt" | awk '{s += $1} END {print s}')
        if [ "$passed" = "$count" ]; then
            echo "ok    $(basename "$trace"): $count policies, $checks checks"
        else
            echo "FAIL  $(basename "$trace"): $passed of $count policies reported their checks"; status=1
        fi
    else
        echo "FAIL  $(basename "$trace"):"; sed 's/^/    | /' "$work/err.txt" | head -10; status=1
    fi
done
exit $status
