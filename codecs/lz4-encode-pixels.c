/* lz4-encode-pixels: LZ4 blocks for 32-bit pixel rows, matches looked for 8 pixels at a time. */
/*
 * liblz4 hashes every byte position and needs 4 equal bytes to start a match. Pixels repeat
 * at pixel boundaries, from a few places: the pixel to the left (a run), the row above and
 * its neighbours (above-left, above-right), and earlier copies of the same pixels. So a scan
 * takes 8 pixels at a time: one vector compare per place marks which of the 8 equal their
 * left, above, above-left and above-right neighbours, and a probe per pixel of a hash table
 * of pixel pairs (slots hold 32 check bits with the position: a failed probe loads no
 * pixels) marks which have an earlier copy. Only marked pixels are looked at closer: each
 * place compared over 16 pixels, the longest chosen without branches, extended 16 pixels a
 * step, then byte by byte backwards (into the literals) and forwards into the next pixel.
 * Right after a match the next pixels are tried one by one (on screen content the next match
 * usually starts there). While the hash finds nothing (photos) it is probed in one scan of 8,
 * and scans without a mark are stepped over in a tight loop.
 *
 * Same stream on every CPU: AVX2 (chosen at run time) only compares 8 pixels in one
 * instruction instead of two SSE2 ones (or eight scalar ones on other targets).
 *
 * LZ4's block rules (lz4_Block_format.md): matches are >= 4 bytes at offsets 1..65535, the
 * last 5 bytes of a block are literals and the last match starts >= 12 bytes before the end.
 * Here every match ends at least 16 bytes before the block's end.
 */
#include "codecs/lz4-encode-pixels.h"

#include <lz4.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* LZ4_PIXELS_PORTABLE_ONLY: plain C compares only (to check that path on x86). */
#if defined(__SSE2__) && !defined(LZ4_PIXELS_PORTABLE_ONLY)
#define PIXELS_SSE2 1
#include <emmintrin.h>
#else
#define PIXELS_SSE2 0
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(LZ4_PIXELS_PORTABLE_ONLY)
#define PIXELS_X86_DISPATCH 1
#include <immintrin.h>
#else
#define PIXELS_X86_DISPATCH 0
#endif

#include "codecs/cpu-features.h"
#include "codecs/unaligned.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

#define LZ4_MAX_OFFSET 65535u
/* A match ends at least this many bytes before its block's end (LZ4 needs 12 and 5). */
#define END_MARGIN 16u
#define SLOT_BITS 13u
/* Matches shorter than this many bytes are taken only after SHORT_MATCH_LITERALS literal
 * bytes: a pixel between other matches saves a byte or two and costs the decoder a sequence;
 * in a long literal run (photos) those bytes are what keeps the stream under upstream's.
 * 64 rather than 8-32: photo 0.18% under liblz4's bytes instead of 0.44%, with a sixth fewer
 * sequences (encode +5-10%, decode +15-25%). */
#define SHORT_MATCH 8u
#define SHORT_MATCH_LITERALS 64u
/* Matches under 5 bytes can make the output larger than LZ4_COMPRESSBOUND (a token, an
 * offset and a literal length byte for 4 bytes): never taken. */
#define MIN_MATCH_BYTES 5u
/* Pixels looked at in one scan step (8 or 16; 16 was slower). */
#define SCAN_PIXELS 8u
/* Pixels tried one by one after a match of 2+ pixels before scanning again (gradient
 * 1.08x -> 1.23x liblz4 with 3 instead of 1). */
#define TRY_AFTER_MATCH 3u
/* The hash is probed at every pixel for this many scans after it last gave a match, then in
 * one scan of HASH_SPARSE_SCANS (a power of two). */
#define HASH_DENSE_SCANS 16u
#define HASH_SPARSE_SCANS 8u

/* A slot: the pixel's 32 bits in the high half, its index in the plaintext in the low half
 * (below 2^28: PIXBUF_MAX_BYTES). */
struct Lz4PixelTable {
    uint64_t slot[1u << SLOT_BITS];
};

Lz4PixelTable *lz4_pixel_table_new(void)
{
    return malloc(sizeof(Lz4PixelTable));
}

void lz4_pixel_table_free(Lz4PixelTable *table)
{
    free(table);
}

#if PIXELS_X86_DISPATCH
static inline __attribute__((target("avx2"))) unsigned equal_mask8_avx2(const uint8_t *a,
                                                                     const uint8_t *b)
{
    __m256i eq = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(const void *)a),
                                    _mm256_loadu_si256((const __m256i *)(const void *)b));
    return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq));
}
#endif

/* Bit i set when the 4 bytes of pixel i at @a equal those at @b (8 pixels, 32 bytes each).
 * @wide: the caller is the AVX2 copy of the loop. */
static ALWAYS_INLINE unsigned equal_mask8(const uint8_t *a, const uint8_t *b, bool wide)
{
#if PIXELS_X86_DISPATCH
    if (wide) {
        return equal_mask8_avx2(a, b);
    }
#else
    (void)wide;
#endif
#if PIXELS_SSE2
    __m128i e0 = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)a),
                                 _mm_loadu_si128((const __m128i *)(const void *)b));
    __m128i e1 = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                                 _mm_loadu_si128((const __m128i *)(const void *)(b + 16)));
    return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(e0)) |
           (unsigned)_mm_movemask_ps(_mm_castsi128_ps(e1)) << 4;
#else
    unsigned equal = 0;
    for (unsigned i = 0; i < 8; i++) {
        equal |= (unsigned)(unaligned_load_u32(a + 4 * i) == unaligned_load_u32(b + 4 * i)) << i;
    }
    return equal;
#endif
}

/* Leading equal pixels (0-8) of the 8 at @a and @b. */
static ALWAYS_INLINE unsigned equal_pixels8(const uint8_t *a, const uint8_t *b, bool wide)
{
    return (unsigned)__builtin_ctz(~equal_mask8(a, b, wide));   /* bit 8 of ~mask is set */
}

/* Leading equal pixels (0-16) of the 16 at @a and @b. */
static ALWAYS_INLINE unsigned equal_pixels16(const uint8_t *a, const uint8_t *b, bool wide)
{
    unsigned eq = equal_mask8(a, b, wide) | equal_mask8(a + 32, b + 32, wide) << 8;
    return (unsigned)__builtin_ctz(~eq);   /* bit 16 of ~eq is set */
}

/* Equal pixels from @a and @b onwards (@b < @a, overlap allowed), at most @max. */
static ALWAYS_INLINE size_t extend_pixels(const uint8_t *a, const uint8_t *b, size_t max, bool wide)
{
    size_t len = 0;
    while (len + 16 <= max) {
        unsigned eq = equal_mask8(a + 4 * len, b + 4 * len, wide) |
                      equal_mask8(a + 4 * len + 32, b + 4 * len + 32, wide) << 8;
        if (eq != 0xFFFFu) {
            return len + (size_t)__builtin_ctz(~eq);
        }
        len += 16;
    }
    while (len < max && unaligned_load_u32(a + 4 * len) == unaligned_load_u32(b + 4 * len)) {
        len++;
    }
    return len;
}

/* Writes a length's continuation bytes (@len already had 15 taken off by the token). */
static ALWAYS_INLINE uint8_t *put_length_bytes(uint8_t *op, size_t len)
{
    if (len < 255) {
        *op = (uint8_t)len;
        return op + 1;
    }
    size_t full = len / 255;
    memset(op, 255, full);
    op += full;
    *op++ = (uint8_t)(len - full * 255);
    return op;
}

/* Bytes one sequence may take, with 32 bytes of slack for the whole-vector literal copy. */
static ALWAYS_INLINE size_t sequence_room(size_t lit, size_t match_len)
{
    return 1u + lit / 255u + 1u + lit + 32u + 2u + match_len / 255u + 1u;
}

/*
 * Appends one sequence at @op: @lit literals from @lits, then a match of @match_len (>= 4)
 * bytes at @offset, or no match when @match_len is 0 (a block's last sequence). @slack: 32
 * bytes may be read past the literals and written past the sequence (they are overwritten
 * next); otherwise exact copies.
 */
static ALWAYS_INLINE uint8_t *put_sequence(uint8_t *op, const uint8_t *lits, size_t lit,
                                           size_t offset, size_t match_len, bool slack)
{
    uint8_t *token = op++;
    size_t extra = match_len != 0 ? match_len - 4u : 0;
    *token = (uint8_t)((lit < 15 ? lit : 15) << 4 | (extra < 15 ? extra : 15));
    if (lit >= 15) {
        op = put_length_bytes(op, lit - 15);
    }
    if (slack) {
        memcpy(op, lits, 32);
        for (size_t i = 32; i < lit; i += 32) {
            memcpy(op + i, lits + i, 32);
        }
    } else {
        memcpy(op, lits, lit);
    }
    op += lit;
    if (match_len != 0) {
        op[0] = (uint8_t)offset;
        op[1] = (uint8_t)(offset >> 8);
        if (slack && extra < 15 + 255) {
            /* Without a branch on the length (which the data makes unpredictable): the
             * byte is written always and counted only when the token needs it. */
            op[2] = (uint8_t)(extra - 15);
            op += 2 + (extra >= 15);
        } else {
            op += 2;
            if (extra >= 15) {
                op = put_length_bytes(op, extra - 15);
            }
        }
    }
    return op;
}

/* Equal bytes (0-7) just before @a and @ref (8 bytes before each are readable). */
static ALWAYS_INLINE size_t bytes_equal_before(const uint8_t *a, const uint8_t *ref)
{
    uint64_t diff = (unaligned_load_u64(a - 8) ^ unaligned_load_u64(ref - 8)) | 1u;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (size_t)__builtin_clzll(diff) >> 3;
#else
    return (size_t)__builtin_ctzll(diff | 1ull << 63) >> 3;
#endif
}

/* Equal leading bytes (0-3 used) of the 4 at @a and @ref. */
static ALWAYS_INLINE size_t equal_bytes_in_pixel(const uint8_t *a, const uint8_t *ref)
{
    uint32_t diff = unaligned_load_u32(a) ^ unaligned_load_u32(ref);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return diff == 0 ? 4 : (size_t)__builtin_ctz(diff) >> 3;
#else
    return diff == 0 ? 4 : (size_t)__builtin_clz(diff) >> 3;
#endif
}

typedef struct BlockOut {
    uint8_t *op;        /* next output byte */
    uint8_t *out_end;
} BlockOut;

/* The state of one block's coding. */
typedef struct Scan {
    const uint8_t *base;     /* the plaintext */
    const uint8_t *anchor;   /* first byte not coded yet */
    uint8_t *op;             /* next output byte */
    uint8_t *out_end;
    size_t last_px;          /* matches end at this pixel at the latest */
    size_t d_up, d_ul, d_ur; /* offsets (pixels) of above, above-left, above-right */
    uint64_t *table;         /* hash slots */
    uint64_t recent[16];     /* the slots the last 16 probed pixels found, by index % 16 */
} Scan;

/*
 * Probes and updates the hash slot of the 2 pixels at pixel @at (@p). Returns 1 and the
 * earlier pixel's index in *@cand when it is a candidate, else 0 and @at - 1 (the run, a
 * harmless stand-in). No branches: hits are as good as random on noisy pictures.
 */
static ALWAYS_INLINE unsigned probe_hash(Scan *s, const uint8_t *p, uint32_t at, uint32_t *cand)
{
    uint64_t key = unaligned_load_u64(p) * 0x9E3779B97F4A7C15ull;
    uint64_t *slot = &s->table[key >> (64 - SLOT_BITS)];
    uint32_t check = (uint32_t)(key >> 18);
    uint64_t old = *slot;
    /* A pixel probed before (the previous scan stopped at a match inside its 8) finds
     * itself: its candidate then is the one it found the first time. */
    uint64_t self = (uint64_t)0 - (uint64_t)((uint32_t)old == at);
    old = (old & ~self) | (s->recent[at % 16] & self);
    s->recent[at % 16] = old;
    *slot = (uint64_t)check << 32 | at;
    uint32_t c = (uint32_t)old;
    unsigned hit = ((uint32_t)(old >> 32) == check) & (c >= 2) &
                   (at - c - 1u < (uint32_t)(LZ4_MAX_OFFSET / 4));
    *cand = hit ? c : at - 1u;
    return hit;
}

/*
 * The best match at pixel @j (the places of @s and @hashed_ref), written with the literals
 * before it when worth it. Returns 1 (written; *@next: the pixel to go on at), 0 (none worth
 * taking) or -1 (out of output room). *@ref_out: where it copied from.
 */
static ALWAYS_INLINE int try_match_at(Scan *s, size_t j, const uint8_t *hashed_ref, bool wide,
                                      size_t *next, const uint8_t **ref_out)
{
    const uint8_t *q = s->base + 4 * j;
    /* The longest of the places over 16 pixels, without branches (match lengths on
     * gradients and photos are as good as random). A run (offset 4, the slowest match to
     * decode) wins only where nothing else matches, or when it covers the 16 pixels and
     * nothing else does. */
    const uint8_t *ref = q - 4 * s->d_up;
    unsigned best = equal_pixels16(q, ref, wide);
    const uint8_t *r2 = q - 4 * s->d_ul;
    unsigned len = equal_pixels16(q, r2, wide);
    ref = len > best ? r2 : ref;
    best = len > best ? len : best;
    r2 = q - 4 * s->d_ur;
    len = equal_pixels16(q, r2, wide);
    ref = len > best ? r2 : ref;
    best = len > best ? len : best;
    len = equal_pixels16(q, hashed_ref, wide);
    ref = len > best ? hashed_ref : ref;
    best = len > best ? len : best;
    r2 = q - 4;
    len = equal_pixels16(q, r2, wide);
    bool run = (best == 0 && len != 0) || (len == 16 && best < 16);
    ref = run ? r2 : ref;
    best = run ? len : best;
    if (best == 0) {
        return 0;
    }
    size_t match_px = best;
    if (best == 16) {
        match_px += extend_pixels(q + 64, ref + 64, s->last_px - j - 16, wide);
    }
    /* Into the next pixel (the match then ends inside it) and back into the literals (at
     * least the X byte of the pixel before, when it is constant). */
    size_t tail = equal_bytes_in_pixel(q + 4 * match_px, ref + 4 * match_px);
    tail = j + match_px < s->last_px && tail < 4 ? tail : 0;
    size_t lit_room = (size_t)(q - s->anchor);
    size_t back = bytes_equal_before(q, ref);
    back = back < lit_room ? back : lit_room;
    size_t match_len = 4 * match_px + tail + back;
    size_t lit = lit_room - back;
    if (match_len < MIN_MATCH_BYTES || (match_len < SHORT_MATCH && lit < SHORT_MATCH_LITERALS)) {
        return 0;
    }
    uint8_t *op = s->op;
    if ((size_t)(s->out_end - op) >= sequence_room(lit, match_len)) {
        op = put_sequence(op, s->anchor, lit, (size_t)(q - ref), match_len, true);
    } else {
        /* Near the end of the output: exact copies and an exact size check. */
        size_t need = 1u + (lit >= 15 ? 1u + (lit - 15) / 255u : 0) + lit + 2u +
                      (match_len - 4 >= 15 ? 1u + (match_len - 19) / 255u : 0);
        if ((size_t)(s->out_end - op) < need) {
            return -1;
        }
        op = put_sequence(op, s->anchor, lit, (size_t)(q - ref), match_len, false);
    }
    s->op = op;
    s->anchor = q + 4 * match_px + tail;
    *next = j + match_px + (tail != 0);
    *ref_out = ref;
    return 1;
}

/*
 * Codes plaintext bytes [@begin, @end) of @base (whole pixels) as one LZ4 block into @o;
 * matches may reach back into earlier blocks. @row_bytes: bytes per row. False when out of
 * room.
 *
 * After a match of 2+ pixels the next TRY_AFTER_MATCH pixels are tried one by one (on screen
 * content the next match usually starts there); otherwise 8 pixels are scanned at a time for
 * pixels worth a closer look.
 */
static ALWAYS_INLINE bool encode_block_body(BlockOut *o, const uint8_t *base, size_t begin,
                                            size_t end, size_t row_bytes, uint64_t *table,
                                            bool wide)
{
    Scan s = { .base = base, .anchor = base + begin, .op = o->op, .out_end = o->out_end,
               .table = table };
    memset(s.recent, 0, sizeof(s.recent));
    const size_t row_px = row_bytes / 4;
    /* The row above and its diagonal neighbours, when above-left is within LZ4's reach. */
    const bool rows_usable = row_px >= 2 && row_bytes + 4 <= LZ4_MAX_OFFSET;
    /* Pixels 0-2 have too little before them for the 8-byte look back: literals. */
    size_t i = begin / 4 > 3 ? begin / 4 : 3;
    size_t hash_misses = 0;   /* scans since the hash last gave a match */
    unsigned after_match = 0;   /* pixels still to try one by one after a match */
    /* A scan of 8 pixels compares up to 24 more after each of them. */
    s.last_px = end >= begin + END_MARGIN ? (end - END_MARGIN) / 4 : 0;

    while (i + 32 <= s.last_px) {
        bool above = rows_usable && i >= row_px + 3;
        s.d_up = above ? row_px : 1;
        s.d_ul = above ? row_px + 1 : 1;
        s.d_ur = above ? row_px - 1 : 1;
        const uint8_t *p = base + 4 * i;
        size_t next;
        const uint8_t *ref;
        if (after_match) {
            uint32_t cand;
            unsigned hit = probe_hash(&s, p, (uint32_t)i, &cand);
            const uint8_t *hashed_ref = base + 4 * (size_t)cand;
            int r = try_match_at(&s, i, hashed_ref, wide, &next, &ref);
            if (r < 0) {
                return false;
            }
            if (r > 0) {
                hash_misses = hit && ref == hashed_ref ? 0 : hash_misses;
                after_match = next - i > 1 ? TRY_AFTER_MATCH : 0;
                i = next;
                continue;
            }
            after_match--;
            i++;
            continue;
        }
        if (hash_misses >= HASH_DENSE_SCANS) {
            /* Photo-like: step over scans without a mark in a tight loop, up to the next one
             * that probes the hash. */
            while ((hash_misses & (HASH_SPARSE_SCANS - 1)) != 0 &&
                   (equal_mask8(p, p - 4, wide) | equal_mask8(p, p - 4 * s.d_up, wide) |
                    equal_mask8(p, p - 4 * s.d_ul, wide) | equal_mask8(p, p - 4 * s.d_ur, wide)) == 0) {
                hash_misses++;
                i += SCAN_PIXELS;
                p += 4 * SCAN_PIXELS;
                if (i + 32 > s.last_px) {
                    break;
                }
            }
            if (i + 32 > s.last_px) {
                break;
            }
        }
        unsigned marks = 0;
        for (unsigned k = 0; k < SCAN_PIXELS; k += 8) {
            const uint8_t *pk = p + 4 * k;
            marks |= (equal_mask8(pk, pk - 4, wide) | equal_mask8(pk, pk - 4 * s.d_up, wide) |
                      equal_mask8(pk, pk - 4 * s.d_ul, wide) |
                      equal_mask8(pk, pk - 4 * s.d_ur, wide)) << k;
        }
        uint32_t hashed[SCAN_PIXELS];
        unsigned hits = 0;
        /* The hash is probed at every pixel while it keeps finding matches (text), and in
         * one scan of HASH_SPARSE_SCANS once it has not for a while (photos: their few
         * repeats are next to or above them, which the compares above find). */
        bool probe = hash_misses < HASH_DENSE_SCANS ||
                     (hash_misses & (HASH_SPARSE_SCANS - 1)) == 0;
        hash_misses++;
        if (probe) {
#pragma GCC unroll 8
            for (unsigned t = 0; t < SCAN_PIXELS; t++) {
                hits |= probe_hash(&s, p + 4 * t, (uint32_t)(i + t), &hashed[t]) << t;
            }
            marks |= hits;
        }
        next = i + SCAN_PIXELS;
        while (marks != 0) {
            unsigned t = (unsigned)__builtin_ctz(marks);
            marks &= marks - 1;
            bool hit = hits >> t & 1;
            const uint8_t *hashed_ref = hit ? base + 4 * (size_t)hashed[t] : p + 4 * t - 4;
            int r = try_match_at(&s, i + t, hashed_ref, wide, &next, &ref);
            if (r < 0) {
                return false;
            }
            if (r > 0) {
                hash_misses = hit && ref == hashed_ref ? 0 : hash_misses;
                /* After a single pixel (photos) the next one rarely matches. */
                after_match = next - (i + t) > 1 ? TRY_AFTER_MATCH : 0;
                break;
            }
        }
        i = next;
    }
    size_t lit = (size_t)(base + end - s.anchor);
    size_t need = 1u + (lit >= 15 ? 1u + (lit - 15) / 255u : 0) + lit;
    if ((size_t)(s.out_end - s.op) < need) {
        return false;
    }
    o->op = put_sequence(s.op, s.anchor, lit, 0, 0, false);
    return true;
}

#if PIXELS_X86_DISPATCH
static __attribute__((target("avx2"))) bool encode_block_avx2(BlockOut *o, const uint8_t *base,
                                                             size_t begin, size_t end,
                                                             size_t row_bytes, uint64_t *table)
{
    return encode_block_body(o, base, begin, end, row_bytes, table, true);
}
#endif

static bool encode_block_baseline(BlockOut *o, const uint8_t *base, size_t begin, size_t end,
                                  size_t row_bytes, uint64_t *table)
{
    return encode_block_body(o, base, begin, end, row_bytes, table, false);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

size_t lz4_encode_pixel_blocks(Lz4PixelTable *table, const uint8_t *plain, size_t total,
                               size_t row_bytes, uint32_t rows, uint8_t *out, size_t pos,
                               size_t capacity)
{
    /* Slots start as "pixel 0 at position 0": a false candidate is only compared, never
     * taken (every match is verified on the pixels). */
    memset(table->slot, 0, sizeof(table->slot));
#if PIXELS_X86_DISPATCH
    bool wide = codecs_cpu_has(CODECS_CPU_AVX2);
#endif
    size_t block_bytes = (size_t)rows * row_bytes;
    for (size_t begin = 0; begin < total; begin += block_bytes) {
        size_t end = total - begin < block_bytes ? total : begin + block_bytes;
        if (capacity - pos < 5) {
            return 0;
        }
        BlockOut o = { .op = out + pos + 4, .out_end = out + capacity };
        bool ok;
#if PIXELS_X86_DISPATCH
        ok = wide ? encode_block_avx2(&o, plain, begin, end, row_bytes, table->slot)
                  : encode_block_baseline(&o, plain, begin, end, row_bytes, table->slot);
#else
        ok = encode_block_baseline(&o, plain, begin, end, row_bytes, table->slot);
#endif
        size_t size = (size_t)(o.op - (out + pos + 4));
        if (!ok || size > (size_t)LZ4_MAX_INPUT_SIZE) {
            return 0;
        }
        put_be32(out + pos, (uint32_t)size);
        pos += 4 + size;
    }
    return pos;
}
