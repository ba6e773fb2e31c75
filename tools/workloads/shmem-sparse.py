"""Write one byte every 16 KiB of a 192 MiB anonymous shared mapping, then read them back.

Python's mmap.mmap(-1, n) is MAP_SHARED|MAP_ANONYMOUS: shmem. Each first write takes a page
allocated without __GFP_ZERO, which shmem clears after allocating it (mm/shmem.c,
shmem_get_folio_gfp): the first writes prezero counts as first_writes_without_gfp_zero.
Capture: tools/capture-perf.sh -o shmem-sparse --with-touch=1500 -- python3 tools/workloads/shmem-sparse.py
"""
import mmap

SIZE = 192 << 20
STRIDE = 4096 * 4

m = mmap.mmap(-1, SIZE)
for i in range(0, SIZE, STRIDE):
    m[i] = 1
print(sum(m[i] for i in range(0, SIZE, STRIDE)))
