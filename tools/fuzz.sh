#!/usr/bin/env bash
# Build a libFuzzer target over the PrezeroTrace sources and run it.
#
# usage: tools/fuzz.sh TARGET SECONDS      TARGET: text | lackey | native | trace-dat | perf-data
# Crashing inputs land in Fuzz/crashes-TARGET/; the corpus in Fuzz/corpus-TARGET/ starts from
# the bundled traces (first 64 KB of each, decompressed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: tools/fuzz.sh text|lackey|native|trace-dat|perf-data SECONDS}
seconds=${2:-60}
case "$target" in
    text) harness=FuzzTextParser.swift;;
    lackey) harness=FuzzLackey.swift;;
    native) harness=FuzzNative.swift;;
    trace-dat|perf-data) harness=FuzzBinaryTrace.swift; export PREZERO_FUZZ_FORMAT=$target;;
    *) echo "fuzz.sh: unknown target '$target' (text, lackey, native, trace-dat, perf-data)" >&2; exit 2;;
esac
build="$root/.build-fuzz"
mkdir -p "$build" "$root/Fuzz/corpus-$target" "$root/Fuzz/crashes-$target"
inc=$(pkg-config --cflags-only-I libzstd 2>/dev/null || true)
# PrezeroTrace's package dependency (hdrhistogram-swift, on swift-numerics) from SwiftPM's own
# build, not instrumented: its modules and objects.
(cd "$root" && swift build -c release --target Histogram >/dev/null)
deps="$root/.build/release"
shims=$(find "$root/.build/checkouts/swift-numerics/Sources/_NumericsShims" -name module.modulemap | head -1)
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name PrezeroTrace -package-name prezero \
    -I "$root/Sources/CZstd" -I "$root/Sources/CTraceStream/include" $inc -Xcc -I"$root/Sources/CZstd" \
    -I "$deps/Modules" -Xcc -fmodule-map-file="$shims" \
    $(find "$root/Sources/PrezeroTrace" -name '*.swift') "$root/Fuzz/$harness" \
    "$deps"/Histogram.build/*.o "$deps"/RealModule.build/*.o "$deps"/_NumericsShims.build/*.o \
    -lzstd -o "$build/fuzz-$target"
if [ "$target" = trace-dat ] || [ "$target" = perf-data ]; then
    # The helper that runs the libraries, out of this process (crashes there are expected input).
    (cd "$root" && swift build -c release --product "prezero-$target" >/dev/null)
    export PREZERO_TRACE_DAT_HELPER="$root/.build/release/prezero-trace-dat"
    export PREZERO_PERF_DATA_HELPER="$root/.build/release/prezero-perf-data"
fi
corpus="$root/Fuzz/corpus-$target"
if [ -z "$(ls -A "$corpus")" ]; then
    for t in "$root"/traces/* "$root"/Tests/PrezeroTraceTests/Fixtures/*.trace.dat.zst "$root"/Tests/PrezeroTraceTests/Fixtures/*.perf.data.zst; do
        case "$t" in
            *.txt.zst) [ "$target" = text ] && zstd -dc "$t" | head -c 65536 > "$corpus/$(basename "$t").seed" || true;;
            *.lackey.zst) [ "$target" = lackey ] && zstd -dc "$t" | head -c 65536 > "$corpus/$(basename "$t").seed" || true;;
            *.trace.dat.zst) [ "$target" = trace-dat ] && zstd -dc "$t" > "$corpus/$(basename "$t").seed" || true;;
            *.perf.data.zst) [ "$target" = perf-data ] && zstd -dc "$t" | head -c 1048576 > "$corpus/$(basename "$t").seed" || true;;
            *.pzt) [ "$target" = native ] && python3 - "$t" "$corpus/$(basename "$t").seed" <<'PY' || true
import struct, subprocess, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", data, 6)[0]
stream = subprocess.run(["zstd", "-dc"], input=data[10 + n:], capture_output=True).stdout
open(sys.argv[2], "wb").write(stream[:65536])
PY
            ;;
        esac
    done
fi
cd "$root/Fuzz/crashes-$target"
max_len=65536
leaks=1
# A whole small trace.dat (its headers alone are ~100 KB), a perf.data's first MiB. Each input starts a helper process,
# so leak checks (which fork) are off: the harness itself allocates nothing it keeps.
{ [ "$target" = trace-dat ] || [ "$target" = perf-data ]; } && max_len=1048576 leaks=0
"$build/fuzz-$target" -max_total_time="$seconds" -max_len=$max_len -detect_leaks=$leaks -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -15
