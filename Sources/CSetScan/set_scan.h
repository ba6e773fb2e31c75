// Tag search for the cache model's sets (cache_fill.c; private to this target): compares a key
// with every way's tag at once. SSE2 (baseline on x86-64) and NEON (arm64) do it in a few
// instructions, without a branch on where the hit is.
#ifndef PREZERO_SET_SCAN_H
#define PREZERO_SET_SCAN_H

#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/// Index of the way among `ways` tags at `tags` whose tag equals `key`, or -1.
static inline int32_t pz_find_way(const uint32_t *tags, int32_t ways, uint32_t key) {
    int32_t i = 0;
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi32((int)key);
    if (ways == 16) {  // the common LLC shape: one mask for the whole set, one branch
        __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)tags), k);
        __m128i b = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(tags + 4)), k);
        __m128i c = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(tags + 8)), k);
        __m128i d = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(tags + 12)), k);
        int mask = _mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d)));
        return mask ? __builtin_ctz((unsigned)mask) : -1;
    }
    for (; i + 8 <= ways; i += 8) {
        __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(tags + i)), k);
        __m128i b = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(tags + i + 4)), k);
        int mask = _mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(a, b), _mm_setzero_si128()));
        if (mask) return i + __builtin_ctz((unsigned)mask);
    }
#elif defined(__ARM_NEON)
    const uint32x4_t k = vdupq_n_u32(key);
    for (; i + 4 <= ways; i += 4) {
        uint32x4_t eq = vceqq_u32(vld1q_u32(tags + i), k);
        uint64_t bits = vget_lane_u64(vreinterpret_u64_u16(vmovn_u32(eq)), 0);
        if (bits) return i + (int32_t)(__builtin_ctzll(bits) / 16);
    }
#endif
    int32_t hit = -1;
    for (; i < ways; i++) hit = tags[i] == key ? i : hit;
    return hit;
}

/// Index of the first of 16 16-bit tags at `tags` that equals `key`, or -1 (the compact layout).
static inline int32_t pz_find_way16(const uint16_t *tags, uint16_t key) {
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi16((short)key);
    const __m128i a = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)tags), k);
    const __m128i b = _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(tags + 8)), k);
    const int mask = _mm_movemask_epi8(_mm_packs_epi16(a, b));
    return mask ? __builtin_ctz((unsigned)mask) : -1;
#else
    for (int32_t i = 0; i < 16; i++) {
        if (tags[i] == key) return i;
    }
    return -1;
#endif
}

/// The same for `ways` 16-bit tags (the compact layout holds 13 to 20).
static inline int32_t pz_find_way16_any(const uint16_t *tags, int32_t ways, uint16_t key) {
    if (ways == 16) return pz_find_way16(tags, key);
    for (int32_t i = 0; i < ways; i++) {
        if (tags[i] == key) return i;
    }
    return -1;
}

#endif
