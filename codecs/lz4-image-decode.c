/* lz4-image-decode: checked decoding of SPICE's LZ4 container (BE32-framed blocks of one LZ4 stream). */
/*
 * The blocks are decoded by our own LZ4 block decoder, written from the block format
 * description (lz4_Block_format.md): sequences of a token (literal count in the high nibble,
 * match length - 4 in the low one; 15 means length bytes follow, each added, until one is not
 * 255), the literals, a 16-bit little-endian offset back into the output and the match; a
 * block's last sequence has literals only. Every block lands right after the previous one in
 * one array, so the whole output so far is the history matches may copy from.
 *
 * Where the time goes on real streams is branch mispredictions (each sequence's lengths are
 * data) and the dependency from one token to the next. So, while the input and the output both
 * have generous room left, a fast loop:
 *   - copies literal runs under 15 bytes as one 16-byte chunk, longer ones as 256 bytes
 *     whatever their length (a copy loop would exit at an unpredictable count), then 256 more,
 *     then a loop, and reads up to two length bytes without a branch;
 *   - reads a match's length byte without a branch and writes 64 bytes whatever its length,
 *     then loops: with AVX2 the first 32 are made in registers from the 32 bytes at the
 *     source (offsets under 32 repeated by a byte shuffle and a blend, so runs and other
 *     short offsets take no branch either) and stored at once, the next 32 copied from a
 *     whole number of periods back; each store counts on streams of short sequences. A long
 *     match whose period divides 16 (a run of a pixel) is stores of that 16-byte pattern,
 *     one with another period under 64 is read from its own first 80 bytes (copy_near_long);
 *   - reads a match that lies in its own sequence's literals (a run after them, say) from the
 *     input: the output's copy was only just stored, in pieces a load would straddle, and such
 *     a load waits for all of them to reach the cache;
 *   - checks each sequence once against the room left (it then writes at most 255 bytes past
 *     what it decodes, always inside the output; later sequences overwrite them) and its
 *     offset against the history.
 * Any sequence that does not fit the margins goes back, from its token, to an exact loop that
 * copies byte-exactly and checks every length, which then decodes the rest of the block.
 *
 * Every byte the output takes its value from was already written by this decode: chunks are
 * never wider than the distance they copy from (offsets under 32 go through the period; the
 * bytes a short offset's loads take past the period are dropped by the shuffle and the
 * blend), so an output buffer that was not zero-filled never leaks into the picture, and a
 * decode that succeeds has written every byte (the blocks must fill the image exactly).
 * AVX2 (32-byte chunks for long runs and matches) is chosen at run time; SSE2 is the baseline.
 */
#include <stdlib.h>
#include <string.h>
#include "codecs/cpu-features.h"
#if CODECS_X86_DISPATCH
#include <immintrin.h>
#define LZ4_DECODE_X86 1
#else
#define LZ4_DECODE_X86 0
#endif

#include "codecs/lz4-image.h"
#include "codecs/unaligned.h"

#define LZ4_MIN_MATCH 4u
/* Room the fast loop needs at a sequence's start: a token, two length bytes, up to 14
 * literals copied as 16, an offset and a length byte (input); a match copied as 64 and what a
 * long one writes past its end (output). Longer runs are checked on top of this. */
#define FAST_IN_ROOM 40u
#define FAST_OUT_ROOM 96u
/* Literals copied whatever the run's length, twice for runs longer than that. */
#define LONG_LITERALS 256u

/* ---- copies (x86: SSE2 is the baseline; AVX2 variants only run in decode_fast_avx2) ---- */

static inline void copy16(uint8_t *dst, const uint8_t *src)
{
#if LZ4_DECODE_X86
    _mm_storeu_si128((__m128i *)(void *)dst, _mm_loadu_si128((const __m128i *)(const void *)src));
#else
    memcpy(dst, src, 16);
#endif
}

/* Copies [@src, @src + @len) to @dst (@len > 0) in 16-byte chunks, writing up to 15 bytes
 * more; @dst - @src >= 16 or no overlap. */
static inline void wild_copy16(uint8_t *dst, const uint8_t *src, size_t len)
{
    uint8_t *end = dst + len;
    do {
        copy16(dst, src);
        dst += 16;
        src += 16;
    } while (dst < end);
}

static inline void copy_long16(uint8_t *dst, const uint8_t *src)
{
    for (size_t i = 0; i < LONG_LITERALS; i += 16) {
        copy16(dst + i, src + i);
    }
}

/* A match of @len bytes at @op from @offset (1..15) back, in 8- or 16-byte chunks, writing
 * up to 15 bytes more (the baseline's way; AVX2 uses match_head32). */
static inline void copy_near_match(uint8_t *op, size_t offset, size_t len)
{
    uint8_t *end = op + len;
    const uint8_t *match = op - offset;
#if LZ4_DECODE_X86
    if (offset == 4) {
        /* Runs of one pixel: the most common short offset in 32-bit images. */
        __m128i pattern = _mm_set1_epi32((int)unaligned_load_u32(match));
        do {
            _mm_storeu_si128((__m128i *)(void *)op, pattern);
            op += 16;
        } while (op < end);
        return;
    }
#endif
    if (offset < 8) {
        /* Byte by byte until a whole number of periods covers 8 bytes, then 8-byte chunks
         * from that many periods back (the same bytes, far enough behind). */
        size_t periods = offset * ((8 + offset - 1) / offset);
        size_t head = periods < len ? periods : len;
        for (size_t i = 0; i < head; i++) {
            op[i] = match[i];
        }
        op += head;
        match = op - periods;
    }
    while (op < end) {
        unaligned_store_u64(op, unaligned_load_u64(match));
        op += 8;
        match += 8;
    }
}

#if LZ4_DECODE_X86
static inline __attribute__((target("avx2"))) void copy32(uint8_t *dst, const uint8_t *src)
{
    _mm256_storeu_si256((__m256i *)(void *)dst,
                        _mm256_loadu_si256((const __m256i *)(const void *)src));
}

/* wild_copy16 in 32-byte chunks: @dst - @src >= 32 or no overlap. */
static inline __attribute__((target("avx2"))) void wild_copy32(uint8_t *dst, const uint8_t *src,
                                                               size_t len)
{
    uint8_t *end = dst + len;
    do {
        copy32(dst, src);
        dst += 32;
        src += 32;
    } while (dst < end);
}

/* Writes the 16 bytes at @pattern over [@dst, @dst + @len) and up to 31 bytes more. */
static inline __attribute__((target("avx2"))) void fill32(uint8_t *dst, const uint8_t *pattern,
                                                          size_t len)
{
    __m256i v = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)pattern));
    uint8_t *end = dst + len;
    do {
        _mm256_storeu_si256((__m256i *)(void *)dst, v);
        dst += 32;
    } while (dst < end);
}

static inline __attribute__((target("avx2"))) void copy_long32(uint8_t *dst, const uint8_t *src)
{
    for (size_t i = 0; i < LONG_LITERALS; i += 32) {
        copy32(dst + i, src + i);
    }
}

/*
 * heads32[k], k = the offset, 32 for 32 and more: how match_head32 makes the match's first 32
 * bytes from the 16 at the source (s0) and the 16 after them (s1). Byte i < 16 is byte i % k
 * of s0 (lo); byte 16 + i is byte i of s1 where 16 + i < k (take_next), else byte (16 + i) % k
 * of s0 (hi). extra: what takes k to the smallest multiple of it that is at least 32 (0 for
 * 32: the offset itself).
 */
typedef struct __attribute__((aligned(64))) Head32 {
    uint8_t lo[16];
    uint8_t hi[16];
    uint8_t take_next[16];
    uint8_t extra;
} Head32;

#define HEAD_LO(i, k) ((i) % (k))
#define HEAD_HI(i, k) ((16 + (i)) % (k))
#define HEAD_TAKE(i, k) (16 + (i) < (k) ? 0x80 : 0)
#define HEAD_ROW(F, k) { F(0, k), F(1, k), F(2, k), F(3, k), F(4, k), F(5, k), F(6, k), F(7, k), \
                         F(8, k), F(9, k), F(10, k), F(11, k), F(12, k), F(13, k), F(14, k), \
                         F(15, k) }
#define HEAD32(k) { HEAD_ROW(HEAD_LO, k), HEAD_ROW(HEAD_HI, k), HEAD_ROW(HEAD_TAKE, k), \
                    (k) == 32 ? 0 : (31 + (k)) / (k) * (k) - (k) }
static const Head32 heads32[33] __attribute__((aligned(64))) = {
    HEAD32(32), HEAD32(1), HEAD32(2), HEAD32(3), HEAD32(4), HEAD32(5), HEAD32(6), HEAD32(7),
    HEAD32(8), HEAD32(9), HEAD32(10), HEAD32(11), HEAD32(12), HEAD32(13), HEAD32(14),
    HEAD32(15), HEAD32(16), HEAD32(17), HEAD32(18), HEAD32(19), HEAD32(20), HEAD32(21),
    HEAD32(22), HEAD32(23), HEAD32(24), HEAD32(25), HEAD32(26), HEAD32(27), HEAD32(28),
    HEAD32(29), HEAD32(30), HEAD32(31), HEAD32(32)
};
#undef HEAD32
#undef HEAD_ROW
#undef HEAD_TAKE
#undef HEAD_HI
#undef HEAD_LO

/*
 * Writes the match's first 32 bytes at @op, @offset >= 1 back, from @src (the same bytes as
 * @op - @offset): one 32-byte store. Returns how far back bytes 32-63 may be copied from: the
 * offset, or the smallest multiple of it that is at least 32. No branches.
 */
static inline __attribute__((target("avx2"))) size_t match_head32(uint8_t *op, const uint8_t *src,
                                                                  size_t offset)
{
    const Head32 *t = &heads32[offset < 32 ? offset : 32];
    __m128i s0 = _mm_loadu_si128((const __m128i *)(const void *)src);
    /* Under 16 the 16 bytes after the source are not needed (and may lie past the input's
     * end when the match is read from the literals): s0 again. */
    __m128i s1 = _mm_loadu_si128((const __m128i *)(const void *)(src + (offset >= 16 ? 16 : 0)));
    __m128i lo_mask = _mm_load_si128((const __m128i *)(const void *)t->lo);
    __m128i hi_mask = _mm_load_si128((const __m128i *)(const void *)t->hi);
    __m128i take_next = _mm_load_si128((const __m128i *)(const void *)t->take_next);
    __m128i lo = _mm_shuffle_epi8(s0, lo_mask);
    __m128i hi = _mm_blendv_epi8(_mm_shuffle_epi8(s0, hi_mask), s1, take_next);
    _mm256_storeu_si256((__m256i *)(void *)op, _mm256_set_m128i(hi, lo));
    return offset + t->extra;
}
#endif

/*
 * Bytes [64, @len) of a long match at @op with a period (@offset) under 64 that does not
 * divide 16, its first 64 bytes written, copied from @back bytes behind (a multiple of the
 * period). Copying on from @back behind would load, every 16 bytes, bytes stored one to three
 * chunks before, straddling two stores, and such a load waits until both reach the cache:
 * on upstream's streams of text pages (periods of 5-15 pixels: dotted rules, patterns) that
 * was a quarter of the decode time. So the match is read from its own first 80 bytes, at the
 * same phase of the period: after the first few chunks those stores are in the cache.
 * Upstream's terminal and editor streams decode 40-50% faster.
 */
static inline void copy_near_long(uint8_t *op, size_t offset, size_t back, size_t len)
{
    copy16(op + 64, op + 64 - back);
    size_t cycle = 64 / offset * offset;   /* whole periods in 64 bytes: the phase repeats */
    size_t from = 80 % cycle;
    for (size_t at = 80; at < len; at += 16) {
        copy16(op + at, op + from);   /* from + 16 <= cycle + 15 < 80: written above */
        from += 16;
        from = from >= cycle ? from - cycle : from;
    }
}

/* ---- one block ---- */

/* Reads a length's continuation bytes at *@ip (before @end) onto *@len: false when the
 * input ends first or the length passes @limit. */
static inline bool read_length(const uint8_t **ip, const uint8_t *end, size_t *len, size_t limit)
{
    const uint8_t *p = *ip;
    size_t n = *len;
    for (;;) {
        if (p >= end) {
            return false;
        }
        uint8_t b = *p++;
        n += b;
        if (n > limit) {
            return false;
        }
        if (b != 255) {
            break;
        }
    }
    *ip = p;
    *len = n;
    return true;
}

/* The exact loop: from @ip to the block's end @iend, every copy byte-exact and every length
 * checked. *@out_op: where the block's output ends. */
static CodecStatus decode_exact(const uint8_t *ip, const uint8_t *iend, const uint8_t *history,
                                uint8_t *op, uint8_t *oend, uint8_t **out_op)
{
    for (;;) {
        if (ip >= iend) {
            return CODEC_ERR_CORRUPT;   /* a block ends with a literals-only sequence */
        }
        unsigned token = *ip++;
        size_t lit = token >> 4;
        if (lit == 15 && !read_length(&ip, iend, &lit, (size_t)(oend - op))) {
            return CODEC_ERR_CORRUPT;
        }
        if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op)) {
            return CODEC_ERR_CORRUPT;
        }
        memcpy(op, ip, lit);
        ip += lit;
        op += lit;
        if (ip == iend) {
            *out_op = op;
            return CODEC_OK;
        }
        if (iend - ip < 2) {
            return CODEC_ERR_CORRUPT;
        }
        size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        if (offset == 0 || offset > (size_t)(op - history)) {
            return CODEC_ERR_CORRUPT;
        }
        size_t len = token & 15u;
        if (len == 15 && !read_length(&ip, iend, &len, (size_t)(oend - op))) {
            return CODEC_ERR_CORRUPT;
        }
        len += LZ4_MIN_MATCH;
        if (len > (size_t)(oend - op)) {
            return CODEC_ERR_CORRUPT;
        }
        const uint8_t *match = op - offset;
        for (size_t i = 0; i < len; i++) {
            op[i] = match[i];
        }
        op += len;
    }
}

/*
 * The fast loop (see the top of the file), @wide: AVX2 may be used. Returns
 * CODEC_OK with *@ip_io and *@op_io at the first sequence it left to decode_exact, or
 * CODEC_ERR_CORRUPT.
 */
static inline __attribute__((always_inline)) CodecStatus
decode_fast_body(const uint8_t **ip_io, const uint8_t *iend, const uint8_t *history,
                 uint8_t **op_io, uint8_t *oend, bool wide)
{
    const uint8_t *ip = *ip_io;
    uint8_t *op = *op_io;
    /* Pointers are compared through differences, never formed past the ends. */
    while ((size_t)(iend - ip) >= FAST_IN_ROOM && (size_t)(oend - op) >= FAST_OUT_ROOM) {
        const uint8_t *seq = ip;
        uint8_t *seq_op = op;
        unsigned token = *ip++;
        size_t lit = token >> 4;
        if (lit != 15) {
            copy16(op, ip);   /* ip + 16 < iend, op + 16 < oend */
        } else {
            /* Two length bytes without a branch (runs up to 524 bytes, most of them). */
            size_t b1 = ip[0];
            size_t second = b1 == 255;
            lit += b1 + ((size_t)ip[1] & (0 - second));
            ip += 1 + second;
            if (__builtin_expect(lit == 15 + 255 + 255, 0) &&
                !read_length(&ip, iend, &lit, (size_t)(oend - op))) {
                ip = seq;   /* the exact loop judges it */
                break;
            }
            if ((size_t)(iend - ip) < lit + 2 * LONG_LITERALS + 32 ||
                (size_t)(oend - op) < lit + 2 * LONG_LITERALS + FAST_OUT_ROOM) {
                ip = seq;
                break;
            }
#if LZ4_DECODE_X86
            if (wide) {
                copy_long32(op, ip);
                if (lit > LONG_LITERALS) {
                    copy_long32(op + LONG_LITERALS, ip + LONG_LITERALS);
                    if (lit > 2 * LONG_LITERALS) {
                        wild_copy32(op + 2 * LONG_LITERALS, ip + 2 * LONG_LITERALS,
                                    lit - 2 * LONG_LITERALS);
                    }
                }
            } else
#endif
            {
                copy_long16(op, ip);
                if (lit > LONG_LITERALS) {
                    copy_long16(op + LONG_LITERALS, ip + LONG_LITERALS);
                    if (lit > 2 * LONG_LITERALS) {
                        wild_copy16(op + 2 * LONG_LITERALS, ip + 2 * LONG_LITERALS,
                                    lit - 2 * LONG_LITERALS);
                    }
                }
            }
        }
        ip += lit;
        op += lit;
#if LZ4_DECODE_X86
        const uint8_t *lit_end = ip;   /* where a match inside the literals is read from */
#endif
        /* At least 17 input bytes follow the literals here, so this is not the block's last
         * sequence: an offset follows. */
        size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        size_t len = token & 15u;
        size_t more = len == 15;
        len += (size_t)ip[0] & (0 - more);
        ip += more;
        if (__builtin_expect(len == 15 + 255, 0) &&
            !read_length(&ip, iend, &len, (size_t)(oend - op))) {
            return CODEC_ERR_CORRUPT;   /* the input ends first, or the image does */
        }
        len += LZ4_MIN_MATCH;
        /* One compare for both: offset 0 wraps around to SIZE_MAX. */
        if (offset - 1 >= (size_t)(op - history)) {
            return CODEC_ERR_CORRUPT;
        }
        if ((size_t)(oend - op) < len + FAST_OUT_ROOM) {
            ip = seq;   /* the exact loop writes the literals again, and the match */
            op = seq_op;
            break;
        }
#if LZ4_DECODE_X86
        if (wide) {
            /* A match within this sequence's literals (a run after them, say) is read from
             * the input: the output's copy was only just stored, in pieces the load would
             * straddle, and a load that no single store covers waits for them all. */
            const uint8_t *src = offset <= lit ? lit_end - offset : op - offset;
            size_t back = match_head32(op, src, offset);
            copy32(op + 32, op + 32 - back);
            if (len > 64) {
                if (offset <= 16 && (0x10116u >> offset & 1)) {
                    /* A period dividing 16 (1, 2, 4, 8 or 16 bytes: runs of a pixel, say):
                     * the first 16 bytes again and again. Copying would load each chunk right
                     * after storing it, one store-to-load round trip per chunk. */
                    fill32(op + 64, op, len - 64);
                } else if (back >= 64) {
                    wild_copy32(op + 64, op + 64 - back, len - 64);
                } else {
                    copy_near_long(op, offset, back, len);
                }
            }
            op += len;
            continue;
        }
#endif
        const uint8_t *match = op - offset;
        if (__builtin_expect(offset >= 16, 1)) {
            copy16(op, match);
            copy16(op + 16, match + 16);
            if (len > 64 && offset < 64) {
                copy16(op + 32, match + 32);
                copy16(op + 48, match + 48);
                copy_near_long(op, offset, offset, len);
            } else if (len > 32) {
                wild_copy16(op + 32, match + 32, len - 32);
            }
        } else {
            copy_near_match(op, offset, len);
        }
        op += len;
    }
    *ip_io = ip;
    *op_io = op;
    return CODEC_OK;
}

/* The fast loops start on a cache line: where the linker happened to put them moved the
 * decode speed by 10-30% from one build to the next (an unrelated function growing was
 * enough), which made every measurement of this file a measurement of its neighbours. */
static __attribute__((aligned(64))) CodecStatus
decode_fast_baseline(const uint8_t **ip, const uint8_t *iend, const uint8_t *history,
                     uint8_t **op, uint8_t *oend)
{
    return decode_fast_body(ip, iend, history, op, oend, false);
}

#if LZ4_DECODE_X86
static __attribute__((target("avx2"), aligned(64))) CodecStatus
decode_fast_avx2(const uint8_t **ip, const uint8_t *iend, const uint8_t *history, uint8_t **op,
                 uint8_t *oend)
{
    return decode_fast_body(ip, iend, history, op, oend, true);
}
#endif

/* Decodes the block @src[0..@src_size) to @dst (up to @oend; matches reach back to
 * @history), its output size in *@out_written. @wide: the AVX2 loop. */
static CodecStatus decode_block(const uint8_t *src, size_t src_size, const uint8_t *history,
                                uint8_t *dst, uint8_t *oend, bool wide, size_t *out_written)
{
    const uint8_t *ip = src;
    uint8_t *op = dst;
#if LZ4_DECODE_X86
    CodecStatus status = wide ? decode_fast_avx2(&ip, src + src_size, history, &op, oend)
                              : decode_fast_baseline(&ip, src + src_size, history, &op, oend);
#else
    (void)wide;
    CodecStatus status = decode_fast_baseline(&ip, src + src_size, history, &op, oend);
#endif
    uint8_t *end;
    if (status == CODEC_OK) {
        status = decode_exact(ip, src + src_size, history, op, oend, &end);
    }
    if (status == CODEC_OK) {
        *out_written = (size_t)(end - dst);
    }
    return status;
}

/* ---- the container ---- */

bool lz4_image_format_supported(PixbufFormat format)
{
    return format == PIXBUF_FORMAT_RGB16 || format == PIXBUF_FORMAT_RGB24 ||
           format == PIXBUF_FORMAT_XRGB32 || format == PIXBUF_FORMAT_ARGB32;
}

CodecStatus lz4_image_read_header(const uint8_t *data, size_t size, Lz4ImageHeader *out)
{
    if (data == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (size < LZ4_IMAGE_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    PixbufFormat format = pixbuf_format_from_spice(data[1]);
    if (data[0] > 1 || !lz4_image_format_supported(format)) {
        return CODEC_ERR_BAD_HEADER;
    }
    out->top_down = data[0] == 1;
    out->format = format;
    return CODEC_OK;
}

/* True when a stream of @stream can be written into a buffer of @dst as is. */
static bool formats_compatible(PixbufFormat stream, PixbufFormat dst)
{
    bool stream32 = stream == PIXBUF_FORMAT_XRGB32 || stream == PIXBUF_FORMAT_ARGB32;
    bool dst32 = dst == PIXBUF_FORMAT_XRGB32 || dst == PIXBUF_FORMAT_ARGB32;
    return stream == dst || (stream32 && dst32);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes the blocks after the header into the @total-byte array @plain. */
static CodecStatus decode_blocks(const uint8_t *data, size_t size, uint8_t *plain, size_t total)
{
#if LZ4_DECODE_X86
    bool wide = codecs_cpu_has(CODECS_CPU_AVX2);
#else
    bool wide = false;
#endif
    size_t pos = LZ4_IMAGE_HEADER_SIZE;
    size_t done = 0;
    while (done < total) {
        if (size - pos < 4) {
            return CODEC_ERR_TRUNCATED;
        }
        uint32_t block_size = get_be32(data + pos);
        pos += 4;
        if (block_size > size - pos) {
            return CODEC_ERR_TRUNCATED;
        }
        if (block_size == 0) {
            return CODEC_ERR_CORRUPT;
        }
        /* Every block lands right after the previous one and may copy from any of the
         * output before it. */
        size_t n;
        CodecStatus status = decode_block(data + pos, block_size, plain, plain + done,
                                          plain + total, wide, &n);
        if (status != CODEC_OK || n == 0) {
            return CODEC_ERR_CORRUPT;   /* a bad block, one overflowing the image, or empty */
        }
        done += n;
        pos += block_size;
    }
    return pos == size ? CODEC_OK : CODEC_ERR_TRAILING_DATA;
}

CodecStatus lz4_image_decode(const uint8_t *data, size_t size, Pixbuf *dst,
                             Lz4ImageHeader *out_header)
{
    if (dst == NULL || dst->data == NULL || dst->width == 0 || dst->height == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    Lz4ImageHeader header;
    CodecStatus status = lz4_image_read_header(data, size, &header);
    if (status != CODEC_OK) {
        return status;
    }
    if (!formats_compatible(header.format, dst->format)) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t row_bytes;
    status = pixbuf_row_bytes(dst->format, dst->width, &row_bytes);
    if (status != CODEC_OK) {
        return status;
    }
    /* A constructed Pixbuf keeps stride * height <= PIXBUF_MAX_BYTES, so this cannot wrap. */
    size_t total = row_bytes * dst->height;
    uint8_t *plain = dst->data;
    uint8_t *scratch = NULL;
    if (!pixbuf_is_packed(dst)) {
        scratch = malloc(total);
        if (scratch == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        plain = scratch;
    }
    status = decode_blocks(data, size, plain, total);
    if (status == CODEC_OK && scratch != NULL) {
        for (uint32_t y = 0; y < dst->height; y++) {
            memcpy(pixbuf_row(dst, y), scratch + (size_t)y * row_bytes, row_bytes);
        }
    }
    free(scratch);
    if (status == CODEC_OK && out_header != NULL) {
        *out_header = header;
    }
    return status;
}

CodecStatus lz4_image_decode_new(const uint8_t *data, size_t size, uint32_t width,
                                 uint32_t height, uint64_t max_pixels, Pixbuf *out,
                                 Lz4ImageHeader *out_header)
{
    if (out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    Lz4ImageHeader header;
    CodecStatus status = lz4_image_read_header(data, size, &header);
    if (status != CODEC_OK) {
        return status;
    }
    if (width == 0 || height == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if ((uint64_t)width * height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    size_t row_bytes;
    status = pixbuf_row_bytes(header.format, width, &row_bytes);
    if (status != CODEC_OK) {
        return status;
    }
    if (height > PIXBUF_MAX_DIMENSION || row_bytes > PIXBUF_MAX_BYTES / height) {
        return CODEC_ERR_TOO_LARGE;
    }
    /* Not zero-filled: a successful decode writes every byte (the blocks must fill the
     * image exactly), and on failure the picture is freed unseen. Clearing 4 bytes a pixel
     * first would cost about as much as decoding them. */
    status = pixbuf_alloc_uninit(out, header.format, width, height);
    if (status != CODEC_OK) {
        return status;
    }
    status = lz4_image_decode(data, size, out, out_header);
    if (status != CODEC_OK) {
        pixbuf_free(out);
    }
    return status;
}
