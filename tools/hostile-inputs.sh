#!/usr/bin/env bash
# The hostile-input suite (issue 6): builds bad inputs, runs prezero on each under a time and
# memory limit, and checks the exit code, that the message names the file and the line or
# byte offset, or that the anomaly is counted. Run by .ci/run after the tests.
#
# usage: tools/hostile-inputs.sh [PREZERO_BINARY]    (default: .build/debug/prezero)
# Needs: zstd, GNU time (/usr/bin/time), coreutils timeout.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prezero=${1:-$root/.build/debug/prezero}
[ -x "$prezero" ] || { echo "hostile-inputs.sh: $prezero not built (swift build)" >&2; exit 1; }
prezero=$(cd "$(dirname "$prezero")" && pwd)/$(basename "$prezero")  # absolute: the suite works in a temporary folder
for tool in zstd /usr/bin/time timeout; do
    command -v "$tool" >/dev/null || { echo "hostile-inputs.sh: $tool not found (apt-get install zstd time)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PREZERO_CONFIG_DIR="$work/config"  # no calibrated profile of this machine: the built-in default
cd "$work"

limit_seconds=120
limit_kb=$((256 * 1024))  # every case must stay under 256 MB resident
failures=0
cases=0

# check NAME EXPECTED_RC PATTERN COMMAND...: PATTERN (extended regex) must match stdout+stderr.
check() {
    local name=$1 want=$2 pattern=$3
    shift 3
    cases=$((cases + 1))
    /usr/bin/time -o time.txt -f "%e %M" timeout "$limit_seconds" "$@" > out.txt 2>&1
    local rc=$?
    read -r seconds kb < <(tail -1 time.txt)
    local verdict=ok
    if [ "$rc" = 124 ]; then verdict="HANG (killed after ${limit_seconds}s)"
    elif [ "$rc" -ge 128 ]; then verdict="CRASH (signal $((rc - 128)))"
    elif [ "$rc" != "$want" ]; then verdict="exit $rc, expected $want"
    elif ! grep -aEq -- "$pattern" out.txt; then verdict="output lacks /$pattern/"
    elif [ "${kb:-0}" -gt "$limit_kb" ]; then verdict="${kb} KB resident (limit ${limit_kb})"
    fi
    printf '%-44s exit %-3s %6ss %7s KB  %s\n' "$name" "$rc" "$seconds" "$kb" "$verdict"
    if [ "$verdict" != ok ]; then
        failures=$((failures + 1))
        sed 's/^/    | /' out.txt | head -5
    fi
}

# A write after a zero-page read (0x7) and its __GFP_ZERO page: a zero-fill fault.
fault='            perf  5539/5539  [001]   728.989708000:     exceptions:page_fault_user: address=0x7f02cc82d408 ip=0x55e9a184743d error_code=0x7'
alloc='            perf  5539/5539  [001]   728.989709000:             kmem:mm_page_alloc: page=0x158f78 pfn=0x158f78 order=0 migratetype=0 gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_ZERO'
free='            perf  5539/5539  [001]   728.989710000:             kmem:mm_page_free: page=0x158f78 pfn=0x158f78 order=0'
trace() { printf '%s\n' "$@"; }

# Compressed streams.
trace_file="$root/traces/git-clone.perf.txt.zst"
size=$(stat -c %s "$trace_file")
head -c $((size / 2)) "$trace_file" > truncated.zst
check "truncated zstd" 2 "truncated.zst: \(byte offset $((size / 2))\).*truncated" "$prezero" stat truncated.zst
cp "$trace_file" corrupt.zst
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of=corrupt.zst bs=1 seek=5000 conv=notrunc status=none
check "corrupt zstd frame" 2 "corrupt.zst: \(byte offset [0-9]+\): corrupt zstd data" "$prezero" stat corrupt.zst
head -c 4G /dev/zero | zstd -1 -q -o bomb-zeros.zst
check "zstd bomb: 4 GiB of NULs from $(stat -c %s bomb-zeros.zst) B" 2 "bomb-zeros.zst:1 \(decompressed byte offset 0\): line longer than" "$prezero" stat bomb-zeros.zst
head -c 256M /dev/zero | tr '\0' '\n' | zstd -1 -q -o bomb-newlines.zst
check "zstd bomb: 256 MiB of newlines, streamed" 0 "allocation requests" "$prezero" stat bomb-newlines.zst
head -c 1000000 /dev/urandom > garbage.bin
check "binary garbage" 2 "garbage.bin:1: no perf script or ftrace line" "$prezero" stat garbage.bin
{ printf '%s\n' "$fault"; head -c 10M /dev/zero | tr '\0' 'x'; } > long-line.txt
check "10 MB line without a newline" 2 "long-line.txt:2 \(decompressed byte offset [0-9]+\): line longer than" "$prezero" stat long-line.txt

# Bad fields: counted as malformed lines, fatal with --strict (which names the line).
{ trace "$fault" "$alloc"; printf '%s\0\0\0%s\n' "${alloc:0:60}" "${alloc:63}"; } > nul.txt
check "NUL bytes in a line (counted)" 0 "line 3: NUL byte at column 61" "$prezero" stat nul.txt
check "NUL bytes in a line (--strict)" 2 "nul.txt:3: trace anomalies with --strict: 1 malformed lines" "$prezero" stat --strict nul.txt
trace "$fault" "${alloc/pfn=0x158f78/pfn=0x1158f78000000000000}" > overflow.txt
check "number overflowing 64 bits" 0 "line 2: pfn overflows 64 bits" "$prezero" stat overflow.txt
trace "$fault" "${alloc/order=0/order=-1}" > negative-order.txt
check "negative order" 0 "line 2: order is not a number in 0...63" "$prezero" stat negative-order.txt
trace "$fault" "${alloc/pfn=0x158f78/pfn=0x7fffffffffff}" > huge-pfn.txt
check "pfn beyond 52 physical address bits" 0 "line 2: pfn 0x7fffffffffff is beyond a 52-bit" "$prezero" stat huge-pfn.txt

# Well-formed lines the model must survive: counted in the replay, fatal with --strict. These
# few lines hold no zero-fill fault, so the replay also says "no verdict" and exits 4.
trace "$fault" "${alloc/order=0/order=40}" > huge-order.txt
check "order 40 (replay counts it)" 4 "allocations_above_max_order +1" "$prezero" replay huge-order.txt
check "order 40 (--strict)" 2 "huge-order.txt: trace anomalies with --strict: 1 allocations above the max order \(first: order-40 allocation at 728.989709000 s" "$prezero" replay --strict huge-order.txt
trace "$fault" "${alloc/pfn=0x158f78/pfn=0xfffffffff}" "${free/pfn=0x158f78/pfn=0xfffffffff}" > pfn-beyond-memory.txt
check "pfn beyond the modelled memory (an identity)" 0 "allocations +1" "$prezero" replay pfn-beyond-memory.txt
trace "$fault" "$alloc" "${free/728.989710000/728.000000000}" > backwards.txt
check "timestamps going backwards (counted)" 0 "timestamps_backwards +1" "$prezero" replay backwards.txt
check "timestamps going backwards (--strict)" 2 "backwards.txt: trace anomalies with --strict: 1 timestamps going backwards \(first: timestamp 728.000000000 s after 728.989709000 s\)" "$prezero" replay --strict backwards.txt
check "timestamps going backwards (stat)" 0 "timestamps going backwards +: 1" "$prezero" stat backwards.txt
# A CPU beyond the profile's is a larger machine's (the replay models as many), one beyond any
# kernel's 8,192 a damaged line (folded, counted).
trace "${fault/\[001\]/[977]}" "${alloc/\[001\]/[977]}" > cpu-larger.txt
check "CPU ids beyond the profile's" 0 "cpus 978, at least: its events name CPU ids up to 977" "$prezero" replay cpu-larger.txt
trace "${fault/\[001\]/[9000]}" "${alloc/\[001\]/[9000]}" > cpu-beyond.txt
check "CPU ids beyond any kernel's" 0 "events_on_cpus_beyond_profile +2" "$prezero" replay cpu-beyond.txt
check "CPU ids beyond any kernel's (--strict)" 2 "cpu 9000 at 728.989708000 s is beyond the machine's 2 CPUs" "$prezero" replay --strict cpu-beyond.txt
trace "$fault" "$alloc" "${alloc/728.989709000/728.989709500}" > double-alloc.txt
check "second allocation of a live pfn" 0 "second_allocations_of_live_pfn +1" "$prezero" replay double-alloc.txt
# A clean real capture passes --strict: its re-allocations of live pfns are frees perf lost in
# CPU 1's idle context (IdleContextFrees); a duplicated line of a user page or of a page table
# on CPU 0 (whose idle context the capture does record) still fails.
check "real capture, --strict (lost idle-context frees)" 0 "frees_lost_in_idle_context +40" "$prezero" replay --strict "$root/traces/git-clone.perf.txt.zst"
zstd -dc "$root/traces/git-clone.perf.txt.zst" | awk '!done && /mm_page_alloc:/ && /GFP_HIGHUSER_MOVABLE\|__GFP_ZERO/ { print; done = 1 } { print }' > dup-user.perf.txt
check "real capture, a user page allocated twice (--strict)" 2 "dup-user.perf.txt: trace anomalies with --strict: 1 allocations of an already-live pfn" "$prezero" replay --strict dup-user.perf.txt
zstd -dc "$root/traces/git-clone.perf.txt.zst" | awk '!done && /\[000\]/ && /mm_page_alloc:/ && /GFP_KERNEL_ACCOUNT\|__GFP_ZERO/ { print; done = 1 } { print }' > dup-table.perf.txt
check "real capture, a CPU 0 page table twice (--strict)" 2 "dup-table.perf.txt: trace anomalies with --strict: 1 allocations of an already-live pfn" "$prezero" replay --strict dup-table.perf.txt
check "second allocation of a live pfn (stat)" 0 "allocations of an already-live pfn +: 1" "$prezero" stat double-alloc.txt
trace "$fault" "$free" > unknown-free.txt
check "free of an unknown pfn" 4 "frees_of_pages_allocated_before_capture +1" "$prezero" replay unknown-free.txt
trace "$fault" "${alloc/kmem:mm_page_alloc/kmem:mm_frobnicate}" > unknown-event.txt
check "unknown event" 0 "unknown event lines \(skipped\) +: 1" "$prezero" stat unknown-event.txt
: > empty.txt
check "empty trace: no verdict (replay)" 4 "empty.txt: no verdict: the capture has no kmem:mm_page_alloc and no exceptions:page_fault_user events; capture with tools/capture-perf.sh" "$prezero" replay empty.txt
check "empty trace: no verdict (stat)" 0 "^no verdict: the capture has no kmem:mm_page_alloc" "$prezero" stat empty.txt
trace "$alloc" "$free" > kmem-only.txt
check "perf kmem record capture: no verdict (compare)" 4 "kmem-only.txt: no verdict: the capture has no exceptions:page_fault_user events" "$prezero" compare kmem-only.txt --policies oracle -o kmem-report.md
grep -q "^\*\*No verdict\*\*" kmem-report.md || { echo "compare wrote no 'No verdict' for a capture without faults"; failures=$((failures + 1)); }
{ trace "$fault" "$alloc"; echo '             cat-7077    [001] d....   774.865817: page_fault_user: address=0x560af984c6b6 ip=0x7fbddbc7713e error_code=0x4'; } > mixed.txt
check "perf and ftrace lines mixed (counted)" 0 "lines in a second format +: 1" "$prezero" stat mixed.txt
check "perf and ftrace lines mixed (--strict)" 2 "mixed.txt: trace anomalies with --strict: 1 lines in a second text format" "$prezero" replay --strict mixed.txt
check "mixed lines, compare --strict" 2 "mixed.txt: trace anomalies with --strict: 1 lines in a second text format" "$prezero" compare --strict mixed.txt --policies oracle -o compare-report.md
[ ! -e compare-report.md ] || { echo "compare --strict wrote a report for a trace it rejected"; failures=$((failures + 1)); }
printf 'traces = ["%s"]\n[[policy]]\nname = "oracle"\n' "$PWD/backwards.txt" > plan.toml
check "backwards timestamps, batch --strict" 2 "backwards.txt: trace anomalies with --strict: 1 timestamps going backwards" "$prezero" batch --strict plan.toml -o batch-results
[ -z "$(ls -A batch-results 2>/dev/null)" ] || { echo "batch --strict wrote results for a trace it rejected"; failures=$((failures + 1)); }
{ trace "$fault" "$alloc"; echo ' L 7ff000a38,8'; } > perf-then-lackey.txt
check "perf then lackey lines" 0 "line 3: no ' \[CPU\] ' column" "$prezero" stat perf-then-lackey.txt

# trace.dat: read by libtracecmd in the prezero-trace-dat helper.
fixtures="$root/Tests/PrezeroTraceTests/Fixtures"
zstd -q -dc "$fixtures/trace-cmd-record.trace.dat.zst" > whole.dat
head -c 100000 whole.dat > cut.dat
check "trace.dat cut short" 2 "cut.dat: \(byte offset 100000\): libtracecmd cannot read this trace.dat \(version 7, 100000 bytes\)" "$prezero" stat cut.dat
{ head -c 316034 whole.dat; zstd -q -dc "$fixtures/libtracecmd-crash-at-316034.bin.zst"; tail -c +323524 whole.dat; } > crashes-libtracecmd.dat
check "trace.dat that crashes libtracecmd" 2 "crashes-libtracecmd.dat: \(byte offset 341759\): libtracecmd crashed \(signal 11\)" "$prezero" stat crashes-libtracecmd.dat
{ head -c 10 whole.dat; head -c 200000 /dev/urandom; } > magic-then-garbage.dat
check "trace.dat magic, then garbage" 2 "magic-then-garbage.dat: \(byte offset 200010\): libtracecmd" "$prezero" replay magic-then-garbage.dat
zstd -q -c whole.dat > whole.dat.zst
check "trace.dat, zstd on stdin" 0 "format +: trace.dat" sh -c '"$0" stat - < whole.dat.zst' "$prezero"
check "trace.dat, plain on stdin" 0 "format +: trace.dat" sh -c '"$0" stat - < whole.dat' "$prezero"

# perf.data: read by the prezero-perf-data helper.
zstd -q -dc "$fixtures/perf-record.perf.data.zst" > whole.perf.data
check "perf.data, plain on stdin" 0 "format +: perf.data" sh -c '"$0" stat - < whole.perf.data' "$prezero"
# A pipe named by a path (process substitution, a named pipe): read once, from its first byte.
check "perf.data, zstd through <(...)" 0 "format +: perf.data" bash -c '"$0" stat <(cat "$1")' "$prezero" "$fixtures/perf-record.perf.data.zst"
check "text, zstd through <(...)" 0 "format +: perf-script" bash -c '"$0" stat <(cat "$1")' "$prezero" "$root/traces/xz-6.perf.txt.zst"
head -c 2000000 whole.perf.data > cut.perf.data
check "perf.data cut short" 2 "cut.perf.data: \(byte offset [0-9]+\): cannot read this perf.data \(2000000 bytes\): the data section" "$prezero" stat cut.perf.data
{ head -c 8 whole.perf.data; head -c 300000 /dev/urandom; } > perf-magic-then-garbage.data
check "perf.data magic, then garbage" 2 "perf-magic-then-garbage.data: \(byte offset [0-9]+\): cannot read this perf.data" "$prezero" replay perf-magic-then-garbage.data
cp whole.perf.data records-damaged.perf.data
# 64 KiB of its own records shifted by 7 bytes: deterministic (random bytes were skipped as
# records of unknown types now and then, so the run passed or failed by chance).
dd if=whole.perf.data of=records-damaged.perf.data bs=1 skip=1000007 seek=1000000 count=65536 conv=notrunc status=none
check "perf.data with damaged records" 2 "records-damaged.perf.data: \(byte offset [0-9]+\): cannot read this perf.data .*record" "$prezero" stat records-damaged.perf.data
# 64 KiB of random bytes (seeded) over its records: a record type no perf writes, not records
# of unknown types skipped to the end.
cp whole.perf.data records-random.perf.data
python3 -c 'import random, sys; random.seed(7); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(65536)))' > random.bin
dd if=random.bin of=records-random.perf.data bs=1 seek=1000000 conv=notrunc status=none
check "perf.data with random bytes over its records" 2 "records-random.perf.data: \(byte offset [0-9]+\): cannot read this perf.data .*record" "$prezero" stat records-random.perf.data
# A tracepoint sampled (perf record -F 99), not recorded at each hit, through a replay too.
check "perf.data of a sampled tracepoint" 2 "\(byte offset 168\): cannot read this perf.data \([0-9]+ bytes\): kmem:mm_page_alloc was sampled at 99 samples a second" "$prezero" replay "$fixtures/perf-sampled-f99.perf.data.zst"

# A profile the cache model cannot hold: more than 256 ways (a set's recency order is bytes);
# the sed widens the L2 as well, past the same limit.
"$prezero" profiles epyc-zen5-vm --json | sed 's/"ways" : 16/"ways" : 512/; s/"size_bytes" : 33554432/"size_bytes" : 1073741824/' > wide-llc.json
check "profile with a 512-way LLC" 64 "llc\.ways 512(\.0)? is outside whole numbers 1\.\.\.256" "$prezero" replay --profile wide-llc.json "$root/traces/git-clone.perf.txt.zst"

# A sidecar's kernel counters of the wrong type or negative (counters only rise), and of absurd
# values (counts summing past 2^64, an mTHP size whose bytes overflow): a clear error naming the
# field; a disagreement shown, never a trap.
cp "$fixtures/perf-mthp-memcg.perf.data.zst" counters.perf.data.zst
sed 's/"pgfault": [0-9]*/"pgfault": "many"/' "$fixtures/perf-mthp-memcg.meta.json" > counters.meta.json
check "sidecar kernel counter of the wrong type" 2 "counters.meta.json: field 'kernel_counters.rise.pgfault' has the wrong type" "$prezero" stat counters.perf.data.zst
sed 's/"pgfault": [0-9]*/"pgfault": -5/' "$fixtures/perf-mthp-memcg.meta.json" > counters.meta.json
check "sidecar kernel counter below zero" 2 "counters.meta.json: field 'kernel_counters.rise.pgfault'" "$prezero" stat counters.perf.data.zst
sed 's/"pgfault": [0-9]*/"pgfault": 1, "pgalloc_dma": 18446744073709551000, "hugepages-9999999999999999kB\/anon_fault_alloc": 3/; s/"hugepages-64kB\/anon_fault_alloc": [0-9]*/"hugepages-64kB\/anon_fault_alloc": 18446744073709551615/' \
    "$fixtures/perf-mthp-memcg.meta.json" > counters.meta.json
check "sidecar kernel counters of absurd values" 0 "hugepages-64kB/anon_fault_alloc +18446744073709551615 .*DIFFERS" "$prezero" stat counters.perf.data.zst

echo "$cases cases, $failures failed"
[ "$failures" = 0 ]
