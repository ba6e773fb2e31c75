/* The workload of traces/thp-touch: anonymous memory faulted in both ways the kernel has.
 * 1. A 2 MiB-aligned MADV_HUGEPAGE region, one byte written per 2 MiB: each write is a THP
 *    fault (do_huge_pmd_anonymous_page; the folio is allocated without __GFP_ZERO and cleared
 *    by folio_zero_user).
 * 2. A MADV_NOHUGEPAGE region read first (each read maps the shared zero page) and then
 *    written (each write is a copy-on-write from the zero page, error code 0x7, that allocates
 *    a __GFP_ZERO page).
 * usage: thp-touch [HUGE_MIB [SMALL_PAGES]]   (default 32 MiB, 512 pages) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE (2UL << 20)

static char *map(size_t len) {
    char *p = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    return (char *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
}

int main(int argc, char **argv) {
    size_t huge = (argc > 1 ? strtoul(argv[1], NULL, 10) : 32) << 20;
    size_t pages = argc > 2 ? strtoul(argv[2], NULL, 10) : 512;
    char *h = map(huge);
    if (madvise(h, huge, MADV_HUGEPAGE) != 0) { perror("madvise(MADV_HUGEPAGE)"); return 1; }
    for (size_t i = 0; i < huge; i += HUGE) h[i] = 1;

    size_t len = pages * 4096;
    char *s = map(len);
    if (madvise(s, len, MADV_NOHUGEPAGE) != 0) { perror("madvise(MADV_NOHUGEPAGE)"); return 1; }
    volatile unsigned sum = 0;
    for (size_t i = 0; i < len; i += 4096) sum += s[i];
    for (size_t i = 0; i < len; i += 4096) s[i] = 1;

    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (line[0] == 'A' && line[1] == 'n') fputs(line, stderr);
    return 0;
}
