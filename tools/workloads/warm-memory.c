// warm-memory: writes and frees N MiB of anonymous memory (default 2048), so that the free
// pages a VM's host had reclaimed are backed again before a measured run (notes §4: memory left
// free for a few seconds costs ~50x on its next first touch, inside clear_page_erms).
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 2048;
    size_t bytes = mib << 20;
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    memset(p, 1, bytes);
    munmap(p, bytes);
    return 0;
}
