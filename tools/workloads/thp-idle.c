// thp-idle: the cost of a 2 MiB THP write fault against how long the memory it takes sat free.
// For each idle time S: write and free W MiB (huge pages, so whole 2 MiB blocks go back to the
// free lists backed by the VM's host), sleep S seconds, then fault N huge pages (MADV_HUGEPAGE),
// each timed with rdtscp. A VM's host reclaims memory its guest left free for a few seconds
// (notes §4); the guest's clear of such a page takes the host's faults inside clear_page_erms.
// Usage: thp-idle [N huge pages, default 64] [W MiB, default 1024] [S seconds...]
// (default 0 1 2 4 8). Prints "idle_s S faults n thp n median_us x min_us x max_us x" lines.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <x86intrin.h>
#include "tsc.h"

#define HUGE (2ul << 20)

/// A 2 MiB-aligned anonymous region of `bytes`, with MADV_HUGEPAGE.
static char *huge_region(size_t bytes, void **base, size_t *mapped) {
    *mapped = bytes + HUGE;
    char *p = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    *base = p;
    char *aligned = (char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
    madvise(aligned, bytes, MADV_HUGEPAGE);
    return aligned;
}

/// The process's huge pages, kB (smaps_rollup's AnonHugePages).
static long anon_huge_kb(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) break;
    }
    fclose(f);
    return kb;
}

int main(int argc, char **argv) {
    size_t n = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    if (n < 1) {
        fprintf(stderr, "thp-idle: at least one huge page to fault\n");
        return 2;
    }
    size_t warm_mib = argc > 2 ? strtoul(argv[2], 0, 10) : 1024;
    double default_idle[] = {0, 1, 2, 4, 8};
    int idles = argc > 3 ? argc - 3 : 5;
    double ticks = tsc_ticks_per_ns(50);
    double *us = malloc(n * sizeof *us);
    if (!us) return 1;
    for (int k = 0; k < idles; k++) {
        double idle = argc > 3 ? atof(argv[3 + k]) : default_idle[k];
        void *base;
        size_t mapped;
        char *warm = huge_region(warm_mib << 20, &base, &mapped);
        if (!warm) return 1;
        memset(warm, 1, warm_mib << 20);
        munmap(base, mapped);
        usleep((useconds_t)(idle * 1e6));
        char *p = huge_region(n * HUGE, &base, &mapped);
        if (!p) return 1;
        long before = anon_huge_kb();
        unsigned aux;
        for (size_t i = 0; i < n; i++) {
            uint64_t t0 = __rdtscp(&aux);
            p[i * HUGE] = 1;
            uint64_t t1 = __rdtscp(&aux);
            us[i] = (double)(t1 - t0) / ticks / 1e3;
        }
        long thp = (anon_huge_kb() - before) / 2048;
        qsort(us, n, sizeof *us, by_value);
        printf("idle_s %g faults %zu thp %ld median_us %.1f min_us %.1f max_us %.1f\n", idle, n, thp, us[n / 2], us[0], us[n - 1]);
        fflush(stdout);
        munmap(base, mapped);
    }
    free(us);
    return 0;
}
