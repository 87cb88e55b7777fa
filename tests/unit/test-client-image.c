/* test-client-image: SpiceImage decoding (client/image-decode.c): formats, codecs, caches, hostile data. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/image-decode.h"
#include "codecs/glz.h"
#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/quic.h"
#include "protocol/wire.h"

#define W 5u
#define H 3u
/* JPEG works on 8x8 blocks (16x16 with 4:2:0): a smooth picture of a few blocks. */
#define JW 24u
#define JH 18u
#define JPEG_TOLERANCE 12

/* The test picture: distinct xRGB per pixel. */
static uint32_t pixel_at(uint32_t x, uint32_t y)
{
    return (x * 40u) << 16 | (y * 70u) << 8 | (x * 13u + y * 29u + 5u);
}

/* A message body: 4 bytes of "fixed part" then the descriptor at offset 4. */
static void descriptor(WireWriter *w, uint64_t id, uint8_t type, uint8_t flags)
{
    wire_writer_init(w);
    wire_write_u32(w, 0);
    wire_write_u64(w, id);
    wire_write_u8(w, type);
    wire_write_u8(w, flags);
    wire_write_u32(w, W);
    wire_write_u32(w, H);
}

/* A smooth gradient: what JPEG at quality 100 keeps within a few levels. */
static uint32_t jpeg_pixel_at(uint32_t x, uint32_t y)
{
    return (40u + x * 6u) << 16 | (30u + y * 8u) << 8 | (200u - x * 3u - y * 2u);
}

static void assert_picture(pixman_image_t *img)
{
    g_assert_nonnull(img);
    g_assert_cmpint(pixman_image_get_width(img), ==, W);
    g_assert_cmpint(pixman_image_get_height(img), ==, H);
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    int stride = pixman_image_get_stride(img);
    for (uint32_t y = 0; y < H; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * (size_t)stride);
        for (uint32_t x = 0; x < W; x++) {
            g_assert_cmphex(row[x] & 0xffffff, ==, pixel_at(x, y));
        }
    }
}

static ImageStatus decode(WireWriter *w, ImageCaches *c, pixman_image_t **out, char **msg)
{
    return image_decode(wire_writer_data(w), wire_writer_size(w), 4, c, NULL, NULL, out, msg);
}

/* Every prefix of @w's body must fail cleanly (the full body must succeed). */
static void assert_prefixes_fail(WireWriter *w)
{
    for (size_t n = 0; n < wire_writer_size(w); n++) {
        ImageCaches *c = image_caches_new();
        uint8_t *copy = g_memdup2(wire_writer_data(w), n ? n : 1);
        pixman_image_t *img = NULL;
        char *msg = NULL;
        ImageStatus st = image_decode(copy, n, 4, c, NULL, NULL, &img, &msg);
        g_assert_cmpint(st, !=, IMAGE_OK);
        g_assert_null(img);
        g_assert_nonnull(msg);
        g_free(msg);
        g_free(copy);
        image_caches_free(c);
    }
}

static void build_bitmap32(WireWriter *w, bool top_down, uint8_t image_flags)
{
    descriptor(w, 77, SPICE_IMAGE_TYPE_BITMAP, image_flags);
    wire_write_u8(w, SPICE_BITMAP_FMT_32BIT);
    wire_write_u8(w, top_down ? SPICE_BITMAP_FLAGS_TOP_DOWN : 0);
    wire_write_u32(w, W);
    wire_write_u32(w, H);
    wire_write_u32(w, W * 4 + 4);   /* padded stride */
    wire_write_u32(w, 0);           /* no palette */
    for (uint32_t r = 0; r < H; r++) {
        uint32_t y = top_down ? r : H - 1 - r;
        for (uint32_t x = 0; x < W; x++) {
            wire_write_u32(w, pixel_at(x, y));
        }
        wire_write_u32(w, 0xdeadbeef);
    }
}

static void test_bitmap32(void)
{
    for (int td = 0; td < 2; td++) {
        WireWriter w;
        build_bitmap32(&w, td, 0);
        ImageCaches *c = image_caches_new();
        pixman_image_t *img;
        char *msg;
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
        assert_picture(img);
        pixman_image_unref(img);
        image_caches_free(c);
        assert_prefixes_fail(&w);
        wire_writer_finish(&w);
    }
}

static void test_bitmap_palette_cache(void)
{
    /* PLT8 with an inline palette marked PAL_CACHE_ME; then a second image uses PAL_FROM_CACHE. */
    WireWriter w;
    descriptor(&w, 1, SPICE_IMAGE_TYPE_BITMAP, 0);
    wire_write_u8(&w, SPICE_BITMAP_FMT_8BIT);
    wire_write_u8(&w, SPICE_BITMAP_FLAGS_TOP_DOWN | SPICE_BITMAP_FLAGS_PAL_CACHE_ME);
    wire_write_u32(&w, W);
    wire_write_u32(&w, H);
    wire_write_u32(&w, W);
    size_t pal_ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    for (uint32_t i = 0; i < W * H; i++) {
        wire_write_u8(&w, (uint8_t)i);
    }
    wire_writer_patch_u32(&w, pal_ptr, (uint32_t)wire_writer_size(&w));
    wire_write_u64(&w, 0x5151);        /* palette unique */
    wire_write_u16(&w, W * H);
    for (uint32_t i = 0; i < W * H; i++) {
        wire_write_u32(&w, pixel_at(i % W, i / W));
    }
    ImageCaches *c = image_caches_new();
    pixman_image_t *img;
    char *msg;
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    assert_picture(img);
    pixman_image_unref(img);
    wire_writer_finish(&w);

    descriptor(&w, 2, SPICE_IMAGE_TYPE_BITMAP, 0);
    wire_write_u8(&w, SPICE_BITMAP_FMT_8BIT);
    wire_write_u8(&w, SPICE_BITMAP_FLAGS_TOP_DOWN | SPICE_BITMAP_FLAGS_PAL_FROM_CACHE);
    wire_write_u32(&w, W);
    wire_write_u32(&w, H);
    wire_write_u32(&w, W);
    wire_write_u64(&w, 0x5151);
    for (uint32_t i = 0; i < W * H; i++) {
        wire_write_u8(&w, (uint8_t)i);
    }
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    assert_picture(img);
    pixman_image_unref(img);
    image_caches_remove_palette(c, 0x5151);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_CACHE_MISS);
    g_assert_null(img);
    g_assert_nonnull(strstr(msg, "not in the cache"));
    g_free(msg);
    wire_writer_finish(&w);
    image_caches_free(c);
}

static Pixbuf source_picture(uint32_t *pixels)
{
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++) {
            pixels[y * W + x] = pixel_at(x, y);
        }
    }
    Pixbuf pb;
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_XRGB32, W, H, W * 4, pixels, W * H * 4), ==, CODEC_OK);
    return pb;
}

static void test_lz_and_quic(void)
{
    uint32_t pixels[W * H];
    Pixbuf src = source_picture(pixels);
    for (int codec = 0; codec < 3; codec++) {
        size_t bound = codec == 2 ? quic_encode_bound(QUIC_IMAGE_TYPE_RGB32, W, H)
                                  : lz_encode_bound(LZ_IMAGE_TYPE_RGB32, W, H);
        uint8_t *stream = g_malloc(bound);
        size_t size = 0;
        if (codec == 2) {
            g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_RGB32, stream, bound, &size), ==, CODEC_OK);
        } else if (codec == 1) {
            /* Bottom-up as spice-server codes its bitmaps: rows reversed, top_down = 0. */
            uint32_t flipped[W * H];
            for (uint32_t y = 0; y < H; y++) {
                memcpy(flipped + y * W, pixels + (H - 1 - y) * W, W * 4);
            }
            Pixbuf fsrc;
            pixbuf_init_view(&fsrc, PIXBUF_FORMAT_XRGB32, W, H, W * 4, flipped, sizeof(flipped));
            g_assert_cmpint(lz_encode(&fsrc, LZ_IMAGE_TYPE_RGB32, false, stream, bound, &size), ==, CODEC_OK);
        } else {
            g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_RGB32, true, stream, bound, &size), ==, CODEC_OK);
        }
        WireWriter w;
        descriptor(&w, 9, codec == 2 ? SPICE_IMAGE_TYPE_QUIC : SPICE_IMAGE_TYPE_LZ_RGB,
                   SPICE_IMAGE_FLAGS_CACHE_ME);
        wire_write_u32(&w, (uint32_t)size);
        wire_write_bytes(&w, stream, size);
        ImageCaches *c = image_caches_new();
        pixman_image_t *img;
        char *msg;
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
        assert_picture(img);
        pixman_image_unref(img);
        g_assert_cmpuint(image_caches_pixmap_count(c), ==, 1);
        assert_prefixes_fail(&w);

        /* Flipped bytes in the stream: any status, never a crash or an out-of-bounds access. */
        GRand *rand = g_rand_new_with_seed(99 + (guint32)codec);
        for (int i = 0; i < 300; i++) {
            uint8_t *b = g_memdup2(wire_writer_data(&w), wire_writer_size(&w));
            size_t at = 22 + (size_t)g_rand_int_range(rand, 0, (gint32)size);
            b[at] ^= (uint8_t)g_rand_int_range(rand, 1, 256);
            img = NULL;
            msg = NULL;
            if (image_decode(b, wire_writer_size(&w), 4, c, NULL, NULL, &img, &msg) == IMAGE_OK) {
                pixman_image_unref(img);
            }
            g_free(msg);
            g_free(b);
        }
        g_rand_free(rand);
        wire_writer_finish(&w);
        image_caches_free(c);
        g_free(stream);
    }
}

/* Two GLZ images from one encoder dictionary (the second may reference the first) decode
 * through one ImageCaches; the second alone, in a fresh session, cannot. */
static void test_glz(void)
{
    uint32_t pixels[W * H];
    Pixbuf src = source_picture(pixels);
    GlzDictionary *dict = glz_dictionary_new(1u << 20);
    g_assert_nonnull(dict);
    size_t bound = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, W, H);
    uint8_t *streams[2];
    size_t sizes[2];
    for (int i = 0; i < 2; i++) {
        streams[i] = g_malloc(bound);
        g_assert_cmpint(glz_encode(dict, &src, LZ_IMAGE_TYPE_RGB32, true, streams[i], bound, &sizes[i], NULL),
                        ==, CODEC_OK);
    }
    glz_dictionary_free(dict);
    ImageCaches *c = image_caches_new();
    for (int i = 0; i < 2; i++) {
        WireWriter w;
        descriptor(&w, 20 + (uint64_t)i, SPICE_IMAGE_TYPE_GLZ_RGB, 0);
        wire_write_u32(&w, (uint32_t)sizes[i]);
        wire_write_bytes(&w, streams[i], sizes[i]);
        pixman_image_t *img;
        char *msg;
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
        assert_picture(img);
        pixman_image_unref(img);
        if (i == 1) {
            ImageCaches *fresh = image_caches_new();
            g_assert_cmpint(decode(&w, fresh, &img, &msg), !=, IMAGE_OK);
            g_assert_nonnull(strstr(msg, "GLZ_RGB decode failed"));
            g_free(msg);
            image_caches_free(fresh);
            assert_prefixes_fail(&w);
        }
        wire_writer_finish(&w);
    }
    image_caches_free(c);
    g_free(streams[0]);
    g_free(streams[1]);
}

static void test_cache(void)
{
    WireWriter w;
    build_bitmap32(&w, true, SPICE_IMAGE_FLAGS_CACHE_ME);
    ImageCaches *c = image_caches_new();
    pixman_image_t *img;
    char *msg;
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    g_assert_null(msg);
    pixman_image_unref(img);
    g_assert_cmpuint(image_caches_pixmap_pixels(c), ==, W * H);
    /* Caching the same id again replaces it: the pixel count does not grow. */
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    pixman_image_unref(img);
    g_assert_cmpuint(image_caches_pixmap_pixels(c), ==, W * H);
    g_assert_cmpuint(image_caches_pixmap_count(c), ==, 1);
    wire_writer_finish(&w);

    descriptor(&w, 77, SPICE_IMAGE_TYPE_FROM_CACHE, 0);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    assert_picture(img);
    pixman_image_unref(img);
    image_caches_remove_pixmap(c, 77);
    g_assert_cmpuint(image_caches_pixmap_pixels(c), ==, 0);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_CACHE_MISS);
    g_assert_nonnull(strstr(msg, "77"));
    g_free(msg);
    wire_writer_finish(&w);
    image_caches_free(c);
}

/* Flips random bytes of @w's body after the descriptor: any status, never a crash or an
 * out-of-bounds access (ASan/UBSan judge). */
static void flip_bytes_survives(WireWriter *w, ImageCaches *c, guint32 seed)
{
    GRand *rand = g_rand_new_with_seed(seed);
    for (int i = 0; i < 300; i++) {
        uint8_t *b = g_memdup2(wire_writer_data(w), wire_writer_size(w));
        size_t at = 22 + (size_t)g_rand_int_range(rand, 0, (gint32)(wire_writer_size(w) - 22));
        b[at] ^= (uint8_t)g_rand_int_range(rand, 1, 256);
        pixman_image_t *img = NULL;
        char *msg = NULL;
        if (image_decode(b, wire_writer_size(w), 4, c, NULL, NULL, &img, &msg) == IMAGE_OK) {
            pixman_image_unref(img);
        }
        g_free(msg);
        g_free(b);
    }
    g_rand_free(rand);
}

/* LZ4 through our encoder (codecs/lz4-image.h): top-down and bottom-up, 32-bit and 24-bit
 * sources, one row per block so later blocks reference earlier ones; every cut-off fails. */
static void test_lz4(void)
{
    uint32_t pixels[W * H];
    Pixbuf src32 = source_picture(pixels);
    uint8_t rgb24[W * H * 3];
    for (uint32_t i = 0; i < W * H; i++) {
        rgb24[i * 3] = (uint8_t)pixels[i];
        rgb24[i * 3 + 1] = (uint8_t)(pixels[i] >> 8);
        rgb24[i * 3 + 2] = (uint8_t)(pixels[i] >> 16);
    }
    Pixbuf src24;
    g_assert_cmpint(pixbuf_init_view(&src24, PIXBUF_FORMAT_RGB24, W, H, W * 3, rgb24, sizeof(rgb24)),
                    ==, CODEC_OK);
    for (int variant = 0; variant < 4; variant++) {
        bool top_down = variant & 1;
        Pixbuf *src = variant & 2 ? &src24 : &src32;
        /* Bottom-up streams carry the bottom row first: code from a flipped copy. */
        Pixbuf coded;
        g_assert_cmpint(pixbuf_alloc(&coded, src->format, W, H), ==, CODEC_OK);
        for (uint32_t y = 0; y < H; y++) {
            memcpy(pixbuf_row(&coded, y), pixbuf_row(src, top_down ? y : H - 1 - y),
                   coded.stride);
        }
        size_t bound = lz4_image_encode_bound(src->format, W, H, 1);
        g_assert_cmpuint(bound, >, 0);
        uint8_t *stream = g_malloc(bound);
        size_t size = 0;
        g_assert_cmpint(lz4_image_encode(&coded, top_down, 1, stream, bound, &size), ==, CODEC_OK);
        pixbuf_free(&coded);
        WireWriter w;
        descriptor(&w, 11, SPICE_IMAGE_TYPE_LZ4, SPICE_IMAGE_FLAGS_CACHE_ME);
        wire_write_u32(&w, (uint32_t)size);
        wire_write_bytes(&w, stream, size);
        ImageCaches *c = image_caches_new();
        pixman_image_t *img;
        char *msg;
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
        assert_picture(img);
        pixman_image_unref(img);
        g_assert_cmpuint(image_caches_pixmap_count(c), ==, 1);
        assert_prefixes_fail(&w);
        flip_bytes_survives(&w, c, 7 + (guint32)variant);
        wire_writer_finish(&w);

        /* data_size one short of the stream: the container ends mid-block. */
        descriptor(&w, 12, SPICE_IMAGE_TYPE_LZ4, 0);
        wire_write_u32(&w, (uint32_t)size - 1);
        wire_write_bytes(&w, stream, size - 1);
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_DECODE_FAILED);
        g_assert_nonnull(strstr(msg, "LZ4 decode failed"));
        g_free(msg);
        wire_writer_finish(&w);

        /* A descriptor one row taller than the stream: the image is incomplete. */
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        wire_write_u64(&w, 13);
        wire_write_u8(&w, SPICE_IMAGE_TYPE_LZ4);
        wire_write_u8(&w, 0);
        wire_write_u32(&w, W);
        wire_write_u32(&w, H + 1);
        wire_write_u32(&w, (uint32_t)size);
        wire_write_bytes(&w, stream, size);
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_DECODE_FAILED);
        g_free(msg);
        wire_writer_finish(&w);
        image_caches_free(c);
        g_free(stream);
    }
}

/* Each channel within @tolerance of the test picture (JPEG is lossy). */
static void assert_picture_near(pixman_image_t *img, int tolerance)
{
    g_assert_nonnull(img);
    g_assert_cmpint(pixman_image_get_width(img), ==, JW);
    g_assert_cmpint(pixman_image_get_height(img), ==, JH);
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    int stride = pixman_image_get_stride(img);
    for (uint32_t y = 0; y < JH; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * (size_t)stride);
        for (uint32_t x = 0; x < JW; x++) {
            for (int sh = 0; sh < 24; sh += 8) {
                int got = (int)(row[x] >> sh & 0xff);
                int want = (int)(jpeg_pixel_at(x, y) >> sh & 0xff);
                g_assert_cmpint(abs(got - want), <=, tolerance);
            }
        }
    }
}

/* JPEG and JPEG_ALPHA through our encoder (codecs/jpeg.h): the picture comes back within JPEG's
 * loss, the alpha exactly and upright for either row order; every cut-off fails. */
static void test_jpeg(void)
{
    uint32_t pixels[JW * JH];
    for (uint32_t y = 0; y < JH; y++) {
        for (uint32_t x = 0; x < JW; x++) {
            pixels[y * JW + x] = jpeg_pixel_at(x, y);
        }
    }
    Pixbuf src;
    g_assert_cmpint(pixbuf_init_view(&src, PIXBUF_FORMAT_XRGB32, JW, JH, JW * 4, pixels,
                                     sizeof(pixels)), ==, CODEC_OK);
    size_t bound = jpeg_encode_bound(JW, JH);
    uint8_t *stream = g_malloc(bound);
    size_t size = 0;
    g_assert_cmpint(jpeg_encode(&src, 100, stream, bound, &size), ==, CODEC_OK);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    wire_write_u64(&w, 30);
    wire_write_u8(&w, SPICE_IMAGE_TYPE_JPEG);
    wire_write_u8(&w, 0);
    wire_write_u32(&w, JW);
    wire_write_u32(&w, JH);
    wire_write_u32(&w, (uint32_t)size);
    wire_write_bytes(&w, stream, size);
    ImageCaches *c = image_caches_new();
    pixman_image_t *img;
    char *msg;
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
    assert_picture_near(img, JPEG_TOLERANCE);
    pixman_image_unref(img);
    assert_prefixes_fail(&w);
    flip_bytes_survives(&w, c, 31);
    wire_writer_finish(&w);
    g_free(stream);

    /* JPEG_ALPHA: alpha = 3 * x + 50 * y, from memory rows in both orders. */
    for (int td = 0; td < 2; td++) {
        uint32_t argb[JW * JH];
        for (uint32_t y = 0; y < JH; y++) {
            uint32_t py = td ? y : JH - 1 - y;   /* picture row stored at memory row y */
            for (uint32_t x = 0; x < JW; x++) {
                argb[y * JW + x] = jpeg_pixel_at(x, py) | (3u * x + 50u * py) << 24;
            }
        }
        Pixbuf asrc;
        g_assert_cmpint(pixbuf_init_view(&asrc, PIXBUF_FORMAT_ARGB32, JW, JH, JW * 4, argb,
                                         sizeof(argb)), ==, CODEC_OK);
        bound = jpeg_alpha_encode_bound(JW, JH);
        stream = g_malloc(bound);
        JpegAlphaDescriptor desc;
        g_assert_cmpint(jpeg_alpha_encode(&asrc, td, 100, stream, bound, &size, &desc), ==, CODEC_OK);
        uint8_t wire_desc[JPEG_ALPHA_DESCRIPTOR_SIZE];
        g_assert_cmpint(jpeg_alpha_write_descriptor(&desc, wire_desc, sizeof(wire_desc)), ==, CODEC_OK);
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        wire_write_u64(&w, 31);
        wire_write_u8(&w, SPICE_IMAGE_TYPE_JPEG_ALPHA);
        wire_write_u8(&w, 0);
        wire_write_u32(&w, JW);
        wire_write_u32(&w, JH);
        wire_write_bytes(&w, wire_desc, sizeof(wire_desc));
        wire_write_bytes(&w, stream, size);
        g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_OK);
        g_assert_cmpint(pixman_image_get_format(img), ==, PIXMAN_a8r8g8b8);
        assert_picture_near(img, JPEG_TOLERANCE);
        const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
        int stride = pixman_image_get_stride(img);
        for (uint32_t y = 0; y < JH; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * (size_t)stride);
            for (uint32_t x = 0; x < JW; x++) {
                g_assert_cmpuint(row[x] >> 24, ==, (3u * x + 50u * y) & 0xff);
            }
        }
        pixman_image_unref(img);
        assert_prefixes_fail(&w);
        flip_bytes_survives(&w, c, 40 + (guint32)td);
        wire_writer_finish(&w);
        g_free(stream);
    }
    image_caches_free(c);
}

static void test_unsupported_and_hostile(void)
{
    ImageCaches *c = image_caches_new();
    pixman_image_t *img;
    char *msg;
    WireWriter w;
    descriptor(&w, 3, 200, 0);
    wire_write_u32(&w, 4);
    wire_write_u32(&w, 0);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_UNSUPPORTED);
    g_assert_nonnull(strstr(msg, "unsupported image type unknown (200)"));
    g_free(msg);
    wire_writer_finish(&w);

    /* A descriptor promising a huge image. */
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    wire_write_u64(&w, 3);
    wire_write_u8(&w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(&w, 0);
    wire_write_u32(&w, 0xffffffff);
    wire_write_u32(&w, 0xffffffff);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_TOO_LARGE);
    g_free(msg);
    wire_writer_finish(&w);

    /* A BITMAP whose stride * height runs past the message. */
    descriptor(&w, 4, SPICE_IMAGE_TYPE_BITMAP, 0);
    wire_write_u8(&w, SPICE_BITMAP_FMT_32BIT);
    wire_write_u8(&w, 0);
    wire_write_u32(&w, W);
    wire_write_u32(&w, H);
    wire_write_u32(&w, 0x40000000);
    wire_write_u32(&w, 0);
    wire_write_zeros(&w, 64);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_MALFORMED);
    g_free(msg);
    wire_writer_finish(&w);

    /* Offsets 0 and past the end. */
    uint8_t small[8] = { 0 };
    g_assert_cmpint(image_decode(small, sizeof(small), 0, c, NULL, NULL, &img, &msg), ==, IMAGE_MALFORMED);
    g_free(msg);
    g_assert_cmpint(image_decode(small, sizeof(small), 8, c, NULL, NULL, &img, &msg), ==, IMAGE_MALFORMED);
    g_free(msg);
    image_caches_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-image/bitmap32", test_bitmap32);
    g_test_add_func("/client-image/bitmap-palette-cache", test_bitmap_palette_cache);
    g_test_add_func("/client-image/lz-and-quic", test_lz_and_quic);
    g_test_add_func("/client-image/glz", test_glz);
    g_test_add_func("/client-image/lz4", test_lz4);
    g_test_add_func("/client-image/jpeg", test_jpeg);
    g_test_add_func("/client-image/cache", test_cache);
    g_test_add_func("/client-image/unsupported-and-hostile", test_unsupported_and_hostile);
    return g_test_run();
}
