// The cache model's per-set LRU and its loops, included by cache_fill.c once per set layout
// (PZ_TAG_T: 32-bit tags, or 16-bit ones in 64-byte sets, PZ_COMPACT) and ISA (the baseline, or
// AVX-512: a 16-way tag search in one compare), named by PZ_VARIANT. PZ_FIND16 searches 16 ways,
// PZ_FIND_ANY any number; PZ_ORDER_AVX512 moves the recency order of a set of up to 32 ways in
// one register (an Intel L3's 11 to 20 ways) where a memmove did it. The header undefines them
// at its end. Not a standalone header.

#if defined(PZ_ORDER_AVX512) && !defined(PZ_ORDER_AVX512_HELPERS)
#define PZ_ORDER_AVX512_HELPERS
/// The first `ways` bytes (<= 32) of an order.
static inline __mmask32 pz_order_lanes(int32_t ways) { return ways >= 32 ? ~0u : (1u << ways) - 1; }
/// Every byte one place up (byte i to i + 1; byte 0 becomes 0), across the two 128-bit lanes.
static inline __m256i pz_bytes_up_one(__m256i o) {
    return _mm256_alignr_epi8(o, _mm256_permute2x128_si256(o, o, 0x08), 15);
}
#endif

/// Moves `way` to the front of the order (from where it is, or from the end if it is not there).
static inline __attribute__((always_inline)) void PZ_VARIANT(move_to_front)(uint8_t *order, int32_t ways, uint8_t way) {
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
#if defined(PZ_ORDER_AVX512)
    if (ways <= 32) {
        const __mmask32 lanes = pz_order_lanes(ways);
        const __m256i o = _mm256_maskz_loadu_epi8(lanes, order);
        const __mmask32 at = _mm256_mask_cmpeq_epi8_mask(lanes, o, _mm256_set1_epi8((char)way));
        const uint32_t pos = at ? (uint32_t)__builtin_ctz(at) : (uint32_t)ways - 1;
        // Bytes 0...pos take the byte below them, byte 0 the way; the rest stay.
        const __m256i moved = _mm256_mask_blend_epi8((__mmask32)((2u << pos) - 1), o, pz_bytes_up_one(o));
        _mm256_mask_storeu_epi8(order, lanes, _mm256_mask_set1_epi8(moved, 1, (char)way));
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
static inline __attribute__((always_inline)) void PZ_VARIANT(rotate_last_to_front)(uint8_t *order, int32_t ways) {
#if defined(__SSE2__)
    if (ways == 16) {
        const __m128i o = _mm_loadu_si128((const __m128i *)order);
        _mm_storeu_si128((__m128i *)order, _mm_or_si128(_mm_slli_si128(o, 1), _mm_srli_si128(o, 15)));
        return;
    }
#endif
#if defined(PZ_ORDER_AVX512)
    if (ways <= 32) {
        const __mmask32 lanes = pz_order_lanes(ways);
        const __m256i o = _mm256_maskz_loadu_epi8(lanes, order);
        _mm256_mask_storeu_epi8(order, lanes, _mm256_mask_set1_epi8(pz_bytes_up_one(o), 1, (char)order[ways - 1]));
        return;
    }
#endif
    const uint8_t last = order[ways - 1];
    memmove(order + 1, order, (size_t)(ways - 1));
    order[0] = last;
}

/// The access of `line` (its set's `tags`, its `key`) in a cache of `ways` ways (a constant
/// where inlined for 16): 1 on a hit; on a miss, *old_tag is the tag it evicted (0: none).
static inline __attribute__((always_inline)) int32_t PZ_VARIANT(access_set)(PZ_TAG_T *tags, int32_t ways, int32_t stride, PZ_TAG_T key, PZ_TAG_T *old_tag) {
    uint8_t *order = (uint8_t *)(tags + ways);
    const int32_t hit = ways == 16 ? PZ_FIND16(tags, key) : PZ_FIND_ANY(tags, ways, key);
    if (hit >= 0) {
        PZ_VARIANT(move_to_front)(order, ways, (uint8_t)hit);
        return 1;
    }
    uint16_t *valid = (uint16_t *)((uint8_t *)tags + 4 * (int64_t)stride - 2);
    int32_t way;
    if (__builtin_expect(*valid < (uint16_t)ways, 0)) {
        way = PZ_FIND_ANY(tags, ways, 0);
        *valid += 1;
        *old_tag = 0;
        PZ_VARIANT(move_to_front)(order, ways, (uint8_t)way);
    } else {
        way = order[ways - 1];
        *old_tag = tags[way];
        PZ_VARIANT(rotate_last_to_front)(order, ways);
    }
    tags[way] = key;
    return 0;
}

static uint64_t PZ_VARIANT(access_lines)(const pz_cache_state *c, uint64_t first_line, int32_t count, uint64_t set, uint64_t tag);

/// `pz_access_run`.
static uint64_t PZ_VARIANT(access_run)(const pz_cache_state *c, uint64_t first_line, int32_t count) {
    uint64_t hits = 0;
    // The first line's set and tag once; the next line is the next set, or set 0 of the next tag.
    uint64_t set = pz_set_of(c, first_line), tag = pz_tag_of(c, first_line);
    if (c->split && count == (1 << c->page_shift) && (first_line & (uint64_t)(count - 1)) == 0) {
        // A whole page: its group's sets take the same access.
        const uint64_t g = group_of(c, set);
        if (!c->split[g]) {
            PZ_TAG_T old = 0;
            if (PZ_VARIANT(access_set)((PZ_TAG_T *)set_words(c, set), c->ways, c->stride, (PZ_TAG_T)(tag + 1), &old))
                return count == 64 ? ~0ull : (1ull << count) - 1;
            note_page_fill(c, first_line, set);
            return 0;
        }
        hits = PZ_VARIANT(access_lines)(c, first_line, count, set, tag);
        note_whole_page(c, g);
        return hits;
    }
    return PZ_VARIANT(access_lines)(c, first_line, count, set, tag);
}

/// `access_run`'s line-by-line loop from `set` and `tag`, the first line's.
static uint64_t PZ_VARIANT(access_lines)(const pz_cache_state *c, uint64_t first_line, int32_t count, uint64_t set, uint64_t tag) {
    uint64_t hits = 0;
    for (int32_t n = 0; n < count && n < 64; n++, set++) {
        const uint64_t line = first_line + (uint64_t)n;
        if (set == c->sets) set = 0, tag++;
        if (hits_uniform_front(c, set, (uint32_t)tag + 1)) {
            hits |= 1ull << n;
            continue;
        }
        own_set(c, set);
        PZ_TAG_T old = 0;
        if (PZ_VARIANT(access_set)((PZ_TAG_T *)(c->words + set * (uint64_t)c->stride), c->ways, c->stride, (PZ_TAG_T)(tag + 1), &old)) {
            hits |= 1ull << n;
        } else {
            note_fill(c, line, set);
        }
    }
    return hits;
}

/// The fill loop for a cache of `ways` ways, with or without fill counts and a victim table:
/// constants where the caller branches on them (16 ways; an L2 counts fills, the LLC records
/// victims). The state is read into locals once (a byte store may alias anything, so fields
/// read through `c` would be reloaded every line). Lines go in segments that share a tag and a
/// page, at most 64: the tag is computed once a segment, the page's residency marked once.
static inline __attribute__((always_inline)) uint64_t PZ_VARIANT(fill_lines)(
    const pz_cache_state *c, uint64_t first_line, int64_t count, uint64_t *evictions, const int32_t ways, const int32_t stride,
    const int counts_fills, const int records_victims) {
    uint32_t *const words = c->words;
    const uint64_t sets = c->sets, victim_mask = c->victim_mask;
    const uint32_t page_shift = c->page_shift, eighth_shift = c->eighth_shift;
    uint8_t *const residency = c->residency;
    const int64_t resident_pages = c->resident_pages;
    uint32_t *const fills = c->fills, *const fill_log = c->fill_log;
    const uint64_t fill_log_mask = c->fill_log_mask;
    uint64_t fill_total = counts_fills ? *c->fill_total : 0;
    uint32_t *const victims = c->victims;
    const uint64_t page_mask = (1ull << page_shift) - 1;
    uint8_t *const split = c->split;
    uint64_t misses = 0, evicted = 0;
    uint64_t line = first_line;
    const uint64_t end = first_line + (uint64_t)count;
    while (line < end) {
        // A segment's lines share a tag (up to the next multiple of the sets), so its sets
        // follow one another from the first line's: one division a segment, none a line.
        const uint64_t first_set = pz_set_of(c, line);
        uint64_t segment_end = line - first_set + sets;
        if ((line | page_mask) + 1 < segment_end) segment_end = (line | page_mask) + 1;
        if (line + 64 < segment_end) segment_end = line + 64;
        if (end < segment_end) segment_end = end;
        const PZ_TAG_T key = (PZ_TAG_T)(pz_tag_of(c, line) + 1);
        const uint64_t first = line;
        uint64_t missed = 0;
        // A whole page (a segment ends at its page's end) in a group of sets.
        const int whole_page = split && segment_end - first == page_mask + 1;
        if (split) {
            const uint64_t g = first_set >> page_shift;
            if (whole_page && !split[g]) {
                // One set's update for the group; each line's counts as the loop below keeps them.
                line = segment_end;
                PZ_TAG_T old = 0;
                if (PZ_VARIANT(access_set)((PZ_TAG_T *)(words + first_set * (uint64_t)stride), ways, stride, key, &old)) continue;
                const uint64_t lines = page_mask + 1;
                misses += lines;
                if (counts_fills) fill_total = count_page_fills(fills, fill_log, fill_log_mask, fill_total, first_set, lines);
                if (old != 0) {
                    evicted += lines;
                    if (records_victims) {
                        pz_record_victims(victims, victim_mask, (uint64_t)(old - 1) * sets + first_set, lines);
                    }
                }
                const int64_t page = (int64_t)(first >> page_shift);
                if (residency && page < resident_pages) residency[page] |= all_eighths(lines, eighth_shift);
                continue;
            }
            if (!whole_page && !split[g]) {
                // Part of a page whose tag is the group's most recent: every line hits, no change.
                if (hits_uniform_front(c, first_set, (uint32_t)key)) {
                    line = segment_end;
                    continue;
                }
                split_group(c, g);
            }
        }
        for (; line < segment_end; line++) {
            const uint64_t set = first_set + (line - first);
            PZ_TAG_T old = 0;
            if (PZ_VARIANT(access_set)((PZ_TAG_T *)(words + set * (uint64_t)stride), ways, stride, key, &old)) continue;
            missed |= 1ull << (line - first);
            if (counts_fills) {
                fills[set] += 1;
                fill_log[fill_total & fill_log_mask] = (uint32_t)set;
                fill_total++;
            }
            if (old != 0) {
                evicted++;
                if (records_victims) {
                    const uint64_t gone = (uint64_t)(old - 1) * sets + set;
                    victims[pz_victim_slot(gone, victim_mask)] = pz_victim_tag(gone, victim_mask);
                }
            }
        }
        if (missed) {
            misses += (uint64_t)__builtin_popcountll(missed);
            const int64_t page = (int64_t)(first >> page_shift);
            if (residency && page < resident_pages) mark_eighths(residency, page, first & page_mask, missed, eighth_shift);
        }
        if (whole_page) note_whole_page(c, first_set >> page_shift);
    }
    if (counts_fills) *c->fill_total = fill_total;
    *evictions += evicted;
    return misses;
}

/// The fill loop specialized by shape (see `pz_fill_lines`).
static uint64_t PZ_VARIANT(fill)(const pz_cache_state *c, uint64_t first_line, int64_t count, uint64_t *evictions) {
    const int fills = c->fills != NULL, victims = c->victims != NULL;
    const int32_t stride16 = PZ_COMPACT ? 16 : 21;  // pz_set_stride(16, PZ_COMPACT)
    if (c->ways == 16) {
        if (fills && !victims) return PZ_VARIANT(fill_lines)(c, first_line, count, evictions, 16, stride16, 1, 0);
        if (!fills && victims) return PZ_VARIANT(fill_lines)(c, first_line, count, evictions, 16, stride16, 0, 1);
        if (!fills && !victims) return PZ_VARIANT(fill_lines)(c, first_line, count, evictions, 16, stride16, 0, 0);
        return PZ_VARIANT(fill_lines)(c, first_line, count, evictions, 16, stride16, 1, 1);
    }
    return PZ_VARIANT(fill_lines)(c, first_line, count, evictions, c->ways, c->stride, fills, victims);
}

// Each inclusion names its own parameters.
#undef PZ_TAG_T
#undef PZ_COMPACT
#undef PZ_VARIANT
#undef PZ_FIND16
#undef PZ_FIND_ANY
#undef PZ_ORDER_AVX512
