/* test-image-encoder: every compression policy's output decodes to the input (GLZ across a sequence); the policy's choices (server/image-encoder.c). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/glz.h"
#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/quic.h"
#include "server/image-encoder.h"

static const SpiceImageCompression all_policies[] = {
    SPICE_IMAGE_COMPRESSION_INVALID, SPICE_IMAGE_COMPRESSION_OFF,
    SPICE_IMAGE_COMPRESSION_AUTO_GLZ, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
    SPICE_IMAGE_COMPRESSION_QUIC, SPICE_IMAGE_COMPRESSION_GLZ,
    SPICE_IMAGE_COMPRESSION_LZ, SPICE_IMAGE_COMPRESSION_LZ4,
};

typedef enum Content {
    CONTENT_TEXT,    /* dark glyph-like strokes on a light flat background */
    CONTENT_PHOTO,   /* smooth colour field with small sensor-like noise */
    CONTENT_FLAT,
    CONTENT_NOISE,   /* random bytes: incompressible */
    CONTENT_COUNT,
} Content;

/* A test image with @pad bytes of garbage after each row (to prove the stride is honoured). */
typedef struct TestImage {
    ImageEncoderSource src;
    uint8_t *buf;
} TestImage;

static void make_image(TestImage *img, Content content, uint8_t format, uint32_t w, uint32_t h,
                       uint32_t pad, uint32_t seed)
{
    uint32_t stride = w * 4 + pad;
    img->buf = g_malloc((size_t)stride * h);
    GRand *rand = g_rand_new_with_seed(seed);
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = img->buf + (size_t)y * stride;
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = row + (size_t)x * 4;
            switch (content) {
            case CONTENT_TEXT: {
                /* 8x12 cells; strokes where a hash of the cell says so. */
                uint32_t cell = (x / 8) * 31 + (y / 12) * 17;
                bool ink = ((x % 8) == 2 || (y % 12) == 5) && (cell % 3) != 0 && (y % 12) < 10;
                p[0] = p[1] = p[2] = ink ? 0x20 : 0xf0;
                break;
            }
            case CONTENT_PHOTO: {
                int n = g_rand_int_range(rand, -3, 4);
                p[0] = (uint8_t)CLAMP((int)(x * 200 / w) + n + 20, 0, 255);
                p[1] = (uint8_t)CLAMP((int)(y * 180 / h) + n + 30, 0, 255);
                p[2] = (uint8_t)CLAMP((int)((x + y) * 100 / (w + h)) + n + 60, 0, 255);
                break;
            }
            case CONTENT_FLAT:
                p[0] = 0x40; p[1] = 0x80; p[2] = 0xc0;
                break;
            default:
                p[0] = (uint8_t)g_rand_int(rand);
                p[1] = (uint8_t)g_rand_int(rand);
                p[2] = (uint8_t)g_rand_int(rand);
                break;
            }
            /* xRGB: garbage the encoder must not care about; ARGB: real alpha (random for noise). */
            p[3] = format == SPICE_BITMAP_FMT_RGBA && content != CONTENT_NOISE ?
                   (uint8_t)(0x80 + (x + y) % 0x7f) : (uint8_t)g_rand_int(rand);
        }
        for (uint32_t i = 0; i < pad; i++) {
            row[w * 4 + i] = (uint8_t)g_rand_int(rand);
        }
    }
    g_rand_free(rand);
    img->src = (ImageEncoderSource){
        .image_id = 0x1122334455667788ull + seed,
        .format = format, .width = w, .height = h, .stride = stride, .pixels = img->buf,
    };
}

static void free_image(TestImage *img)
{
    g_free(img->buf);
}

/* Asserts row by row that @got (packed, 4 bytes a pixel) equals the source's pixels. */
static void assert_same_pixels(const ImageEncoderSource *src, const uint8_t *got, size_t got_stride)
{
    size_t bytes = src->format == SPICE_BITMAP_FMT_RGBA ? 4 : 3;
    for (uint32_t y = 0; y < src->height; y++) {
        for (uint32_t x = 0; x < src->width; x++) {
            const uint8_t *a = src->pixels + (size_t)y * src->stride + (size_t)x * 4;
            const uint8_t *b = got + (size_t)y * got_stride + (size_t)x * 4;
            if (memcmp(a, b, bytes) != 0) {
                g_error("pixel (%u,%u) differs: %02x%02x%02x%02x != %02x%02x%02x%02x", x, y,
                        a[3], a[2], a[1], a[0], b[3], b[2], b[1], b[0]);
            }
        }
    }
}

/* Mean squared error of the colour channels of @got against the source (alpha not counted). */
static double mse_of(const ImageEncoderSource *src, const uint8_t *got, size_t got_stride)
{
    double sum = 0;
    for (uint32_t y = 0; y < src->height; y++) {
        for (uint32_t x = 0; x < src->width; x++) {
            const uint8_t *a = src->pixels + (size_t)y * src->stride + (size_t)x * 4;
            const uint8_t *b = got + (size_t)y * got_stride + (size_t)x * 4;
            for (int c = 0; c < 3; c++) {
                double d = (double)a[c] - (double)b[c];
                sum += d * d;
            }
        }
    }
    return sum / ((double)src->width * src->height * 3);
}

/* Lossy types must stay this close to the source: a PSNR of 30 dB or more, i.e. an MSE of at
 * most 255^2 / 10^3 (the interop tests use the same bar). */
#define MAX_JPEG_MSE (255.0 * 255.0 / 1000.0)
static double last_mse;

/* JPEG_ALPHA: the alpha plane is exact (LZ) even though the colour is JPEG. */
static void assert_same_alpha(const ImageEncoderSource *src, const uint8_t *got, size_t got_stride)
{
    for (uint32_t y = 0; y < src->height; y++) {
        for (uint32_t x = 0; x < src->width; x++) {
            g_assert_cmpuint(src->pixels[(size_t)y * src->stride + (size_t)x * 4 + 3], ==,
                             got[(size_t)y * got_stride + (size_t)x * 4 + 3]);
        }
    }
}

/*
 * Encodes @src under @policy, parses what was written as a client would (descriptor, body),
 * decodes it with our decoders and compares the pixels. Returns the image type on the wire and
 * the size of the whole image (descriptor + body) in @wire_size.
 */
static uint8_t encode_and_check(const ImageEncoderSource *src, SpiceImageCompression policy,
                                size_t *wire_size)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, 0xee);   /* something before the image: it must append, not overwrite */
    uint8_t ret_type = image_encoder_write(&w, src, policy);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u8(&r), ==, 0xee);
    g_assert_cmpuint(wire_read_u64(&r), ==, src->image_id);
    uint8_t type = wire_read_u8(&r);
    g_assert_cmpuint(type, ==, ret_type);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, src->width);
    g_assert_cmpuint(wire_read_u32(&r), ==, src->height);
    size_t raw_body = 18 + (size_t)src->width * src->height * 4;
    size_t body_start = wire_reader_offset(&r);
    Pixbuf out = { 0 };
    PixbufFormat fmt = src->format == SPICE_BITMAP_FMT_RGBA ? PIXBUF_FORMAT_ARGB32
                                                             : PIXBUF_FORMAT_XRGB32;
    if (type == SPICE_IMAGE_TYPE_BITMAP) {
        g_assert_cmpuint(wire_read_u8(&r), ==, src->format);
        g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FLAGS_TOP_DOWN);
        g_assert_cmpuint(wire_read_u32(&r), ==, src->width);
        g_assert_cmpuint(wire_read_u32(&r), ==, src->height);
        g_assert_cmpuint(wire_read_u32(&r), ==, src->width * 4);
        g_assert_cmpuint(wire_read_u32(&r), ==, 0);
        const uint8_t *rows = wire_read_span(&r, (size_t)src->width * 4 * src->height);
        g_assert_nonnull(rows);
        assert_same_pixels(src, rows, (size_t)src->width * 4);
    } else if (type == SPICE_IMAGE_TYPE_JPEG_ALPHA) {
        const uint8_t *desc_bytes = wire_read_span(&r, JPEG_ALPHA_DESCRIPTOR_SIZE);
        g_assert_nonnull(desc_bytes);
        JpegAlphaDescriptor desc;
        g_assert_cmpint(jpeg_alpha_read_descriptor(desc_bytes, JPEG_ALPHA_DESCRIPTOR_SIZE, &desc),
                        ==, CODEC_OK);
        g_assert_true(desc.top_down);
        g_assert_cmpuint(desc.data_size, ==, wire_reader_remaining(&r));
        const uint8_t *data = wire_read_span(&r, desc.data_size);
        g_assert_nonnull(data);
        g_assert_cmpint(jpeg_alpha_decode_new(&desc, data, desc.data_size, 1u << 24, &out), ==,
                        CODEC_OK);
        assert_same_alpha(src, out.data, out.stride);
        last_mse = mse_of(src, out.data, out.stride);
        g_assert_cmpfloat(last_mse, <=, MAX_JPEG_MSE);
        pixbuf_free(&out);
        g_assert_cmpuint(wire_reader_offset(&r) - body_start, <, raw_body);
    } else {
        uint32_t data_size = wire_read_u32(&r);
        g_assert_cmpuint(data_size, ==, wire_reader_remaining(&r));
        const uint8_t *data = wire_read_span(&r, data_size);
        g_assert_nonnull(data);
        CodecStatus st;
        if (type == SPICE_IMAGE_TYPE_LZ_RGB) {
            LzHeader hdr;
            st = lz_decode_new(data, data_size, NULL, fmt, 1u << 24, &out, &hdr);
            g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
            g_assert_true(hdr.top_down);
            g_assert_cmpint(hdr.type, ==, src->format == SPICE_BITMAP_FMT_RGBA ?
                            LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32);
        } else if (type == SPICE_IMAGE_TYPE_LZ4) {
            Lz4ImageHeader hdr;
            st = lz4_image_decode_new(data, data_size, src->width, src->height, 1u << 24, &out,
                                      &hdr);
            g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
            g_assert_true(hdr.top_down);
            g_assert_cmpint(hdr.format, ==, fmt);
        } else if (type == SPICE_IMAGE_TYPE_JPEG) {
            st = jpeg_decode_new(data, data_size, PIXBUF_FORMAT_XRGB32, 1u << 24, &out);
            g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
        } else {
            g_assert_cmpuint(type, ==, SPICE_IMAGE_TYPE_QUIC);
            QuicHeader hdr;
            st = quic_decode_new(data, data_size, fmt, 1u << 24, &out, &hdr);
            g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
            g_assert_cmpint(hdr.type, ==, src->format == SPICE_BITMAP_FMT_RGBA ?
                            QUIC_IMAGE_TYPE_RGBA : QUIC_IMAGE_TYPE_RGB32);
        }
        g_assert_cmpuint(out.width, ==, src->width);
        g_assert_cmpuint(out.height, ==, src->height);
        if (type == SPICE_IMAGE_TYPE_JPEG) {
            last_mse = mse_of(src, out.data, out.stride);
            g_assert_cmpfloat(last_mse, <=, MAX_JPEG_MSE);
        } else {
            assert_same_pixels(src, out.data, out.stride);
        }
        pixbuf_free(&out);
        /* Never bigger than the raw bitmap. */
        g_assert_cmpuint(wire_reader_offset(&r) - body_start, <, raw_body);
    }
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    *wire_size = wire_writer_size(&w) - 1;
    wire_writer_finish(&w);
    return type;
}

/* Every policy x content x format x size (with and without row padding) round trips. */
static void test_round_trips(void)
{
    static const uint32_t sizes[][2] = { { 1, 1 }, { 2, 5 }, { 3, 3 }, { 17, 9 }, { 64, 48 },
                                         { 300, 7 } };
    static const uint8_t formats[] = { SPICE_BITMAP_FMT_32BIT, SPICE_BITMAP_FMT_RGBA };
    uint32_t seed = 1;
    for (size_t p = 0; p < G_N_ELEMENTS(all_policies); p++) {
        for (int c = 0; c < CONTENT_COUNT; c++) {
            for (size_t f = 0; f < G_N_ELEMENTS(formats); f++) {
                for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
                    for (uint32_t pad = 0; pad <= 12; pad += 12) {
                        TestImage img;
                        make_image(&img, (Content)c, formats[f], sizes[s][0], sizes[s][1], pad,
                                   seed++);
                        size_t size;
                        encode_and_check(&img.src, all_policies[p], &size);
                        free_image(&img);
                    }
                }
            }
        }
    }
}

static uint8_t type_for(Content content, uint8_t format, uint32_t w, uint32_t h,
                        SpiceImageCompression policy, size_t *size)
{
    TestImage img;
    make_image(&img, content, format, w, h, 8, 7);
    uint8_t type = encode_and_check(&img.src, policy, size);
    free_image(&img);
    return type;
}

/* What each policy sends for text-like and photo-like content. */
static void test_policy_choices(void)
{
    static const uint8_t formats[] = { SPICE_BITMAP_FMT_32BIT, SPICE_BITMAP_FMT_RGBA };
    for (size_t f = 0; f < G_N_ELEMENTS(formats); f++) {
        uint8_t fmt = formats[f];
        size_t size;
        g_assert_cmpuint(type_for(CONTENT_TEXT, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_OFF, &size),
                         ==, SPICE_IMAGE_TYPE_BITMAP);
        g_assert_cmpuint(type_for(CONTENT_TEXT, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_INVALID,
                                  &size), ==, SPICE_IMAGE_TYPE_BITMAP);
        static const SpiceImageCompression lz_like[] = {
            SPICE_IMAGE_COMPRESSION_LZ, SPICE_IMAGE_COMPRESSION_GLZ, SPICE_IMAGE_COMPRESSION_LZ4,
            SPICE_IMAGE_COMPRESSION_AUTO_LZ, SPICE_IMAGE_COMPRESSION_AUTO_GLZ,
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lz_like); i++) {
            g_assert_cmpuint(type_for(CONTENT_TEXT, fmt, 128, 96, lz_like[i], &size), ==,
                             SPICE_IMAGE_TYPE_LZ_RGB);
        }
        g_assert_cmpuint(type_for(CONTENT_TEXT, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_QUIC, &size),
                         ==, SPICE_IMAGE_TYPE_QUIC);
        /* Photos: QUIC under QUIC and AUTO; LZ when LZ is forced. */
        g_assert_cmpuint(type_for(CONTENT_PHOTO, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
                                  &size), ==, SPICE_IMAGE_TYPE_QUIC);
        g_assert_cmpuint(type_for(CONTENT_PHOTO, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_AUTO_GLZ,
                                  &size), ==, SPICE_IMAGE_TYPE_QUIC);
        g_assert_cmpuint(type_for(CONTENT_PHOTO, fmt, 128, 96, SPICE_IMAGE_COMPRESSION_LZ,
                                  &size), ==, SPICE_IMAGE_TYPE_LZ_RGB);
        /* ARGB noise beats both coders: BITMAP whatever the policy. (xRGB noise still shrinks
         * by the unsent 4th byte, which encode_and_check's size check covers.) */
        for (size_t p = 0; fmt == SPICE_BITMAP_FMT_RGBA && p < G_N_ELEMENTS(all_policies); p++) {
            g_assert_cmpuint(type_for(CONTENT_NOISE, fmt, 64, 64, all_policies[p], &size), ==,
                             SPICE_IMAGE_TYPE_BITMAP);
        }
        /* A single pixel: no stream fits in 4 bytes. QUIC cannot code 2-pixel sides: LZ. */
        g_assert_cmpuint(type_for(CONTENT_FLAT, fmt, 1, 1, SPICE_IMAGE_COMPRESSION_LZ, &size), ==,
                         SPICE_IMAGE_TYPE_BITMAP);
        g_assert_cmpuint(type_for(CONTENT_FLAT, fmt, 2, 64, SPICE_IMAGE_COMPRESSION_QUIC, &size),
                         ==, SPICE_IMAGE_TYPE_LZ_RGB);
    }
}

/* The AUTO choice is the cheaper coder on our sample contents (what the heuristic is for). */
static void test_auto_picks_the_smaller(void)
{
    size_t lz, quic, autolz, off;
    type_for(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_LZ, &lz);
    type_for(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_QUIC, &quic);
    type_for(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
             &autolz);
    type_for(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_OFF, &off);
    g_test_message("text 256x192: off %zu lz %zu quic %zu auto %zu", off, lz, quic, autolz);
    g_assert_cmpuint(lz, <, quic);
    g_assert_cmpuint(autolz, ==, lz);
    g_assert_cmpuint(lz * 10, <, off);
    type_for(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_LZ, &lz);
    type_for(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_QUIC, &quic);
    type_for(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
             &autolz);
    type_for(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, SPICE_IMAGE_COMPRESSION_OFF, &off);
    g_test_message("photo 256x192: off %zu lz %zu quic %zu auto %zu", off, lz, quic, autolz);
    g_assert_cmpuint(quic, <, lz);
    g_assert_cmpuint(autolz, ==, quic);
    g_assert_cmpuint(quic * 2, <, off);
}

static void test_photo_heuristic(void)
{
    TestImage img;
    make_image(&img, CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 640, 480, 0, 3);
    g_assert_true(image_encoder_is_photo_like(&img.src));
    free_image(&img);
    make_image(&img, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 640, 480, 0, 3);
    g_assert_false(image_encoder_is_photo_like(&img.src));
    free_image(&img);
    make_image(&img, CONTENT_FLAT, SPICE_BITMAP_FMT_32BIT, 640, 480, 0, 3);
    g_assert_false(image_encoder_is_photo_like(&img.src));
    free_image(&img);
    make_image(&img, CONTENT_NOISE, SPICE_BITMAP_FMT_32BIT, 640, 480, 0, 3);
    g_assert_false(image_encoder_is_photo_like(&img.src));
    free_image(&img);
    /* One column has no neighbours: not a photo. */
    make_image(&img, CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 1, 480, 0, 3);
    g_assert_false(image_encoder_is_photo_like(&img.src));
    free_image(&img);
}

/*
 * Encodes @src under @policy (with @src->glz), checks the descriptor and, for GLZ_RGB, decodes
 * the stream into @window and compares the pixels. Returns the type; @body_size = data_size
 * for compressed types; @glz_id = the stream's dictionary id for GLZ_RGB.
 */
static uint8_t encode_glz_and_check(const ImageEncoderSource *src, SpiceImageCompression policy,
                                    GlzWindow *window, size_t *body_size, uint64_t *glz_id)
{
    WireWriter w;
    wire_writer_init(&w);
    uint8_t type = image_encoder_write(&w, src, policy);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u64(&r), ==, src->image_id);
    g_assert_cmpuint(wire_read_u8(&r), ==, type);
    wire_read_u8(&r);
    g_assert_cmpuint(wire_read_u32(&r), ==, src->width);
    g_assert_cmpuint(wire_read_u32(&r), ==, src->height);
    *body_size = 0;
    if (type == SPICE_IMAGE_TYPE_GLZ_RGB || type == SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB) {
        uint32_t glz_size = type == SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB ? wire_read_u32(&r) : 0;
        uint32_t data_size = wire_read_u32(&r);
        g_assert_cmpuint(data_size, ==, wire_reader_remaining(&r));
        const uint8_t *data = wire_read_span(&r, data_size);
        g_assert_nonnull(data);
        Pixbuf out = { 0 };
        GlzHeader hdr;
        CodecStatus st = type == SPICE_IMAGE_TYPE_GLZ_RGB ?
                         glz_decode(window, data, data_size, &out, &hdr) :
                         glz_zlib_decode(window, data, data_size, glz_size, &out, &hdr);
        if (type == SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB) {
            g_assert_cmpuint(data_size, <, glz_size);   /* only when deflate shrinks it */
            g_assert_cmpuint(glz_size, >=, IMAGE_ENCODER_ZLIB_MIN_GLZ);
        }
        g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
        g_assert_true(hdr.top_down);
        g_assert_cmpint(hdr.type, ==, src->format == SPICE_BITMAP_FMT_RGBA ?
                        LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32);
        assert_same_pixels(src, out.data, out.stride);
        pixbuf_free(&out);
        *body_size = data_size;
        *glz_id = hdr.id;
    }
    wire_writer_finish(&w);
    return type;
}

/* Release callback: counts calls (the test frees the pixels itself). */
static void count_release(void *data, void *opaque)
{
    (void)data;
    (*(int *)opaque)++;
}

/* A redraw of the same picture goes as GLZ_RGB referencing the first copy: ids count up from 0,
 * the second stream is far smaller than the first and than LZ, and both decode in one window.
 * The redraw's packed pixels come with a pixels_owner, which the dictionary keeps a reference
 * to (released when the dictionary goes); the first's rows are padded, so they are copied. */
static void test_glz_sequence(void)
{
    static const uint8_t formats[] = { SPICE_BITMAP_FMT_32BIT, SPICE_BITMAP_FMT_RGBA };
    static const SpiceImageCompression policies[] = { SPICE_IMAGE_COMPRESSION_GLZ,
                                                      SPICE_IMAGE_COMPRESSION_AUTO_GLZ };
    for (size_t f = 0; f < G_N_ELEMENTS(formats); f++) {
        for (size_t p = 0; p < G_N_ELEMENTS(policies); p++) {
            GlzDictionary *dict = glz_dictionary_new(1u << 20);
            GlzWindow *window = glz_window_new(1u << 20);
            g_assert_nonnull(dict);
            g_assert_nonnull(window);
            TestImage first, again;
            make_image(&first, CONTENT_TEXT, formats[f], 256, 192, 8, 11);
            make_image(&again, CONTENT_TEXT, formats[f], 256, 192, 0, 12);
            first.src.glz = dict;
            again.src.glz = dict;
            int released = 0;
            GlzSharedPixels *owner = glz_shared_pixels_wrap(again.buf, (size_t)256 * 192 * 4,
                                                            count_release, &released);
            g_assert_nonnull(owner);
            again.src.pixels_owner = owner;
            size_t first_size, again_size, lz_size;
            uint64_t first_id = 99, again_id = 99;
            g_assert_cmpuint(encode_glz_and_check(&first.src, policies[p], window, &first_size,
                                                  &first_id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
            g_assert_cmpuint(encode_glz_and_check(&again.src, policies[p], window, &again_size,
                                                  &again_id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
            g_assert_cmpuint(first_id, ==, 0);
            g_assert_cmpuint(again_id, ==, 1);
            g_assert_cmpuint(glz_dictionary_next_id(dict), ==, 2);
            g_assert_cmpuint(glz_window_image_count(window), ==, 2);
            glz_shared_pixels_unref(owner);
            g_assert_cmpint(released, ==, 0);   /* the dictionary still holds the redraw */
            /* Without a dictionary the same policy sends LZ; the redraw is a fraction of it. */
            again.src.glz = NULL;
            g_assert_cmpuint(type_for(CONTENT_TEXT, formats[f], 256, 192, policies[p], &lz_size),
                             ==, SPICE_IMAGE_TYPE_LZ_RGB);
            g_test_message("glz: first %zu redraw %zu lz %zu", first_size, again_size, lz_size);
            /* The first picture's 8x12 cells repeat, so GLZ codes it well too: the redraw
             * need only beat it, and LZ by far. */
            g_assert_cmpuint(again_size, <, first_size);
            g_assert_cmpuint(again_size * 4, <, lz_size);
            /* A photo under AUTO_GLZ is QUIC and uses no id. */
            if (policies[p] == SPICE_IMAGE_COMPRESSION_AUTO_GLZ) {
                TestImage photo;
                make_image(&photo, CONTENT_PHOTO, formats[f], 128, 96, 0, 13);
                photo.src.glz = dict;
                size_t size;
                uint64_t id;
                g_assert_cmpuint(encode_glz_and_check(&photo.src, policies[p], window, &size,
                                                      &id), ==, SPICE_IMAGE_TYPE_QUIC);
                g_assert_cmpuint(glz_dictionary_next_id(dict), ==, 2);
                free_image(&photo);
            }
            glz_dictionary_free(dict);
            g_assert_cmpint(released, ==, 1);
            free_image(&first);
            free_image(&again);
            glz_window_free(window);
        }
    }
}

/*
 * Packed pixels without an owner: the dictionary keeps a copy made by the encoder (shared with
 * the next image when identical), never the caller's buffer, which the caller rewrites between
 * images here. If the dictionary referenced the caller's buffer, the later images would match
 * against pixels the client's window never had and decode wrong.
 */
static void test_glz_kept_copies(void)
{
    const uint32_t w = 256, h = 192;   /* 192 KiB: the pre-faulted copy */
    const size_t bytes = (size_t)w * h * 4;
    GlzDictionary *dict = glz_dictionary_new(1u << 20);
    GlzWindow *window = glz_window_new(1u << 20);
    TestImage work, other;
    make_image(&work, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, w, h, 0, 31);
    make_image(&other, CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, w, h, 0, 32);
    uint8_t *first = g_memdup2(work.buf, bytes);
    work.src.glz = dict;
    size_t size;
    uint64_t id = 99;
    GlzSharedPixels *kept[5];
    for (uint64_t step = 0; step < 5; step++) {
        if (step == 1) {
            memcpy(work.buf, other.buf, bytes);     /* a different picture */
        } else if (step == 2) {
            memcpy(work.buf, first, bytes);         /* back: the recent copy does not match */
        } else if (step == 4) {
            work.buf[bytes - 2] ^= 0x5a;            /* differs in the last pixel only */
        }                                           /* step 3: the same again, shared */
        g_assert_cmpuint(encode_glz_and_check(&work.src, SPICE_IMAGE_COMPRESSION_GLZ, window,
                                              &size, &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
        g_assert_cmpuint(id, ==, step);
        kept[step] = glz_dictionary_newest_pixels(dict);   /* borrowed; only compared */
        g_assert_nonnull(kept[step]);
        g_assert_true(glz_shared_pixels_data(kept[step]) != work.buf);   /* never aliased */
    }
    /* A new copy for each new picture; the redraw (step 3) shares step 2's. */
    g_assert_true(kept[1] != kept[0] && kept[2] != kept[1] && kept[4] != kept[3]);
    g_assert_true(kept[3] == kept[2]);
    /* The buffer a dictionary keeps: writable, of the size asked for. */
    g_assert_null(image_encoder_pixels_new(0));
    GlzSharedPixels *big = image_encoder_pixels_new(bytes);
    g_assert_nonnull(big);
    g_assert_cmpuint(glz_shared_pixels_size(big), ==, bytes);
    memset(glz_shared_pixels_data(big), 0xa5, bytes);
    glz_shared_pixels_unref(big);
    g_free(first);
    free_image(&work);
    free_image(&other);
    glz_dictionary_free(dict);
    glz_window_free(window);
}

/* An image over the client's window goes as LZ_RGB, uses no id, and the next GLZ image still
 * decodes with the ids the client's window expects. */
static void test_glz_too_large_goes_lz(void)
{
    GlzDictionary *dict = glz_dictionary_new(64 * 64);
    GlzWindow *window = glz_window_new(64 * 64);
    TestImage small, big;
    make_image(&small, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 64, 48, 0, 21);
    make_image(&big, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 128, 96, 0, 22);
    small.src.glz = dict;
    big.src.glz = dict;
    size_t size;
    uint64_t id = 99;
    g_assert_cmpuint(encode_glz_and_check(&small.src, SPICE_IMAGE_COMPRESSION_GLZ, window, &size,
                                          &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(encode_glz_and_check(&big.src, SPICE_IMAGE_COMPRESSION_GLZ, window, &size,
                                          &id), ==, SPICE_IMAGE_TYPE_LZ_RGB);
    g_assert_cmpuint(glz_dictionary_next_id(dict), ==, 1);
    size_t lz_size;
    big.src.glz = NULL;
    encode_and_check(&big.src, SPICE_IMAGE_COMPRESSION_GLZ, &lz_size);   /* LZ decodes */
    g_assert_cmpuint(encode_glz_and_check(&small.src, SPICE_IMAGE_COMPRESSION_GLZ, window, &size,
                                          &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(id, ==, 1);
    free_image(&small);
    free_image(&big);
    glz_window_free(window);
    glz_dictionary_free(dict);
}

/* ---- srvcomp: LZ4, JPEG, ZLIB_GLZ and the per-client inputs of the policy ---- */

static const ImageEncoderPeer peer_all = { .lz4 = true, .jpeg = true, .zlib_glz = true };

/* Encodes a fresh image of @content with @peer and @lossy_ok; returns the type, @size the wire
 * bytes. Every type is decoded and checked by encode_and_check. */
static uint8_t type_with_peer(Content content, uint8_t format, uint32_t w, uint32_t h,
                              SpiceImageCompression policy, ImageEncoderPeer peer, bool lossy_ok,
                              size_t *size)
{
    TestImage img;
    make_image(&img, content, format, w, h, 12, 31);
    if (format == SPICE_BITMAP_FMT_32BIT) {
        /* A guest's unused 4th byte is constant; LZ4 (unlike LZ and QUIC) carries it, so
         * make_image's random garbage there would defeat it. */
        for (uint32_t y = 0; y < h; y++) {
            for (uint32_t x = 0; x < w; x++) {
                img.buf[(size_t)y * img.src.stride + (size_t)x * 4 + 3] = 0;
            }
        }
    }
    img.src.peer = peer;
    img.src.lossy_ok = lossy_ok;
    uint8_t type = encode_and_check(&img.src, policy, size);
    free_image(&img);
    return type;
}

/* LZ4 goes only to a client that decodes it; everything else under LZ4 is LZ, as upstream. */
static void test_lz4_needs_the_cap(void)
{
    static const uint8_t formats[] = { SPICE_BITMAP_FMT_32BIT, SPICE_BITMAP_FMT_RGBA };
    ImageEncoderPeer lz4_only = { .lz4 = true };
    for (size_t f = 0; f < G_N_ELEMENTS(formats); f++) {
        size_t size;
        /* (Not noisy photos: a byte matcher cannot shrink them, so they go as BITMAP.) */
        static const Content contents[] = { CONTENT_TEXT, CONTENT_FLAT };
        for (size_t i = 0; i < G_N_ELEMENTS(contents); i++) {
            Content c = contents[i];
            g_assert_cmpuint(type_with_peer((Content)c, formats[f], 200, 150,
                                            SPICE_IMAGE_COMPRESSION_LZ4, lz4_only, false, &size),
                             ==, SPICE_IMAGE_TYPE_LZ4);
            g_assert_cmpuint(type_with_peer((Content)c, formats[f], 200, 150,
                                            SPICE_IMAGE_COMPRESSION_LZ4, (ImageEncoderPeer){ 0 },
                                            false, &size), ==, SPICE_IMAGE_TYPE_LZ_RGB);
        }
        /* The cap alone changes no other policy. */
        g_assert_cmpuint(type_with_peer(CONTENT_TEXT, formats[f], 200, 150,
                                        SPICE_IMAGE_COMPRESSION_LZ, lz4_only, false, &size), ==,
                         SPICE_IMAGE_TYPE_LZ_RGB);
        g_assert_cmpuint(type_with_peer(CONTENT_TEXT, formats[f], 200, 150,
                                        SPICE_IMAGE_COMPRESSION_AUTO_LZ, lz4_only, false, &size),
                         ==, SPICE_IMAGE_TYPE_LZ_RGB);
    }
}

/* JPEG replaces QUIC (never LZ/GLZ) when the client allows JPEG and the draw may be lossy. */
static void test_jpeg_replaces_quic(void)
{
    ImageEncoderPeer jpeg_only = { .jpeg = true };
    static const SpiceImageCompression quic_like[] = {
        SPICE_IMAGE_COMPRESSION_QUIC, SPICE_IMAGE_COMPRESSION_AUTO_LZ,
        SPICE_IMAGE_COMPRESSION_AUTO_GLZ,
    };
    for (size_t p = 0; p < G_N_ELEMENTS(quic_like); p++) {
        size_t jpeg_size, quic_size;
        g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                        quic_like[p], jpeg_only, true, &jpeg_size), ==,
                         SPICE_IMAGE_TYPE_JPEG);
        g_test_message("jpeg photo 256x192: %zu bytes, MSE %.2f", jpeg_size, last_mse);
        g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_RGBA, 256, 192,
                                        quic_like[p], jpeg_only, true, &jpeg_size), ==,
                         SPICE_IMAGE_TYPE_JPEG_ALPHA);
        /* A draw that must stay exact (ROP, masks): QUIC. */
        g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                        quic_like[p], jpeg_only, false, &quic_size), ==,
                         SPICE_IMAGE_TYPE_QUIC);
        /* A client without JPEG: QUIC. */
        g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                        quic_like[p], (ImageEncoderPeer){ 0 }, true, &quic_size),
                         ==, SPICE_IMAGE_TYPE_QUIC);
        type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, quic_like[p], jpeg_only,
                       true, &jpeg_size);
        g_assert_cmpuint(jpeg_size, <, quic_size);
    }
    size_t size;
    /* Text under AUTO stays lossless with JPEG allowed. */
    g_assert_cmpuint(type_with_peer(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                    SPICE_IMAGE_COMPRESSION_AUTO_LZ, peer_all, true, &size), ==,
                     SPICE_IMAGE_TYPE_LZ_RGB);
    g_assert_cmpuint(type_with_peer(CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                    SPICE_IMAGE_COMPRESSION_AUTO_GLZ, peer_all, true, &size), ==,
                     SPICE_IMAGE_TYPE_LZ_RGB);   /* no dictionary here */
    /* LZ, GLZ, LZ4 and OFF never go lossy. */
    g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                    SPICE_IMAGE_COMPRESSION_LZ, peer_all, true, &size), ==,
                     SPICE_IMAGE_TYPE_LZ_RGB);
    g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                    SPICE_IMAGE_COMPRESSION_LZ4, peer_all, true, &size), ==,
                     SPICE_IMAGE_TYPE_LZ4);
    g_assert_cmpuint(type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192,
                                    SPICE_IMAGE_COMPRESSION_OFF, peer_all, true, &size), ==,
                     SPICE_IMAGE_TYPE_BITMAP);
    /* Tiny images: JPEG is not smaller than the bitmap, so BITMAP (never an error). */
    type_with_peer(CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 3, 3, SPICE_IMAGE_COMPRESSION_QUIC,
                   peer_all, true, &size);
    /* Every size and content still round trips with everything allowed. */
    static const uint32_t sizes[][2] = { { 1, 1 }, { 3, 3 }, { 17, 9 }, { 64, 48 }, { 300, 7 } };
    for (size_t p = 0; p < G_N_ELEMENTS(all_policies); p++) {
        for (int c = 0; c < CONTENT_COUNT; c++) {
            for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
                if (c == CONTENT_NOISE || c == CONTENT_TEXT) {
                    /* JPEG only meets the PSNR bar on photo-like content, and only photo-like
                     * content gets JPEG under AUTO; under QUIC text/noise would go JPEG. */
                    if (all_policies[p] == SPICE_IMAGE_COMPRESSION_QUIC) {
                        continue;
                    }
                }
                type_with_peer((Content)c, SPICE_BITMAP_FMT_RGBA, sizes[i][0], sizes[i][1],
                               all_policies[p], peer_all, true, &size);
                type_with_peer((Content)c, SPICE_BITMAP_FMT_32BIT, sizes[i][0], sizes[i][1],
                               all_policies[p], peer_all, true, &size);
            }
        }
    }
}

/* ZLIB_GLZ_RGB: zlib over GLZ when allowed and smaller; the window stays in step (the next
 * image references the zlib one). */
static void test_zlib_glz(void)
{
    GlzDictionary *dict = glz_dictionary_new(1u << 20);
    GlzWindow *window = glz_window_new(1u << 20);
    TestImage first, again;
    make_image(&first, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, 8, 41);
    make_image(&again, CONTENT_TEXT, SPICE_BITMAP_FMT_32BIT, 256, 192, 0, 42);
    first.src.glz = again.src.glz = dict;
    first.src.peer.zlib_glz = again.src.peer.zlib_glz = true;
    size_t first_size, again_size;
    uint64_t id = 99;
    g_assert_cmpuint(encode_glz_and_check(&first.src, SPICE_IMAGE_COMPRESSION_AUTO_GLZ, window,
                                          &first_size, &id), ==, SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB);
    g_assert_cmpuint(id, ==, 0);
    /* The redraw's GLZ stream is tiny (one long match): under 100 bytes it stays GLZ. */
    uint8_t type = encode_glz_and_check(&again.src, SPICE_IMAGE_COMPRESSION_GLZ, window,
                                        &again_size, &id);
    g_assert_true(type == SPICE_IMAGE_TYPE_GLZ_RGB || type == SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB);
    g_assert_cmpuint(id, ==, 1);
    g_test_message("zlib-glz: first %zu redraw %zu (%s)", first_size, again_size,
                   type == SPICE_IMAGE_TYPE_GLZ_RGB ? "GLZ" : "ZLIB_GLZ");
    /* Without the allowance: plain GLZ, larger than its zlib form. */
    GlzDictionary *dict2 = glz_dictionary_new(1u << 20);
    GlzWindow *window2 = glz_window_new(1u << 20);
    first.src.glz = dict2;
    first.src.peer.zlib_glz = false;
    size_t plain_size;
    g_assert_cmpuint(encode_glz_and_check(&first.src, SPICE_IMAGE_COMPRESSION_GLZ, window2,
                                          &plain_size, &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(first_size, <, plain_size);
    free_image(&first);
    free_image(&again);
    glz_window_free(window);
    glz_dictionary_free(dict);
    glz_window_free(window2);
    glz_dictionary_free(dict2);
}

/* AUTO_GLZ: a photo the client already has goes as GLZ references (smaller than QUIC); a fresh
 * one as QUIC, leaving the dictionary as it was. */
static void test_auto_glz_photo_redraw(void)
{
    GlzDictionary *dict = glz_dictionary_new(1u << 20);
    GlzWindow *window = glz_window_new(1u << 20);
    TestImage photo, other;
    make_image(&photo, CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, 0, 51);
    make_image(&other, CONTENT_PHOTO, SPICE_BITMAP_FMT_32BIT, 256, 192, 0, 52);
    photo.src.glz = other.src.glz = dict;
    size_t size, quic_size;
    uint64_t id = 99;
    /* Put the photo in the window first (as GLZ would), then redraw it under AUTO_GLZ. */
    g_assert_cmpuint(encode_glz_and_check(&photo.src, SPICE_IMAGE_COMPRESSION_GLZ, window, &size,
                                          &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(encode_glz_and_check(&photo.src, SPICE_IMAGE_COMPRESSION_AUTO_GLZ, window,
                                          &size, &id), ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(id, ==, 1);
    /* A fresh photo: QUIC, no id used. */
    g_assert_cmpuint(encode_glz_and_check(&other.src, SPICE_IMAGE_COMPRESSION_AUTO_GLZ, window,
                                          &quic_size, &id), ==, SPICE_IMAGE_TYPE_QUIC);
    g_assert_cmpuint(glz_dictionary_next_id(dict), ==, 2);
    g_test_message("auto_glz photo redraw: %zu bytes of GLZ", size);
    g_assert_cmpuint(size * 10, <, 256 * 192 * 4);
    free_image(&photo);
    free_image(&other);
    glz_window_free(window);
    glz_dictionary_free(dict);
}

/* The WAN switches and PREFERRED_COMPRESSION's validation. */
static void test_wan_and_preferred(void)
{
    g_assert_true(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_ALWAYS, false));
    g_assert_true(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_ALWAYS, true));
    g_assert_true(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_AUTO, true));
    g_assert_false(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_AUTO, false));
    g_assert_false(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_NEVER, true));
    g_assert_false(image_encoder_wan_enabled(SPICE_WAN_COMPRESSION_INVALID, true));
    g_assert_false(image_encoder_wan_enabled((spice_wan_compression_t)77, true));
    unsigned valid = 0;
    for (unsigned v = 0; v < 256; v++) {
        valid += image_encoder_policy_valid((uint8_t)v);
    }
    g_assert_cmpuint(valid, ==, SPICE_IMAGE_COMPRESSION_ENUM_END - 1);   /* all but INVALID */
    g_assert_false(image_encoder_policy_valid(SPICE_IMAGE_COMPRESSION_INVALID));
    g_assert_true(image_encoder_policy_valid(SPICE_IMAGE_COMPRESSION_OFF));
    g_assert_true(image_encoder_policy_valid(SPICE_IMAGE_COMPRESSION_LZ4));
    g_assert_false(image_encoder_policy_valid(SPICE_IMAGE_COMPRESSION_ENUM_END));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/image-encoder/round-trips", test_round_trips);
    g_test_add_func("/image-encoder/glz-sequence", test_glz_sequence);
    g_test_add_func("/image-encoder/glz-too-large-goes-lz", test_glz_too_large_goes_lz);
    g_test_add_func("/image-encoder/glz-kept-copies", test_glz_kept_copies);
    g_test_add_func("/image-encoder/policy-choices", test_policy_choices);
    g_test_add_func("/image-encoder/auto-picks-the-smaller", test_auto_picks_the_smaller);
    g_test_add_func("/image-encoder/photo-heuristic", test_photo_heuristic);
    g_test_add_func("/image-encoder/srvcomp/lz4-needs-the-cap", test_lz4_needs_the_cap);
    g_test_add_func("/image-encoder/srvcomp/jpeg-replaces-quic", test_jpeg_replaces_quic);
    g_test_add_func("/image-encoder/srvcomp/zlib-glz", test_zlib_glz);
    g_test_add_func("/image-encoder/srvcomp/wan-and-preferred", test_wan_and_preferred);
    g_test_add_func("/image-encoder/srvcomp/auto-glz-photo-redraw", test_auto_glz_photo_redraw);
    return g_test_run();
}
