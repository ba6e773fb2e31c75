// See cache_fill.h. Recency as a byte order: a hit or a fill moves its way to the front; the
// least recently used valid way is the last byte once every way is valid. A fresh set's order
// is all zeros: a way not yet in it enters at the front and pushes out a trailing zero, so the
// order is a permutation by the time every way is valid (each way's first fill puts it there).
#include "cache_fill.h"
#include "set_scan.h"
#include <string.h>

int32_t pz_set_stride(int32_t ways) { return ways + (ways + 2 + 3) / 4; }  // 21 for 16 ways

static inline uint32_t *set_words(const pz_cache_state *c, uint64_t set) { return c->words + set * (uint64_t)c->stride; }
/// The count of valid ways: the set's last two bytes.
static inline uint16_t *valid_of(const pz_cache_state *c, uint32_t *tags) { return (uint16_t *)((uint8_t *)(tags + c->stride) - 2); }

/// Moves `way` to the front of the order (from where it is, or from the end if it is not there).
static inline __attribute__((always_inline)) void move_to_front(uint8_t *order, int32_t ways, uint8_t way) {
#if defined(__SSE2__)
    if (ways == 16) {
        const __m128i o = _mm_loadu_si128((const __m128i *)order);
        const int pos = __builtin_ctz((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(o, _mm_set1_epi8((char)way))) | 0x8000u);
        const __m128i index = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m128i keep = _mm_cmpgt_epi8(index, _mm_set1_epi8((char)pos));  // bytes after pos stay
        const __m128i moved = _mm_or_si128(_mm_and_si128(keep, o), _mm_andnot_si128(keep, _mm_slli_si128(o, 1)));
        _mm_storeu_si128((__m128i *)order, _mm_or_si128(moved, _mm_cvtsi32_si128(way)));
        return;
    }
#endif
    const int32_t n = ways;
    int32_t pos = n - 1;
    for (int32_t i = 0; i < n; i++) {
        if (order[i] == way) { pos = i; break; }
    }
    memmove(order + 1, order, (size_t)pos);
    order[0] = way;
}

/// Moves the last way of a full order (the one just refilled) to the front.
static inline __attribute__((always_inline)) void rotate_last_to_front(uint8_t *order, int32_t ways) {
#if defined(__SSE2__)
    if (ways == 16) {
        const __m128i o = _mm_loadu_si128((const __m128i *)order);
        _mm_storeu_si128((__m128i *)order, _mm_or_si128(_mm_slli_si128(o, 1), _mm_srli_si128(o, 15)));
        return;
    }
#endif
    const uint8_t last = order[ways - 1];
    memmove(order + 1, order, (size_t)(ways - 1));
    order[0] = last;
}

/// The access of `line` (its set's `tags`, its `key`) in a cache of `ways` ways (a constant
/// where inlined for 16): 1 on a hit; on a miss, *old_tag is the tag it evicted (0: none).
static inline __attribute__((always_inline)) int32_t access_set(uint32_t *tags, int32_t ways, int32_t stride, uint32_t key, uint32_t *old_tag) {
    uint8_t *order = (uint8_t *)(tags + ways);
    const int32_t hit = pz_find_way(tags, ways, key);
    if (hit >= 0) {
        move_to_front(order, ways, (uint8_t)hit);
        return 1;
    }
    uint16_t *valid = (uint16_t *)((uint8_t *)(tags + stride) - 2);
    int32_t way;
    if (__builtin_expect(*valid < (uint16_t)ways, 0)) {
        way = pz_find_way(tags, ways, 0);
        *valid += 1;
        *old_tag = 0;
        move_to_front(order, ways, (uint8_t)way);
    } else {
        way = order[ways - 1];
        *old_tag = tags[way];
        rotate_last_to_front(order, ways);
    }
    tags[way] = key;
    return 0;
}

/// What a miss records besides the set: the page's residency and the set's fill count.
static inline void note_fill(const pz_cache_state *c, uint64_t line, uint64_t set) {
    if (c->residency) {
        const int64_t page = (int64_t)(line >> c->page_shift);
        if (page < c->resident_pages)
            c->residency[page] |= (uint8_t)(1u << ((line & ((1ull << c->page_shift) - 1)) >> c->eighth_shift));
    }
    if (c->fills) {
        c->fills[set] += 1;
        c->fill_log[*c->fill_total & c->fill_log_mask] = (uint32_t)set;
        *c->fill_total += 1;
    }
}

static inline uint64_t line_of(const pz_cache_state *c, uint32_t tag, uint64_t set) {
    return ((uint64_t)(tag - 1) << c->set_bits) | set;
}

int32_t pz_access(const pz_cache_state *c, uint64_t line, uint64_t *evicted) {
    const uint64_t set = line & c->set_mask;
    uint32_t old = 0;
    *evicted = 0;
    if (access_set(set_words(c, set), c->ways, c->stride, (uint32_t)(line >> c->set_bits) + 1, &old)) return 1;
    note_fill(c, line, set);
    if (old != 0) *evicted = line_of(c, old, set) + 1;
    return 0;
}

uint64_t pz_access_run(const pz_cache_state *c, uint64_t first_line, int32_t count) {
    uint64_t hits = 0;
    for (int32_t n = 0; n < count && n < 64; n++) {
        const uint64_t line = first_line + (uint64_t)n;
        const uint64_t set = line & c->set_mask;
        uint32_t old = 0;
        if (access_set(set_words(c, set), c->ways, c->stride, (uint32_t)(line >> c->set_bits) + 1, &old)) {
            hits |= 1ull << n;
        } else {
            note_fill(c, line, set);
        }
    }
    return hits;
}

/// The fill loop for a cache of `ways` ways: a constant 16 where the caller branches on it.
/// The state is read into locals once (a byte store to the residency map may alias anything,
/// so fields read through `c` would be reloaded every line), and the tag is computed once per
/// run of lines that share it.
static inline __attribute__((always_inline)) uint64_t fill_lines(
    const pz_cache_state *c, uint64_t first_line, int64_t count, uint64_t *evictions, const int32_t ways, const int32_t stride) {
    uint32_t *const words = c->words;
    const uint64_t set_mask = c->set_mask, victim_mask = c->victim_mask;
    const uint32_t set_bits = c->set_bits, page_shift = c->page_shift, eighth_shift = c->eighth_shift;
    uint8_t *const residency = c->residency;
    const int64_t resident_pages = c->resident_pages;
    uint32_t *const fills = c->fills, *const fill_log = c->fill_log;
    const uint64_t fill_log_mask = c->fill_log_mask;
    uint64_t fill_total = fills ? *c->fill_total : 0;
    uint64_t *const victims = c->victims;
    uint64_t misses = 0, evicted = 0;
    uint64_t line = first_line;
    const uint64_t end = first_line + (uint64_t)count;
    while (line < end) {
        // Lines up to the next multiple of the set count share a tag.
        const uint64_t run_end = (line | set_mask) + 1 < end ? (line | set_mask) + 1 : end;
        const uint32_t key = (uint32_t)(line >> set_bits) + 1;
        for (; line < run_end; line++) {
            const uint64_t set = line & set_mask;
            uint32_t old = 0;
            if (access_set(words + set * (uint64_t)stride, ways, stride, key, &old)) continue;
            misses++;
            if (residency) {
                const int64_t page = (int64_t)(line >> page_shift);
                if (page < resident_pages) residency[page] |= (uint8_t)(1u << ((line & ((1ull << page_shift) - 1)) >> eighth_shift));
            }
            if (fills) {
                fills[set] += 1;
                fill_log[fill_total & fill_log_mask] = (uint32_t)set;
                fill_total++;
            }
            if (old != 0) {
                evicted++;
                if (victims) {
                    const uint64_t gone = ((uint64_t)(old - 1) << set_bits) | set;
                    victims[pz_victim_slot(gone, victim_mask)] = gone + 1;
                }
            }
        }
    }
    if (fills) *c->fill_total = fill_total;
    *evictions += evicted;
    return misses;
}

uint64_t pz_fill_lines(const pz_cache_state *c, uint64_t first_line, int64_t count, uint64_t *evictions) {
    if (c->ways == 16) return fill_lines(c, first_line, count, evictions, 16, 21);
    return fill_lines(c, first_line, count, evictions, c->ways, c->stride);
}

int32_t pz_invalidate(const pz_cache_state *c, uint64_t line) {
    uint32_t *tags = set_words(c, line & c->set_mask);
    const int32_t way = pz_find_way(tags, c->ways, (uint32_t)(line >> c->set_bits) + 1);
    if (way < 0) return 0;
    tags[way] = 0;
    *valid_of(c, tags) -= 1;
    return 1;
}

int32_t pz_contains(const pz_cache_state *c, uint64_t line) {
    return pz_find_way(set_words(c, line & c->set_mask), c->ways, (uint32_t)(line >> c->set_bits) + 1) >= 0;
}
