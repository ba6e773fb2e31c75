// Anonymous memory zero-filled by kernel paths other than a user write fault, each alone:
//   populate  MAP_POPULATE: handle_mm_fault from get_user_pages, no fault event at all;
//   populate-thp  the same on a MADV_HUGEPAGE range (MADV_POPULATE_WRITE): 2 MiB THPs;
//   collapse  every page of a MADV_HUGEPAGE range written as base pages (MADV_NOHUGEPAGE first),
//             then MADV_COLLAPSE: THPs allocated with no fault, which copy the base pages;
//   readzero  read() of /dev/zero into a fresh mapping: the kernel's writes fault (0x2, kernel mode);
//   cow       the parent writes every page, a forked child writes them again (0x7 copies, no zeroing);
//   dontneed  8 rounds of writing every page and MADV_DONTNEED: the same addresses fault again;
//   free      8 rounds of writing every page and MADV_FREE: pages not yet reclaimed are reused, unzeroed;
//   hugetlb   MAP_HUGETLB (needs vm.nr_hugepages): pool pages cleared in the fault, no allocation event;
//   rewrite   every page written, then written again: no fault the second time unless memory
//             pressure (a memory cgroup's limit with swap) swapped it out, when it is a swap-in;
//   shmem     MAP_SHARED|MAP_ANONYMOUS (shmem): pages allocated without __GFP_ZERO and cleared by
//             shmem_get_folio_gfp;
//   shared-file  a file written, then mapped MAP_SHARED and written again: its pages are in the page
//             cache, so each first write maps one and allocates nothing;
//   shmem-thp a memfd written, then as much private anonymous memory, both MADV_HUGEPAGE and
//             2 MiB-aligned: shmem THPs (with shmem_enabled advise or always), which carry the
//             anonymous THPs' gfp mask, then anonymous THPs (with enabled madvise or always);
//   shmem-race  two threads write each 2 MiB of one MADV_HUGEPAGE memfd at once: where both fault,
//             the loser's shmem THP finds the winner's in the page cache (shmem_add_to_page_cache
//             fails, -EEXIST) and is freed before any clear, and its fault maps the winner's;
//   anon-race the same on private anonymous memory: the loser's THP is cleared, then freed when
//             its fault finds the PMD taken.
// Base pages only (MADV_NOHUGEPAGE; populate follows the THP setting), but for populate-thp,
// collapse, shmem-thp and the races.
//
// build:   cc -O2 -pthread -o fault-paths tools/workloads/fault-paths.c
// capture: tools/capture-perf.sh -o readzero -- ./fault-paths readzero 128
// shmem THPs: echo advise > /sys/kernel/mm/transparent_hugepage/shmem_enabled (never again after),
//          tools/capture-perf.sh -o shmem-thp -- ./fault-paths shmem-thp 32
// swap-ins: with swap on (a swap file: mkswap, swapon) and a memory cgroup of 64 MiB (v1:
//          mkdir /sys/fs/cgroup/memory/pz; echo 64M > /sys/fs/cgroup/memory/pz/memory.limit_in_bytes;
//          v2: mkdir /sys/fs/cgroup/pz; echo 64M > /sys/fs/cgroup/pz/memory.max; the cgroup.procs
//          path below is then /sys/fs/cgroup/pz/cgroup.procs),
//          tools/capture-perf.sh -o swap -- sh -c 'echo $$ > /sys/fs/cgroup/memory/pz/cgroup.procs && exec ./fault-paths rewrite 128'
// usage:   fault-paths MODE MIB
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char *map(size_t n, int flags) {
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    if (!(flags & MAP_POPULATE)) madvise(p, n, MADV_NOHUGEPAGE);
    return p;
}

/// A 2 MiB-aligned range of `n` bytes: a memfd's shared mapping (shmem) or private anonymous
/// memory, MADV_HUGEPAGE.
static char *thp_range(size_t n, int shmem) {
    char *raw = mmap(NULL, n + (2 << 20), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); exit(1); }
    char *at = (char *)(((uintptr_t)raw + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
    char *p;
    if (shmem) {
        int fd = memfd_create("fault-paths", 0);
        if (fd < 0 || ftruncate(fd, (off_t)n) != 0) { perror("memfd"); exit(1); }
        p = mmap(at, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    } else {
        p = mmap(at, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    }
    if (p == MAP_FAILED) { perror("mmap range"); exit(1); }
    if (madvise(p, n, MADV_HUGEPAGE) != 0) { perror("madvise"); exit(1); }
    return p;
}

/// The races: both threads meet at a barrier before each 2 MiB, then write its first byte.
struct race { char *p; size_t n; pthread_barrier_t *meet; };
static void *race_writer(void *arg) {
    struct race *r = arg;
    for (size_t off = 0; off < r->n; off += 2 << 20) {
        pthread_barrier_wait(r->meet);
        r->p[off] = 1;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 || atoi(argv[2]) <= 0) { fprintf(stderr, "usage: fault-paths populate|populate-thp|collapse|readzero|cow|dontneed|free|hugetlb|rewrite|shmem|shared-file|shmem-thp|shmem-race|anon-race MIB\n"); return 2; }
    const char *mode = argv[1];
    const size_t n = (size_t)atoi(argv[2]) << 20;
    long sum = 0;
    if (!strcmp(mode, "populate")) {
        char *p = map(n, MAP_POPULATE);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "populate-thp")) {
        // 2 MiB-aligned, so every 2 MiB of it can be one THP.
        char *raw = map(n + (2 << 20), MAP_NORESERVE), *p = (char *)(((uintptr_t)raw + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
        if (madvise(p, n, MADV_HUGEPAGE) != 0 || madvise(p, n, MADV_POPULATE_WRITE) != 0) { perror("madvise"); return 1; }
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "collapse")) {
        char *raw = map(n + (2 << 20), MAP_NORESERVE), *p = (char *)(((uintptr_t)raw + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        if (madvise(p, n, MADV_HUGEPAGE) != 0) { perror("madvise"); return 1; }
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
        if (madvise(p, n, MADV_COLLAPSE) != 0) { perror("madvise(MADV_COLLAPSE)"); return 1; }
        for (size_t i = 0; i < n; i += 4096) sum += p[i];
    } else if (!strcmp(mode, "readzero")) {
        char *p = map(n, 0);
        int fd = open("/dev/zero", O_RDONLY);
        if (fd < 0) { perror("/dev/zero"); return 1; }
        for (size_t off = 0; off < n;) {
            ssize_t r = read(fd, p + off, n - off);
            if (r <= 0) { perror("read"); return 1; }
            off += (size_t)r;
        }
        for (size_t i = 0; i < n; i += 4096) sum += p[i];
    } else if (!strcmp(mode, "cow")) {
        char *p = map(n, 0);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        pid_t child = fork();
        if (child == 0) {
            for (size_t i = 0; i < n; i += 4096) p[i] = 2;
            _exit(0);
        }
        waitpid(child, NULL, 0);
    } else if (!strcmp(mode, "dontneed")) {
        char *p = map(n, 0);
        for (int round = 0; round < 8; round++) {
            for (size_t i = 0; i < n; i += 4096) p[i + 64 * (size_t)round] = 1;
            madvise(p, n, MADV_DONTNEED);
        }
    } else if (!strcmp(mode, "free")) {
        char *p = map(n, 0);
        for (int round = 0; round < 8; round++) {
            for (size_t i = 0; i < n; i += 4096) p[i + 64 * (size_t)round] = 1;
            madvise(p, n, MADV_FREE);
        }
    } else if (!strcmp(mode, "hugetlb")) {
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        if (p == MAP_FAILED) { perror("mmap MAP_HUGETLB (is vm.nr_hugepages large enough?)"); return 1; }
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "rewrite")) {
        char *p = map(n, 0);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < n; i += 4096) p[i + 64 * (size_t)pass] = 1;
    } else if (!strcmp(mode, "shmem")) {
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        madvise(p, n, MADV_NOHUGEPAGE);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "shared-file")) {
        char path[] = "/tmp/fault-paths-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) { perror("mkstemp"); return 1; }
        unlink(path);
        char *block = calloc(1, 1 << 20);
        for (size_t off = 0; off < n; off += 1 << 20)
            if (write(fd, block, 1 << 20) != 1 << 20) { perror("write"); return 1; }
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        madvise(p, n, MADV_RANDOM);  // one fault per page, no fault-around
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "shmem-thp")) {
        char *s = thp_range(n, 1);
        for (size_t i = 0; i < n; i += 4096) s[i] = 1;
        char *p = thp_range(n, 0);
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    } else if (!strcmp(mode, "shmem-race") || !strcmp(mode, "anon-race")) {
        pthread_barrier_t meet;
        pthread_barrier_init(&meet, NULL, 2);
        struct race r = { thp_range(n, !strcmp(mode, "shmem-race")), n, &meet };
        pthread_t other;
        if (pthread_create(&other, NULL, race_writer, &r) != 0) { fprintf(stderr, "fault-paths: pthread_create failed\n"); return 1; }
        race_writer(&r);
        pthread_join(other, NULL);
    } else {
        fprintf(stderr, "fault-paths: unknown mode '%s'\n", mode);
        return 2;
    }
    printf("%ld\n", sum);
    return 0;
}
