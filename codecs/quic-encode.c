/* quic-encode: QUIC encoder producing spice-common's bitstream bit for bit. */
#include "codecs/quic.h"

#include <stdlib.h>
#include <string.h>

#include "codecs/cpu-features.h"
#include "codecs/quic-encode-runs.h"
#include "codecs/quic-model.h"
#include "codecs/unaligned.h"

/*
 * How the work is split (for speed; the output is upstream's, bit for bit):
 * - Pixels are handled as 4-byte words: 32-bit sources are read in place, other formats are
 *   first converted into a 4-byte row (blue, green, red, alpha; gray in byte 0).
 * - Per row, a vector pass computes every channel's symbol (prediction, residual, fold) in
 *   blocks, only where pixels are coded (runs skip whole blocks), and a bit pass marks where a
 *   pixel equals its left neighbour. Where runs may start follows from this row's and the
 *   previous row's bits, so the coder finds the next run start with a bit scan and the run's
 *   length with another.
 * - The serial coder then only looks up each symbol's code (context -> parameter -> code) and
 *   appends one pixel's three codes with one shift; the model update at the pseudo-random wait
 *   points stays off that path.
 */

/* AVX2 variants of the two per-row vector passes, chosen at run time (codecs_cpu_has). */
#if CODECS_X86_DISPATCH
#include <immintrin.h>
#define HAVE_AVX2 1
#endif

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define LIKELY(x) (x)
#endif

/* Shift that brings byte @b (0..3 in memory order) of a pixel word loaded with memcpy down. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_SHIFT(b) (24u - 8u * (b))
#else
#define BYTE_SHIFT(b) (8u * (b))
#endif


/* Bits accumulate most-significant first; each full 32-bit word is stored little-endian. */
typedef struct BitWriter {
    uint8_t *p;
    uint8_t *end;
    uint64_t acc;
    unsigned pending;   /* bits in acc not yet stored, < 32 between calls */
} BitWriter;

/*
 * Branch-free: the candidate word is stored at p every time and p advances only once 32 bits
 * are pending (a partial word is rewritten later). The caller guarantees 4 writable bytes at p
 * (quic_encode checks a whole row's worst case before coding it). @len <= 32 and @code
 * < 2^len.
 */
static QUIC_ALWAYS_INLINE void put_bits(BitWriter *w, uint64_t code, unsigned len)
{
    uint64_t acc = w->acc << len | code;
    unsigned pending = w->pending + len;
    uint32_t word = (uint32_t)(acc >> (pending & 31));
    uint8_t *p = w->p;
    p[0] = (uint8_t)word;
    p[1] = (uint8_t)(word >> 8);
    p[2] = (uint8_t)(word >> 16);
    p[3] = (uint8_t)(word >> 24);
    w->p = p + ((pending >> 5) << 2);
    w->pending = pending & 31;
    w->acc = acc;
}

static void put_ones(BitWriter *w, unsigned n)
{
    for (; n >= 32; n -= 32) {
        put_bits(w, 0xFFFFFFFFu, 32);
    }
    if (n) {
        put_bits(w, (1u << n) - 1, n);
    }
}

/* The run coder: one '1' per full block of 2^melclen pixels (raising the state), then a '0'
 * and the remainder in melclen bits; the state drops by one after each run. Short runs take
 * their code and next state from a table instead of a loop of unpredictable length. */
static QUIC_ALWAYS_INLINE void put_run(BitWriter *w, QuicState *s, unsigned run)
{
    if (LIKELY(run < QUIC_RUN_CODES)) {
        uint32_t c = quic_run_codes[s->melcstate][run];
        put_bits(w, c & 0x3FFFFF, c >> 22 & 31);
        s->melcstate = c >> 27;
        s->melclen = quic_melc_len[s->melcstate];
        s->melcorder = 1u << s->melclen;
        return;
    }
    if (run >= s->melcorder) {
        unsigned hits = 0;
        do {
            hits++;
            run -= s->melcorder;
            quic_melc_up(s);
        } while (run >= s->melcorder);
        put_ones(w, hits);
    }
    put_bits(w, run, s->melclen + 1);
    quic_melc_down(s);
}

/*
 * The lookups of a coding group in one array, so the pixel loop needs one base register:
 * [c * 256 + context] for lane c gives the offset of the code row of the context's current
 * parameter k, CODES + k * 256; [CODES + k * 256 + symbol] is code | length << 8 (codes fit
 * in 8 bits; the rest of the length is leading zeros).
 */
#define CODES (3 * 256)
typedef uint16_t LookupTable[CODES + QUIC_MAX_CODES * 256];

/* One channel of a coding group. */
typedef struct Lane {
    QuicBucket buckets[QUIC_MAX_CODES];
    unsigned byte;          /* which byte of the 4-byte pixel */
} Lane;

/* Channels that share one wait/run state and are compared together for runs. */
typedef struct Group {
    QuicState state;
    unsigned num_lanes;      /* 3 (RGB) or 1 (gray, alpha) */
    uint32_t key_mask;       /* the group's bytes of a pixel word */
    Lane lanes[3];
    LookupTable lookup;
    /* Context row, 4 bytes per pixel: [x] holds, per byte, the symbol last coded at x - 1 in
     * this or an earlier row ([0]: the previous row's first symbol, 0 on the first row).
     * Pixels covered by a run leave it untouched, as upstream does. */
    uint8_t *ctx;
    uint64_t *eq;            /* bit x: pixel x equals pixel x - 1 in the group's bytes */
    uint64_t *up_eq;         /* the same for the previous row */
    /* Where a run starts (x > 2, above equal, left two equal), split by whether x itself
     * repeats: a run of length 0 is only its code before the pixel's own, coded inline. */
    uint64_t *run_start;     /* bit x: a run of length >= 1 starts at x */
    uint64_t *zero_run;      /* bit x: a run of length 0, then pixel x coded */
    bool any_zero_run;       /* in this row */
} Group;

/* Equality bits of pixels [64 * from, 64 * to) (from >= 1: each pixel's left neighbour is in
 * the row), prefetching the same span of the next row (@next may be NULL). */
typedef void EqWordsFn(const uint8_t *cur, const uint8_t *next, uint64_t *eq, size_t from,
                       size_t to, uint32_t key_mask);

typedef struct Encoder {
    QuicFamily family;
    uint8_t bucket_first[QUIC_MAX_CODES];
    uint16_t bucket_end[QUIC_MAX_CODES];
    Group groups[2];          /* [0] RGB or gray, [1] alpha of RGBA */
    unsigned num_groups;
    uint32_t width;
    size_t words;             /* 64-bit words per bit row */
    const uint8_t *cur;       /* this row's and the previous row's pixels, 4 bytes each */
    const uint8_t *prev;
    const uint8_t *next;      /* the next source row if it is read in place, else NULL */
    EqWordsFn *eq_words;
    bool avx2;                /* use the AVX2 variant of compute_symbols */
    uint8_t *sym;             /* this row's symbols, 4 bytes per pixel */
    size_t sym_done;          /* symbols below this are computed or never needed */
    uint8_t *rows[2];         /* 4-byte copies of source rows for the other formats */
    BitWriter bits;
    void *mem;
} Encoder;

/* ---- per-row preparation ---- */

/* Symbols of pixels [x0, x1) of the current row (x0 >= 1). Prediction: the left pixel on the
 * first row, else the average of left and above; the residual modulo 2^bpc is folded. */
#if defined(HAVE_AVX2)
/* The vector part of compute_symbols, 8 pixels per step: returns where it stopped. */
__attribute__((target("avx2"))) static size_t symbols_avx2(const uint8_t *cur,
                                                           const uint8_t *prev, uint8_t *sym,
                                                           size_t x, size_t x1, unsigned bpc_mask)
{
    const __m256i mask = _mm256_set1_epi8((char)bpc_mask);
    const __m256i top = _mm256_set1_epi8((char)((bpc_mask >> 1) + 1));
    const __m256i one = _mm256_set1_epi8(1);
    for (; x + 8 <= x1; x += 8) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(cur + 4 * x));
        __m256i l = _mm256_loadu_si256((const __m256i *)(const void *)(cur + 4 * x - 4));
        __m256i pred = l;
        if (prev != NULL) {
            __m256i u = _mm256_loadu_si256((const __m256i *)(const void *)(prev + 4 * x));
            pred = _mm256_sub_epi8(_mm256_avg_epu8(l, u),
                                   _mm256_and_si256(_mm256_xor_si256(l, u), one));
        }
        __m256i r = _mm256_and_si256(_mm256_sub_epi8(c, pred), mask);
        __m256i neg = _mm256_cmpeq_epi8(_mm256_and_si256(r, top), top);
        __m256i t = _mm256_xor_si256(r, _mm256_and_si256(neg, mask));
        _mm256_storeu_si256((__m256i *)(void *)(sym + 4 * x),
                            _mm256_sub_epi8(_mm256_add_epi8(t, t), neg));
    }
    return x;
}
#endif

static void compute_symbols(Encoder *e, size_t x0, size_t x1)
{
    const uint8_t *cur = e->cur, *prev = e->prev;
    uint8_t *sym = e->sym;
    const QuicFamily *f = &e->family;
    size_t x = x0;
#if defined(HAVE_AVX2)
    if (e->avx2) {
        x = symbols_avx2(cur, prev, sym, x, x1, f->mask);
    }
#endif
#if CODECS_SSE2
    const __m128i mask = _mm_set1_epi8((char)f->mask);
    const __m128i top = _mm_set1_epi8((char)((f->mask >> 1) + 1));
    const __m128i one = _mm_set1_epi8(1);
    for (; x + 4 <= x1; x += 4) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(cur + 4 * x));
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)(cur + 4 * x - 4));
        __m128i pred = l;
        if (prev != NULL) {
            __m128i u = _mm_loadu_si128((const __m128i *)(const void *)(prev + 4 * x));
            pred = _mm_sub_epi8(_mm_avg_epu8(l, u), _mm_and_si128(_mm_xor_si128(l, u), one));
        }
        __m128i r = _mm_and_si128(_mm_sub_epi8(c, pred), mask);
        /* fold: r < 2^(bpc-1) -> 2r, else 2(mask - r) + 1 */
        __m128i neg = _mm_cmpeq_epi8(_mm_and_si128(r, top), top);
        __m128i t = _mm_xor_si128(r, _mm_and_si128(neg, mask));
        _mm_storeu_si128((__m128i *)(void *)(sym + 4 * x), _mm_sub_epi8(_mm_add_epi8(t, t), neg));
    }
#endif
    for (; x < x1; x++) {
        for (size_t b = 0; b < 4; b++) {
            unsigned left = cur[4 * x - 4 + b];
            unsigned pred = prev != NULL ? (left + prev[4 * x + b]) >> 1 : left;
            sym[4 * x + b] = f->fold[(cur[4 * x + b] - pred) & f->mask];
        }
    }
}

/* Symbols of the first pixel: predicted from above, or from 0 on the first row. */
static void compute_first_symbol(Encoder *e)
{
    const QuicFamily *f = &e->family;
    for (size_t b = 0; b < 4; b++) {
        unsigned pred = e->prev != NULL ? e->prev[b] : 0;
        e->sym[b] = f->fold[(e->cur[b] - pred) & f->mask];
    }
}

/* Symbols are computed in blocks of this many pixels, when a coded pixel needs them. */
#define SYMBOL_BLOCK 16u

/* Makes the symbols of pixels [a, b) available (a >= the last call's b). */
static QUIC_ALWAYS_INLINE void need_symbols(Encoder *e, size_t a, size_t b)
{
    if (b <= e->sym_done) {
        return;
    }
    size_t from = a & ~(size_t)(SYMBOL_BLOCK - 1);
    if (from < e->sym_done) {
        from = e->sym_done;
    }
    size_t to = (b + SYMBOL_BLOCK - 1) & ~(size_t)(SYMBOL_BLOCK - 1);
    if (to > e->width) {
        to = e->width;
    }
    if (from == 0) {
        compute_first_symbol(e);
        from = 1;
    }
    compute_symbols(e, from, to);
    e->sym_done = to;
}

static void eq_words_sse2(const uint8_t *cur, const uint8_t *next, uint64_t *eq, size_t from,
                          size_t to, uint32_t key_mask)
{
    for (size_t i = from; i < to; i++) {
        const uint8_t *p = cur + 256 * i;
        uint64_t bits = 0;
#if CODECS_SSE2
        const __m128i m = _mm_set1_epi32((int)key_mask);
        const __m128i zero = _mm_setzero_si128();
        for (unsigned j = 0; j < 64; j += 4) {
            if (next != NULL && j % 16 == 0) {   /* once per cache line */
                /* the source is too big for the caches: fetch the next row during this one */
                _mm_prefetch((const char *)(next + 256 * i + 4 * j), _MM_HINT_T0);
            }
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + 4 * j));
            __m128i l = _mm_loadu_si128((const __m128i *)(const void *)(p + 4 * j - 4));
            __m128i same = _mm_cmpeq_epi32(_mm_and_si128(_mm_xor_si128(a, l), m), zero);
            bits |= (uint64_t)(unsigned)_mm_movemask_ps(_mm_castsi128_ps(same)) << j;
        }
#else
        (void)next;
        for (unsigned j = 0; j < 64; j++) {
            bits |= (uint64_t)(((unaligned_load_u32(p + 4 * j) ^ unaligned_load_u32(p + 4 * j - 4)) & key_mask) == 0) << j;
        }
#endif
        eq[i] = bits;
    }
}

#if defined(HAVE_AVX2)
/* The same, 8 pixels per step, for CPUs with AVX2 (chosen at run time). */
__attribute__((target("avx2"))) static void eq_words_avx2(const uint8_t *cur,
                                                          const uint8_t *next, uint64_t *eq,
                                                          size_t from, size_t to,
                                                          uint32_t key_mask)
{
    const __m256i m = _mm256_set1_epi32((int)key_mask);
    const __m256i zero = _mm256_setzero_si256();
    for (size_t i = from; i < to; i++) {
        const uint8_t *p = cur + 256 * i;
        uint64_t bits = 0;
        for (unsigned j = 0; j < 64; j += 8) {
            if (next != NULL && j % 16 == 0) {   /* once per cache line */
                _mm_prefetch((const char *)(next + 256 * i + 4 * j), _MM_HINT_T0);
            }
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + 4 * j));
            __m256i l = _mm256_loadu_si256((const __m256i *)(const void *)(p + 4 * j - 4));
            __m256i same = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_xor_si256(a, l), m), zero);
            bits |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(same)) << j;
        }
        eq[i] = bits;
    }
}
#endif

static EqWordsFn *pick_eq_words(void)
{
#if defined(HAVE_AVX2)
    if (codecs_cpu_has(CODECS_CPU_AVX2)) {
        return eq_words_avx2;
    }
#endif
    return eq_words_sse2;
}

/* Equality bits of pixels [from, to) of the row (from >= 1), generic. */
static uint64_t eq_bits_slow(const uint8_t *cur, size_t from, size_t to, uint32_t key_mask)
{
    uint64_t bits = 0;
    for (size_t x = from; x < to; x++) {
        bits |= (uint64_t)(((unaligned_load_u32(cur + 4 * x) ^ unaligned_load_u32(cur + 4 * x - 4)) & key_mask) == 0)
                << (x & 63);
    }
    return bits;
}

/* Equality bits of pixels 1-63 (the row has at least 64). */
static uint64_t eq_first_word(const uint8_t *cur, uint32_t key_mask)
{
    uint64_t bits = eq_bits_slow(cur, 1, 4, key_mask);
#if CODECS_SSE2
    const __m128i m = _mm_set1_epi32((int)key_mask);
    const __m128i zero = _mm_setzero_si128();
    for (unsigned j = 4; j < 64; j += 4) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(cur + 4 * j));
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)(cur + 4 * j - 4));
        __m128i same = _mm_cmpeq_epi32(_mm_and_si128(_mm_xor_si128(a, l), m), zero);
        bits |= (uint64_t)(unsigned)_mm_movemask_ps(_mm_castsi128_ps(same)) << j;
    }
#else
    bits |= eq_bits_slow(cur, 4, 64, key_mask);
#endif
    return bits;
}

/* Group @g's equality bits for the current row, and where runs may start from them and the
 * previous row's. Bits past the width stay 0. */
static void compute_row_bits(Encoder *e, Group *g, bool first_row)
{
    uint64_t *t = g->up_eq;
    g->up_eq = g->eq;
    g->eq = t;
    uint64_t *eq = g->eq;
    const uint8_t *cur = e->cur;
    const uint32_t key_mask = g->key_mask;
    size_t w = e->width;
    size_t full = w / 64;
    eq[0] = w >= 64 ? eq_first_word(cur, key_mask) : eq_bits_slow(cur, 1, w, key_mask);
    if (full > 1) {
        e->eq_words(cur, e->next, eq, 1, full, key_mask);
    }
    if (full >= 1 && w % 64) {
        eq[full] = eq_bits_slow(cur, 64 * full, w, key_mask);
    }
    g->any_zero_run = false;
    if (first_row) {
        return;
    }
    uint64_t carry = 0, any = 0;
    for (size_t i = 0; i < e->words; i++) {
        uint64_t starts = g->up_eq[i] & (eq[i] << 1 | carry) & (i == 0 ? ~(uint64_t)7 : ~(uint64_t)0);
        g->run_start[i] = starts & eq[i];
        g->zero_run[i] = starts & ~eq[i];
        any |= g->zero_run[i];
        carry = eq[i] >> 63;
    }
    g->any_zero_run = any != 0;
}

/* First x in [from, end) where a run may start, or @end. */
static QUIC_ALWAYS_INLINE size_t next_run_start(const uint64_t *bits, size_t from, size_t end)
{
    size_t i = from >> 6;
    uint64_t m = bits[i] & (~(uint64_t)0 << (from & 63));
    while (m == 0) {
        if (++i << 6 >= end) {
            return end;
        }
        m = bits[i];
    }
    size_t x = (i << 6) + (size_t)__builtin_ctzll(m);
    return x < end ? x : end;
}

/* Number of pixels from @x on (before @end) equal to their left neighbour. */
static QUIC_ALWAYS_INLINE size_t run_length(const uint64_t *eq, size_t x, size_t end)
{
    size_t i = x >> 6;
    uint64_t m = ~eq[i] & (~(uint64_t)0 << (x & 63));
    while (m == 0) {
        if (++i << 6 >= end) {
            return end - x;
        }
        m = ~eq[i];
    }
    size_t stop = (i << 6) + (size_t)__builtin_ctzll(m);
    return (stop < end ? stop : end) - x;
}

/* ---- the model ---- */

/* Sets every context of bucket @b to its new best parameter. */
static void refresh_kmap(const Encoder *e, Group *g, unsigned lane, unsigned b)
{
    uint16_t v = (uint16_t)(CODES + (g->lanes[lane].buckets[b].bestcode << 8));
    for (unsigned c = e->bucket_first[b]; c < e->bucket_end[b]; c++) {
        g->lookup[lane * 256 + c] = v;
    }
}

/* The model update at pixel @x (a wait point): each lane's bucket of the context the pixel
 * was coded in learns its symbol. */
static QUIC_ALWAYS_INLINE void update_model(Encoder *e, Group *g, const QuicState *s, size_t x)
{
    const uint8_t *ctx = g->ctx + 4 * x, *sym = e->sym + 4 * x;
    for (unsigned c = 0; c < g->num_lanes; c++) {
        Lane *l = &g->lanes[c];
        unsigned b = e->family.bucket_of[ctx[l->byte]];
        QuicBucket *bucket = &l->buckets[b];
        unsigned old = bucket->bestcode;
        quic_update_bucket(&e->family, s, bucket, sym[l->byte]);
        if (bucket->bestcode != old) {
            refresh_kmap(e, g, c, b);
        }
    }
}

/* ---- the coder ---- */

/* Codes pixels [a, b) of an RGB group: per pixel three lookups and one append. */
static QUIC_ALWAYS_INLINE void code_pixels_rgb(const Encoder *e, const Group *g, QuicState *st,
                                               BitWriter *w, bool zero_runs, size_t a, size_t b)
{
    const uint64_t *zero_run = g->zero_run;
    unsigned melcstate = st->melcstate, melclen = st->melclen;
    const uint16_t *t = g->lookup;
    const uint8_t *sym = e->sym;
    uint8_t *ctx_row = g->ctx;
    uint32_t ctx = unaligned_load_u32(ctx_row + 4 * a);
    for (size_t x = a; x < b; x++) {
        uint32_t s = unaligned_load_u32(sym + 4 * x);
        memcpy(ctx_row + 4 * x + 4, &s, 4);
        unsigned er = t[t[(ctx >> BYTE_SHIFT(2) & 0xFF)] + (s >> BYTE_SHIFT(2) & 0xFF)];
        unsigned eg = t[t[256 + (ctx >> BYTE_SHIFT(1) & 0xFF)] + (s >> BYTE_SHIFT(1) & 0xFF)];
        unsigned eb = t[t[512 + (ctx >> BYTE_SHIFT(0) & 0xFF)] + (s >> BYTE_SHIFT(0) & 0xFF)];
        ctx = s;
        /* a run of length 0 before the pixel: a '0' and melclen zero bits, state down one */
        unsigned zlen = 0;
        if (zero_runs) {
            unsigned z = (unsigned)(zero_run[x >> 6] >> (x & 63)) & 1;
            zlen = (melclen + 1) & -z;
            melcstate -= z & (melcstate != 0);
            melclen = quic_melc_len[melcstate];
        }
        unsigned lg = eg >> 8, lb = eb >> 8, len = zlen + (er >> 8) + lg + lb;
        if (LIKELY(len <= 32)) {
            uint64_t v = (uint64_t)(er & 0xFF) << (lg + lb) | (uint64_t)(eg & 0xFF) << lb |
                         (eb & 0xFF);
            put_bits(w, v, len);
        } else {
            put_bits(w, 0, zlen);
            put_bits(w, er & 0xFF, er >> 8);
            put_bits(w, eg & 0xFF, lg);
            put_bits(w, eb & 0xFF, lb);
        }
    }
    if (zero_runs) {
        st->melcstate = melcstate;
        st->melclen = melclen;
        st->melcorder = 1u << melclen;
    }
}

/* Codes pixels [a, b) of a one-channel group. */
static QUIC_ALWAYS_INLINE void code_pixels_one(const Encoder *e, const Group *g, QuicState *st,
                                               BitWriter *w, bool zero_runs, size_t a, size_t b)
{
    const uint64_t *zero_run = g->zero_run;
    unsigned melcstate = st->melcstate, melclen = st->melclen;
    const uint16_t *t = g->lookup;
    const uint8_t *sym = e->sym;
    uint8_t *ctx_row = g->ctx;
    unsigned byte = g->lanes[0].byte;
    unsigned ctx = ctx_row[4 * a + byte];
    for (size_t x = a; x < b; x++) {
        unsigned s = sym[4 * x + byte];
        ctx_row[4 * x + 4 + byte] = (uint8_t)s;
        unsigned code = t[t[ctx] + s];
        ctx = s;
        unsigned zlen = 0;
        if (zero_runs) {
            unsigned z = (unsigned)(zero_run[x >> 6] >> (x & 63)) & 1;
            zlen = (melclen + 1) & -z;
            melcstate -= z & (melcstate != 0);
            melclen = quic_melc_len[melcstate];
        }
        unsigned len = zlen + (code >> 8);
        if (LIKELY(len <= 32)) {
            put_bits(w, code & 0xFF, len);
        } else {   /* up to 16 + 26 bits: the zero run's bits first */
            put_bits(w, 0, zlen);
            put_bits(w, code & 0xFF, code >> 8);
        }
    }
    if (zero_runs) {
        st->melcstate = melcstate;
        st->melclen = melclen;
        st->melcorder = 1u << melclen;
    }
}

/*
 * Codes the pixels [a, b) (no run among them). The model is updated at pixels spaced by
 * pseudo-random waits below @waitmask; the wait counts coded pixels only, so it carries over
 * runs, segments and rows.
 */
static QUIC_ALWAYS_INLINE void code_pixels(Encoder *e, Group *g, QuicState *s, BitWriter *w,
                                           bool rgb, bool zero_runs, size_t a, size_t b,
                                           unsigned waitmask)
{
    need_symbols(e, a, b);
    for (;;) {
        size_t n = b - a;
        if (n <= s->waitcnt) {
            if (rgb) {
                code_pixels_rgb(e, g, s, w, zero_runs, a, b);
            } else {
                code_pixels_one(e, g, s, w, zero_runs, a, b);
            }
            s->waitcnt -= (unsigned)n;
            return;
        }
        size_t stop = a + s->waitcnt;
        if (rgb) {
            code_pixels_rgb(e, g, s, w, zero_runs, a, stop + 1);
        } else {
            code_pixels_one(e, g, s, w, zero_runs, a, stop + 1);
        }
        update_model(e, g, s, stop);
        a = stop + 1;
        s->waitcnt = quic_tabrand(s) & waitmask;
    }
}

/*
 * Codes pixels [i, end) of one row segment. On rows after the first, a pixel whose left
 * neighbours repeat while the row above is flat starts a run of copies of the left pixel,
 * coded by length and ending at the segment end; a run of length 0 leaves its pixel coded.
 */
static QUIC_ALWAYS_INLINE void code_segment(Encoder *e, Group *g, bool rgb, bool first_row,
                                            bool zero_runs,
                                            size_t i, size_t end, unsigned waitmask)
{
    QuicState s = g->state;
    BitWriter w = e->bits;
    if (first_row) {
        code_pixels(e, g, &s, &w, rgb, false, i, end, waitmask);
    } else {
        size_t from = i;
        for (;;) {
            size_t j = next_run_start(g->run_start, from, end);
            code_pixels(e, g, &s, &w, rgb, zero_runs, i, j, waitmask);
            if (j == end) {
                break;
            }
            size_t len = run_length(g->eq, j, end);
            put_run(&w, &s, (unsigned)len);
            i = j + len;
            if (i == end) {
                break;
            }
            from = i;
        }
    }
    g->state = s;
    e->bits = w;
}

/* Splits a row where the wait mask index changes (every QUIC_WM_NEXT pixels, up to the max). */
static QUIC_ALWAYS_INLINE void code_row(Encoder *e, Group *g, bool rgb, bool first_row,
                                        bool zero_runs)
{
    QuicState *s = &g->state;
    size_t pos = 0;
    size_t left = e->width;
    while (s->wmidx < QUIC_WM_INDEX_MAX && s->wmileft <= left) {
        if (s->wmileft) {
            code_segment(e, g, rgb, first_row, zero_runs, pos, pos + s->wmileft, (1u << s->wmidx) - 1);
            left -= s->wmileft;
            pos += s->wmileft;
        }
        quic_state_next_wm(s);
    }
    if (left) {
        code_segment(e, g, rgb, first_row, zero_runs, pos, pos + left, (1u << s->wmidx) - 1);
        if (s->wmidx < QUIC_WM_INDEX_MAX) {
            s->wmileft -= (unsigned)left;
        }
    }
}

/* One variant per case, each with its own loops: rows without runs of length 0 (photos,
 * most rows of text pages) skip their bookkeeping. */
typedef void CodeRowFn(Encoder *e, Group *g);
static void code_row_rgb_first(Encoder *e, Group *g) { code_row(e, g, true, true, false); }
static void code_row_rgb(Encoder *e, Group *g) { code_row(e, g, true, false, false); }
static void code_row_rgb_zr(Encoder *e, Group *g) { code_row(e, g, true, false, true); }
static void code_row_one_first(Encoder *e, Group *g) { code_row(e, g, false, true, false); }
static void code_row_one(Encoder *e, Group *g) { code_row(e, g, false, false, false); }
static void code_row_one_zr(Encoder *e, Group *g) { code_row(e, g, false, false, true); }

/* ---- setup ---- */

static uint32_t bytes_mask(unsigned first, unsigned count)
{
    uint8_t b[4] = { 0, 0, 0, 0 };
    memset(b + first, 0xFF, count);
    return unaligned_load_u32(b);
}

static void init_group(Encoder *e, Group *g, unsigned num_lanes, unsigned first_byte)
{
    const QuicFamily *f = &e->family;
    quic_state_reset(&g->state);
    g->num_lanes = num_lanes;
    for (unsigned k = 0; k < QUIC_MAX_CODES; k++) {
        for (unsigned s = 0; s < 256; s++) {
            g->lookup[CODES + (k << 8 | s)] = k < f->bpc && s <= f->mask ? f->code_packed[s][k] : 0;
        }
    }
    g->key_mask = bytes_mask(first_byte, num_lanes);
    for (unsigned c = 0; c < num_lanes; c++) {
        Lane *l = &g->lanes[c];
        /* RGB codes red (byte 2), green, blue (byte 0) */
        l->byte = num_lanes == 3 ? 2 - c : first_byte;
        for (unsigned b = 0; b < QUIC_MAX_CODES; b++) {
            l->buckets[b].bestcode = e->family.bpc - 1;
        }
        for (unsigned x = 0; x < 256; x++) {
            g->lookup[c * 256 + x] = (uint16_t)(CODES + ((e->family.bpc - 1) << 8));
        }
    }
}

static CodecStatus encoder_init(Encoder *e, QuicImageType type, uint32_t width)
{
    QuicFamily *f = &e->family;
    quic_family_init(f, type == QUIC_IMAGE_TYPE_RGB16 ? 5 : 8);
    for (unsigned c = f->mask + 1; c-- > 0;) {
        e->bucket_first[f->bucket_of[c]] = (uint8_t)c;
    }
    for (unsigned c = 0; c <= f->mask; c++) {
        e->bucket_end[f->bucket_of[c]] = (uint16_t)(c + 1);
    }
    e->eq_words = pick_eq_words();
#if defined(HAVE_AVX2)
    e->avx2 = codecs_cpu_has(CODECS_CPU_AVX2);
#endif
    e->width = width;
    e->num_groups = type == QUIC_IMAGE_TYPE_RGBA ? 2 : 1;
    e->words = ((size_t)width + 63) / 64 + 1;

    bool convert = type != QUIC_IMAGE_TYPE_RGB32 && type != QUIC_IMAGE_TYPE_RGBA;
    size_t row = 4 * (size_t)width;
    size_t ctx_bytes = (row + 4 + 7) & ~(size_t)7;
    size_t bits_bytes = 4 * e->words * sizeof(uint64_t);
    size_t total = (row + 16 + 7) / 8 * 8 + e->num_groups * (ctx_bytes + bits_bytes) +
                   (convert ? 2 * row : 0);
    uint8_t *mem = calloc(1, total);
    if (mem == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    e->mem = mem;
    e->sym = mem;
    mem += (row + 16 + 7) / 8 * 8;
    for (unsigned i = 0; i < e->num_groups; i++) {
        Group *g = &e->groups[i];
        g->eq = (uint64_t *)(void *)mem;
        g->up_eq = g->eq + e->words;
        g->run_start = g->up_eq + e->words;
        g->zero_run = g->run_start + e->words;
        mem += bits_bytes;
        g->ctx = mem;
        mem += ctx_bytes;
    }
    e->rows[0] = convert ? mem : NULL;
    e->rows[1] = convert ? mem + row : NULL;

    if (type == QUIC_IMAGE_TYPE_GRAY) {
        init_group(e, &e->groups[0], 1, 0);
    } else {
        init_group(e, &e->groups[0], 3, 0);
        if (type == QUIC_IMAGE_TYPE_RGBA) {
            init_group(e, &e->groups[1], 1, 3);
        }
    }
    return CODEC_OK;
}

/* Points e->cur at row @y as 4-byte pixels (converting into a scratch row if needed). */
static void load_row(Encoder *e, const Pixbuf *src, uint32_t y, QuicImageType type)
{
    const uint8_t *row = pixbuf_row(src, y);
    e->prev = y == 0 ? NULL : e->cur;
    if (type == QUIC_IMAGE_TYPE_RGB32 || type == QUIC_IMAGE_TYPE_RGBA) {
        e->cur = row;
        e->next = y + 1 < src->height ? pixbuf_row(src, y + 1) : NULL;
        return;
    }
    uint8_t *d = e->rows[y & 1];
    uint32_t w = e->width;
    switch (type) {
    case QUIC_IMAGE_TYPE_GRAY:
        for (uint32_t x = 0; x < w; x++) {
            d[4 * x] = row[x];
        }
        break;
    case QUIC_IMAGE_TYPE_RGB16:
        for (uint32_t x = 0; x < w; x++) {
            unsigned v = (unsigned)row[2 * x] | (unsigned)row[2 * x + 1] << 8;
            d[4 * x] = (uint8_t)(v & 31);
            d[4 * x + 1] = (uint8_t)(v >> 5 & 31);
            d[4 * x + 2] = (uint8_t)(v >> 10 & 31);
        }
        break;
    default:   /* RGB24 */
        for (uint32_t x = 0; x < w; x++) {
            d[4 * x] = row[3 * x];
            d[4 * x + 1] = row[3 * x + 1];
            d[4 * x + 2] = row[3 * x + 2];
        }
        break;
    }
    e->cur = d;
}

QuicImageType quic_image_type_for_format(PixbufFormat format)
{
    switch (format) {
    case PIXBUF_FORMAT_A8: return QUIC_IMAGE_TYPE_GRAY;
    case PIXBUF_FORMAT_RGB16: return QUIC_IMAGE_TYPE_RGB16;
    case PIXBUF_FORMAT_RGB24: return QUIC_IMAGE_TYPE_RGB24;
    case PIXBUF_FORMAT_XRGB32: return QUIC_IMAGE_TYPE_RGB32;
    case PIXBUF_FORMAT_ARGB32: return QUIC_IMAGE_TYPE_RGBA;
    default: return QUIC_IMAGE_TYPE_INVALID;
    }
}

/* Worst-case bits per pixel: 26 per channel plus, per coding group, a run that ends there
 * (at most 16 bits, plus one hit bit per pixel it covers). */
static unsigned worst_bits_per_pixel(QuicImageType type)
{
    switch (type) {
    case QUIC_IMAGE_TYPE_GRAY: return 26 + 18;
    case QUIC_IMAGE_TYPE_RGB16:
    case QUIC_IMAGE_TYPE_RGB24:
    case QUIC_IMAGE_TYPE_RGB32: return 3 * 26 + 18;
    case QUIC_IMAGE_TYPE_RGBA: return 3 * 26 + 18 + 26 + 18;
    case QUIC_IMAGE_TYPE_INVALID: break;
    }
    return 0;
}

size_t quic_encode_bound(QuicImageType type, uint32_t width, uint32_t height)
{
    unsigned bpp = worst_bits_per_pixel(type);
    if (bpp == 0 || width > PIXBUF_MAX_DIMENSION || height > PIXBUF_MAX_DIMENSION ||
        (uint64_t)width * height * 4 > PIXBUF_MAX_BYTES) {
        return 0;
    }
    uint64_t bits = (uint64_t)width * height * bpp;
    /* Header, body rounded up to words, the trailing zero word and one spare. */
    return (size_t)(QUIC_HEADER_SIZE + 4 * ((bits + 31) / 32 + 2));
}

static bool format_fits_type(PixbufFormat format, QuicImageType type)
{
    if (type == QUIC_IMAGE_TYPE_RGB32) {
        return format == PIXBUF_FORMAT_XRGB32 || format == PIXBUF_FORMAT_ARGB32;
    }
    return type != QUIC_IMAGE_TYPE_INVALID && quic_image_type_for_format(format) == type;
}

CodecStatus quic_encode(const Pixbuf *src, QuicImageType type, uint8_t *out, size_t out_capacity,
                        size_t *out_size)
{
    if (out_size != NULL) {
        *out_size = 0;
    }
    if (src == NULL || out == NULL || out_size == NULL || !format_fits_type(src->format, type) ||
        src->width == 0 || src->height == 0 || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (quic_encode_bound(type, src->width, src->height) == 0) {
        return CODEC_ERR_TOO_LARGE;
    }
    Encoder *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    CodecStatus st = encoder_init(e, type, src->width);
    if (st != CODEC_OK) {
        free(e);
        return st;
    }
    e->bits = (BitWriter){ out, out + out_capacity, 0, 0 };
    /* Space is checked per row against the row's worst case, so the hot loop needs no checks. */
    size_t row_worst = 4 * (((size_t)src->width * worst_bits_per_pixel(type) + 31) / 32 + 2);
    st = CODEC_ERR_NO_SPACE;
    if (out_capacity < QUIC_HEADER_SIZE + row_worst) {
        goto done;
    }
    put_bits(&e->bits, QUIC_MAGIC, 32);
    put_bits(&e->bits, QUIC_VERSION, 32);
    put_bits(&e->bits, (uint32_t)type, 32);
    put_bits(&e->bits, src->width, 32);
    put_bits(&e->bits, src->height, 32);

    for (uint32_t y = 0; y < src->height; y++) {
        if ((size_t)(e->bits.end - e->bits.p) < row_worst) {
            goto done;
        }
        load_row(e, src, y, type);
        e->sym_done = 0;
        if (e->num_groups > 1) {
            need_symbols(e, 0, e->width);   /* both groups read them */
        }
        for (unsigned i = 0; i < e->num_groups; i++) {
            Group *g = &e->groups[i];
            compute_row_bits(e, g, y == 0);
            if (y > 0) {
                memcpy(g->ctx, g->ctx + 4, 4);
            }
            CodeRowFn *fn;
            if (g->num_lanes == 3) {
                fn = y == 0 ? code_row_rgb_first : g->any_zero_run ? code_row_rgb_zr : code_row_rgb;
            } else {
                fn = y == 0 ? code_row_one_first : g->any_zero_run ? code_row_one_zr : code_row_one;
            }
            fn(e, g);
        }
    }
    /* Pad the last word with zeros, then one all-zero word: upstream's decoder reads a word
     * ahead, and upstream's encoder ends exactly like this. */
    if ((size_t)(e->bits.end - e->bits.p) < 8) {
        goto done;
    }
    if (e->bits.pending) {
        put_bits(&e->bits, 0, 32 - e->bits.pending);
    }
    put_bits(&e->bits, 0, 32);
    *out_size = (size_t)(e->bits.p - out);
    st = CODEC_OK;
done:
    free(e->mem);
    free(e);
    return st;
}
