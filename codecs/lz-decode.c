/* lz-decode: bounds-checked SPICE LZ decoder (header parsing, LZSS passes, format conversion). */
#include "codecs/lz.h"

#include <stdlib.h>
#include <string.h>

#include "codecs/lz-format.h"

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

CodecStatus lz_read_header(const uint8_t *data, size_t size, LzHeader *out)
{
    memset(out, 0, sizeof(*out));
    if (data == NULL || size < LZ_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    if (get_be32(data) != LZ_MAGIC || get_be32(data + 4) != LZ_VERSION) {
        return CODEC_ERR_BAD_MAGIC;
    }
    uint32_t type = get_be32(data + 8);
    uint32_t width = get_be32(data + 12);
    uint32_t height = get_be32(data + 16);
    uint32_t stride = get_be32(data + 20);
    uint32_t top_down = get_be32(data + 24);
    if (type <= LZ_IMAGE_TYPE_INVALID || type > LZ_IMAGE_TYPE_A8 || width == 0 || height == 0 ||
        top_down > 1) {
        return CODEC_ERR_BAD_HEADER;
    }
    size_t row_bytes;
    if (width > PIXBUF_MAX_DIMENSION || height > PIXBUF_MAX_DIMENSION ||
        pixbuf_row_bytes(lz_type_row_format((LzImageType)type), width, &row_bytes) != CODEC_OK) {
        return CODEC_ERR_TOO_LARGE;
    }
    /* Upstream refuses any other stride for RGB, and a PLT stride other than the packed one
     * would make rows of padding pixels we have nowhere to put. */
    if (stride != row_bytes) {
        return CODEC_ERR_BAD_HEADER;
    }
    if ((uint64_t)stride * height > PIXBUF_MAX_BYTES) {
        return CODEC_ERR_TOO_LARGE;
    }
    out->type = (LzImageType)type;
    out->width = width;
    out->height = height;
    out->stride = stride;
    out->top_down = top_down == 1;
    return CODEC_OK;
}

/* Input cursor over the body. */
typedef struct LzIn {
    const uint8_t *p;
    const uint8_t *end;
} LzIn;

/*
 * Decodes one pass of exactly @n units into @out (packed units: 1 byte for BYTE, a host u16 for
 * RGB16, 4 bytes B,G,R,X for RGB32, byte 3 of 4 for ALPHA), the first @op already produced.
 * Stops once @n units are produced. Checks every byte it reads and writes; the fast loops
 * below hand it the last few tokens of a pass.
 */
static inline __attribute__((always_inline)) CodecStatus
decode_pass(LzIn *in, uint8_t *out, size_t n, size_t op, LzUnit unit)
{
    const uint8_t *ip = in->p;
    const uint8_t *const end = in->end;
    const size_t bias = lz_unit_length_bias(unit);

    while (op < n) {
        if (ip >= end) {
            return CODEC_ERR_TRUNCATED;
        }
        size_t ctrl = *ip++;
        if (ctrl < LZ_MAX_LITERAL_RUN) {
            size_t count = ctrl + 1;
            if (count > n - op) {
                return CODEC_ERR_CORRUPT;
            }
            size_t lit = unit == LZ_UNIT_RGB32 ? 3 : unit == LZ_UNIT_RGB16 ? 2 : 1;
            if ((size_t)(end - ip) < count * lit) {
                return CODEC_ERR_TRUNCATED;
            }
            switch (unit) {
            case LZ_UNIT_BYTE:
                memcpy(out + op, ip, count);
                ip += count;
                break;
            case LZ_UNIT_RGB16:
                for (size_t i = 0; i < count; i++, ip += 2) {
                    unaligned_store_u16(out + 2 * (op + i), (uint16_t)(ip[0] << 8 | ip[1]));
                }
                break;
            case LZ_UNIT_RGB32:
                if ((size_t)(end - ip) > count * 3) {
                    /* One spare input byte: every pixel is one 4-byte load and one store. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                    const uint32_t keep_bgr = 0xFFFFFF00u;   /* memory bytes 0-2 */
#else
                    const uint32_t keep_bgr = 0x00FFFFFFu;
#endif
                    for (size_t i = 0; i < count; i++, ip += 3) {
                        unaligned_store_u32(out + 4 * (op + i), unaligned_load_u32(ip) & keep_bgr);
                    }
                    break;
                }
                for (size_t i = 0; i < count; i++, ip += 3) {
                    uint8_t *px = out + 4 * (op + i);
                    px[0] = ip[0];
                    px[1] = ip[1];
                    px[2] = ip[2];
                    px[3] = 0;
                }
                break;
            case LZ_UNIT_ALPHA:
                for (size_t i = 0; i < count; i++) {
                    out[4 * (op + i) + 3] = *ip++;
                }
                break;
            }
            op += count;
            continue;
        }

        size_t len = ctrl >> 5;
        size_t offset = (ctrl & 31) << 8;
        if (len == 7) {
            uint8_t more;
            do {
                if (ip >= end) {
                    return CODEC_ERR_TRUNCATED;
                }
                more = *ip++;
                len += more;
            } while (more == 255);
        }
        if (ip >= end) {
            return CODEC_ERR_TRUNCATED;
        }
        uint8_t low = *ip++;
        offset += low;
        if (low == 255 && offset == LZ_NEAR_OFFSET_LIMIT) {
            if (end - ip < 2) {
                return CODEC_ERR_TRUNCATED;
            }
            offset = LZ_NEAR_OFFSET_LIMIT + ((size_t)ip[0] << 8 | ip[1]);
            ip += 2;
        }
        len += bias;
        size_t dist = offset + 1;
        if (dist > op) {
            return CODEC_ERR_CORRUPT;   /* reference before the start of the image */
        }
        if (len > n - op) {
            return CODEC_ERR_CORRUPT;   /* match runs past the end of the image */
        }
        size_t ref = op - dist;
        switch (unit) {
        case LZ_UNIT_BYTE:
            if (dist >= len) {
                memcpy(out + op, out + ref, len);
            } else if (dist == 1) {
                memset(out + op, out[ref], len);
            } else {
                for (size_t i = 0; i < len; i++) {
                    out[op + i] = out[ref + i];
                }
            }
            break;
        case LZ_UNIT_RGB16:
            if (dist >= len) {
                memcpy(out + 2 * op, out + 2 * ref, 2 * len);
            } else {
                for (size_t i = 0; i < len; i++) {
                    unaligned_store_u16(out + 2 * (op + i), unaligned_load_u16(out + 2 * (ref + i)));
                }
            }
            break;
        case LZ_UNIT_RGB32:
            if (dist >= len) {
                memcpy(out + 4 * op, out + 4 * ref, 4 * len);
            } else {
                for (size_t i = 0; i < len; i++) {
                    unaligned_store_u32(out + 4 * (op + i), unaligned_load_u32(out + 4 * (ref + i)));
                }
            }
            break;
        case LZ_UNIT_ALPHA:
            for (size_t i = 0; i < len; i++) {
                out[4 * (op + i) + 3] = out[4 * (ref + i) + 3];
            }
            break;
        }
        op += len;
    }
    in->p = ip;
    return CODEC_OK;
}

/* 16 bytes as one value, so copies and fills below are single vector loads and stores on
 * every target GCC and Clang know (SSE2 on x86-64), with no intrinsics to keep portable. */
typedef uint32_t LzVec16 __attribute__((vector_size(16)));

static inline LzVec16 load16(const uint8_t *p)
{
    LzVec16 v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void store16(uint8_t *p, LzVec16 v)
{
    memcpy(p, &v, sizeof(v));
}


/* Two 3-byte literals (B,G,R,B,G,R in the low 6 bytes of @v) as two B,G,R,0 pixels. */
static inline uint64_t widen_two_literals(uint64_t v)
{
    return (v & 0xFFFFFFull) | (v << 8 & 0x00FFFFFF00000000ull);
}

/*
 * The fast loop of an RGB32 pass needs this many input bytes left at the start of a token: a
 * control byte, 32 literals of 3 bytes, and the 2 bytes that the last 8-byte literal load
 * reads beyond them. A match token reads at most its first 4 bytes unchecked (control, one
 * length byte, the offset) and checks the rest (long length chains, far offsets).
 */
#define RGB32_FAST_IN 100u
/* ... and this many output units: a whole literal run (literals are written 4 at a time, so a
 * run may write up to 3 units past its end, never past 32) or the 4-unit stores of a short
 * match. Longer matches check their own overshoot. */
#define RGB32_FAST_OUT 36u

/*
 * Decodes RGB32 tokens while both margins hold, writing whole 16-byte groups (up to 3 units
 * past the token's end, which the next tokens overwrite: nothing reads output at or after the
 * write position). Every length and distance from the stream is still checked; only the
 * checks that the margins make true are gone. Returns the units produced; decode_pass does the
 * rest with its exact checks.
 */
static size_t decode_rgb32_fast(LzIn *in, uint8_t *out, size_t n, CodecStatus *st)
{
    const uint8_t *ip = in->p;
    const uint8_t *const end = in->end;
    size_t op = 0;
    *st = CODEC_OK;
    if ((size_t)(end - ip) < RGB32_FAST_IN || n < RGB32_FAST_OUT) {
        return 0;
    }
    const uint8_t *const ip_limit = end - RGB32_FAST_IN;
    const size_t op_limit = n - RGB32_FAST_OUT;

    while (ip <= ip_limit && op <= op_limit) {
        size_t ctrl = *ip++;
        uint8_t *d = out + 4 * op;
        if (ctrl < LZ_MAX_LITERAL_RUN) {
            /* Four literals (12 bytes) per step, as two 8-byte loads of 6 bytes each. */
            size_t count = ctrl + 1;
            const uint8_t *s = ip;
            unaligned_store_u64(d, widen_two_literals(unaligned_load_u64(s)));
            unaligned_store_u64(d + 8, widen_two_literals(unaligned_load_u64(s + 6)));
            for (size_t i = 4; i < count; i += 4) {
                s += 12;
                d += 16;
                unaligned_store_u64(d, widen_two_literals(unaligned_load_u64(s)));
                unaligned_store_u64(d + 8, widen_two_literals(unaligned_load_u64(s + 6)));
            }
            ip += 3 * count;
            op += count;
            continue;
        }

        size_t len = ctrl >> 5;
        size_t offset = (ctrl & 31) << 8;
        if (len == 7) {
            uint8_t more = *ip++;   /* within the margin */
            len += more;
            while (more == 255) {
                if (ip >= end) {
                    *st = CODEC_ERR_TRUNCATED;
                    return op;
                }
                more = *ip++;
                len += more;
            }
            if (ip >= end) {
                *st = CODEC_ERR_TRUNCATED;
                return op;
            }
        }
        uint8_t low = *ip++;
        offset += low;
        if (low == 255 && offset == LZ_NEAR_OFFSET_LIMIT) {
            if (end - ip < 2) {
                *st = CODEC_ERR_TRUNCATED;
                return op;
            }
            offset = LZ_NEAR_OFFSET_LIMIT + ((size_t)ip[0] << 8 | ip[1]);
            ip += 2;
        }
        size_t dist = offset + 1;   /* RGB32 lengths have no bias */
        if (dist > op) {
            *st = CODEC_ERR_CORRUPT;   /* reference before the start of the image */
            return op;
        }
        if (len > n - op - 3) {
            /* Ends in the last 3 units of the image (or past it): exact copy, or the error. */
            if (len > n - op) {
                *st = CODEC_ERR_CORRUPT;
                return op;
            }
            for (size_t i = 0; i < len; i++) {
                unaligned_store_u32(d + 4 * i, unaligned_load_u32(d + 4 * i - 4 * dist));
            }
            op += len;
            continue;
        }
        /* From here 16-byte groups may write up to 3 units past the match: within the image. */
        const uint8_t *s = d - 4 * dist;
        uint8_t *const stop = d + 4 * len;
        if (dist >= 8 && len <= 8) {
            /* The usual short match of noisy pictures: 8 units in two stores, no loop (the
             * margin has room for them; they read only units before the match). */
            store16(d, load16(s));
            store16(d + 16, load16(s + 16));
        } else if (dist >= 4) {
            /* Each group reads units at least 4 behind the ones it writes: already final. */
            do {
                store16(d, load16(s));
                d += 16;
                s += 16;
            } while (d < stop);
        } else if (dist != 3) {
            /* Distance 1 or 2: a repeating pattern of 1 or 2 units, as one 16-byte value. */
            uint32_t a = unaligned_load_u32(s);
            uint32_t b = dist == 1 ? a : unaligned_load_u32(s + 4);
            LzVec16 pattern = { a, b, a, b };
            do {
                store16(d, pattern);
                d += 16;
            } while (d < stop);
        } else {
            for (size_t i = 0; i < len; i++) {
                unaligned_store_u32(d + 4 * i, unaligned_load_u32(s + 4 * i));
            }
        }
        op += len;
    }
    in->p = ip;
    return op;
}

static CodecStatus decode_pass_byte(LzIn *in, uint8_t *out, size_t n)
{
    return decode_pass(in, out, n, 0, LZ_UNIT_BYTE);
}

static CodecStatus decode_pass_rgb16(LzIn *in, uint8_t *out, size_t n)
{
    return decode_pass(in, out, n, 0, LZ_UNIT_RGB16);
}

static CodecStatus decode_pass_rgb32(LzIn *in, uint8_t *out, size_t n)
{
    CodecStatus st;
    size_t op = decode_rgb32_fast(in, out, n, &st);
    if (st != CODEC_OK) {
        return st;
    }
    return decode_pass(in, out, n, op, LZ_UNIT_RGB32);
}

static CodecStatus decode_pass_alpha(LzIn *in, uint8_t *out, size_t n)
{
    return decode_pass(in, out, n, 0, LZ_UNIT_ALPHA);
}

static inline uint32_t expand5(uint32_t v)
{
    return v << 3 | v >> 2;
}

/* Palette index of pixel @x in a PLT row. */
static inline uint32_t palette_index(const uint8_t *row, uint32_t x, LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_PLT1_LE: return (row[x >> 3] >> (x & 7)) & 1;
    case LZ_IMAGE_TYPE_PLT1_BE: return (row[x >> 3] >> (7 - (x & 7))) & 1;
    case LZ_IMAGE_TYPE_PLT4_LE: return (x & 1) ? row[x >> 1] >> 4 : row[x >> 1] & 0x0F;
    case LZ_IMAGE_TYPE_PLT4_BE: return (x & 1) ? row[x >> 1] & 0x0F : row[x >> 1] >> 4;
    default: return row[x];
    }
}

static CodecStatus expand_palette(const uint8_t *rows, const LzHeader *h, const LzPalette *pal,
                                  Pixbuf *dst)
{
    if (pal == NULL || pal->ents == NULL || pal->num_ents == 0) {
        return CODEC_ERR_BAD_PALETTE;
    }
    for (uint32_t y = 0; y < h->height; y++) {
        const uint8_t *row = rows + (size_t)h->stride * y;
        uint8_t *px = pixbuf_row(dst, y);
        for (uint32_t x = 0; x < h->width; x++, px += 4) {
            uint32_t idx = palette_index(row, x, h->type);
            if (idx >= pal->num_ents) {
                return CODEC_ERR_BAD_PALETTE;
            }
            unaligned_store_u32(px, pal->ents[idx] & 0x00FFFFFFu);
        }
    }
    return CODEC_OK;
}

/* Copies packed rows of @row_bytes into @dst (whose stride may be larger). */
static void copy_rows(const uint8_t *src, size_t row_bytes, Pixbuf *dst)
{
    for (uint32_t y = 0; y < dst->height; y++) {
        memcpy(pixbuf_row(dst, y), src + row_bytes * y, row_bytes);
    }
}

static bool dst_fits(LzImageType type, PixbufFormat f)
{
    switch (type) {
    case LZ_IMAGE_TYPE_PLT1_LE:
    case LZ_IMAGE_TYPE_PLT1_BE:
    case LZ_IMAGE_TYPE_PLT4_LE:
    case LZ_IMAGE_TYPE_PLT4_BE:
    case LZ_IMAGE_TYPE_PLT8:
        return f == lz_type_row_format(type) || f == PIXBUF_FORMAT_XRGB32;
    case LZ_IMAGE_TYPE_RGB16:
        return f == PIXBUF_FORMAT_RGB16 || f == PIXBUF_FORMAT_XRGB32;
    case LZ_IMAGE_TYPE_RGB24:
        return f == PIXBUF_FORMAT_RGB24 || f == PIXBUF_FORMAT_XRGB32;
    case LZ_IMAGE_TYPE_RGB32:
        return f == PIXBUF_FORMAT_XRGB32 || f == PIXBUF_FORMAT_ARGB32;
    case LZ_IMAGE_TYPE_RGBA:
    case LZ_IMAGE_TYPE_XXXA:
        return f == PIXBUF_FORMAT_ARGB32;
    case LZ_IMAGE_TYPE_A8:
        return f == PIXBUF_FORMAT_A8;
    case LZ_IMAGE_TYPE_INVALID:
        break;
    }
    return false;
}

/* Body decoding once header and destination are known to agree. */
static CodecStatus decode_body(LzIn *in, const LzHeader *h, const LzPalette *palette,
                               Pixbuf *dst)
{
    size_t pixels = (size_t)h->width * h->height;
    CodecStatus st;

    if (lz_type_is_palette(h->type) || h->type == LZ_IMAGE_TYPE_A8) {
        size_t bytes = (size_t)h->stride * h->height;
        bool direct = dst->format != PIXBUF_FORMAT_XRGB32 && pixbuf_is_packed(dst);
        uint8_t *rows = direct ? dst->data : malloc(bytes);
        if (rows == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        st = decode_pass_byte(in, rows, bytes);
        if (st == CODEC_OK && !direct) {
            if (dst->format == PIXBUF_FORMAT_XRGB32) {
                st = expand_palette(rows, h, palette, dst);
            } else {
                copy_rows(rows, h->stride, dst);
            }
        }
        if (!direct) {
            free(rows);
        }
        return st;
    }

    if (h->type == LZ_IMAGE_TYPE_RGB16) {
        bool direct = dst->format == PIXBUF_FORMAT_RGB16 && pixbuf_is_packed(dst);
        uint8_t *units = direct ? dst->data : malloc(pixels * 2);
        if (units == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        st = decode_pass_rgb16(in, units, pixels);
        if (st == CODEC_OK && !direct) {
            if (dst->format == PIXBUF_FORMAT_RGB16) {
                copy_rows(units, (size_t)h->width * 2, dst);
            } else {
                for (uint32_t y = 0; y < h->height; y++) {
                    const uint8_t *src = units + (size_t)h->width * 2 * y;
                    uint8_t *px = pixbuf_row(dst, y);
                    for (uint32_t x = 0; x < h->width; x++, px += 4) {
                        uint32_t v = unaligned_load_u16(src + 2 * x);
                        uint32_t r = expand5(v >> 10 & 31), g = expand5(v >> 5 & 31);
                        uint32_t b = expand5(v & 31);
                        unaligned_store_u32(px, r << 16 | g << 8 | b);
                    }
                }
            }
        }
        if (!direct) {
            free(units);
        }
        return st;
    }

    /* RGB24, RGB32, RGBA, XXXA: 4-byte units. The scratch units need no zeroing: a successful
     * RGB pass writes all 4 bytes of every unit (literals B,G,R,0; matches copy whole units from
     * before the write position, see decode_rgb32_fast), and for XXXA only byte 3 is read back.
     * On error nothing is read back (tests/unit/test-decode-uninit.c). */
    bool direct = dst->format != PIXBUF_FORMAT_RGB24 && pixbuf_is_packed(dst);
    uint8_t *units = direct ? dst->data : malloc(pixels * 4);
    if (units == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    if (h->type == LZ_IMAGE_TYPE_XXXA) {
        st = decode_pass_alpha(in, units, pixels);
    } else {
        st = decode_pass_rgb32(in, units, pixels);
        if (st == CODEC_OK && h->type == LZ_IMAGE_TYPE_RGBA) {
            st = decode_pass_alpha(in, units, pixels);
        }
    }
    if (st == CODEC_OK && !direct) {
        for (uint32_t y = 0; y < h->height; y++) {
            const uint8_t *src = units + (size_t)h->width * 4 * y;
            uint8_t *px = pixbuf_row(dst, y);
            if (dst->format == PIXBUF_FORMAT_RGB24) {
                for (uint32_t x = 0; x < h->width; x++, px += 3, src += 4) {
                    px[0] = src[0];
                    px[1] = src[1];
                    px[2] = src[2];
                }
            } else if (h->type == LZ_IMAGE_TYPE_XXXA) {
                /* Only alpha is ours to write: the colour came from elsewhere (JPEG). */
                for (uint32_t x = 0; x < h->width; x++) {
                    px[4 * x + 3] = src[4 * x + 3];
                }
            } else {
                memcpy(px, src, (size_t)h->width * 4);
            }
        }
    }
    if (!direct) {
        free(units);
    }
    return st;
}

CodecStatus lz_decode(const uint8_t *data, size_t size, const LzPalette *palette, Pixbuf *dst,
                      LzHeader *out_header)
{
    LzHeader h;
    CodecStatus st = lz_read_header(data, size, &h);
    if (out_header != NULL) {
        *out_header = h;
    }
    if (st != CODEC_OK) {
        return st;
    }
    if (dst == NULL || dst->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (dst->width != h.width || dst->height != h.height) {
        return CODEC_ERR_BAD_HEADER;
    }
    if (!dst_fits(h.type, dst->format)) {
        return CODEC_ERR_UNSUPPORTED;
    }
    LzIn in = { data + LZ_HEADER_SIZE, data + size };
    st = decode_body(&in, &h, palette, dst);
    if (st == CODEC_OK && in.p != in.end) {
        st = CODEC_ERR_TRAILING_DATA;
    }
    return st;
}

CodecStatus lz_decode_new(const uint8_t *data, size_t size, const LzPalette *palette,
                          PixbufFormat format, uint64_t max_pixels, Pixbuf *out,
                          LzHeader *out_header)
{
    LzHeader h;
    memset(out, 0, sizeof(*out));
    CodecStatus st = lz_read_header(data, size, &h);
    if (out_header != NULL) {
        *out_header = h;
    }
    if (st != CODEC_OK) {
        return st;
    }
    if (h.type == LZ_IMAGE_TYPE_XXXA) {
        return CODEC_ERR_UNSUPPORTED;
    }
    if ((uint64_t)h.width * h.height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    if (!dst_fits(h.type, format)) {
        return CODEC_ERR_UNSUPPORTED;   /* before allocating anything */
    }
    /* Not zero-filled: @out is packed (no row padding) and a successful decode writes every
     * byte of it (every unit of each pass; PLT rows and their padding bits come whole from the
     * stream; 32-bit pixels get their 4th byte), XXXA, the one type that writes less, is refused
     * above, and on error @out is freed before anyone sees it. tests/unit/test-decode-uninit.c
     * checks this for every stream type and output format on poisoned memory. */
    st = pixbuf_alloc_uninit(out, format, h.width, h.height);
    if (st == CODEC_OK) {
        st = lz_decode(data, size, palette, out, NULL);
    }
    if (st != CODEC_OK) {
        pixbuf_free(out);
    }
    return st;
}
