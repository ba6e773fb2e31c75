#!/usr/bin/env bash
# Regenerate the sample captures in traces/ (needs root, perf, tracefs, gcc, git, python3, zstd, valgrind,
# network access to PyPI for the lz4 sources). Each workload is a real program doing real work.
#
# usage: tools/capture-bundled.sh [WORKLOAD...]   (default: all)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/traces"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

gcc_build() {
    pip download -q --no-binary :all: --no-deps lz4==4.4.5 -d "$work" >/dev/null
    tar xzf lz4-4.4.5.tar.gz
    "$root/tools/capture-perf.sh" -l 19 -o "$out/gcc-lz4" -- \
        sh -c 'ls lz4-4.4.5/lz4libs/*.c | xargs -P 2 -I{} gcc -O2 -c {} -o /dev/null'
}

zstd_compress() {
    # A 24 MB mix of program binaries, compressed at level 15 on one thread.
    cat /usr/bin/perf /usr/bin/git /usr/lib/x86_64-linux-gnu/libstdc++.so.6 2>/dev/null | head -c 24000000 > input.bin
    "$root/tools/capture-perf.sh" -l 19 -o "$out/zstd-15" -- zstd -q -15 -T1 -f input.bin -o input.bin.zst
}

git_clone() {
    local src=/opt/swift-packages/apple/swift-collections.git
    [ -d "$src" ] || src=$(ls -d /opt/swift-packages/*/*.git | head -1)
    "$root/tools/capture-perf.sh" -l 19 -o "$out/git-clone" -- \
        sh -c "git clone -q --no-local '$src' repo && git -C repo log -p -n 300 > /dev/null"
}

python_sort() {
    "$root/tools/capture-ftrace.sh" -l 19 -o "$out/python-sort" -- \
        python3 -c 'import random; random.seed(1); xs=[random.random() for _ in range(1_000_000)]; xs.sort(); d={i: str(i) for i in range(300_000)}'
}

python_bytearray_tracecmd() {
    "$root/tools/capture-ftrace.sh" --via trace-cmd --tgid -l 19 -o "$out/python-bytearray" -- \
        python3 -c 'x = bytearray(64 << 20); y = bytes(x[::4096])'
}

thp_touch() {
    # THP faults (MADV_HUGEPAGE, one byte per 2 MiB) and zero-page copy-on-write faults. Needs THP
    # enabled at least for madvise; when it is "never", it is set to madvise and restored after.
    gcc -O2 -o thp-touch "$root/tools/workloads/thp-touch.c"
    local thp=/sys/kernel/mm/transparent_hugepage/enabled was
    was=$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$thp")
    if [ "$was" = never ]; then
        echo madvise > "$thp"
        trap 'echo never > '"$thp"'; rm -rf "$work"' EXIT
    fi
    "$root/tools/capture-perf.sh" -l 19 -o "$out/thp-touch" -- ./thp-touch 32 512
    if [ "$was" = never ]; then echo never > "$thp"; trap 'rm -rf "$work"' EXIT; fi
}

fault_paths() {
    # Zeroing outside a user write fault and first writes that are not zero-fill faults
    # (tools/workloads/fault-paths.c), 16 MiB each: read() of /dev/zero into a fresh mapping (the
    # kernel's writes fault: 0x2 in kernel mode); MAP_POPULATE (pages zeroed with no fault event);
    # shared anonymous memory (shmem pages, cleared after an allocation without __GFP_ZERO); a
    # cached shared file written (no allocation); MAP_HUGETLB (pool pages, no allocation, no
    # memory counter: vm.nr_hugepages is raised to 8 for it and restored). Text only.
    gcc -O2 -pthread -o fault-paths "$root/tools/workloads/fault-paths.c"
    local pool=/proc/sys/vm/nr_hugepages had
    had=$(cat "$pool")
    [ "$had" -ge 8 ] || echo 8 > "$pool"
    trap 'echo '"$had"' > '"$pool"'; rm -rf "$work"' EXIT
    "$root/tools/capture-perf.sh" -l 19 -o "$out/fault-paths" -- sh -c \
        './fault-paths readzero 16 && ./fault-paths populate 16 && ./fault-paths shmem 16 && ./fault-paths shared-file 16 && ./fault-paths hugetlb 16'
    echo "$had" > "$pool"
    trap 'rm -rf "$work"' EXIT
    rm -f "$out/fault-paths.perf.data.zst"
}

lackey_sort() {
    seq 1 3000 | shuf --random-source=<(yes) > in.txt
    "$root/tools/capture-lackey.sh" -o "$out/sort-lackey" -- sort in.txt
}

lackey_gzip() {
    head -c 8000 /usr/bin/git > blob
    "$root/tools/capture-lackey.sh" -o "$out/gzip-lackey" -- gzip -9 -f blob
}

lackey_python() {
    # Python's start-up makes an 8 MB lackey log: keep it as .pzt (112 KB), metadata inside.
    "$root/tools/capture-lackey.sh" -o "$work/python-lackey" -- /usr/bin/python3 -S -c 'x = bytearray(1 << 22); x[::4096] = b"y" * 1024'
    "$root/.build/release/prezero" convert "$work/python-lackey.lackey.zst" -o "$out/python-lackey.pzt" --level 19
}

xz_touch() {
    # A kernel capture of xz -6 on 100 kB of a program binary, and (--with-touch) the touch
    # profile of the same command measured under lackey: --touch profile:traces/xz-6.touch.json.
    # The lackey run writes ~4 GB of log through a pipe and takes ~4 minutes.
    head -c 100000 /usr/bin/git > in.bin
    "$root/tools/capture-perf.sh" -l 19 --with-touch -o "$out/xz-6" -- sh -c 'xz -6 -k -c in.bin > /dev/null'
}

l2_pollution() {
    # The L2 pollution experiment of notes §4 (tools/workloads/l2-pollution.c): a 1 MiB working
    # set read, 256 fresh pages write-faulted (0 in the control), the working set read again.
    # The replays' difference is the model's prediction of the measured extra re-read cost.
    gcc -O2 -o l2-pollution "$root/tools/workloads/l2-pollution.c"
    for faults in 256 0; do
        "$root/tools/capture-lackey.sh" -o "$out/l2-pollution-$faults" -- ./l2-pollution -r 1 "$faults"
    done
}

all=(gcc_build zstd_compress git_clone python_sort python_bytearray_tracecmd thp_touch fault_paths lackey_sort lackey_gzip lackey_python l2_pollution xz_touch)
for w in "${@:-${all[@]}}"; do
    echo "== $w" >&2
    "$w"
done
ls -la "$out" >&2
