#!/usr/bin/env bash
# Run the test suite under AddressSanitizer and ThreadSanitizer (separate build folders).
# Leak detection is off: LeakSanitizer only reports objects held by Foundation's Process and
# XCTest's runner, not prezero's.
#
# usage: tools/sanitize.sh [address|thread]...   (default: both)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
for sanitizer in "${@:-address thread}"; do
    for s in $sanitizer; do
        echo "== swift test --sanitize=$s" >&2
        ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 \
            swift test --sanitize="$s" --scratch-path ".build-$s" || status=1
    done
done
exit $status
