/* test-client-image: SpiceImage decoding (client/image-decode.c): formats, codecs, caches, hostile data. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/image-decode.h"
#include "codecs/glz.h"
#include "codecs/lz.h"
#include "codecs/quic.h"
#include "protocol/wire.h"

#define W 5u
#define H 3u

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

static void test_unsupported_and_hostile(void)
{
    ImageCaches *c = image_caches_new();
    pixman_image_t *img;
    char *msg;
    WireWriter w;
    descriptor(&w, 3, SPICE_IMAGE_TYPE_JPEG, 0);
    wire_write_u32(&w, 4);
    wire_write_u32(&w, 0);
    g_assert_cmpint(decode(&w, c, &img, &msg), ==, IMAGE_UNSUPPORTED);
    g_assert_nonnull(strstr(msg, "unsupported image type JPEG"));
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
    g_test_add_func("/client-image/cache", test_cache);
    g_test_add_func("/client-image/unsupported-and-hostile", test_unsupported_and_hostile);
    return g_test_run();
}
