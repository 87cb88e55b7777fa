/* rgb32-compare: 32-bit pixels compared eight at a time (on B,G,R, or on all four bytes), and the 3-pixel hash: the match steps the LZ, GLZ and LZ4 encoders share. */
#pragma once
/*
 * Both encoders' RGB32 loops (codecs/lz-encode.c, codecs/glz-encode-rgb32.c) decide match
 * lengths from 8-pixel equality masks, so a match of a few pixels costs no loop exit per pixel.
 * The mask comes from one 32-byte compare where the CPU has AVX2 (the loops exist twice, the
 * AVX2 copy picked at run time through codecs_cpu_has), two 16-byte compares on SSE2 (the
 * x86-64 baseline) and a plain loop elsewhere. All give the same answers, so the streams are
 * the same whichever runs. LZ and GLZ ignore the fourth byte of each pixel (padding in XRGB32:
 * rgb32_*); LZ4 codes bytes, so its writer compares all four (pixel32_equal_mask8) or counts
 * equal bytes (pixel32_equal_bytes32).
 *
 * -DCODECS_PORTABLE_ONLY (codecs/cpu-features.h) keeps only the plain C path.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/cpu-features.h"
#include "codecs/unaligned.h"
#if CODECS_SSE2
#include <emmintrin.h>
#endif
#if CODECS_X86_DISPATCH
#include <immintrin.h>
#endif

/* The B,G,R bytes of two pixels loaded as one little-endian u64. */
#define RGB32_PAIR_MASK 0x00FFFFFF00FFFFFFull

#if CODECS_X86_DISPATCH
/* The 8-pixel comparison as one 32-byte compare. Not always_inline: only a caller compiled
 * for AVX2 (the AVX2 copy of a loop) may inline it. */
static inline __attribute__((target("avx2"))) unsigned rgb32_equal_mask8_avx2(const uint8_t *a,
                                                                            const uint8_t *b)
{
    __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)a),
                                 _mm256_loadu_si256((const __m256i *)(const void *)b));
    x = _mm256_and_si256(x, _mm256_set1_epi32(0x00FFFFFF));
    return (unsigned)_mm256_movemask_ps(
        _mm256_castsi256_ps(_mm256_cmpeq_epi32(x, _mm256_setzero_si256())));
}
#endif

/*
 * Bit k set when pixel k of the 8 at @a equals pixel k at @b on B,G,R. Reads 32 bytes at each.
 * @wide: the caller is an AVX2 copy of its loop (a constant there, so the test folds away).
 */
static inline __attribute__((always_inline)) unsigned rgb32_equal_mask8(const uint8_t *a,
                                                                       const uint8_t *b, bool wide)
{
#if CODECS_X86_DISPATCH
    if (wide) {
        return rgb32_equal_mask8_avx2(a, b);
    }
#else
    (void)wide;
#endif
#if CODECS_SSE2
    const __m128i mask = _mm_set1_epi32(0x00FFFFFF);
    const __m128i zero = _mm_setzero_si128();
    __m128i x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)a),
                               _mm_loadu_si128((const __m128i *)(const void *)b));
    __m128i x1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                               _mm_loadu_si128((const __m128i *)(const void *)(b + 16)));
    unsigned eq0 = (unsigned)_mm_movemask_ps(
        _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(x0, mask), zero)));
    unsigned eq1 = (unsigned)_mm_movemask_ps(
        _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(x1, mask), zero)));
    return eq0 | eq1 << 4;
#else
    unsigned equal = 0;
    for (unsigned k = 0; k < 8; k++) {
        equal |= (unsigned)(((unaligned_load_u32(a + 4 * k) ^ unaligned_load_u32(b + 4 * k)) &
                             0xFFFFFFu) == 0) << k;
    }
    return equal;
#endif
}

#if CODECS_X86_DISPATCH
/* pixel32_equal_mask8 as one 32-byte compare (only for callers compiled for AVX2). */
static inline __attribute__((target("avx2"))) unsigned pixel32_equal_mask8_avx2(const uint8_t *a,
                                                                              const uint8_t *b)
{
    __m256i eq = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(const void *)a),
                                    _mm256_loadu_si256((const __m256i *)(const void *)b));
    return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
}
#endif

/* Bit k set when the 4 bytes of pixel k of the 8 at @a equal those at @b. Reads 32 bytes at
 * each; @wide as for rgb32_equal_mask8. */
static inline __attribute__((always_inline)) unsigned pixel32_equal_mask8(const uint8_t *a,
                                                                         const uint8_t *b,
                                                                         bool wide)
{
#if CODECS_X86_DISPATCH
    if (wide) {
        return pixel32_equal_mask8_avx2(a, b);
    }
#else
    (void)wide;
#endif
#if CODECS_SSE2
    __m128i e0 = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)a),
                                 _mm_loadu_si128((const __m128i *)(const void *)b));
    __m128i e1 = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                                 _mm_loadu_si128((const __m128i *)(const void *)(b + 16)));
    return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(e0)) |
           (unsigned)_mm_movemask_ps(_mm_castsi128_ps(e1)) << 4;
#else
    unsigned equal = 0;
    for (unsigned k = 0; k < 8; k++) {
        equal |= (unsigned)(unaligned_load_u32(a + 4 * k) == unaligned_load_u32(b + 4 * k)) << k;
    }
    return equal;
#endif
}

#if CODECS_X86_DISPATCH
/* Bit k set when byte k of the 32 at @a equals byte k at @b (only for callers compiled for
 * AVX2). */
static inline __attribute__((target("avx2"))) uint32_t byte_equal_mask32_avx2(const uint8_t *a,
                                                                             const uint8_t *b)
{
    __m256i eq = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)a),
                                   _mm256_loadu_si256((const __m256i *)(const void *)b));
    return (uint32_t)_mm256_movemask_epi8(eq);
}
#endif

/* Leading equal bytes (0-32) of the 32 at @a and @b: the equal pixels (/ 4) and the equal
 * bytes of the pixel after them (% 4) from one compare (the LZ4 writer: a match's partial
 * last pixel then costs no load of its own). @wide as for rgb32_equal_mask8. */
static inline __attribute__((always_inline)) size_t pixel32_equal_bytes32(const uint8_t *a,
                                                                         const uint8_t *b,
                                                                         bool wide)
{
#if CODECS_X86_DISPATCH
    if (wide) {
        return (size_t)__builtin_ctzll(~(uint64_t)byte_equal_mask32_avx2(a, b));
    }
#else
    (void)wide;
#endif
#if CODECS_SSE2
    __m128i e0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)a),
                                _mm_loadu_si128((const __m128i *)(const void *)b));
    __m128i e1 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                                _mm_loadu_si128((const __m128i *)(const void *)(b + 16)));
    uint64_t equal = (uint64_t)(uint32_t)_mm_movemask_epi8(e0) |
                     (uint64_t)(uint32_t)_mm_movemask_epi8(e1) << 16;
    return (size_t)__builtin_ctzll(~equal);
#else
    for (size_t k = 0; k < 32; k += 8) {
        uint64_t diff = unaligned_load_u64(a + k) ^ unaligned_load_u64(b + k);
        if (diff != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return k + ((size_t)__builtin_ctzll(diff) >> 3);
#else
            return k + ((size_t)__builtin_clzll(diff) >> 3);
#endif
        }
    }
    return 32;
#endif
}

/* Leading equal pixels (0-8) of the 8 at @a and @b. */
static inline __attribute__((always_inline)) size_t rgb32_equal8(const uint8_t *a, const uint8_t *b,
                                                                bool wide)
{
    return (size_t)__builtin_ctz(~rgb32_equal_mask8(a, b, wide));   /* bit 8 of ~mask is set */
}

/* Pixels equal (on B,G,R) from @a and @b onwards, at most @max; @a may overlap @b. */
static inline __attribute__((always_inline)) size_t rgb32_extend(const uint8_t *a, const uint8_t *b,
                                                                size_t max, bool wide)
{
    size_t len = 0;
    while (len + 8 <= max) {
        unsigned equal = rgb32_equal_mask8(a + 4 * len, b + 4 * len, wide);
        if (equal != 0xFFu) {
            return len + (size_t)__builtin_ctz(~equal);
        }
        len += 8;
    }
    while (len < max &&
           ((unaligned_load_u32(a + 4 * len) ^ unaligned_load_u32(b + 4 * len)) & 0xFFFFFFu) == 0) {
        len++;
    }
    return len;
}

/* A 64-bit hash of the B,G,R of the 3 pixels at @p (reads 12 bytes). Callers take their slot
 * index from the top bits and check bits from the middle ones. */
static inline uint64_t rgb32_hash3(const uint8_t *p)
{
    uint64_t pair = unaligned_load_u64(p) & RGB32_PAIR_MASK;
    uint64_t third = unaligned_load_u32(p + 8) & 0xFFFFFFu;
    return pair * 0x9E3779B97F4A7C15ull ^ third * 0xC2B2AE3D27D4EB4Full;
}
