#!/usr/bin/env bash
# The whole test command (README, .ci/run): the Swift test suite, then the hostile-input suite
# and the invariant checker over every bundled trace under every policy, both on the debug
# build the tests just made.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift test
swift build
echo "== hostile inputs"
tools/hostile-inputs.sh .build/debug/prezero
echo "== invariants: every bundled trace x every policy"
tools/check-invariants.sh .build/debug/prezero
