// fault-warmth: what a 4 KiB anonymous write fault costs after the program's own work, which
// pushes the fault path's code, data and TLB entries out of the caches (docs/model.md, "The fault
// path's own warmth"). Before each fault it stores to (or, with `read`, loads from) every line of
// N bytes of its own buffer, for N from 0 to 128 MiB; each fault is timed with rdtscp.
// Usage: fault-warmth [faults, default 20000] [write|read] [4k|thp: the buffer's pages]
// Prints, for each N, the median and mean fault of each of 5 runs (median [min-max] of the runs)
// and the time the work between two faults took. From 16 MiB on, a tenth of the faults.
// Build: gcc -O2 -o fault-warmth tools/workloads/fault-warmth.c (x86-64).
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>
#include "tsc.h"

enum { RUNS = 5 };

int main(int argc, char **argv) {
    size_t faults = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
    int reads = argc > 2 && strcmp(argv[2], "read") == 0;
    int huge = argc > 3 && strcmp(argv[3], "thp") == 0;
    if (faults < 10) faults = 10;
    unsigned aux;
    const double tsc_per_ns = tsc_ticks_per_ns(50);

    const size_t most = (size_t)128 << 20;
    volatile char *work = mmap(NULL, most, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (work == MAP_FAILED) return 1;
    madvise((void *)work, most, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    memset((void *)work, 1, most);
    // Memory a VM's host reclaimed costs far more on first touch: write and free 2 GiB first.
    char *warm = mmap(NULL, (size_t)2 << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (warm != MAP_FAILED) {
        memset(warm, 1, (size_t)2 << 30);
        munmap(warm, (size_t)2 << 30);
    }
    const size_t gaps[] = {0, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 32 << 20, 64 << 20, 128 << 20};
    double *sample = malloc(sizeof *sample * faults);
    if (!sample) return 1;
    volatile long sink = 0;
    printf("fault-warmth: %zu faults a run (a tenth from 16 MiB on), %s, %s buffer; ns, median [min-max] of %d runs\n", faults,
           reads ? "loads" : "stores", huge ? "THP" : "4 KiB-page", RUNS);
    for (size_t g = 0; g < sizeof gaps / sizeof *gaps; g++) {
        const size_t gap = gaps[g], n = gap >= (16 << 20) ? faults / 10 : faults;
        double median[RUNS], mean[RUNS], between[RUNS];
        size_t at = 0;
        for (int run = 0; run < RUNS; run++) {
            volatile char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) return 1;
            madvise((void *)p, n * 4096, MADV_NOHUGEPAGE);
            double total = 0, work_ns = 0;
            for (size_t i = 0; i < n; i++) {
                uint64_t a = __rdtscp(&aux);
                for (size_t b = 0; b < gap; b += 64) {
                    if (reads) sink += work[at]; else work[at]++;
                    at = at + 64 < most ? at + 64 : 0;
                }
                uint64_t b0 = __rdtscp(&aux);
                p[i * 4096] = 1;
                uint64_t b1 = __rdtscp(&aux);
                sample[i] = (double)(b1 - b0) / tsc_per_ns;
                total += sample[i];
                work_ns += (double)(b0 - a) / tsc_per_ns;
            }
            qsort(sample, n, sizeof *sample, by_value);
            median[run] = sample[n / 2];
            mean[run] = total / (double)n;
            between[run] = work_ns / (double)n;
            munmap((void *)p, n * 4096);
        }
        qsort(median, RUNS, sizeof *median, by_value);
        qsort(mean, RUNS, sizeof *mean, by_value);
        qsort(between, RUNS, sizeof *between, by_value);
        printf("after %6zu KiB: fault median %6.0f [%6.0f-%6.0f], mean %6.0f [%6.0f-%6.0f]; work between faults %9.0f\n", gap >> 10,
               median[RUNS / 2], median[0], median[RUNS - 1], mean[RUNS / 2], mean[0], mean[RUNS - 1], between[RUNS / 2]);
        fflush(stdout);
    }
    return (int)(sink & 0);
}
