// The cache model's sets (Sources/PrezeroModel/Cache/CacheModel.swift): true LRU, write-allocate,
// in C at -O2 because a cached clear writes 64 lines a page and a scrubber clears millions of
// pages: a run of lines is one call, and a set's recency is a byte order, not per-way stamps.
#ifndef PREZERO_CACHE_FILL_H
#define PREZERO_CACHE_FILL_H

#include <stdint.h>

/// A set is `stride` 32-bit words: `ways` tags (line / sets + 1; 0 = empty), then `ways` way
/// indices in recency order (a byte each, most recent first); its last two bytes count the valid ways.
/// Compact (13 to 20 ways whose tags all fit 16 bits, as a 32 MiB 16-way LLC's do up to 128 GiB):
/// 16-bit tags, a set in one 64-byte host cache line instead of 68 to 104 bytes across two; the
/// same answers.
/// Optional parts are NULL.
typedef struct {
    uint32_t *words;
    int32_t ways;               // 1...256
    int32_t stride;             // pz_set_stride(ways, compact)
    int32_t compact;            // 1: 16-bit tags (13...20 ways)
    uint64_t sets;              // any count: set = line % sets, tag = line / sets + 1
    int32_t sets_pow2;          // 1: sets is a power of two, so a mask and a shift do
    uint32_t set_bits;          // log2(sets) when sets_pow2
    uint64_t set_mask;          // sets - 1 when sets_pow2
    uint8_t *residency;         // per page: the eighths that may hold a resident line
    int64_t resident_pages;
    uint32_t page_shift;        // log2(lines per page)
    uint32_t eighth_shift;
    uint32_t *fills;            // per set, lines filled so far (wrapping)
    uint64_t *fill_total;
    uint32_t *fill_log;         // the sets of the last fills
    uint64_t fill_log_mask;
    uint32_t *victims;          // a direct-mapped table of evicted lines (pz_victim_tag a slot), or NULL
    uint64_t victim_mask;
    uint8_t *split;             // per group of 2^page_shift sets (a page's lines): 0 uniform, 1 not; NULL: no groups
    uint16_t *since;            // per group: whole-page accesses since it split or was last compared
} pz_cache_state;

/// Groups: a page's lines fall in one group of consecutive sets (the sets a multiple of the
/// page's lines) under one tag, so a clear of a whole page does the same to every set of its
/// group. While every access to a group has been of whole pages since its sets last held the same
/// tags in the same recency order, the group is uniform: its first set stands for all of them
/// (the others are stale) and a whole page costs one set's update, not one a line. An access to
/// part of the page copies the first set to the others first. A group that split is compared
/// again after `ways` whole pages, which leave every set holding the same last tags when they
/// are distinct. The answers are the line-by-line ones.

/// The set of `line`: its number modulo the sets (an Intel LLC's slices make a count such as
/// 13 x 16,384; a mask when a power of two).
static inline uint64_t pz_set_of(const pz_cache_state *c, uint64_t line) {
    return c->sets_pow2 ? line & c->set_mask : line % c->sets;
}
/// The tag `line` has in its set, before the + 1 that keeps 0 for an empty way.
static inline uint64_t pz_tag_of(const pz_cache_state *c, uint64_t line) {
    return c->sets_pow2 ? line >> c->set_bits : line / c->sets;
}

/// Where the victim table keeps `line`'s slot. The slot is a hash, h(line) = bits 24 up of
/// line x 0x9E3779B97F4A7C15 (under `mask`: 2^k - 1, k <= 32), which spreads lines over the
/// slots; its place in memory is h x 0x4623B64C19BC067F, the inverse of the multiplier's top
/// 40 bits: a bijection of the slots (the same lines share one, so the same answers). Since
/// h(line + 1) = h(line) + those top bits, + 1 on a carry of the low 24 (29 % of lines), the
/// next line's place is the next word 71 % of the time. The lines a page's clear evicts, often
/// one older page's, then share host cache lines instead of taking one each.
static inline uint64_t pz_victim_slot(uint64_t line, uint64_t mask) {
    return (((line * 0x9E3779B97F4A7C15ull) >> 24) * 0x4623B64C19BC067Full) & mask;
}

/// What the victim table holds for `line` in its slot, 4 bytes where the line takes 8 (half the
/// table's host memory): the product's low 24 bits and the line's bits above the product bits
/// the slot gives (24 + log2 slots), + 1 (0 is an empty slot). The product's low 24 + log2 slots
/// bits give the line's (the multiplier is odd), so a slot and this tell one line from every
/// other below 255 x 2^(24 + log2 slots) (`pz_victim_lines_limit`).
static inline uint32_t pz_victim_tag(uint64_t line, uint64_t mask) {
    const uint64_t low = (line * 0x9E3779B97F4A7C15ull) & 0xFFFFFF;
    return (uint32_t)((low | (line >> (24 + __builtin_popcountll(mask))) << 24) + 1);
}

/// Records lines [first_line, first_line + count) in the victim table, in order: a page a whole
/// page's fill evicted. The same slots and tags as `pz_victim_slot` and `pz_victim_tag` line by
/// line, the product carried from one line to the next (one multiply a line, not three).
static inline void pz_record_victims(uint32_t *victims, uint64_t mask, uint64_t first_line, uint64_t count) {
    const uint32_t high_shift = 24 + (uint32_t)__builtin_popcountll(mask);
    uint64_t product = first_line * 0x9E3779B97F4A7C15ull;
    for (uint64_t n = 0; n < count; n++, product += 0x9E3779B97F4A7C15ull) {
        const uint64_t line = first_line + n;
        victims[((product >> 24) * 0x4623B64C19BC067Full) & mask] = (uint32_t)(((product & 0xFFFFFF) | (line >> high_shift) << 24) + 1);
    }
}

/// The lines a victim table of `mask + 1` slots tells apart (`pz_victim_tag`).
static inline uint64_t pz_victim_lines_limit(uint64_t mask) { return 255ull << (24 + __builtin_popcountll(mask)); }

/// Starts loading the victim table's slots of lines [first_line, first_line + count): a page's
/// touches then wait for one host miss, not one per line.
static inline void pz_prefetch_victim_slots(const uint32_t *victims, uint64_t mask, uint64_t first_line, int64_t count) {
    for (int64_t n = 0; n < count; n++) __builtin_prefetch(victims + pz_victim_slot(first_line + (uint64_t)n, mask));
}

/// Forgets the remembered victims among lines first_line + n for each bit n of `lines`, in
/// order; returns how many there were.
static inline int32_t pz_remove_victims(uint32_t *victims, uint64_t mask, uint64_t first_line, uint64_t lines) {
    int32_t found = 0;
    while (lines) {
        const uint64_t line = first_line + (uint64_t)__builtin_ctzll(lines);
        lines &= lines - 1;
        uint32_t *slot = victims + pz_victim_slot(line, mask);
        if (*slot == pz_victim_tag(line, mask)) {
            *slot = 0;
            found++;
        }
    }
    return found;
}

/// Words a set of `ways` ways takes, in the compact layout (13 to 20 ways: 16) or not.
int32_t pz_set_stride(int32_t ways, int32_t compact);

/// One access (read or write) of `line`: 1 on a hit; on a miss the line is filled and
/// *evicted is the line it evicted + 1 (0: it took an empty way).
int32_t pz_access(const pz_cache_state *cache, uint64_t line, uint64_t *evicted);

/// Accesses lines [first_line, first_line + count) in order (count <= 64), as `pz_access` each
/// (the lines they evict are not reported): bit n of the result is set if line n hit.
uint64_t pz_access_run(const pz_cache_state *cache, uint64_t first_line, int32_t count);

/// Writes lines [first_line, first_line + count) in order, as a cached clear does. Returns the
/// misses; adds the valid lines evicted to *evictions (and records them in `victims`).
uint64_t pz_fill_lines(const pz_cache_state *cache, uint64_t first_line, int64_t count, uint64_t *evictions);

/// Which loops run: 1 AVX-512 (where the CPU has it), 0 the baseline ISA. The answers are the
/// same; tests set 0 to check the baseline on an AVX-512 machine, -1 chooses again.
int32_t pz_simd_level(void);
void pz_set_simd_level(int32_t level);

/// Removes `line` if present; returns 1 if it was.
int32_t pz_invalidate(const pz_cache_state *cache, uint64_t line);

/// 1 if `line` is present.
int32_t pz_contains(const pz_cache_state *cache, uint64_t line);

#endif
