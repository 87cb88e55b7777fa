/* lz4-image-encode: packs image rows into SPICE's LZ4 container (BE32-framed blocks of one LZ4 stream). */
/*
 * 32-bit pixels (XRGB32, ARGB32: nearly every image) go through our own LZ4 block writer, which
 * knows the bytes are pixels in rows: it looks for matches only at pixel boundaries (a match
 * found there still extends backwards to its true start), and besides a hash table of earlier
 * pixel pairs it tries the two places screen content repeats from, the pixel to the left (a
 * run) and the pixel above (offset one row, when a row fits LZ4's 64 KB window). That finds
 * longer matches with a quarter of liblz4's probes. The output is plain LZ4 (any LZ4 decoder
 * reads it, upstream's included). 16- and 24-bit pixels go through liblz4's stream encoder.
 */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>   /* x86-64 baseline: no runtime check needed */
#endif

#include "codecs/lz4-image.h"
#include "codecs/unaligned.h"

/* LZ4 block format rules (lz4_Block_format.md): matches are >= 4 bytes at offsets 1..65535,
 * the last 5 bytes of a block are literals and the last match starts >= 12 bytes before the
 * block's end. */
#define LZ4_MIN_MATCH 4u
#define LZ4_LAST_LITERALS 5u
#define LZ4_MATCH_START_MARGIN 12u
#define LZ4_MAX_OFFSET 65535u

#define PIXEL_BYTES 4u
#define HASH_BITS 14u
/* A match this long is taken without trying the other places. */
#define GOOD_ENOUGH_MATCH 64u
/* Pixels without a long match before the search starts stepping over pixels (photo-like
 * areas): the step grows by one pixel every 2^MISS_STEP_SHIFT misses, up to MAX_STEP pixels.
 * Short matches (a pixel or two, common in photos) do not reset the count: they save about two
 * bytes each, so probing every pixel for them costs more time than the bytes are worth. */
#define MISS_STEP_SHIFT 6u
#define MAX_STEP 4u
#define LONG_MATCH 16u
#define SHORT_MATCH 8u
#define RUN_HANDICAP 16u
#define SHORT_MATCH_LITERALS 8u

/* Rows per block for @height rows when the caller leaves the choice to us: one block, as
 * upstream's server writes for a bitmap in one chunk (no per-block costs, matches anywhere). */
static uint32_t default_rows_per_block(uint32_t height)
{
    return height;
}

/* Bytes of the plaintext (packed rows), or 0 when the image is empty, unsupported or too big. */
static size_t plaintext_size(PixbufFormat format, uint32_t width, uint32_t height,
                             size_t *out_row_bytes)
{
    size_t row_bytes;
    if (!lz4_image_format_supported(format) || width == 0 || height == 0 ||
        height > PIXBUF_MAX_DIMENSION ||
        pixbuf_row_bytes(format, width, &row_bytes) != CODEC_OK ||
        row_bytes > PIXBUF_MAX_BYTES / height) {
        return 0;
    }
    *out_row_bytes = row_bytes;
    return row_bytes * height;
}

size_t lz4_image_encode_bound(PixbufFormat format, uint32_t width, uint32_t height,
                              uint32_t rows_per_block)
{
    size_t row_bytes;
    if (plaintext_size(format, width, height, &row_bytes) == 0) {
        return 0;
    }
    uint32_t rows = rows_per_block != 0 ? rows_per_block : default_rows_per_block(height);
    if (rows > height) {
        rows = height;
    }
    /* Sizes are below PIXBUF_MAX_BYTES (1 GiB), so none of this overflows size_t. */
    size_t full_blocks = height / rows;
    size_t last_rows = height % rows;
    size_t bound = LZ4_IMAGE_HEADER_SIZE +
                   full_blocks * (4u + (size_t)LZ4_COMPRESSBOUND(rows * row_bytes));
    if (last_rows != 0) {
        bound += 4u + (size_t)LZ4_COMPRESSBOUND(last_rows * row_bytes);
    }
    return bound;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- our block writer for 4-byte pixels ---- */


static inline uint32_t hash_pixel(uint32_t pixel)
{
    return (pixel * 2654435761u) >> (32u - HASH_BITS);
}

/* Number of equal bytes at @a and @ref (@ref < @a, overlap allowed), stopping at @limit. */
static inline size_t match_length(const uint8_t *a, const uint8_t *ref, const uint8_t *limit)
{
    const uint8_t *start = a;
#if defined(__SSE2__)
    /* Screen content is mostly long matches: 32 bytes a step (two 16-byte compares). */
    while ((size_t)(limit - a) >= 32) {
        __m128i eq0 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)a),
                                     _mm_loadu_si128((const __m128i *)(const void *)ref));
        __m128i eq1 = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + 16)),
                                     _mm_loadu_si128((const __m128i *)(const void *)(ref + 16)));
        uint32_t same = (uint32_t)_mm_movemask_epi8(eq0) |
                        (uint32_t)_mm_movemask_epi8(eq1) << 16;
        if (same != 0xFFFFFFFFu) {
            return (size_t)(a - start) + (size_t)__builtin_ctz(~same);
        }
        a += 32;
        ref += 32;
    }
#endif
    while ((size_t)(limit - a) >= 8) {
        uint64_t diff = unaligned_load_u64(a) ^ unaligned_load_u64(ref);
        if (diff != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return (size_t)(a - start) + (size_t)(__builtin_ctzll(diff) >> 3);
#else
            return (size_t)(a - start) + (size_t)(__builtin_clzll(diff) >> 3);
#endif
        }
        a += 8;
        ref += 8;
    }
    while (a < limit && *a == *ref) {
        a++;
        ref++;
    }
    return (size_t)(a - start);
}

#if defined(__SSE2__)
/* Equal bytes at the start of @cur and @ref, 0..16. */
static inline unsigned same_prefix16(__m128i cur, const uint8_t *ref)
{
    __m128i eq = _mm_cmpeq_epi8(cur, _mm_loadu_si128((const __m128i *)(const void *)ref));
    unsigned differ = (unsigned)_mm_movemask_epi8(eq) ^ 0xFFFFu;
    return (unsigned)__builtin_ctz(differ | 0x10000u);
}

/*
 * The match at @ip (16 bytes before @limit, at least a row and a pixel into the plaintext,
 * rows of @row > 4 bytes) from the pixel above, above-left, above-right, @hashed and the left,
 * all compared over 16 bytes at once and chosen without branches: which place repeats is what
 * branches would mispredict on gradients and photos. Only the chosen one is extended past 16
 * bytes. A run (offset 4, the slowest match to decode) wins only when nothing else matches, or
 * when it covers the 16 bytes and nothing else does. Returns 0 or a length >= 4 (*out_ref set).
 */
static inline size_t pick_match_sse2(const uint8_t *ip, size_t row, const uint8_t *hashed,
                                     const uint8_t *limit, const uint8_t **out_ref)
{
    __m128i cur = _mm_loadu_si128((const __m128i *)(const void *)ip);
    const uint8_t *above = ip - row;
    const uint8_t *above_left = above - PIXEL_BYTES;
    const uint8_t *above_right = above + PIXEL_BYTES;
    const uint8_t *left = ip - PIXEL_BYTES;
    unsigned best = same_prefix16(cur, above);
    const uint8_t *ref = above;
    unsigned len = same_prefix16(cur, above_left);
    bool better = len > best;
    ref = better ? above_left : ref;
    best = better ? len : best;
    len = same_prefix16(cur, above_right);
    better = len > best;
    ref = better ? above_right : ref;
    best = better ? len : best;
    len = same_prefix16(cur, hashed);
    better = len > best;
    ref = better ? hashed : ref;
    best = better ? len : best;
    len = same_prefix16(cur, left);
    better = (best < LZ4_MIN_MATCH && len >= LZ4_MIN_MATCH) || (len == 16 && best < 16);
    ref = better ? left : ref;
    best = better ? len : best;
    if (best < LZ4_MIN_MATCH) {
        return 0;
    }
    *out_ref = ref;
    return best < 16 ? best : 16 + match_length(ip + 16, ref + 16, limit);
}
#endif

typedef struct PixelEncoder {
    const uint8_t *plain;       /* the whole plaintext (borrowed) */
    const uint8_t *plain_end;
    size_t row_bytes;
    uint8_t *op;                /* next output byte */
    uint8_t *out_end;
    uint32_t table[1u << HASH_BITS];   /* plaintext offset of an earlier pixel, by hash */
} PixelEncoder;

/* Writes a length's continuation bytes (@len already had 15 taken off by the token). */
static inline uint8_t *put_length_bytes(uint8_t *op, size_t len)
{
    size_t full = len / 255;
    if (full < 8) {
        for (size_t i = 0; i < full; i++) {
            op[i] = 255;
        }
    } else {
        memset(op, 255, full);
    }
    op += full;
    *op++ = (uint8_t)(len - full * 255);
    return op;
}

/* Appends one sequence: @lit literals from @lits, then a match of @match_len bytes (>= 4) at
 * @offset, or none when @match_len is 0 (a block's last sequence). False when out of room. */
static inline __attribute__((always_inline)) bool put_sequence(PixelEncoder *e, const uint8_t *lits, size_t lit, size_t offset,
                         size_t match_len)
{
    uint8_t *op = e->op;
    size_t worst = 1u + lit / 255u + 1u + lit + 2u + match_len / 255u + 1u;
    if ((size_t)(e->out_end - op) < worst) {
        return false;
    }
    uint8_t *token = op++;
    if (lit >= 15) {
        *token = 15u << 4;
        op = put_length_bytes(op, lit - 15);
    } else {
        *token = (uint8_t)(lit << 4);
    }
    if ((size_t)(e->plain_end - lits) >= lit + 16 && (size_t)(e->out_end - op) >= lit + 16) {
        /* 16 bytes at a time: reading and writing up to 15 bytes past the run is in bounds
         * (and what is written there is overwritten next). */
        for (size_t i = 0; i < lit; i += 16) {
            memcpy(op + i, lits + i, 16);
        }
    } else {
        memcpy(op, lits, lit);
    }
    op += lit;
    if (match_len != 0) {
        op[0] = (uint8_t)offset;
        op[1] = (uint8_t)(offset >> 8);
        op += 2;
        size_t extra = match_len - LZ4_MIN_MATCH;
        if (extra >= 15) {
            *token |= 15u;
            op = put_length_bytes(op, extra - 15);
        } else {
            *token |= (uint8_t)extra;
        }
    }
    e->op = op;
    return true;
}

/* The same choice as pick_match_sse2 one candidate at a time (the first row, the block's
 * last bytes, narrow images, other targets), taking the longest of the matches found. */
static size_t pick_match_scalar(const uint8_t *ip, size_t pos, const uint8_t *base, size_t row,
                                size_t cand, const uint8_t *match_end_limit,
                                const uint8_t **out_ref)
{
    uint32_t pixel = unaligned_load_u32(ip);
    size_t best = 0;
    const uint8_t *best_ref = NULL;
    if (row != 0 && pos >= row && unaligned_load_u32(ip - row) == pixel) {
        best = PIXEL_BYTES + match_length(ip + PIXEL_BYTES, ip - row + PIXEL_BYTES,
                                          match_end_limit);
        best_ref = ip - row;
    }
    /* Gradients repeat along diagonals: the pixels above-left and above-right (for
     * 1-pixel rows "above-right" would be this pixel itself: only above-left). */
    size_t diagonals = row > PIXEL_BYTES ? 2 : 1;
    for (size_t d = 0; d < diagonals && best < GOOD_ENOUGH_MATCH && row != 0 &&
                       pos >= row + PIXEL_BYTES; d++) {
        const uint8_t *ref = d == 0 ? ip - row - PIXEL_BYTES : ip - row + PIXEL_BYTES;
        if (unaligned_load_u32(ref) == pixel) {
            size_t len = PIXEL_BYTES + match_length(ip + PIXEL_BYTES, ref + PIXEL_BYTES,
                                                    match_end_limit);
            if (len > best) {
                best = len;
                best_ref = ref;
            }
        }
    }
    if (best < GOOD_ENOUGH_MATCH && cand < pos && pos - cand <= LZ4_MAX_OFFSET &&
        unaligned_load_u32(base + cand) == pixel) {
        const uint8_t *ref = base + cand;
        size_t len = PIXEL_BYTES + match_length(ip + PIXEL_BYTES, ref + PIXEL_BYTES,
                                                match_end_limit);
        if (len > best) {
            best = len;
            best_ref = ref;
        }
    }
    /* A run (offset 4) is the slowest kind of match to decode: it must be clearly
     * longer to win. */
    if (best < GOOD_ENOUGH_MATCH && pos >= PIXEL_BYTES && unaligned_load_u32(ip - PIXEL_BYTES) == pixel) {
        size_t len = PIXEL_BYTES + match_length(ip + PIXEL_BYTES, ip, match_end_limit);
        if (len > best + (best != 0 ? RUN_HANDICAP : 0)) {
            best = len;
            best_ref = ip - PIXEL_BYTES;
        }
    }
    *out_ref = best_ref;
    return best;
}

/* Codes plaintext bytes [@begin, @end) (a whole number of pixels, @begin on a pixel) as one
 * LZ4 block; matches may reach back into earlier blocks of the same stream. */
__attribute__((hot)) static bool encode_pixel_block(PixelEncoder *e, size_t begin, size_t end)
{
    const uint8_t *base = e->plain;
    const uint8_t *ip = base + begin;
    const uint8_t *anchor = ip;
    const uint8_t *block_end = base + end;
    size_t row = e->row_bytes <= LZ4_MAX_OFFSET ? e->row_bytes : 0;   /* 0: above is too far */
    if (end - begin > LZ4_MATCH_START_MARGIN) {
        const uint8_t *last_start = block_end - LZ4_MATCH_START_MARGIN;
        const uint8_t *match_end_limit = block_end - LZ4_LAST_LITERALS;
        size_t misses = 0;
        while (ip <= last_start) {
            size_t pos = (size_t)(ip - base);
            /* ip + 4 <= last_start + 4 < match_end_limit: the pixel may start a match. */
            uint32_t pixel = unaligned_load_u32(ip);
            size_t best = 0;
            const uint8_t *best_ref = NULL;
            uint32_t h = hash_pixel(pixel);
            size_t cand = e->table[h];
            e->table[h] = (uint32_t)pos;
#if defined(__SSE2__)
            if (row > PIXEL_BYTES && pos >= row + PIXEL_BYTES &&
                (size_t)(match_end_limit - ip) >= 16) {
                bool hashed_ok = cand < pos && pos - cand <= LZ4_MAX_OFFSET;
                best = pick_match_sse2(ip, row, hashed_ok ? base + cand : ip - row,
                                       match_end_limit, &best_ref);
            } else
#endif
            {
                best = pick_match_scalar(ip, pos, base, row, cand, match_end_limit, &best_ref);
            }
            /* A pixel or so between other matches is left as literals: it would save a byte
             * or two and cost the decoder a sequence. In a long literal run it pays. */
            if (best < SHORT_MATCH && (size_t)(ip - anchor) < SHORT_MATCH_LITERALS) {
                best = 0;
            }
            if (best == 0) {
                size_t step = 1u + (misses >> MISS_STEP_SHIFT);
                misses++;
                ip += PIXEL_BYTES * (step < MAX_STEP ? step : MAX_STEP);
                continue;
            }
            if (best >= LONG_MATCH) {
                misses = 0;
            }
            /* The match may have begun earlier, between pixel boundaries or in the literals. */
            while (ip > anchor && best_ref > base && ip[-1] == best_ref[-1]) {
                ip--;
                best_ref--;
                best++;
            }
            if (!put_sequence(e, anchor, (size_t)(ip - anchor), (size_t)(ip - best_ref), best)) {
                return false;
            }
            ip += best;
            anchor = ip;
            /* Back onto a pixel boundary (the bytes skipped stay literals unless the next
             * match extends back over them). */
            ip = base + (((size_t)(ip - base) + PIXEL_BYTES - 1) & ~(size_t)(PIXEL_BYTES - 1));
        }
    }
    return put_sequence(e, anchor, (size_t)(block_end - anchor), 0, 0);
}

/* The blocks of @plain (@total bytes of @row_bytes-byte rows), @rows rows each, into
 * @out[@pos..@capacity); returns the end position or 0 when out of room. @e is scratch. */
static size_t encode_pixel_blocks(PixelEncoder *e, const uint8_t *plain, size_t total,
                                  size_t row_bytes, uint32_t rows, uint8_t *out, size_t pos,
                                  size_t capacity)
{
    memset(e->table, 0, sizeof(e->table));
    e->plain = plain;
    e->plain_end = plain + total;
    e->row_bytes = row_bytes;
    e->out_end = out + capacity;
    size_t block_bytes = (size_t)rows * row_bytes;
    for (size_t begin = 0; begin < total; begin += block_bytes) {
        size_t end = total - begin < block_bytes ? total : begin + block_bytes;
        if (capacity - pos < 5) {
            pos = 0;
            break;
        }
        e->op = out + pos + 4;
        if (!encode_pixel_block(e, begin, end) ||
            (size_t)(e->op - (out + pos + 4)) > (size_t)LZ4_MAX_INPUT_SIZE) {
            pos = 0;
            break;
        }
        put_be32(out + pos, (uint32_t)(e->op - (out + pos + 4)));
        pos = (size_t)(e->op - out);
    }
    return pos;
}

/* ---- liblz4 for 16- and 24-bit pixels ---- */

static size_t encode_liblz4_blocks(const uint8_t *plain, size_t total, size_t row_bytes,
                                   uint32_t rows, uint8_t *out, size_t pos, size_t capacity)
{
    LZ4_stream_t stream;
    LZ4_initStream(&stream, sizeof(stream));
    size_t block_bytes = (size_t)rows * row_bytes;
    for (size_t begin = 0; begin < total; begin += block_bytes) {
        size_t in_size = total - begin < block_bytes ? total - begin : block_bytes;
        if (capacity - pos < 5) {
            return 0;
        }
        size_t room = capacity - pos - 4;
        if (room > (size_t)LZ4_MAX_INPUT_SIZE) {
            room = LZ4_MAX_INPUT_SIZE;   /* liblz4 takes an int capacity */
        }
        /* in_size <= 1 GiB < LZ4_MAX_INPUT_SIZE */
        int enc = LZ4_compress_fast_continue(&stream, (const char *)plain + begin,
                                             (char *)out + pos + 4, (int)in_size, (int)room, 1);
        if (enc <= 0) {
            return 0;
        }
        put_be32(out + pos, (uint32_t)enc);
        pos += 4u + (size_t)enc;
    }
    return pos;
}

CodecStatus lz4_image_encode(const Pixbuf *src, bool top_down, uint32_t rows_per_block,
                             uint8_t *out, size_t out_capacity, size_t *out_size)
{
    if (src == NULL || out == NULL || out_size == NULL || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t row_bytes;
    size_t total = plaintext_size(src->format, src->width, src->height, &row_bytes);
    if (total == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (out_capacity < LZ4_IMAGE_HEADER_SIZE) {
        return CODEC_ERR_NO_SPACE;
    }
    bool pixels32 = pixbuf_format_bpp(src->format) == 32;
    PixelEncoder *scratch = NULL;   /* our encoder's state: a 64 KB hash table */
    if (pixels32 && (scratch = malloc(sizeof(*scratch))) == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    /* Later blocks copy from earlier plaintext where it lies, so it must be one array. */
    const uint8_t *plain = src->data;
    uint8_t *packed = NULL;
    if (!pixbuf_is_packed(src)) {
        packed = malloc(total);
        if (packed == NULL) {
            free(scratch);
            return CODEC_ERR_NO_MEMORY;
        }
        for (uint32_t y = 0; y < src->height; y++) {
            memcpy(packed + (size_t)y * row_bytes, pixbuf_row(src, y), row_bytes);
        }
        plain = packed;
    }

    uint32_t rows = rows_per_block != 0 ? rows_per_block : default_rows_per_block(src->height);
    if (rows > src->height) {
        rows = src->height;
    }
    out[0] = top_down ? 1 : 0;
    out[1] = (uint8_t)src->format;   /* PixbufFormat values are SPICE_BITMAP_FMT_* */
    size_t end = pixels32 ? encode_pixel_blocks(scratch, plain, total, row_bytes, rows, out,
                                                LZ4_IMAGE_HEADER_SIZE, out_capacity)
                          : encode_liblz4_blocks(plain, total, row_bytes, rows, out,
                                                 LZ4_IMAGE_HEADER_SIZE, out_capacity);
    free(packed);
    free(scratch);
    if (end == 0) {
        return CODEC_ERR_NO_SPACE;
    }
    *out_size = end;
    return CODEC_OK;
}
