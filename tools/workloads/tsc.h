// Timing for the workloads that time single faults (fault-latency.c, fault-warmth.c): the
// monotonic clock, the TSC's ticks per ns against it, and a comparator for qsort of doubles.
#ifndef PREZERO_WORKLOADS_TSC_H
#define PREZERO_WORKLOADS_TSC_H
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/// TSC ticks per ns, against CLOCK_MONOTONIC over `ms` milliseconds.
static double tsc_ticks_per_ns(double ms) {
    unsigned aux;
    double t0 = now_ns();
    uint64_t c0 = __rdtscp(&aux);
    while (now_ns() - t0 < ms * 1e6) {}
    return (double)(__rdtscp(&aux) - c0) / (now_ns() - t0);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
#endif
