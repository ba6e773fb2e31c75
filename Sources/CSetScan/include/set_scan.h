// Tag search for the cache model's set-associative LRU (Sources/PrezeroModel/Cache/CacheModel.swift):
// compares a key with every way's tag at once. Swift's SIMD types compile this to scalar code
// through generic witnesses; SSE2 (baseline on x86-64) and NEON (arm64) do it in a few
// instructions, without a branch on where the hit is.
#ifndef PREZERO_SET_SCAN_H
#define PREZERO_SET_SCAN_H

#include <stdint.h>

// Swift inlines these (static inline) in release builds. A debug build compiles them at -O0
// inside the Swift module, where the SSE code runs ~10x slower than the scalar loop it replaces
// and the tests' replays crawl; there (PZ_SCAN_OUT_OF_LINE, set by Package.swift for debug) the
// header only declares them and set_scan.c defines them, always built at -O2.
#if defined(PZ_SCAN_OUT_OF_LINE) && !defined(PZ_SCAN_DEFINE)
int32_t pz_find_way(const uint32_t *tags, int32_t ways, uint32_t key);
int32_t pz_lru_way(const uint32_t *tags, const uint32_t *stamps, int32_t ways);
#else
#if defined(PZ_SCAN_DEFINE)
#define PZ_SCAN_FN
#else
#define PZ_SCAN_FN static inline
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/// Index of the way among `ways` tags at `tags` whose tag equals `key`, or -1.
PZ_SCAN_FN int32_t pz_find_way(const uint32_t *tags, int32_t ways, uint32_t key) {
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

#if defined(__SSE2__)
/// Unsigned 32-bit minimum in SSE2 (no pminud before SSE4.1): a signed compare of biased values.
static inline __m128i pz_min_epu32(__m128i a, __m128i b) {
    const __m128i bias = _mm_set1_epi32((int)0x80000000u);
    __m128i a_greater = _mm_cmpgt_epi32(_mm_xor_si128(a, bias), _mm_xor_si128(b, bias));
    return _mm_or_si128(_mm_and_si128(a_greater, b), _mm_andnot_si128(a_greater, a));
}
#endif

/// The way a miss fills: the first empty way (tag 0), else the first way with the smallest
/// last-use stamp (true LRU). Same answer as the scalar scan, without its 16 branches.
PZ_SCAN_FN int32_t pz_lru_way(const uint32_t *tags, const uint32_t *stamps, int32_t ways) {
#if defined(__SSE2__)
    if (ways == 16) {
        const __m128i zero = _mm_setzero_si128();
        __m128i v[4];
        for (int g = 0; g < 4; g++) {
            __m128i t = _mm_loadu_si128((const __m128i *)(tags + 4 * g));
            __m128i s = _mm_loadu_si128((const __m128i *)(stamps + 4 * g));
            v[g] = _mm_andnot_si128(_mm_cmpeq_epi32(t, zero), s);  // an empty way counts as stamp 0
        }
        __m128i m = pz_min_epu32(pz_min_epu32(v[0], v[1]), pz_min_epu32(v[2], v[3]));
        m = pz_min_epu32(m, _mm_shuffle_epi32(m, 0x4E));
        m = pz_min_epu32(m, _mm_shuffle_epi32(m, 0xB1));
        __m128i a = _mm_cmpeq_epi32(v[0], m), b = _mm_cmpeq_epi32(v[1], m);
        __m128i c = _mm_cmpeq_epi32(v[2], m), d = _mm_cmpeq_epi32(v[3], m);
        int mask = _mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d)));
        return __builtin_ctz((unsigned)mask);
    }
#endif
    int32_t victim = 0;
    uint32_t oldest = UINT32_MAX;
    for (int32_t i = 0; i < ways; i++) {
        uint32_t stamp = tags[i] == 0 ? 0 : stamps[i];
        if (stamp < oldest) {
            oldest = stamp;
            victim = i;
        }
    }
    return victim;
}

#endif  // PZ_SCAN_OUT_OF_LINE

#endif
