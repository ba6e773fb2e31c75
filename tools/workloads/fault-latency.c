// fault-latency: the latency of each 4 KiB anonymous write fault, timed with rdtscp, and
// where the slow ones fall: their spacing (a periodic cost shows as one gap, e.g. a per-CPU
// list refill every `batch` faults) and whether they open a 2 MiB region (a page-table page).
// Usage: fault-latency [MiB per rep, default 512] [reps, default 5]; the first rep warms up
// (memory that sat free is reclaimed by a VM's host) and is not counted.
// Prints one "key value" per line; tools/measure-fault-latency.sh turns them into a table.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>
#include "tsc.h"

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 512;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (mib == 0 || reps < 1) { fprintf(stderr, "usage: fault-latency [MiB] [reps]\n"); return 2; }
    size_t pages = mib << 8, bytes = mib << 20;
    // One CPU: the per-CPU batches then stay in phase with the fault index.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    sched_setaffinity(0, sizeof one, &one);

    unsigned aux;
    double ticks_per_ns = tsc_ticks_per_ns(200);

    double *lat = malloc(sizeof(double) * pages * reps);
    unsigned char *opens_pmd = malloc(pages * reps);
    if (!lat || !opens_pmd) return 1;
    // Fault the result arrays in now: a fault on them between two timed faults would shift the
    // per-CPU batches' phase.
    memset(lat, 0, sizeof(double) * pages * reps);
    memset(opens_pmd, 0, pages * reps);
    size_t n = 0;
    for (int rep = 0; rep <= reps; rep++) {
        unsigned char *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        madvise(p, bytes, MADV_NOHUGEPAGE);
        for (size_t i = 0; i < pages; i++) {
            volatile unsigned char *q = p + (i << 12);
            uint64_t a = __rdtscp(&aux);
            *q = 1;
            uint64_t b = __rdtscp(&aux);
            if (rep > 0) {
                lat[n] = (b - a) / ticks_per_ns;
                opens_pmd[n] = (((uintptr_t)q >> 12) & 511) == 0;
                n++;
            }
        }
        munmap(p, bytes);
    }

    // Percentiles.
    double *sorted = malloc(sizeof(double) * n);
    if (!sorted) return 1;
    memcpy(sorted, lat, sizeof(double) * n);
    qsort(sorted, n, sizeof(double), by_value);
    const double qs[] = {1, 10, 50, 90, 99, 99.9};
    for (int k = 0; k < 6; k++) {
        size_t i = (size_t)(qs[k] / 100 * (n - 1));
        printf("p%g %.0f\n", qs[k], sorted[i]);
    }
    double p50 = sorted[n / 2];
    printf("faults %zu\nticks_per_ns %.3f\n", n, ticks_per_ns);

    // Slow faults: at least 1 us above the median, apart from those that open a 2 MiB region
    // (the fault allocates a page-table page too). For each, the gap since the previous one.
    size_t *gap = malloc(sizeof(size_t) * n);
    double *excess = malloc(sizeof(double) * n), *pmd_excess = malloc(sizeof(double) * n);
    if (!gap || !excess || !pmd_excess) return 1;
    size_t slow = 0, pmd = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        if (opens_pmd[i]) { pmd_excess[pmd++] = lat[i] - p50; continue; }
        if (lat[i] < p50 + 1000) continue;
        gap[slow] = slow ? i - last : 0;
        excess[slow++] = lat[i] - p50;
        last = i;
    }
    qsort(pmd_excess, pmd, sizeof(double), by_value);
    printf("slow_faults %zu\nslow_share %.5f\n", slow, (double)slow / n);
    printf("pmd_opening_faults %zu\npmd_opening_excess_p50_ns %.0f\n", pmd, pmd ? pmd_excess[pmd / 2] : 0);
    // The three most common gaps between slow faults, with the median excess of the faults at each.
    size_t counts[1025] = {0};
    for (size_t k = 1; k < slow; k++) counts[gap[k] < 1024 ? gap[k] : 1024]++;
    for (int rank = 1; rank <= 3; rank++) {
        size_t best = 0;
        for (size_t g = 1; g < 1024; g++) if (counts[g] > counts[best]) best = g;
        if (counts[best] == 0) break;
        size_t m = 0;
        for (size_t k = 1; k < slow; k++) if (gap[k] == best) sorted[m++] = excess[k];
        qsort(sorted, m, sizeof(double), by_value);
        printf("gap_%d %zu faults %zu share_of_slow %.3f excess_p50_ns %.0f\n", rank, best, counts[best], (double)counts[best] / slow, sorted[m / 2]);
        counts[best] = 0;
    }
    // Phase-locked medians: for a period P, the median latency of the faults at each index
    // mod P (within a rep); a per-CPU batch of P shows as one phase above the others, by
    // about what it costs, even below the 1 us that makes a fault "slow".
    const size_t periods[] = {31, 32, 63, 64, 512};
    double *phase = malloc(sizeof(double) * (n / 31 + reps + 1)), *medians = malloc(sizeof(double) * 512);
    if (!phase || !medians) return 1;
    for (int k = 0; k < 5; k++) {
        size_t P = periods[k], top = 0;
        for (size_t r = 0; r < P; r++) {
            size_t m = 0;
            for (size_t base = 0; base < n; base += pages)  // munmap drains the batches: each rep starts in phase
                for (size_t i = base + r; i < base + pages; i += P) phase[m++] = lat[i];
            qsort(phase, m, sizeof(double), by_value);
            medians[r] = phase[m / 2];
            if (medians[r] > medians[top]) top = r;
        }
        double peak = medians[top];
        qsort(medians, P, sizeof(double), by_value);
        printf("period_%zu peak_phase_excess_ns %.0f\n", P, peak - medians[P / 2]);
    }
    return 0;
}
