// See cache_fill.h. Recency as a byte order: a hit or a fill moves its way to the front; the
// least recently used valid way is the last byte once every way is valid. A fresh set's order
// is all zeros: a way not yet in it enters at the front and pushes out a trailing zero, so the
// order is a permutation by the time every way is valid (each way's first fill puts it there).
#include "cache_fill.h"
#include "set_scan.h"
#include <string.h>

int32_t pz_set_stride(int32_t ways, int32_t compact) { return compact ? 16 : ways + (ways + 2 + 3) / 4; }  // 21 for 16 ways, 26 for 20

static inline uint32_t *set_words(const pz_cache_state *c, uint64_t set) { return c->words + set * (uint64_t)c->stride; }
/// The count of valid ways: the set's last two bytes.
static inline uint16_t *valid_of(const pz_cache_state *c, uint32_t *words) { return (uint16_t *)((uint8_t *)(words + c->stride) - 2); }
/// Way `w`'s tag in the set at `words`, either layout.
static inline uint32_t tag_at(const pz_cache_state *c, const uint32_t *words, uint64_t w) {
    return c->compact ? ((const uint16_t *)words)[w] : words[w];
}
static inline void set_tag(const pz_cache_state *c, uint32_t *words, uint64_t w, uint32_t tag) {
    if (c->compact) ((uint16_t *)words)[w] = (uint16_t)tag; else words[w] = tag;
}
/// The recency order of the set at `words`, either layout.
static inline uint8_t *order_of(const pz_cache_state *c, uint32_t *words) {
    return c->compact ? (uint8_t *)words + 2 * c->ways : (uint8_t *)(words + c->ways);
}
/// The way of the set at `words` that holds `key`, or -1.
static inline int32_t find_in_set(const pz_cache_state *c, const uint32_t *words, uint32_t key) {
    if (!c->compact) return pz_find_way(words, c->ways, key);
    return key > 0xFFFF ? -1 : pz_find_way16_any((const uint16_t *)words, c->ways, (uint16_t)key);
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
    return (uint64_t)(tag - 1) * c->sets + set;
}

/// Marks in `residency[page]` the eighths of the page that the lines `missed` (bit n: line
/// `first_in_page` + n of the page) fall in.
static inline void mark_eighths(uint8_t *residency, int64_t page, uint64_t first_in_page, uint64_t missed, uint32_t eighth_shift) {
    uint8_t eighths = 0;
    while (missed) {
        const uint64_t n = (uint64_t)__builtin_ctzll(missed);
        const uint64_t eighth = (first_in_page + n) >> eighth_shift;
        eighths |= (uint8_t)(1u << eighth);
        // Skip the rest of this eighth's lines.
        const uint64_t next = ((eighth + 1) << eighth_shift) - first_in_page;
        missed = next >= 64 ? 0 : missed & (~0ull << next);
    }
    residency[page] |= eighths;
}

/// Every eighth of a page of `lines` lines (<= 64), as `mark_eighths` marks them for all its lines.
static inline uint8_t all_eighths(uint64_t lines, uint32_t eighth_shift) { return (uint8_t)((1u << (lines >> eighth_shift)) - 1); }

/// The group of `set` (see `pz_cache_state.split`).
static inline uint64_t group_of(const pz_cache_state *c, uint64_t set) { return set >> c->page_shift; }
/// 1 when `set`'s group is uniform: its first set stands for it.
static inline int in_uniform_group(const pz_cache_state *c, uint64_t set) { return c->split && !c->split[group_of(c, set)]; }
/// The words that hold `set`'s state: its own, or its uniform group's first set's.
static inline uint32_t *state_words(const pz_cache_state *c, uint64_t set) {
    return set_words(c, in_uniform_group(c, set) ? group_of(c, set) << c->page_shift : set);
}

/// Gives every set of uniform group `g` the first set's state, before an access to part of it.
static void split_group(const pz_cache_state *c, uint64_t g) {
    const uint64_t first = g << c->page_shift, count = 1ull << c->page_shift;
    const uint32_t *from = set_words(c, first);
    const size_t bytes = 4 * (size_t)c->stride;
    for (uint64_t s = 1; s < count; s++) memcpy(set_words(c, first + s), from, bytes);
    c->split[g] = 1;
    c->since[g] = 0;
}

/// 1 when `set`'s group is uniform and `key` is its most recent tag: an access of it hits and
/// changes nothing, so the group stays whole (a first touch of the page a fault just cleared).
static inline int hits_uniform_front(const pz_cache_state *c, uint64_t set, uint32_t key) {
    if (!in_uniform_group(c, set)) return 0;
    uint32_t *head = set_words(c, group_of(c, set) << c->page_shift);
    return tag_at(c, head, order_of(c, head)[0]) == key;
}

/// Splits `set`'s group when uniform, before an access to `set` alone.
static inline void own_set(const pz_cache_state *c, uint64_t set) {
    if (in_uniform_group(c, set)) split_group(c, group_of(c, set));
}

/// 1 when every set of split group `g` holds every way valid and the same tags in the same
/// recency order (the ways they sit in may differ): the same answers to any access from now on.
static int group_agrees(const pz_cache_state *c, uint64_t g) {
    const uint64_t first = g << c->page_shift, count = 1ull << c->page_shift;
    const uint64_t ways = (uint64_t)c->ways;
    uint32_t *head = set_words(c, first);
    if (*valid_of(c, head) != (uint16_t)ways) return 0;
    const uint8_t *head_order = order_of(c, head);
    for (uint64_t s = 1; s < count; s++) {
        uint32_t *words = set_words(c, first + s);
        if (*valid_of(c, words) != (uint16_t)ways) return 0;
        const uint8_t *order = order_of(c, words);
        for (uint64_t r = 0; r < ways; r++) {
            if (tag_at(c, words, order[r]) != tag_at(c, head, head_order[r])) return 0;
        }
    }
    return 1;
}

/// After a whole page's access to split group `g`: every `ways` of them, the group becomes
/// uniform again if its sets agree.
static inline void note_whole_page(const pz_cache_state *c, uint64_t g) {
    if (++c->since[g] < (uint16_t)c->ways) return;
    c->since[g] = 0;
    if (group_agrees(c, g)) c->split[g] = 0;
}

/// Each of `count` sets from `first_set` filled once, in order, in the fill counts and log;
/// returns the new total (the fill loop keeps it in a local).
static inline uint64_t count_page_fills(uint32_t *fills, uint32_t *fill_log, uint64_t log_mask, uint64_t total, uint64_t first_set, uint64_t count) {
    for (uint64_t n = 0; n < count; n++) {
        fills[first_set + n] += 1;
        fill_log[total++ & log_mask] = (uint32_t)(first_set + n);
    }
    return total;
}

/// What a miss of a whole page in a uniform group records besides the group's first set: each
/// line's fill count and log entry, in order, and the page's residency.
static inline void note_page_fill(const pz_cache_state *c, uint64_t first_line, uint64_t first_set) {
    const uint64_t count = 1ull << c->page_shift;
    if (c->residency) {
        const int64_t page = (int64_t)(first_line >> c->page_shift);
        if (page < c->resident_pages) c->residency[page] |= all_eighths(count, c->eighth_shift);
    }
    if (c->fills) *c->fill_total = count_page_fills(c->fills, c->fill_log, c->fill_log_mask, *c->fill_total, first_set, count);
}


#define PZ_TAG_T uint32_t
#define PZ_COMPACT 0
#define PZ_VARIANT(name) name##_baseline
#define PZ_FIND16(tags, key) pz_find_way(tags, 16, key)
#define PZ_FIND_ANY(tags, ways, key) pz_find_way(tags, ways, key)
#include "cache_fill_body.h"

#define PZ_TAG_T uint16_t
#define PZ_COMPACT 1
#define PZ_VARIANT(name) name##_baseline16
#define PZ_FIND16(tags, key) pz_find_way16(tags, key)
#define PZ_FIND_ANY(tags, ways, key) pz_find_way16_any(tags, ways, key)
#include "cache_fill_body.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl"))), apply_to = function)
/// A 16-way set's tag search in one AVX-512 compare.
static inline int32_t pz_find16_avx512(const uint32_t *tags, uint32_t key) {
    const __mmask16 hit = _mm512_cmpeq_epi32_mask(_mm512_loadu_si512(tags), _mm512_set1_epi32((int)key));
    return hit ? __builtin_ctz((unsigned)hit) : -1;
}
/// The same for 16-bit tags.
static inline int32_t pz_find16_16_avx512(const uint16_t *tags, uint16_t key) {
    const __mmask16 hit = _mm256_cmpeq_epi16_mask(_mm256_loadu_si256((const __m256i *)tags), _mm256_set1_epi16((short)key));
    return hit ? __builtin_ctz((unsigned)hit) : -1;
}
/// Up to 32 ways' tags in two masked compares (lanes past `ways` are neither read nor matched).
static inline int32_t pz_find_any_avx512(const uint32_t *tags, int32_t ways, uint32_t key) {
    if (ways > 32) return pz_find_way(tags, ways, key);
    const __m512i k = _mm512_set1_epi32((int)key);
    const __mmask16 low = ways >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << ways) - 1);
    const __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(low, _mm512_maskz_loadu_epi32(low, tags), k);
    if (hit) return __builtin_ctz((unsigned)hit);
    if (ways <= 16) return -1;
    const __mmask16 high = ways >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ways - 16)) - 1);
    const __mmask16 hit_high = _mm512_mask_cmpeq_epi32_mask(high, _mm512_maskz_loadu_epi32(high, tags + 16), k);
    return hit_high ? 16 + __builtin_ctz((unsigned)hit_high) : -1;
}
/// A compact set's 16-bit tags (13 to 20 ways) in one masked compare.
static inline int32_t pz_find_any16_avx512(const uint16_t *tags, int32_t ways, uint16_t key) {
    const __mmask32 lanes = (1u << ways) - 1;
    const __mmask32 hit = _mm512_mask_cmpeq_epi16_mask(lanes, _mm512_maskz_loadu_epi16(lanes, tags), _mm512_set1_epi16((short)key));
    return hit ? __builtin_ctz(hit) : -1;
}
#define PZ_TAG_T uint32_t
#define PZ_COMPACT 0
#define PZ_VARIANT(name) name##_avx512
#define PZ_FIND16(tags, key) pz_find16_avx512(tags, key)
#define PZ_FIND_ANY(tags, ways, key) pz_find_any_avx512(tags, ways, key)
#define PZ_ORDER_AVX512 1
#include "cache_fill_body.h"

#define PZ_TAG_T uint16_t
#define PZ_COMPACT 1
#define PZ_VARIANT(name) name##_avx51216
#define PZ_FIND16(tags, key) pz_find16_16_avx512(tags, key)
#define PZ_FIND_ANY(tags, ways, key) pz_find_any16_avx512(tags, ways, key)
#define PZ_ORDER_AVX512 1
#include "cache_fill_body.h"
#pragma clang attribute pop
#define PZ_HAVE_AVX512_VARIANT 1
#endif

/// 1: the AVX-512 loops (when the CPU has them); 0: the baseline. Chosen once; tests force it.
static int simd_level = -1;

void pz_set_simd_level(int32_t level) { __atomic_store_n(&simd_level, level, __ATOMIC_RELAXED); }

static inline int use_avx512(void) {
#if defined(PZ_HAVE_AVX512_VARIANT)
    int level = __atomic_load_n(&simd_level, __ATOMIC_RELAXED);
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
        __atomic_store_n(&simd_level, level, __ATOMIC_RELAXED);
    }
    return level > 0;
#else
    return 0;
#endif
}

int32_t pz_simd_level(void) { return use_avx512(); }

int32_t pz_access(const pz_cache_state *c, uint64_t line, uint64_t *evicted) {
    const uint64_t set = pz_set_of(c, line), tag = pz_tag_of(c, line);
    uint32_t old = 0;
    *evicted = 0;
    if (hits_uniform_front(c, set, (uint32_t)tag + 1)) return 1;
    own_set(c, set);
    if (c->compact) {
        uint16_t old16 = 0;
        if (access_set_baseline16((uint16_t *)set_words(c, set), c->ways, c->stride, (uint16_t)(tag + 1), &old16)) return 1;
        old = old16;
    } else if (access_set_baseline(set_words(c, set), c->ways, c->stride, (uint32_t)tag + 1, &old)) {
        return 1;
    }
    note_fill(c, line, set);
    if (old != 0) *evicted = line_of(c, old, set) + 1;
    return 0;
}

uint64_t pz_access_run(const pz_cache_state *c, uint64_t first_line, int32_t count) {
#if defined(PZ_HAVE_AVX512_VARIANT)
    if (use_avx512()) return c->compact ? access_run_avx51216(c, first_line, count) : access_run_avx512(c, first_line, count);
#endif
    return c->compact ? access_run_baseline16(c, first_line, count) : access_run_baseline(c, first_line, count);
}

/// A run of at least ways x sets consecutive lines puts at least `ways` of its lines into every
/// set, so each set ends holding the run's last `ways` lines there, most recent first, whatever
/// it held. When no line of the run is in the cache (no tag of a set falls in the run's keys
/// for that set), every access is a miss and the counts follow from each set's valid ways: the
/// same state and counts as the line-by-line loop, without visiting every line (a scrubber's
/// 4 MiB block written through a 1 MiB L2). Not with a victim table, whose slots depend on the
/// order of the evictions. Returns 0 (nothing changed) when a line of the run may hit.
static int overwrite_without_hits(const pz_cache_state *c, uint64_t first, uint64_t count, uint64_t *misses, uint64_t *evictions) {
    const uint64_t sets = c->sets, ways = (uint64_t)c->ways;
    if (c->victims || ways > 256 || count / sets < ways) return 0;
    const uint64_t last = first + count - 1;
    const uint32_t first_key = (uint32_t)pz_tag_of(c, first) + 1, last_key = (uint32_t)pz_tag_of(c, last) + 1;
    const uint64_t first_set = pz_set_of(c, first), last_set = pz_set_of(c, last);
    // The run's keys in set s: [low, high], low = first_key (or the next) and high = last_key (or the one before).
#define PZ_LOW(s) ((s) >= first_set ? first_key : first_key + 1)
#define PZ_HIGH(s) ((s) <= last_set ? last_key : last_key - 1)
    // Sets go in groups (one set each without them): a uniform group's first set is read and
    // written for all of them, its keys the union of theirs.
    const uint64_t unit = c->split ? 1ull << c->page_shift : 1;
    for (uint64_t start = 0; start < sets; start += unit) {
        const int uniform = in_uniform_group(c, start);
        for (uint64_t s = start; s < (uniform ? start + 1 : start + unit); s++) {
            const uint32_t *words = set_words(c, s);
            const uint32_t low = uniform ? PZ_LOW(start + unit - 1) : PZ_LOW(s), high = PZ_HIGH(s);
            for (uint64_t w = 0; w < ways; w++) {
                const uint32_t tag = tag_at(c, words, w);
                if (tag != 0 && tag >= low && tag <= high) return 0;
            }
        }
    }
    uint64_t evicted = 0;
    for (uint64_t start = 0; start < sets; start += unit) {
        const int was_uniform = in_uniform_group(c, start);
        const uint16_t group_valid = *valid_of(c, set_words(c, start));
        // A group's sets end holding the same tags unless the run's last set is inside it (the
        // sets after it hold the tag before): then its first set alone is written.
        const int stays_uniform = c->split && !(last_set >= start && last_set < start + unit - 1);
        for (uint64_t s = start; s < start + unit; s++) {
            uint32_t *words = set_words(c, s);
            const uint32_t high = PZ_HIGH(s);
            const uint64_t filled = high - PZ_LOW(s) + 1, empty = ways - (was_uniform ? group_valid : *valid_of(c, words));
            evicted += filled > empty ? filled - empty : 0;
            if (c->fills) c->fills[s] += (uint32_t)filled;
            if (stays_uniform && s != start) continue;
            uint8_t *order = order_of(c, words);
            for (uint64_t w = 0; w < ways; w++) {
                set_tag(c, words, w, high - (uint32_t)w);
                order[w] = (uint8_t)w;
            }
            *valid_of(c, words) = (uint16_t)ways;
        }
        if (c->split) {
            c->split[start >> c->page_shift] = !stays_uniform;
            c->since[start >> c->page_shift] = 0;
        }
    }
#undef PZ_LOW
#undef PZ_HIGH
    if (c->fills) {
        // The log holds the sets of the last fills, in order.
        const uint64_t logged = count < c->fill_log_mask + 1 ? count : c->fill_log_mask + 1;
        const uint64_t total = *c->fill_total;
        for (uint64_t n = count - logged; n < count; n++) c->fill_log[(total + n) & c->fill_log_mask] = (uint32_t)pz_set_of(c, first + n);
        *c->fill_total = total + count;
    }
    if (c->residency) {
        const uint64_t page_mask = (1ull << c->page_shift) - 1;
        for (uint64_t line = first; line <= last;) {
            uint64_t segment_end = (line | page_mask) + 1;
            if (line + 64 < segment_end) segment_end = line + 64;
            if (last + 1 < segment_end) segment_end = last + 1;
            const int64_t page = (int64_t)(line >> c->page_shift);
            const uint64_t n = segment_end - line;
            if (page < c->resident_pages) mark_eighths(c->residency, page, line & page_mask, n == 64 ? ~0ull : (1ull << n) - 1, c->eighth_shift);
            line = segment_end;
        }
    }
    *misses = count;
    *evictions += evicted;
    return 1;
}

uint64_t pz_fill_lines(const pz_cache_state *c, uint64_t first_line, int64_t count, uint64_t *evictions) {
    uint64_t misses = 0;
    if (count > 0 && overwrite_without_hits(c, first_line, (uint64_t)count, &misses, evictions)) return misses;
#if defined(PZ_HAVE_AVX512_VARIANT)
    if (use_avx512()) return c->compact ? fill_avx51216(c, first_line, count, evictions) : fill_avx512(c, first_line, count, evictions);
#endif
    return c->compact ? fill_baseline16(c, first_line, count, evictions) : fill_baseline(c, first_line, count, evictions);
}

int32_t pz_invalidate(const pz_cache_state *c, uint64_t line) {
    const uint64_t set = pz_set_of(c, line);
    const uint32_t key = (uint32_t)pz_tag_of(c, line) + 1;
    // A line absent from a uniform group's first set is absent from the group: no split.
    if (find_in_set(c, state_words(c, set), key) < 0) return 0;
    own_set(c, set);
    uint32_t *words = set_words(c, set);
    const int32_t way = find_in_set(c, words, key);
    if (way < 0) return 0;
    set_tag(c, words, (uint64_t)way, 0);
    *valid_of(c, words) -= 1;
    return 1;
}

int32_t pz_contains(const pz_cache_state *c, uint64_t line) {
    return find_in_set(c, state_words(c, pz_set_of(c, line)), (uint32_t)pz_tag_of(c, line) + 1) >= 0;
}
