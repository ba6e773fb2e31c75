// l2-pollution: the experiment of notes §4 as a program. A working set (default 1 MiB, one
// 4 KiB page per line of the cycle below) is read as a chain of dependent loads in random order,
// as a program uses its own data; then FAULTS fresh anonymous 4 KiB pages are written one byte
// each (each a zero-fill fault whose clear_page_erms passes through this CPU's caches); then the
// working set is read again. Prints, per repetition, the undisturbed and the disturbed lap (ns)
// and at the end the median extra per fault with its min-max.
//
// usage: l2-pollution [-r REPS] [-w WORKING_SET_KIB] FAULTS
// Run natively for the measurement (e.g. -r 21); run under lackey with -r 1 for the trace
// (tools/capture-bundled.sh l2_pollution), whose replay predicts the same difference.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *map(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    madvise(p, bytes, MADV_NOHUGEPAGE);  // 4 KiB faults, as in notes §4
    return p;
}

// Links the lines of `base` into one random cycle (a fixed seed: the same order every run).
static int link_cycle(char *base, size_t n, size_t line) {
    size_t *order = malloc(n * sizeof *order);
    if (!order) return -1;
    for (size_t i = 0; i < n; i++) order[i] = i;
    uint64_t x = 88172645463325252ull;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = x % (i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    for (size_t i = 0; i < n; i++) *(void **)(base + order[i] * line) = base + order[(i + 1) % n] * line;
    free(order);
    return 0;
}

static double lap(char *base, size_t n) {
    void *volatile *q = (void *volatile *)base;
    double t0 = now_ns();
    for (size_t i = 0; i < n; i++) q = *q;
    return now_ns() - t0;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t reps = 1, kib = 1024, line = 64;
    int opt;
    while ((opt = getopt(argc, argv, "r:w:")) != -1) {
        if (opt == 'r') reps = strtoul(optarg, NULL, 10);
        else if (opt == 'w') kib = strtoul(optarg, NULL, 10);
        else { fprintf(stderr, "usage: l2-pollution [-r REPS] [-w WORKING_SET_KIB] FAULTS\n"); return 2; }
    }
    if (optind != argc - 1 || reps < 1 || reps > 1000 || kib < 8 || kib > (1 << 20)) {
        fprintf(stderr, "usage: l2-pollution [-r REPS] [-w WORKING_SET_KIB] FAULTS\n");
        return 2;
    }
    size_t faults = strtoul(argv[optind], NULL, 10), bytes = kib << 10, n = bytes / line;
    double *extra = calloc(reps, sizeof *extra);
    if (!extra) return 1;
    for (size_t r = 0; r < reps; r++) {
        char *w = map(bytes);
        if (!w || link_cycle(w, n, line) != 0) return 1;
        lap(w, n);  // warm: the working set in L2
        double quiet = lap(w, n);
        volatile char *fresh = faults ? map(faults * 4096) : NULL;
        if (faults && !fresh) return 1;
        for (size_t i = 0; i < faults; i++) fresh[i * 4096] = 1;
        double disturbed = lap(w, n);
        extra[r] = faults ? (disturbed - quiet) / (double)faults : disturbed - quiet;
        printf("rep %zu: working set %zu KiB, undisturbed lap %.0f ns, after %zu faults %.0f ns\n", r + 1, kib, quiet, faults, disturbed);
        if (fresh) munmap((void *)fresh, faults * 4096);
        munmap(w, bytes);
    }
    qsort(extra, reps, sizeof *extra, by_value);
    printf("extra re-read per fault: median %.1f ns (min %.1f, max %.1f) over %zu reps\n", extra[reps / 2], extra[0], extra[reps - 1], reps);
    free(extra);
    return 0;
}
