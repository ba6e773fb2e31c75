#!/usr/bin/env bash
# The model's invariant checker (free pages conserved, no block both free and allocated, no
# block called zero after it was dirtied, the zeroing law: no more pages served zeroed than were
# zeroed before the window and in it) on every bundled trace under every policy and built-in
# profile, plus a synthetic page-fault test with huge pages; and the oracle bound on each
# (tools/lib/oracle-bound.py: no policy beats `oracle`). Run by .ci/run; exits non-zero on any
# violation.
#
# usage: tools/check-invariants.sh [PREZERO_BINARY]    (default: builds and uses .build/release/prezero:
# 30 replays per trace take ~14 min with a debug build, ~2 min with a release one)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
    (cd "$root" && swift build -c release --product prezero >/dev/null) || { echo "check-invariants.sh: release build failed" >&2; exit 1; }
fi
prezero=${1:-$root/.build/release/prezero}
[ -x "$prezero" ] || { echo "check-invariants.sh: $prezero not built (swift build)" >&2; exit 1; }
prezero=$(cd "$(dirname "$prezero")" && pwd)/$(basename "$prezero")  # absolute: the suite works in a temporary folder
work=$(mktemp -d)
export PREZERO_CONFIG_DIR="$work/config"  # no calibrated profile of this machine: the built-in default
trap 'rm -rf "$work"' EXIT
policies=$("$prezero" policies | sed -n "s/^### //p" | paste -sd, -)
count=$(echo "$policies" | tr ',' '\n' | wc -l)
"$prezero" synth pft --memory 256M --reps 2 --threads 2 --cpus 2 --order 9 --page-size 4KiB -o "$work/pft-thp.txt.zst" >/dev/null 2>&1
status=0
profiles=$("$prezero" profiles 2>/dev/null | awk '$1 != "host" {print $1}')  # the built-ins
for profile in $profiles; do
    for trace in "$root"/traces/*.zst "$root"/traces/*.pzt "$work/pft-thp.txt.zst"; do
        name="$(basename "$trace") on $profile"
        if "$prezero" compare "$trace" --profile "$profile" --policies "$policies" --sensitivity off --check --check-every 10000 \
            -o "$work/report.md" --json "$work/results.json" 2> "$work/err.txt"; then
            passed=$(grep -c "invariant checks passed" "$work/err.txt" || true)
            checks=$(grep -o "[0-9]* invariant checks passed" "$work/err.txt" | awk '{s += $1} END {print s}')
            if [ "$passed" != "$count" ]; then
                echo "FAIL  $name: $passed of $count policies reported their checks"; status=1
            elif ! python3 "$root/tools/lib/oracle-bound.py" "$work/results.json" > "$work/bound.txt"; then
                echo "FAIL  $name:"; grep FAIL "$work/bound.txt" | sed 's/^/    | /'; status=1
            else
                echo "ok    $name: $count policies, $checks checks, oracle bounds them"
            fi
        else
            echo "FAIL  $name:"; sed 's/^/    | /' "$work/err.txt" | head -10; status=1
        fi
    done
done
exit $status
