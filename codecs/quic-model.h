/* quic-model: the QUIC adaptive model shared by encoder and decoder (private to codecs/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/quic.h"

#include "codecs/cpu-features.h"
#if CODECS_SSE2
#include <emmintrin.h>
#endif

#define QUIC_MAGIC 0x43495551u   /* "QUIC" as a little-endian word */
#define QUIC_VERSION 0u
/* Longest codeword; escape codes are sized so no symbol exceeds it. */
#define QUIC_CODE_LIMIT 26u
/* The wait mask index grows by one every QUIC_WM_NEXT coded pixels until QUIC_WM_INDEX_MAX. */
#define QUIC_WM_INDEX_MAX 6u
#define QUIC_WM_NEXT 2048u
#define QUIC_MELC_STATES 32u
#define QUIC_MAX_PLANES 4u
#define QUIC_MAX_CODES 8u

#if defined(__GNUC__)
#define QUIC_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define QUIC_ALWAYS_INLINE inline
#endif

/*
 * Code tables for one channel depth (8 bits, or 5 for RGB16), filled by quic_family_init.
 * Parameter k (0..bpc-1) selects a Golomb-Rice code limited to QUIC_CODE_LIMIT bits: symbols
 * below gr_count[k] are (s >> k) zeros, a one, and the k low bits; the rest are an escape of
 * alt[k] zeros followed by s - gr_count[k] in escape_len[k] - alt[k] bits.
 */
typedef struct QuicFamily {
    unsigned bpc;
    unsigned mask;                            /* 2^bpc - 1 */
    unsigned num_buckets;
    unsigned gr_count[QUIC_MAX_CODES];
    unsigned escape_len[QUIC_MAX_CODES];
    uint32_t gr_min_bits[QUIC_MAX_CODES];     /* a 32-bit window above this starts a GR code */
    uint32_t suffix_mask[QUIC_MAX_CODES];
    uint32_t code[256][QUIC_MAX_CODES];
    uint8_t code_len[256][QUIC_MAX_CODES];
    uint16_t code_packed[256][QUIC_MAX_CODES];   /* code | length << 8 (codes fit in 8 bits) */
    uint8_t fold[256];        /* residual mod 2^bpc -> symbol: 0, +1, -1, +2 ... -> 0, 2, 1, 4 ... */
    uint8_t unfold[256];
    uint8_t bucket_of[256];   /* context -> bucket: {0} {1,2} {3..6} ... last one takes the rest */
} QuicFamily;

void quic_family_init(QuicFamily *f, unsigned bpc);

typedef struct QuicBucket {
    uint32_t counters[QUIC_MAX_CODES];   /* accumulated code length of each parameter */
    unsigned bestcode;
} QuicBucket;

/* Wait-mask and run-length state of one coding group (RGB together, alpha or gray alone). */
typedef struct QuicState {
    unsigned waitcnt;
    unsigned tabrand_seed;
    unsigned wm_trigger;
    unsigned wmidx;
    unsigned wmileft;
    unsigned melcstate;
    unsigned melclen;
    unsigned melcorder;
} QuicState;

extern const uint8_t quic_melc_len[QUIC_MELC_STATES];
extern const uint8_t quic_tabrand_low6[256];

void quic_state_reset(QuicState *s);
/* Next pseudo-random wait (only the low 6 bits matter: the mask never exceeds 63). Inline: the
 * pixel loops keep their state in locals, which an out-of-line call would force to memory. */
static inline unsigned quic_tabrand(QuicState *s)
{
    return quic_tabrand_low6[++s->tabrand_seed & 0xFF];
}
/* Moves to the next wait mask index (every QUIC_WM_NEXT pixels). */
void quic_state_next_wm(QuicState *s);

static inline void quic_melc_up(QuicState *s)
{
    if (s->melcstate < QUIC_MELC_STATES - 1) {
        s->melclen = quic_melc_len[++s->melcstate];
        s->melcorder = 1u << s->melclen;
    }
}

static inline void quic_melc_down(QuicState *s)
{
    if (s->melcstate) {
        s->melclen = quic_melc_len[--s->melcstate];
        s->melcorder = 1u << s->melclen;
    }
}

/* First index in [i, end) whose key differs from @value (or @end). Runs on text pages cover
 * most pixels, so the scan compares eight keys per step where SSE2 is available. */
static inline size_t quic_run_end(const uint32_t *key, size_t i, size_t end, uint32_t value)
{
#if CODECS_SSE2
    const __m128i v = _mm_set1_epi32((int)value);
    while (end - i >= 8) {
        __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(key + i)), v);
        __m128i b = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(key + i + 4)), v);
        if (_mm_movemask_epi8(_mm_and_si128(a, b)) != 0xFFFF) {
            break;
        }
        i += 8;
    }
#endif
    while (i < end && key[i] == value) {
        i++;
    }
    return i;
}

/*
 * Adds @sym's code lengths to @counters (a bucket's QUIC_MAX_CODES totals), picks the parameter
 * with the smallest total (ties keep the larger k; k >= bpc never wins) and halves the totals
 * once that smallest one passes @trigger. Returns the new best code. With SSE2 the choice is
 * made without data-dependent branches (the model update is on every coder's hot path).
 */
static QUIC_ALWAYS_INLINE unsigned quic_counters_update(const QuicFamily *f, uint32_t *counters,
                                                        unsigned sym, uint32_t trigger)
{
#if CODECS_SSE2
    /* code_len[sym][0..7] widened to eight 32-bit lanes */
    const __m128i zero = _mm_setzero_si128();
    __m128i lens = _mm_unpacklo_epi8(
        _mm_loadl_epi64((const __m128i *)(const void *)f->code_len[sym]), zero);
    __m128i lo = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(void *)counters),
                               _mm_unpacklo_epi16(lens, zero));
    __m128i hi = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(void *)(counters + 4)),
                               _mm_unpackhi_epi16(lens, zero));
    /* Codes k >= bpc do not exist: make them lose every comparison (totals stay far below). */
    const __m128i none = _mm_set1_epi32(0x3FFFFFFF);
    __m128i lo_v = lo, hi_v = hi;
    if (f->bpc < 8) {
        const __m128i idx_hi = _mm_setr_epi32(4, 5, 6, 7), idx_lo = _mm_setr_epi32(0, 1, 2, 3);
        const __m128i bpc = _mm_set1_epi32((int)f->bpc - 1);
        lo_v = _mm_or_si128(lo, _mm_and_si128(_mm_cmpgt_epi32(idx_lo, bpc), none));
        hi_v = _mm_or_si128(hi, _mm_and_si128(_mm_cmpgt_epi32(idx_hi, bpc), none));
    }
    /* the minimum in every lane, by two shuffles */
    __m128i gt = _mm_cmpgt_epi32(lo_v, hi_v);
    __m128i m = _mm_or_si128(_mm_and_si128(gt, hi_v), _mm_andnot_si128(gt, lo_v));
    __m128i sh = _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2));
    gt = _mm_cmpgt_epi32(m, sh);
    m = _mm_or_si128(_mm_and_si128(gt, sh), _mm_andnot_si128(gt, m));
    sh = _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1));
    gt = _mm_cmpgt_epi32(m, sh);
    m = _mm_or_si128(_mm_and_si128(gt, sh), _mm_andnot_si128(gt, m));
    /* the largest k holding it */
    unsigned mask = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo_v, m))) |
                    (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi_v, m))) << 4;
    unsigned best = 31u - (unsigned)__builtin_clz(mask);
    uint32_t best_len = (uint32_t)_mm_cvtsi128_si32(m);
    __m128i halve = _mm_cvtsi32_si128(best_len > trigger);
    _mm_storeu_si128((__m128i *)(void *)counters, _mm_srl_epi32(lo, halve));
    _mm_storeu_si128((__m128i *)(void *)(counters + 4), _mm_srl_epi32(hi, halve));
    return best;
#else
    unsigned best = f->bpc - 1;
    uint32_t best_len = (counters[best] += f->code_len[sym][best]);
    for (int k = (int)f->bpc - 2; k >= 0; k--) {
        uint32_t len = (counters[k] += f->code_len[sym][k]);
        if (len < best_len) {
            best = (unsigned)k;
            best_len = len;
        }
    }
    if (best_len > trigger) {
        for (unsigned k = 0; k < f->bpc; k++) {
            counters[k] >>= 1;
        }
    }
    return best;
#endif
}

/* Adds @sym to @b's statistics (quic_counters_update with the state's trigger). */
static QUIC_ALWAYS_INLINE void quic_update_bucket(const QuicFamily *f, const QuicState *s,
                                                  QuicBucket *b, unsigned sym)
{
    b->bestcode = quic_counters_update(f, b->counters, sym, s->wm_trigger);
}

/*
 * One channel of the image. Row buffers: cur/prev hold channel values of this and the previous
 * row; corr[1 + x] is the symbol coded at x and corr[0] the context of x = 0 (0 on the first
 * row, then the previous row's first symbol). Pixels covered by a run leave corr untouched, as
 * upstream does: later contexts may read those stale symbols, identically on both sides.
 */
typedef struct QuicPlane {
    QuicBucket buckets[QUIC_MAX_CODES];
    uint8_t *corr;
    uint8_t *cur;
    uint8_t *prev;
} QuicPlane;

/* Channels that share one wait/run state and are compared together for runs. */
typedef struct QuicGroup {
    QuicState state;
    unsigned num_planes;
    QuicPlane *planes[3];
    uint32_t *cur_key;    /* per pixel: the group's channel values packed, for equality */
    uint32_t *prev_key;
} QuicGroup;

/* All per-image state of an encoder or decoder. */
typedef struct QuicCoder {
    QuicFamily family;
    QuicPlane planes[QUIC_MAX_PLANES];
    QuicGroup groups[2];    /* [0] RGB or gray, [1] alpha of RGBA */
    unsigned num_groups;
    uint32_t width;
    void *rows_mem;
} QuicCoder;

/* Sets up @c for @type (must be valid) and @width pixels. CODEC_ERR_NO_MEMORY on failure. */
CodecStatus quic_coder_init(QuicCoder *c, QuicImageType type, uint32_t width);
void quic_coder_finish(QuicCoder *c);
/* Swaps the row buffers of every plane and sets the x = 0 context for row @y. */
void quic_coder_start_row(QuicCoder *c, uint32_t y);
