/* fuzz-codec-roundtrip: every encoder then its decoder on fuzz-built images; any pixel that differs aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/quic.h"

/*
 * The decoder targets only see streams a mutator made; this one sees the streams our encoders
 * make from images the fuzzer shapes, which is where a fast path (long runs, matches reaching
 * back into earlier rows or earlier GLZ images, block edges) goes wrong without any hostile
 * byte. Input layout (seeds in corpus/codec-roundtrip/):
 *   bytes 0-1: width - 1 (LE, mod 300); byte 2: height - 1 (mod 200);
 *   byte 3: flags (FLAG_*); byte 4: height of the second GLZ image - 1 (mod 200);
 *   byte 5: rows of scroll between the GLZ images; byte 6: LZ4 rows per block (0: default);
 *   then a little pixel program (op_* below) that also makes runs and copies, repeated
 *   cyclically when it ends before the image does.
 * Each check aborts with a message naming the codec and the pixel, so a crash file says which.
 */

#define MAX_WIDTH 300u
#define MAX_HEIGHT 200u
#define PARAM_BYTES 7u
#define PAD_FILL 0xA5

enum {
    FLAG_PAD_SOURCE = 1u << 0,   /* sources get row padding (stride > row bytes) */
    FLAG_PAD_DEST = 1u << 1,     /* destinations too, and the padding must stay untouched */
    FLAG_EXTRA_FORMATS = 1u << 2, /* also RGB24, RGB16, A8, PLT8 and XXXA where a codec has them */
    FLAG_TIGHT_OUTPUT = 1u << 3, /* re-encode into buffers smaller than the stream */
    FLAG_TOP_DOWN = 1u << 4,
    FLAG_GLZ_SMALL_WINDOW = 1u << 5, /* the dictionary only holds the largest image */
    FLAG_GLZ_SECOND_RGBA = 1u << 6,  /* second GLZ image is RGBA (first is RGB32) or vice versa */
    FLAG_GLZ_FIRST_RGBA = 1u << 7,
};

static void fail(const char *what, const char *detail, long x, long y)
{
    fprintf(stderr, "fuzz-codec-roundtrip: %s: %s (x %ld, y %ld)\n", what, detail, x, y);
    abort();
}

/* ---- building the image ---- */

/*
 * A pixel program: ops of one byte (low 2 bits the kind) and their operands. Literal pixels,
 * runs of the last pixel, copies of earlier pixels (matches for the LZ family), and ramps
 * (small steps, which QUIC's model and LZ's near-matches both care about).
 */
static uint8_t next_byte(const uint8_t *prog, size_t prog_size, size_t *pc)
{
    return prog[(*pc)++ % prog_size];
}

static void generate(const uint8_t *prog, size_t prog_size, uint32_t *px, size_t count)
{
    size_t n = 0, pc = 0;
    uint32_t last = 0xFF000000u;
    if (prog_size == 0) {
        for (size_t i = 0; i < count; i++) {
            px[i] = 0xFF000000u | (uint32_t)(i * 0x010203u);
        }
        return;
    }
/* a function, not a macro: several reads in one expression must happen in order */
#define NEXT() next_byte(prog, prog_size, &pc)
    while (n < count) {
        uint8_t op = NEXT();
        size_t len = (size_t)(op >> 2) + 1;
        switch (op & 3) {
        case 0: /* literal */
            last = 0;
            for (int i = 0; i < 4; i++) {
                last |= (uint32_t)NEXT() << (8 * i);
            }
            px[n++] = last;
            break;
        case 1: /* run of the last pixel: op>>2 scaled so long runs are cheap to reach */
            len = len * len;
            for (size_t i = 0; i < len && n < count; i++) {
                px[n++] = last;
            }
            break;
        case 2: { /* copy from earlier (possibly overlapping, like LZ matches) */
            size_t dist = NEXT();
            dist = (dist | (size_t)NEXT() << 8) % (n + 1) + 1;
            len = len * 4;
            for (size_t i = 0; i < len && n < count; i++) {
                last = n >= dist ? px[n - dist] : last;
                px[n++] = last;
            }
            break;
        }
        default: { /* ramp: add a per-channel step to each pixel */
            uint32_t step = (uint32_t)NEXT() * 0x01010101u & 0x03030303u;
            for (size_t i = 0; i < len && n < count; i++) {
                last += step;
                px[n++] = last;
            }
            break;
        }
        }
        if (pc > prog_size * 64 + 4096) {
            break; /* a program of only zero-length effects: finish with a fill */
        }
    }
#undef NEXT
    for (; n < count; n++) {
        px[n] = last ^ (uint32_t)n;
    }
}

/* Bytes of one pixel of @format as it sits in memory (formats used here are whole bytes). */
static void put_pixel(PixbufFormat format, uint8_t *p, uint32_t v)
{
    switch (format) {
    case PIXBUF_FORMAT_XRGB32:
    case PIXBUF_FORMAT_ARGB32:
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
        break;
    case PIXBUF_FORMAT_RGB24:
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16);
        break;
    case PIXBUF_FORMAT_RGB16: {
        uint16_t c = (uint16_t)(((v >> 19) & 0x1F) << 10 | ((v >> 11) & 0x1F) << 5 |
                                ((v >> 3) & 0x1F) | (v >> 16 & 0x8000));
        memcpy(p, &c, 2);
        break;
    }
    default: /* A8, PLT8 */
        p[0] = (uint8_t)(v >> 24);
        break;
    }
}

typedef struct Image {
    Pixbuf pb;
    uint8_t *mem;
    size_t mem_size;
    size_t pad;
} Image;

/* A view over a malloc'd buffer of exactly the bytes it needs (so ASan sees any overrun),
 * rows padded by @pad bytes of PAD_FILL. */
static void image_new(Image *img, PixbufFormat format, uint32_t w, uint32_t h, size_t pad)
{
    size_t row;
    if (pixbuf_row_bytes(format, w, &row) != CODEC_OK) {
        fail("setup", "row bytes", w, h);
    }
    img->pad = pad;
    img->mem_size = (row + pad) * h - pad;
    img->mem = malloc(img->mem_size);
    if (img->mem == NULL) {
        fail("setup", "out of memory", w, h);
    }
    memset(img->mem, PAD_FILL, img->mem_size);
    if (pixbuf_init_view(&img->pb, format, w, h, row + pad, img->mem, img->mem_size) != CODEC_OK) {
        fail("setup", "pixbuf_init_view", w, h);
    }
}

static void image_fill(Image *img, const uint32_t *px)
{
    unsigned bytes = pixbuf_format_bpp(img->pb.format) / 8;
    for (uint32_t y = 0; y < img->pb.height; y++) {
        uint8_t *row = pixbuf_row(&img->pb, y);
        for (uint32_t x = 0; x < img->pb.width; x++) {
            put_pixel(img->pb.format, row + (size_t)x * bytes, px[(size_t)y * img->pb.width + x]);
        }
    }
}

static void image_free(Image *img)
{
    free(img->mem);
    memset(img, 0, sizeof(*img));
}

/* ---- checks ---- */

/* Which bytes of a pixel must come back: all, or the colour only (XRGB32's X is not coded). */
typedef enum Compare { CMP_ALL, CMP_COLOUR, CMP_RGB16 } Compare;

static void check_same(const char *what, const Pixbuf *src, const Pixbuf *dst, Compare cmp)
{
    unsigned bytes = pixbuf_format_bpp(dst->format) / 8;
    for (uint32_t y = 0; y < dst->height; y++) {
        const uint8_t *a = pixbuf_row(src, y), *b = pixbuf_row(dst, y);
        for (uint32_t x = 0; x < dst->width; x++) {
            const uint8_t *pa = a + (size_t)x * bytes, *pb = b + (size_t)x * bytes;
            bool same;
            if (cmp == CMP_COLOUR) {
                same = memcmp(pa, pb, 3) == 0;
            } else if (cmp == CMP_RGB16) {
                same = ((pa[0] | pa[1] << 8) & 0x7FFF) == ((pb[0] | pb[1] << 8) & 0x7FFF);
            } else {
                same = memcmp(pa, pb, bytes) == 0;
            }
            if (!same) {
                fail(what, "decoded pixel differs from the source", x, y);
            }
        }
    }
}

/* Decoders may write the pixels only: the padding between rows must still be PAD_FILL. */
static void check_padding(const char *what, const Image *img)
{
    size_t row = img->pb.stride - img->pad;
    for (uint32_t y = 0; y + 1 < img->pb.height; y++) {
        const uint8_t *p = pixbuf_row(&img->pb, y) + row;
        for (size_t i = 0; i < img->pad; i++) {
            if (p[i] != PAD_FILL) {
                fail(what, "decoder wrote into the row padding", (long)(row + i), y);
            }
        }
    }
}

/*
 * Encoders must honour their capacity: into buffers smaller than the stream (one byte less,
 * half) they say CODEC_ERR_NO_SPACE, never write past the end (the buffers are malloc'd to the
 * byte, so that is an ASan report). An exactly sized buffer need not fit: every encoder here
 * reserves a token's or a row's worst case before writing it, by design.
 */
typedef CodecStatus (*EncodeFn)(const void *ctx, uint8_t *out, size_t capacity, size_t *size);

static void check_tight(const char *what, EncodeFn fn, const void *ctx, size_t size)
{
    size_t shorter[2] = { size - 1, size / 2 }, again = 0;
    for (int i = 0; i < 2; i++) {
        uint8_t *short_buf = malloc(shorter[i] ? shorter[i] : 1);
        if (short_buf == NULL) {
            fail(what, "out of memory", 0, 0);
        }
        CodecStatus st = fn(ctx, short_buf, shorter[i], &again);
        if (st != CODEC_ERR_NO_SPACE && (st != CODEC_OK || again > shorter[i])) {
            fail(what, "encode into a smaller buffer did not say NO_SPACE", (long)shorter[i], st);
        }
        free(short_buf);
    }
}

typedef struct Params {
    uint32_t width, height;
    uint8_t flags;
    uint32_t glz_height2, glz_scroll, lz4_rows;
    size_t src_pad, dst_pad;
} Params;

/* ---- QUIC ---- */

typedef struct QuicCtx {
    const Pixbuf *src;
    QuicImageType type;
} QuicCtx;

static CodecStatus quic_encode_fn(const void *ctx, uint8_t *out, size_t capacity, size_t *size)
{
    const QuicCtx *q = ctx;
    return quic_encode(q->src, q->type, out, capacity, size);
}

static void round_trip_quic(const Params *p, const uint32_t *px, PixbufFormat src_format,
                            QuicImageType type, PixbufFormat dst_format, Compare cmp)
{
    Image src, dst;
    image_new(&src, src_format, p->width, p->height, p->src_pad);
    image_fill(&src, px);
    size_t bound = quic_encode_bound(type, p->width, p->height), size;
    uint8_t *stream = malloc(bound);
    if (stream == NULL || quic_encode(&src.pb, type, stream, bound, &size) != CODEC_OK) {
        fail("quic encode", "failed within the bound", type, src_format);
    }
    if (p->flags & FLAG_TIGHT_OUTPUT) {
        QuicCtx ctx = { &src.pb, type };
        check_tight("quic encode", quic_encode_fn, &ctx, size);
    }
    image_new(&dst, dst_format, p->width, p->height, p->dst_pad);
    QuicHeader h;
    CodecStatus st = quic_decode(stream, size, &dst.pb, &h);
    if (st != CODEC_OK) {
        fail("quic decode", codec_status_to_str(st), type, dst_format);
    }
    check_same("quic", &src.pb, &dst.pb, cmp);
    check_padding("quic", &dst);
    image_free(&dst);
    image_free(&src);
    free(stream);
}

/* ---- LZ ---- */

typedef struct LzCtx {
    const Pixbuf *src;
    LzImageType type;
    bool top_down;
} LzCtx;

static CodecStatus lz_encode_fn(const void *ctx, uint8_t *out, size_t capacity, size_t *size)
{
    const LzCtx *l = ctx;
    return lz_encode(l->src, l->type, l->top_down, out, capacity, size);
}

static void round_trip_lz(const Params *p, const uint32_t *px, PixbufFormat src_format,
                          LzImageType type, PixbufFormat dst_format, Compare cmp)
{
    Image src, dst;
    bool top_down = (p->flags & FLAG_TOP_DOWN) != 0;
    image_new(&src, src_format, p->width, p->height, p->src_pad);
    image_fill(&src, px);
    size_t bound = lz_encode_bound(type, p->width, p->height), size;
    uint8_t *stream = malloc(bound);
    if (stream == NULL || lz_encode(&src.pb, type, top_down, stream, bound, &size) != CODEC_OK) {
        fail("lz encode", "failed within the bound", type, src_format);
    }
    if (p->flags & FLAG_TIGHT_OUTPUT) {
        LzCtx ctx = { &src.pb, type, top_down };
        check_tight("lz encode", lz_encode_fn, &ctx, size);
    }
    image_new(&dst, dst_format, p->width, p->height, p->dst_pad);
    if (type == LZ_IMAGE_TYPE_XXXA) {
        /* XXXA writes alpha only: put the colour in place first, as JPEG_ALPHA does. */
        uint32_t *colour_only = malloc((size_t)p->width * p->height * sizeof(uint32_t));
        if (colour_only == NULL) {
            fail("lz", "out of memory", 0, 0);
        }
        for (size_t i = 0; i < (size_t)p->width * p->height; i++) {
            colour_only[i] = px[i] & 0xFFFFFFu;
        }
        image_fill(&dst, colour_only);
        free(colour_only);
    }
    LzHeader h;
    CodecStatus st = lz_decode(stream, size, NULL, &dst.pb, &h);
    if (st != CODEC_OK) {
        fail("lz decode", codec_status_to_str(st), type, dst_format);
    }
    if (h.top_down != top_down || h.width != p->width || h.height != p->height) {
        fail("lz decode", "header differs from what was encoded", type, dst_format);
    }
    check_same("lz", &src.pb, &dst.pb, cmp);
    check_padding("lz", &dst);
    image_free(&dst);
    image_free(&src);
    free(stream);
}

/* ---- LZ4 ---- */

typedef struct Lz4Ctx {
    const Pixbuf *src;
    bool top_down;
    uint32_t rows;
} Lz4Ctx;

static CodecStatus lz4_encode_fn(const void *ctx, uint8_t *out, size_t capacity, size_t *size)
{
    const Lz4Ctx *l = ctx;
    return lz4_image_encode(l->src, l->top_down, l->rows, out, capacity, size);
}

/* @fourth_byte >= 0: every 32-bit pixel's 4th byte set to it, as guests draw XRGB32. The
 * encoder gives 32-bit pictures whose 4th byte changes from pixel to pixel to liblz4 and the
 * others to our pixel writer: the program's pixels may go either way, these go to ours. */
static void round_trip_lz4(const Params *p, const uint32_t *px, PixbufFormat format,
                           int fourth_byte)
{
    Image src, dst;
    bool top_down = (p->flags & FLAG_TOP_DOWN) != 0;
    image_new(&src, format, p->width, p->height, p->src_pad);
    image_fill(&src, px);
    for (uint32_t y = 0; fourth_byte >= 0 && y < p->height; y++) {
        for (uint32_t x = 0; x < p->width; x++) {
            pixbuf_row(&src.pb, y)[4 * (size_t)x + 3] = (uint8_t)fourth_byte;
        }
    }
    size_t bound = lz4_image_encode_bound(format, p->width, p->height, p->lz4_rows), size;
    uint8_t *stream = malloc(bound);
    if (stream == NULL ||
        lz4_image_encode(&src.pb, top_down, p->lz4_rows, stream, bound, &size) != CODEC_OK) {
        fail("lz4 encode", "failed within the bound", (long)p->lz4_rows, format);
    }
    if (p->flags & FLAG_TIGHT_OUTPUT) {
        Lz4Ctx ctx = { &src.pb, top_down, p->lz4_rows };
        check_tight("lz4 encode", lz4_encode_fn, &ctx, size);
    }
    image_new(&dst, format, p->width, p->height, p->dst_pad);
    Lz4ImageHeader h;
    CodecStatus st = lz4_image_decode(stream, size, &dst.pb, &h);
    if (st != CODEC_OK) {
        fail("lz4 decode", codec_status_to_str(st), (long)p->lz4_rows, format);
    }
    if (h.top_down != top_down) {
        fail("lz4 decode", "top_down differs", 0, 0);
    }
    /* LZ4 carries the 4th byte of XRGB32 verbatim. */
    check_same("lz4", &src.pb, &dst.pb, format == PIXBUF_FORMAT_RGB16 ? CMP_RGB16 : CMP_ALL);
    check_padding("lz4", &dst);
    image_free(&dst);
    image_free(&src);
    free(stream);
}

/* ---- GLZ: three images through one dictionary and one window ---- */

/*
 * Image 0 from the program, image 1 the same pixels scrolled by some rows with a different
 * height (so its matches reach into image 0), image 2 image 0 again (one long match). Types
 * per image from the flags, so matches into an image of the other type are tried too.
 */
static void round_trip_glz(const Params *p, const uint32_t *px)
{
    uint32_t heights[3] = { p->height, p->glz_height2, p->height };
    LzImageType types[3] = {
        (p->flags & FLAG_GLZ_FIRST_RGBA) ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32,
        (p->flags & FLAG_GLZ_SECOND_RGBA) ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32,
        (p->flags & FLAG_GLZ_FIRST_RGBA) ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32,
    };
    uint64_t largest = (uint64_t)p->width * (heights[0] > heights[1] ? heights[0] : heights[1]);
    uint64_t window = (p->flags & FLAG_GLZ_SMALL_WINDOW) ? largest : 3 * largest + 1000;
    bool top_down = (p->flags & FLAG_TOP_DOWN) != 0;

    GlzDictionary *dict = glz_dictionary_new((uint32_t)window);
    GlzWindow *win = glz_window_new(window);
    if (dict == NULL || win == NULL) {
        fail("glz", "out of memory", 0, 0);
    }
    size_t total = (size_t)p->width * p->height;
    uint32_t *scrolled = malloc((size_t)p->width * heights[1] * sizeof(uint32_t));
    if (scrolled == NULL) {
        fail("glz", "out of memory", 0, 0);
    }
    for (size_t i = 0; i < (size_t)p->width * heights[1]; i++) {
        size_t from = (i + (size_t)p->glz_scroll * p->width) % total;
        /* a few changed pixels so not everything is one match */
        scrolled[i] = px[from] ^ ((i % 97) == 13 ? 0x00010203u : 0u);
    }

    for (int k = 0; k < 3; k++) {
        PixbufFormat format = types[k] == LZ_IMAGE_TYPE_RGBA || (k & 1)
                                  ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32;
        Image src;
        image_new(&src, format, p->width, heights[k], p->src_pad);
        image_fill(&src, k == 1 ? scrolled : px);
        size_t bound = glz_encode_bound(types[k], p->width, heights[k]), size;
        uint8_t *stream = malloc(bound);
        uint64_t id;
        if (stream == NULL ||
            glz_encode(dict, &src.pb, types[k], top_down, stream, bound, &size, &id) != CODEC_OK) {
            fail("glz encode", "failed within the bound", k, types[k]);
        }
        if (id != (uint64_t)k) {
            fail("glz encode", "unexpected image id", k, (long)id);
        }
        Pixbuf out;
        GlzHeader h;
        CodecStatus st;
        if (k == 2) {
            /* the last one through ZLIB_GLZ when deflate shrinks it, as a server would send */
            uint8_t *z = malloc(size);
            size_t zsize;
            if (z == NULL) {
                fail("glz", "out of memory", 0, 0);
            }
            st = glz_zlib_compress(stream, size, z, size, &zsize);
            if (st == CODEC_OK) {
                st = glz_zlib_decode(win, z, zsize, (uint32_t)size, &out, &h);
            } else if (st == CODEC_ERR_NO_SPACE) {
                st = glz_decode(win, stream, size, &out, &h);
            } else {
                fail("glz zlib compress", codec_status_to_str(st), k, 0);
            }
            free(z);
        } else {
            st = glz_decode(win, stream, size, &out, &h);
        }
        if (st != CODEC_OK) {
            fail("glz decode", codec_status_to_str(st), k, types[k]);
        }
        if (h.id != id || h.top_down != top_down || out.width != p->width ||
            out.height != heights[k]) {
            fail("glz decode", "header differs from what was encoded", k, (long)h.id);
        }
        check_same(k == 0 ? "glz image 0" : k == 1 ? "glz image 1" : "glz image 2", &src.pb,
                   &out, types[k] == LZ_IMAGE_TYPE_RGBA ? CMP_ALL : CMP_COLOUR);
        pixbuf_free(&out);
        image_free(&src);
        free(stream);
    }
    free(scrolled);
    glz_window_free(win);
    glz_dictionary_free(dict);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < PARAM_BYTES) {
        return 0;
    }
    Params p = {
        .width = (uint32_t)(data[0] | data[1] << 8) % MAX_WIDTH + 1,
        .height = (uint32_t)data[2] % MAX_HEIGHT + 1,
        .flags = data[3],
        .glz_height2 = (uint32_t)data[4] % MAX_HEIGHT + 1,
        .glz_scroll = data[5],
        .lz4_rows = data[6] % 9,
    };
    p.src_pad = (p.flags & FLAG_PAD_SOURCE) ? 1 + data[5] % 7 : 0;
    p.dst_pad = (p.flags & FLAG_PAD_DEST) ? 1 + data[6] % 5 : 0;
    size_t count = (size_t)p.width * p.height;
    uint32_t *px = malloc(count * sizeof(uint32_t));
    if (px == NULL) {
        return 0;
    }
    generate(data + PARAM_BYTES, size - PARAM_BYTES, px, count);

    round_trip_quic(&p, px, PIXBUF_FORMAT_XRGB32, QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32,
                    CMP_COLOUR);
    round_trip_quic(&p, px, PIXBUF_FORMAT_ARGB32, QUIC_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32,
                    CMP_ALL);
    round_trip_lz(&p, px, PIXBUF_FORMAT_XRGB32, LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32,
                  CMP_COLOUR);
    round_trip_lz(&p, px, PIXBUF_FORMAT_ARGB32, LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32,
                  CMP_ALL);
    round_trip_lz4(&p, px, PIXBUF_FORMAT_XRGB32, -1);
    round_trip_lz4(&p, px, PIXBUF_FORMAT_XRGB32, 255);
    round_trip_lz4(&p, px, PIXBUF_FORMAT_ARGB32, -1);
    if (p.flags & FLAG_EXTRA_FORMATS) {
        round_trip_quic(&p, px, PIXBUF_FORMAT_RGB24, QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24,
                        CMP_ALL);
        round_trip_quic(&p, px, PIXBUF_FORMAT_RGB16, QUIC_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16,
                        CMP_RGB16);
        round_trip_quic(&p, px, PIXBUF_FORMAT_A8, QUIC_IMAGE_TYPE_GRAY, PIXBUF_FORMAT_A8, CMP_ALL);
        /* RGB32 stream of an ARGB32 source into ARGB32: colour back, alpha not coded */
        round_trip_quic(&p, px, PIXBUF_FORMAT_ARGB32, QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_ARGB32,
                        CMP_COLOUR);
        round_trip_lz(&p, px, PIXBUF_FORMAT_RGB24, LZ_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24,
                      CMP_ALL);
        round_trip_lz(&p, px, PIXBUF_FORMAT_RGB16, LZ_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16,
                      CMP_RGB16);
        round_trip_lz(&p, px, PIXBUF_FORMAT_A8, LZ_IMAGE_TYPE_A8, PIXBUF_FORMAT_A8, CMP_ALL);
        round_trip_lz(&p, px, PIXBUF_FORMAT_PLT8, LZ_IMAGE_TYPE_PLT8, PIXBUF_FORMAT_PLT8, CMP_ALL);
        round_trip_lz(&p, px, PIXBUF_FORMAT_ARGB32, LZ_IMAGE_TYPE_XXXA, PIXBUF_FORMAT_ARGB32,
                      CMP_ALL);
        round_trip_lz4(&p, px, PIXBUF_FORMAT_RGB24, -1);
        round_trip_lz4(&p, px, PIXBUF_FORMAT_RGB16, -1);
    }
    round_trip_glz(&p, px);
    free(px);
    return 0;
}
