#!/usr/bin/env bash
# The main job on a bundled trace, from nothing: install the system dependency when missing,
# build in release mode, summarise traces/gcc-lz4.perf.txt.zst.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/setup.sh"
cd "$root"
swift build -c release
.build/release/prezero stat traces/gcc-lz4.perf.txt.zst
