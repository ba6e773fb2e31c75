// Timing loops for `prezero calibrate` (see include/calibrate.h). Plain C so the compiler emits
// exactly the stores and loads being timed; x86-64 gets `rep stosb` and non-temporal stores, other
// architectures memset and plain stores.
#define _GNU_SOURCE
#include "calibrate.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

double pz_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

// Per-fault timing: the TSC where there is one (a few ns to read), scaled against the
// monotonic clock once; the clock elsewhere.
static double tsc_per_ns;

static void calibrate_tsc(void) {
#if defined(__x86_64__)
    if (tsc_per_ns > 0) return;
    unsigned aux;
    double t0 = pz_now_ns();
    uint64_t c0 = __rdtscp(&aux);
    while (pz_now_ns() - t0 < 50e6) {}
    uint64_t c1 = __rdtscp(&aux);
    double t1 = pz_now_ns();
    tsc_per_ns = (double)(c1 - c0) / (t1 - t0);
#endif
}

static inline double stamp(void) {
#if defined(__x86_64__)
    unsigned aux;
    return (double)__rdtscp(&aux) / tsc_per_ns;
#else
    return pz_now_ns();
#endif
}

static void *map(size_t bytes, int huge) {
    size_t align = huge ? (size_t)2 << 20 : 0;
    char *p = mmap(NULL, bytes + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    if (align) {
        char *aligned = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
        if (aligned > p) munmap(p, (size_t)(aligned - p));
        size_t tail = (size_t)(p + bytes + align - (aligned + bytes));
        if (tail) munmap(aligned + bytes, tail);
        p = aligned;
    }
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
    return p;
}

double pz_faults(size_t bytes, size_t unit, int huge, int write, double *samples, size_t max_samples) {
    if (unit == 0 || bytes < unit) return -1;
    calibrate_tsc();
    volatile char *p = map(bytes, huge);
    if (!p) return -1;
    size_t n = bytes / unit;
    double total = 0;
    char sink = 0;
    for (size_t i = 0; i < n; i++) {
        double t0 = stamp();
        if (write) p[i * unit] = 1; else sink += p[i * unit];
        double dt = stamp() - t0;
        total += dt;
        if (i < max_samples) samples[i] = dt;
    }
    (void)sink;
    munmap((void *)p, bytes);
    return total / (double)n;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double pz_cold_faults(void *scratch, size_t sweep, size_t faults) {
    if (faults == 0) return -1;
    calibrate_tsc();
    double *ns = malloc(faults * sizeof *ns);
    volatile char *p = map(faults * 4096, 0);
    if (!p || !ns) { free(ns); if (p) munmap((void *)p, faults * 4096); return -1; }
    for (size_t i = 0; i < faults; i++) {
        pz_evict(scratch, sweep);
        // Raw counts, converted after: stamp()'s tsc_per_ns is a load the sweep left cold, a
        // miss that would land inside the fault's time.
#if defined(__x86_64__)
        unsigned aux;
        uint64_t c0 = __rdtscp(&aux);
        p[i * 4096] = 1;
        uint64_t c1 = __rdtscp(&aux);
        ns[i] = (double)(c1 - c0) / tsc_per_ns;
#else
        double t0 = pz_now_ns();
        p[i * 4096] = 1;
        ns[i] = pz_now_ns() - t0;
#endif
    }
    munmap((void *)p, faults * 4096);
    qsort(ns, faults, sizeof *ns, by_value);
    double median = ns[faults / 2];
    free(ns);
    return median;
}

static inline void clear_chunk(char *p, size_t n, int nontemporal) {
#if defined(__x86_64__)
    if (nontemporal) {
        for (size_t i = 0; i + 64 <= n; i += 64) {
            long long *q = (long long *)(p + i);
            _mm_stream_si64(q, 0); _mm_stream_si64(q + 1, 0); _mm_stream_si64(q + 2, 0); _mm_stream_si64(q + 3, 0);
            _mm_stream_si64(q + 4, 0); _mm_stream_si64(q + 5, 0); _mm_stream_si64(q + 6, 0); _mm_stream_si64(q + 7, 0);
        }
        _mm_sfence();
        return;
    }
    void *d = p;
    size_t c = n;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(0) : "memory");
#else
    (void)nontemporal;
    memset(p, 0, n);
#endif
}

double pz_clear(void *buffer, size_t extent, size_t chunk, int nontemporal) {
    if (chunk == 0) return -1;
    char *p = buffer;
    double t0 = pz_now_ns();
    for (size_t off = 0; off + chunk <= extent; off += chunk) clear_chunk(p + off, chunk, nontemporal);
    return pz_now_ns() - t0;
}

double pz_stream(void *buffer, size_t bytes, int mode) {
    double t0 = pz_now_ns();
    if (mode == 0) {
        const volatile uint64_t *q = buffer;
        uint64_t sum = 0;
        for (size_t i = 0; i < bytes / 8; i += 8) sum += q[i] + q[i + 1] + q[i + 2] + q[i + 3] + q[i + 4] + q[i + 5] + q[i + 6] + q[i + 7];
        (void)sum;
    } else if (mode == 3) {
#if defined(__x86_64__)
        void *d = buffer;
        size_t c = bytes;
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(0x41) : "memory");
#else
        memset(buffer, 0x41, bytes);
#endif
    } else {
        clear_chunk(buffer, bytes, mode == 2);
    }
    return pz_now_ns() - t0;
}

struct stream_job { size_t bytes; int mode; double ns; };

static void *stream_thread(void *arg) {
    struct stream_job *job = arg;
    char *p = map(job->bytes, 0);
    if (!p) { job->ns = -1; return NULL; }
    memset(p, 1, job->bytes);  // fault it in first: the fault is not what is timed
    job->ns = pz_stream(p, job->bytes, job->mode);
    munmap(p, job->bytes);
    return NULL;
}

double pz_stream_threads(size_t bytes, int mode, int threads) {
    if (threads < 1 || threads > 1024) return -1;
    pthread_t ids[1024];
    struct stream_job jobs[1024];
    int started = 0;
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct stream_job){bytes, mode, 0};
        if (pthread_create(&ids[i], NULL, stream_thread, &jobs[i]) != 0) break;
        started++;
    }
    double worst = started == threads ? 0 : -1;
    for (int i = 0; i < started; i++) {
        pthread_join(ids[i], NULL);
        if (jobs[i].ns < 0) worst = -1;
        if (worst >= 0 && jobs[i].ns > worst) worst = jobs[i].ns;
    }
    return worst;
}

double pz_touch_pages(void *buffer, size_t bytes, size_t page, size_t line, size_t lines) {
    volatile char *p = buffer;
    if (page == 0 || line == 0) return -1;
    double t0 = pz_now_ns();
    for (size_t off = 0; off + page <= bytes; off += page)
        for (size_t k = 0; k < lines; k++) p[off + k * line] = 1;
    return pz_now_ns() - t0;
}

void pz_evict(void *scratch, size_t bytes) {
    volatile char *p = scratch;
    for (size_t i = 0; i < bytes; i += 64) p[i] += 1;
}

// Links the lines of `buffer` into one random cycle (Fisher-Yates with xorshift); 0 on success.
static int link_cycle(char *base, size_t n, size_t line) {
    size_t *order = malloc(n * sizeof *order);
    if (!order) return -1;
    for (size_t i = 0; i < n; i++) order[i] = i;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = n - 1; i > 0; i--) {  // Fisher-Yates with xorshift: one random cycle
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        size_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (size_t i = 0; i < n; i++) *(void **)(base + order[i] * line) = base + order[(i + 1) % n] * line;
    free(order);
    return 0;
}

// One lap of the cycle through `base`: ns.
static double lap(char *base, size_t n) {
    void *volatile *q = (void *volatile *)base;
    double t0 = pz_now_ns();
    for (size_t i = 0; i < n; i++) q = *q;
    return pz_now_ns() - t0;  // q is volatile: every load is done
}

double pz_chase(void *buffer, size_t bytes, size_t line, size_t loads) {
    size_t n = line ? bytes / line : 0;
    if (n < 2 || loads == 0) return -1;
    char *base = buffer;
    if (link_cycle(base, n, line) != 0) return -1;
    void *volatile *q = (void *volatile *)(base + 0);
    for (size_t i = 0; i < n; i++) q = *q;  // one lap to warm what fits
    double t0 = pz_now_ns();
    for (size_t i = 0; i < loads; i++) q = *q;
    return (pz_now_ns() - t0) / (double)loads;  // q is volatile: every load is done
}

double pz_pollution(size_t working_set, size_t line, size_t faults) {
    size_t n = line ? working_set / line : 0;
    if (n < 2 || faults == 0) return NAN;
    char *w = map(working_set, 0);
    if (!w) return NAN;
    // Dependent loads in random order, as a program's own data is used: no prefetcher hides a miss.
    if (link_cycle(w, n, line) != 0) { munmap(w, working_set); return NAN; }
    lap(w, n);
    double quiet = lap(w, n);
    volatile char *fresh = map(faults * 4096, 0);
    if (!fresh) { munmap(w, working_set); return NAN; }
    for (size_t i = 0; i < faults; i++) fresh[i * 4096] = 1;
    double disturbed = lap(w, n);
    munmap((void *)fresh, faults * 4096);
    munmap(w, working_set);
    return (disturbed - quiet) / (double)faults;
}
