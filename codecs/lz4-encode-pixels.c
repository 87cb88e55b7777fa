/* lz4-encode-pixels: LZ4 blocks for 32-bit pixel rows, candidate places compared 8 pixels at a time. */
/*
 * liblz4 hashes every byte position and needs 4 equal bytes to start a match. Pixels repeat
 * at pixel boundaries, from a few places: the pixel to the left (a run), the row above and
 * its neighbours (above-left, above-right), and earlier copies of the same pixels. The loop
 * follows the LZ encoder's RGB32 loop (lz-encode.c): at a probed pixel those places and one
 * hash slot of the pixel pair (32 check bits with the position: a failed probe loads no
 * pixels) are compared 32 bytes at once (8 pixels, and how many bytes of the pixel after the
 * equal ones also match) and the longest kept without branches (a run only where nothing
 * else matches: it is the slowest match to decode); a match of 8 is extended 16 pixels a
 * step, then byte by byte backwards (into the literals). Where nothing matches the next probe
 * is two pixels on, with the pixel between put in the hash too: a match starting there is
 * found from the next probe, which takes that pixel backwards. While nothing matches the hash
 * probes thin out (linearly, then quadratically: photos) and the pixels between are scanned
 * 8 at a time for a 2-pixel run or row-above start, or, after 64 literal bytes, a single
 * pixel equal to a neighbour (what keeps a photo's stream under liblz4's). A single-pixel
 * match keeps the probes thin.
 *
 * Whole-pixel matching needs the 4th byte (X or alpha) to repeat with the other three. Where
 * it changes from pixel to pixel (garbage in X, alpha ramps) liblz4's byte-granular matching
 * finds more; lz4_pixels_suit_writer() tells the caller to use liblz4 there.
 *
 * Same stream on every CPU: AVX2 (chosen at run time) only compares 8 pixels in one
 * instruction instead of two SSE2 ones (or eight scalar ones on other targets).
 *
 * LZ4's block rules (lz4_Block_format.md): matches are >= 4 bytes at offsets 1..65535, the
 * last 5 bytes of a block are literals and the last match starts >= 12 bytes before the end.
 * Here matches end at least 16 bytes before the block's end, except one that reaches that
 * far: it runs on byte by byte to the last 5 bytes (as liblz4's does, so that a solid
 * picture's stream is no longer than liblz4's).
 */
#include "codecs/lz4-encode-pixels.h"

#include <lz4.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/cpu-features.h"
#include "codecs/rgb32-compare.h"
#include "codecs/unaligned.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

#define LZ4_MAX_OFFSET 65535u
/* A match ends at least this many bytes before its block's end (LZ4 needs 12 and 5), except
 * one that reaches it: that one runs on to LZ4's last literals. */
#define END_MARGIN 16u
/* LZ4's block end: the last 5 bytes are literals. */
#define LAST_LITERALS 5u
/* 2^14 hash slots (128 KB): 2^13 put the synthetic text test (garbage in the X byte, so only
 * the hash finds matches) over its 4:1 line. */
#define SLOT_BITS 14u
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
/* While nothing matches, one more pixel is skipped between hash probes every 2^SKIP_SHIFT
 * probes, and quadratically after 16 (the neighbours are still compared at every pixel). */
#define SKIP_SHIFT 2u

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

/* Equal pixels from @a and @b onwards (@b < @a, overlap allowed), at most @max. */
static ALWAYS_INLINE size_t extend_pixels(const uint8_t *a, const uint8_t *b, size_t max, bool wide)
{
    size_t len = 0;
    while (len + 16 <= max) {
        unsigned eq = pixel32_equal_mask8(a + 4 * len, b + 4 * len, wide) |
                      pixel32_equal_mask8(a + 4 * len + 32, b + 4 * len + 32, wide) << 8;
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
} Scan;

/* The hash of the 2 pixels at @p: slot index in the top SLOT_BITS, check bits below. */
static ALWAYS_INLINE uint64_t hash_pair(const uint8_t *p)
{
    return unaligned_load_u64(p) * 0x9E3779B97F4A7C15ull;
}

static ALWAYS_INLINE uint64_t slot_make(uint64_t key, size_t at)
{
    return (uint64_t)(uint32_t)(key >> 18) << 32 | (uint32_t)at;
}

/*
 * Writes a match of @match_px whole pixels and @tail (0-3) bytes at pixel @j from @ref, with
 * the literals before it, when worth it (the match also takes equal bytes, backwards, of the
 * literals). Returns 1 (written; *@next: the pixel to go on at), 0 (not worth taking) or
 * -1 (out of output room).
 */
static ALWAYS_INLINE int put_match(Scan *s, size_t j, const uint8_t *ref, size_t match_px,
                                   size_t tail, size_t *next)
{
    const uint8_t *q = s->base + 4 * j;
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
    return 1;
}

/*
 * Codes plaintext bytes [@begin, @end) of @base (whole pixels) as one LZ4 block into @o;
 * matches may reach back into earlier blocks. @row_bytes: bytes per row. False when out of
 * room.
 *
 * At each probed pixel the pixel to the left (a run), the row above, above-left,
 * above-right and one hash slot (2-pixel key, 32 check bits: a failed probe loads no pixels)
 * are compared 8 pixels at once and the longest kept. Where nothing matches the next probe is
 * two pixels on. While nothing matches the probes thin out, and the pixels between are
 * scanned 8 at a time for a 2-pixel run or row-above start, or (after SHORT_MATCH_LITERALS
 * literal bytes) a single pixel equal to a neighbour (photos: their few repeats are next to
 * or above them).
 */
static ALWAYS_INLINE bool encode_block_body(BlockOut *o, const uint8_t *base, size_t begin,
                                            size_t end, size_t row_bytes, uint64_t *table,
                                            bool wide)
{
    Scan s = { .base = base, .anchor = base + begin, .op = o->op, .out_end = o->out_end };
    const size_t row_px = row_bytes / 4;
    /* The row above and its diagonal neighbours, when above-left is within LZ4's reach. */
    const bool rows_usable = row_px >= 2 && row_bytes + 4 <= LZ4_MAX_OFFSET;
    const size_t above_from = rows_usable ? row_px + 3 : SIZE_MAX;
    /* Pixels 0-2 have too little before them for the 8-byte look back: literals. */
    size_t i = begin / 4 > 3 ? begin / 4 : 3;
    size_t next_probe = i;
    size_t probes = 0;
    /* A scan of 8 pixels compares up to 24 more after each of them. */
    s.last_px = end >= begin + END_MARGIN ? (end - END_MARGIN) / 4 : 0;

    while (i + 32 <= s.last_px) {
        const uint8_t *p = base + 4 * i;
        const bool above = i >= above_from;
        if (next_probe > i + 1 && above) {
            /* No probe for a while: only neighbours are looked at, 8 pixels at once. */
            const uint8_t *up_row = p - 4 * row_px;
            unsigned run = pixel32_equal_mask8(p, p - 4, wide);
            unsigned up = pixel32_equal_mask8(p, up_row, wide);
            size_t window = next_probe - i < 8 ? next_probe - i : 8;
            unsigned starts = (run & run >> 1) | (up & up >> 1);
            size_t lit_bytes = (size_t)(p - s.anchor);
            if (lit_bytes + 4 * window > SHORT_MATCH_LITERALS) {
                unsigned singles = run | up | pixel32_equal_mask8(p, up_row - 4, wide) |
                                   pixel32_equal_mask8(p, up_row + 4, wide);
                size_t from = lit_bytes >= SHORT_MATCH_LITERALS
                                  ? 0 : (SHORT_MATCH_LITERALS - lit_bytes + 3) / 4;
                starts |= singles >> from << from;
            }
            starts &= (1u << window) - 1;
            if (starts == 0) {
                i += window;
                continue;
            }
            i += (size_t)__builtin_ctz(starts);
            p = base + 4 * i;
        }
        size_t max = s.last_px - i;
        const uint8_t *ref = p - 4;
        /* Lengths in bytes: whole pixels, then the equal bytes of the next one. */
        size_t best = pixel32_equal_bytes32(p, ref, wide);
        {
            /* The longest of the other places, without branches (lengths on gradients and
             * photos are as good as random); a run (offset 4, the slowest match to decode)
             * only where nothing else matches. */
            size_t len = 0;
            const uint8_t *r = p;
            if (above) {
                const uint8_t *up_row = p - 4 * row_px;
                r = up_row;
                len = pixel32_equal_bytes32(p, up_row, wide);
                size_t l2 = pixel32_equal_bytes32(p, up_row - 4, wide);
                r = l2 > len ? up_row - 4 : r;
                len = l2 > len ? l2 : len;
                l2 = pixel32_equal_bytes32(p, up_row + 4, wide);
                r = l2 > len ? up_row + 4 : r;
                len = l2 > len ? l2 : len;
            }
            if (i >= next_probe && len < 32) {
                uint64_t key = hash_pair(p);
                uint64_t *slot = &table[key >> (64 - SLOT_BITS)];
                uint64_t old = *slot;
                *slot = slot_make(key, i);
                uint32_t c = (uint32_t)old;
                if ((uint32_t)(old >> 32) == (uint32_t)(key >> 18) && c >= 2 &&
                    (uint32_t)i - c - 1u < (uint32_t)(LZ4_MAX_OFFSET / 4)) {
                    const uint8_t *h = base + 4 * (size_t)c;
                    size_t l2 = pixel32_equal_bytes32(p, h, wide);
                    r = l2 > len ? h : r;
                    len = l2 > len ? l2 : len;
                }
            }
            bool other = len >= 4 && (len == 32 || best < 32);
            ref = other ? r : ref;
            best = other ? len : best;
        }
        size_t tail = best & 3;   /* bytes of the pixel after the match */
        best >>= 2;
        if (best == 8) {
            best += extend_pixels(p + 32, ref + 32, max - 8, wide);
            if (best == max) {
                /* At the limit: on byte by byte to LZ4's last literals, and the block's last
                 * match ends there. */
                size_t len = 4 * best;
                size_t limit = end - LAST_LITERALS - 4 * i;
                while (len < limit && p[len] == ref[len]) {
                    len++;
                }
                size_t next;
                int r = put_match(&s, i, ref, len / 4, len % 4, &next);
                if (r < 0) {
                    return false;
                }
                break;   /* r == 1: a match of 8 pixels or more is always taken */
            }
            tail = equal_bytes_in_pixel(p + 4 * best, ref + 4 * best);
            tail = tail < 4 ? tail : 0;
        }
        /* The next probe is near where this match ends: fetch its slot while writing. */
        __builtin_prefetch(&table[hash_pair(p + 4 * best + 4) >> (64 - SLOT_BITS)]);
        size_t next = 0;
        int r = best != 0 ? put_match(&s, i, ref, best, tail, &next) : 0;
        if (r < 0) {
            return false;
        }
        if (r == 0) {
            if (i >= next_probe) {
                /* Linear growth at first (text: the next repeat is a few pixels on), then
                 * quadratic (photos: the hash finds nothing there; photo +8%). */
                next_probe = i + 1 + (probes >> SKIP_SHIFT) + (probes * probes >> 8);
                probes++;
                /* Two pixels on, the one between in the hash (so every position is there for
                 * later probes): text pages +7-20%, 1.3-2.3% more bytes, still under liblz4's
                 * on every bench image. A 3-pixel step went over liblz4's bytes. */
                uint64_t k2 = hash_pair(p + 4);
                table[k2 >> (64 - SLOT_BITS)] = slot_make(k2, i + 1);
                i += 2;
                continue;
            }
            i++;
            continue;
        }
        /* After a single pixel (photos) the next one rarely matches: probing stays thin. */
        bool single = best <= 1;
        i = next;
        next_probe = single && next_probe > i ? next_probe : i;
        probes = single ? probes : 0;
        /* Remember where the match ended so the next repeat of its tail is found: the
         * last pixel only (with the one after it). A second insert, at the pixel before,
         * cost 1-2% on text pages; without it their streams are 0.3% smaller, desktop's
         * and gradient's 0.05-0.2% larger. */
        size_t e = i - 1;
        uint64_t k1 = hash_pair(base + 4 * e);
        table[k1 >> (64 - SLOT_BITS)] = slot_make(k1, e);
    }
    size_t lit = (size_t)(base + end - s.anchor);
    size_t need = 1u + (lit >= 15 ? 1u + (lit - 15) / 255u : 0) + lit;
    if ((size_t)(s.out_end - s.op) < need) {
        return false;
    }
    o->op = put_sequence(s.op, s.anchor, lit, 0, 0, false);
    return true;
}

#if CODECS_X86_DISPATCH
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

bool lz4_pixels_suit_writer(const uint8_t *plain, size_t total, size_t row_bytes)
{
    /* The 4th bytes of 16 pixel pairs in every 8th row, against their left neighbours':
     * garbage in X changes nearly everywhere, real X (0 or 255) nowhere, alpha at edges. */
    size_t row_px = row_bytes / 4;
    if (row_px < 2) {
        return true;
    }
    size_t rows = total / row_bytes, samples = 0, changes = 0;
    for (size_t y = 0; y < rows; y += 8) {
        const uint8_t *row = plain + y * row_bytes;
        for (size_t k = 0; k < 16; k++) {
            size_t x = 1 + k * (row_px - 1) / 16;
            changes += row[4 * x + 3] != row[4 * x - 1];
            samples++;
        }
    }
    return changes * 8 <= samples;
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
#if CODECS_X86_DISPATCH
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
#if CODECS_X86_DISPATCH
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
