/* test-jpeg: JPEG, JPEG_ALPHA and MJPEG frames (codecs/jpeg*.c, mjpeg.c): quality floors, exact
 * alpha, and every error path (truncation, corrupt and oversized headers, bad descriptors). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <stdio.h>
#include <jpeglib.h>

#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/mjpeg.h"

/* Photo-like picture: smooth colour fields, some edges and mild noise (what JPEG is chosen for).
 * The alpha byte gets a radial ramp with a hard-edged hole, so LZ has real work to do. */
static void fill_photo(Pixbuf *pb, uint32_t seed)
{
    GRand *rand = g_rand_new_with_seed(seed);
    for (uint32_t y = 0; y < pb->height; y++) {
        uint8_t *row = pixbuf_row(pb, y);
        for (uint32_t x = 0; x < pb->width; x++) {
            double fx = x / 37.0, fy = y / 23.0;
            int r = (int)(128 + 90 * sin(fx + seed) * cos(fy * 0.7));
            int g = (int)(128 + 80 * sin(fx * 0.5 + fy * 0.8));
            int b = (int)(100 + 60 * cos(fy * 1.3 - fx * 0.2)) + ((x / 64 + y / 64) % 2 ? 40 : 0);
            int noise = g_rand_int_range(rand, -4, 5);
            uint8_t *px = row + (size_t)x * 4u;
            px[0] = (uint8_t)CLAMP(b + noise, 0, 255);
            px[1] = (uint8_t)CLAMP(g + noise, 0, 255);
            px[2] = (uint8_t)CLAMP(r + noise, 0, 255);
            double dx = x - pb->width / 2.0, dy = y - pb->height / 2.0;
            double d = sqrt(dx * dx + dy * dy);
            px[3] = d < 5 ? 0 : (uint8_t)CLAMP((int)(255 - d), 16, 255);
        }
    }
    g_rand_free(rand);
}

/* PSNR in dB over the B, G, R bytes of two 32-bit images of equal geometry. */
static double psnr_bgr(const Pixbuf *a, const Pixbuf *b)
{
    g_assert_cmpuint(a->width, ==, b->width);
    g_assert_cmpuint(a->height, ==, b->height);
    double sum = 0;
    for (uint32_t y = 0; y < a->height; y++) {
        const uint8_t *ra = pixbuf_row(a, y), *rb = pixbuf_row(b, y);
        for (uint32_t i = 0; i < a->width * 4u; i++) {
            if (i % 4 == 3) {
                continue;
            }
            double d = (double)ra[i] - rb[i];
            sum += d * d;
        }
    }
    double mse = sum / ((double)a->width * a->height * 3);
    return mse == 0 ? 99.0 : 10 * log10(255.0 * 255.0 / mse);
}

static uint8_t *encode_jpeg(const Pixbuf *src, int quality, size_t *size)
{
    size_t bound = jpeg_encode_bound(src->width, src->height);
    g_assert_cmpuint(bound, >, 0);
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(jpeg_encode(src, quality, out, bound, size), ==, CODEC_OK);
    g_assert_cmpuint(*size, <=, bound);
    g_assert_cmpuint(*size, >, 4);
    return out;
}

static Pixbuf photo(uint32_t w, uint32_t h, PixbufFormat format)
{
    Pixbuf pb;
    g_assert_cmpint(pixbuf_alloc(&pb, format, w, h), ==, CODEC_OK);
    fill_photo(&pb, w * 7 + h);
    return pb;
}

/* Offset of the SOF0 segment's marker in our baseline stream. */
static size_t find_sof0(const uint8_t *s, size_t size)
{
    for (size_t i = 2; i + 9 < size; i++) {
        if (s[i] == 0xFF && s[i + 1] == 0xC0) {
            return i;
        }
    }
    g_assert_not_reached();
}

/* Stated floor: > 30 dB at quality 85 on the photo-like image; X = 0 / alpha = 255 written. */
static void test_jpeg_round_trip(void)
{
    static const uint32_t sizes[][2] = { { 640, 480 }, { 1, 1 }, { 17, 9 }, { 33, 65 } };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        Pixbuf src = photo(sizes[i][0], sizes[i][1], PIXBUF_FORMAT_XRGB32);
        size_t size;
        uint8_t *s = encode_jpeg(&src, JPEG_DEFAULT_QUALITY, &size);
        g_assert_cmpint(s[0], ==, 0xFF);
        g_assert_cmpint(s[1], ==, 0xD8);
        uint32_t w = 0, h = 0;
        g_assert_cmpint(jpeg_read_size(s, size, &w, &h), ==, CODEC_OK);
        g_assert_cmpuint(w, ==, sizes[i][0]);
        g_assert_cmpuint(h, ==, sizes[i][1]);

        Pixbuf dst;
        g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 1u << 24, &dst), ==,
                        CODEC_OK);
        double p = psnr_bgr(&src, &dst);
        if (src.width * src.height > 64) {
            g_assert_cmpfloat(p, >, 30.0);
        } else {
            g_assert_cmpfloat(p, >, 20.0);  /* tiny images are mostly block edges */
        }
        for (uint32_t y = 0; y < dst.height; y++) {
            for (uint32_t x = 0; x < dst.width; x++) {
                g_assert_cmpint(pixbuf_row(&dst, y)[x * 4 + 3], ==, 0);
            }
        }
        pixbuf_free(&dst);
        g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_ARGB32, 1u << 24, &dst), ==,
                        CODEC_OK);
        g_assert_cmpint(pixbuf_row(&dst, dst.height - 1)[(dst.width - 1) * 4 + 3], ==, 255);
        pixbuf_free(&dst);
        g_free(s);
        pixbuf_free(&src);
    }
}

/* RGB24 source, padded stride, and quality actually changes the size. */
static void test_jpeg_sources_and_quality(void)
{
    Pixbuf src = photo(200, 120, PIXBUF_FORMAT_XRGB32);
    Pixbuf rgb24, padded;
    g_assert_cmpint(pixbuf_alloc(&rgb24, PIXBUF_FORMAT_RGB24, 200, 120), ==, CODEC_OK);
    size_t pad_stride = 200 * 4 + 12;
    uint8_t *pad_mem = g_malloc0(pad_stride * 120);
    g_assert_cmpint(pixbuf_init_view(&padded, PIXBUF_FORMAT_XRGB32, 200, 120, pad_stride, pad_mem,
                                     pad_stride * 120), ==, CODEC_OK);
    for (uint32_t y = 0; y < 120; y++) {
        for (uint32_t x = 0; x < 200; x++) {
            memcpy(pixbuf_row(&rgb24, y) + x * 3, pixbuf_row(&src, y) + x * 4, 3);
        }
        memcpy(pixbuf_row(&padded, y), pixbuf_row(&src, y), 200 * 4);
    }
    size_t s1, s2, s3, s_low;
    uint8_t *a = encode_jpeg(&src, 85, &s1);
    uint8_t *b = encode_jpeg(&rgb24, 85, &s2);
    uint8_t *c = encode_jpeg(&padded, 85, &s3);
    uint8_t *low = encode_jpeg(&src, 20, &s_low);
    /* Same pixels, same encoder settings: identical streams whatever the source layout. */
    g_assert_cmpuint(s1, ==, s2);
    g_assert_cmpmem(a, s1, b, s2);
    g_assert_cmpmem(a, s1, c, s3);
    g_assert_cmpuint(s_low, <, s1 * 3 / 4);

    Pixbuf dst;
    g_assert_cmpint(jpeg_decode_new(low, s_low, PIXBUF_FORMAT_XRGB32, 1u << 24, &dst), ==,
                    CODEC_OK);
    g_assert_cmpfloat(psnr_bgr(&src, &dst), >, 24.0);
    pixbuf_free(&dst);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(low);
    g_free(pad_mem);
    pixbuf_free(&rgb24);
    pixbuf_free(&src);
}

static void test_jpeg_encode_errors(void)
{
    Pixbuf src = photo(64, 64, PIXBUF_FORMAT_XRGB32);
    size_t bound = jpeg_encode_bound(64, 64), size = 1234;
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(jpeg_encode(&src, 0, out, bound, &size), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(jpeg_encode(&src, 101, out, bound, &size), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(jpeg_encode(NULL, 85, out, bound, &size), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(jpeg_encode(&src, 85, out, 100, &size), ==, CODEC_ERR_NO_SPACE);
    g_assert_cmpint(jpeg_encode(&src, 85, out, 0, &size), ==, CODEC_ERR_NO_SPACE);
    Pixbuf a8;
    g_assert_cmpint(pixbuf_alloc(&a8, PIXBUF_FORMAT_A8, 8, 8), ==, CODEC_OK);
    g_assert_cmpint(jpeg_encode(&a8, 85, out, bound, &size), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpuint(jpeg_encode_bound(0, 5), ==, 0);
    g_assert_cmpuint(jpeg_encode_bound(65501, 5), ==, 0);
    g_assert_cmpuint(jpeg_encode_bound(65500, 65500), ==, 0);  /* over PIXBUF_MAX_BYTES */
    /* After NO_SPACE the encoder still works (the error path cleaned up). */
    g_assert_cmpint(jpeg_encode(&src, 85, out, bound, &size), ==, CODEC_OK);
    pixbuf_free(&a8);
    pixbuf_free(&src);
    g_free(out);
}

/* Every prefix of a stream is refused; none reads past its end (ASan watches the copy). */
static void test_jpeg_truncation(void)
{
    Pixbuf src = photo(48, 40, PIXBUF_FORMAT_XRGB32);
    size_t size;
    uint8_t *s = encode_jpeg(&src, 85, &size);
    Pixbuf dst;
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *copy = g_memdup2(s, cut);
        CodecStatus st = jpeg_decode_new(copy, cut, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst);
        if (st == CODEC_OK) {
            g_error("prefix of %zu/%zu bytes decoded", cut, size);
        }
        g_assert_null(dst.data);
        if (cut > 300) {
            /* past the headers, a cut stream is reported as such */
            g_assert_cmpint(st, ==, CODEC_ERR_TRUNCATED);
        }
        g_free(copy);
    }
    g_free(s);
    pixbuf_free(&src);
}

static void test_jpeg_corrupt_headers(void)
{
    Pixbuf src = photo(48, 40, PIXBUF_FORMAT_XRGB32);
    size_t size;
    uint8_t *s = encode_jpeg(&src, 85, &size);
    size_t sof = find_sof0(s, size);
    Pixbuf dst;

    uint8_t *bad = g_memdup2(s, size);
    bad[0] = 0x00;  /* not SOI */
    g_assert_cmpint(jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), ==,
                    CODEC_ERR_CORRUPT);
    memcpy(bad, s, size);
    bad[sof + 5] = bad[sof + 6] = 0;  /* height 0 */
    g_assert_cmpint(jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), !=,
                    CODEC_OK);
    memcpy(bad, s, size);
    bad[sof + 5] = 0xFF; /* height 65500 x width 65500: refused before any allocation */
    bad[sof + 6] = 0xDC;
    bad[sof + 7] = 0xFF;
    bad[sof + 8] = 0xDC;
    g_assert_cmpint(jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 24, &dst), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_null(dst.data);
    memcpy(bad, s, size);
    bad[sof + 9] = 4;  /* 4 components claimed, 3 present: inconsistent segment length */
    g_assert_cmpint(jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), !=,
                    CODEC_OK);
    memcpy(bad, s, size);
    bad[sof + 4] = 12;  /* 12-bit precision: not baseline */
    g_assert_cmpint(jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), !=,
                    CODEC_OK);

    /* Geometry of a caller buffer must match the stream. */
    Pixbuf wrong;
    g_assert_cmpint(pixbuf_alloc(&wrong, PIXBUF_FORMAT_XRGB32, 47, 40), ==, CODEC_OK);
    g_assert_cmpint(jpeg_decode(s, size, &wrong), ==, CODEC_ERR_BAD_HEADER);
    pixbuf_free(&wrong);
    g_assert_cmpint(pixbuf_alloc(&wrong, PIXBUF_FORMAT_RGB24, 48, 40), ==, CODEC_OK);
    g_assert_cmpint(jpeg_decode(s, size, &wrong), ==, CODEC_ERR_INVALID_ARGUMENT);
    pixbuf_free(&wrong);
    /* max_pixels is exclusive of nothing: exactly w*h passes, one less fails. */
    g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 48 * 40 - 1, &dst), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 48 * 40, &dst), ==, CODEC_OK);
    pixbuf_free(&dst);

    /* Random damage anywhere: any status, never a crash or an out-of-bounds access. */
    GRand *rand = g_rand_new_with_seed(7);
    int refused = 0;
    for (int i = 0; i < 400; i++) {
        memcpy(bad, s, size);
        for (int k = 0; k < 3; k++) {
            bad[g_rand_int_range(rand, 0, (gint32)size)] = (uint8_t)g_rand_int(rand);
        }
        if (jpeg_decode_new(bad, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst) != CODEC_OK) {
            refused++;
        }
        pixbuf_free(&dst);
    }
    g_assert_cmpint(refused, >, 0);
    g_rand_free(rand);
    g_free(bad);
    g_free(s);
    pixbuf_free(&src);
}


/* A stream made with libjpeg directly, in layouts our encoder never makes (what another peer or
 * a hostile one could send): @components 1 (gray), 3 (RGB in, YCbCr out) or 4 (CMYK), optionally
 * progressive. Pixels: a ramp. The caller frees the result with free(). */
static uint8_t *foreign_jpeg(uint32_t w, uint32_t h, int components, bool progressive,
                             size_t *size)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long mem_size = 0;
    jpeg_mem_dest(&c, &mem, &mem_size);
    c.image_width = w;
    c.image_height = h;
    c.input_components = components;
    c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    if (progressive) {
        jpeg_simple_progression(&c);
    }
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = g_malloc((size_t)w * (size_t)components);
    while (c.next_scanline < h) {
        for (size_t i = 0; i < (size_t)w * (size_t)components; i++) {
            row[i] = (uint8_t)(i + c.next_scanline * 3);
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    g_free(row);
    *size = mem_size;
    return mem;
}

/* Grayscale and progressive streams decode; CMYK is refused as unsupported, not corrupt. */
static void test_jpeg_foreign_streams(void)
{
    Pixbuf dst;
    size_t size;
    uint8_t *s = foreign_jpeg(50, 20, 1, false, &size);
    g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), ==, CODEC_OK);
    const uint8_t *px = pixbuf_row(&dst, 10) + 20 * 4;
    g_assert_cmpint(px[0], ==, px[1]);  /* gray: B = G = R */
    g_assert_cmpint(px[1], ==, px[2]);
    g_assert_cmpint(abs((int)px[0] - (20 + 30)), <=, 3);
    pixbuf_free(&dst);
    free(s);

    s = foreign_jpeg(50, 20, 3, true, &size);
    g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), ==, CODEC_OK);
    g_assert_cmpuint(dst.width, ==, 50);
    pixbuf_free(&dst);
    for (size_t cut = 0; cut < size; cut += 5) {
        g_assert_cmpint(jpeg_decode_new(s, cut, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), !=,
                        CODEC_OK);
    }
    free(s);

    s = foreign_jpeg(8, 8, 4, false, &size);
    g_assert_cmpint(jpeg_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 1u << 20, &dst), ==,
                    CODEC_ERR_UNSUPPORTED);
    g_assert_null(dst.data);
    free(s);
}

static uint8_t *encode_alpha(const Pixbuf *src, bool top_down, size_t *size,
                             JpegAlphaDescriptor *desc)
{
    size_t bound = jpeg_alpha_encode_bound(src->width, src->height);
    g_assert_cmpuint(bound, >, 0);
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(jpeg_alpha_encode(src, top_down, 85, out, bound, size, desc), ==, CODEC_OK);
    g_assert_cmpuint(desc->data_size, ==, *size);
    g_assert_cmpuint(desc->jpeg_size, <, *size);
    g_assert_cmpint(desc->top_down, ==, top_down);
    return out;
}

/* Alpha comes back exactly; colour above the floor; memory order kept for both flags. */
static void test_jpeg_alpha_round_trip(void)
{
    for (int td = 0; td < 2; td++) {
        Pixbuf src = photo(160, 90, PIXBUF_FORMAT_ARGB32);
        JpegAlphaDescriptor desc;
        size_t size;
        uint8_t *s = encode_alpha(&src, td, &size, &desc);

        /* The JPEG part is the picture from the top: for a bottom-up source, its first row is
         * the source's last row. */
        Pixbuf jpg;
        g_assert_cmpint(jpeg_decode_new(s, desc.jpeg_size, PIXBUF_FORMAT_XRGB32, 1u << 20, &jpg),
                        ==, CODEC_OK);
        if (!td) {
            pixbuf_flip_rows(&jpg);
        }
        g_assert_cmpfloat(psnr_bgr(&src, &jpg), >, 30.0);
        pixbuf_free(&jpg);
        LzHeader lz;
        g_assert_cmpint(lz_read_header(s + desc.jpeg_size, size - desc.jpeg_size, &lz), ==,
                        CODEC_OK);
        g_assert_cmpint(lz.type, ==, LZ_IMAGE_TYPE_XXXA);
        g_assert_cmpint(lz.top_down, ==, td);

        uint8_t wire[JPEG_ALPHA_DESCRIPTOR_SIZE];
        g_assert_cmpint(jpeg_alpha_write_descriptor(&desc, wire, sizeof(wire)), ==, CODEC_OK);
        g_assert_cmpint(wire[0], ==, td ? 1 : 0);
        JpegAlphaDescriptor back;
        g_assert_cmpint(jpeg_alpha_read_descriptor(wire, sizeof(wire), &back), ==, CODEC_OK);
        g_assert_cmpint(back.top_down, ==, desc.top_down);
        g_assert_cmpuint(back.jpeg_size, ==, desc.jpeg_size);
        g_assert_cmpuint(back.data_size, ==, desc.data_size);

        Pixbuf dst;
        g_assert_cmpint(jpeg_alpha_decode_new(&back, s, size, 1u << 20, &dst), ==, CODEC_OK);
        g_assert_cmpint(dst.format, ==, PIXBUF_FORMAT_ARGB32);
        g_assert_cmpfloat(psnr_bgr(&src, &dst), >, 30.0);
        for (uint32_t y = 0; y < src.height; y++) {
            for (uint32_t x = 0; x < src.width; x++) {
                g_assert_cmpint(pixbuf_row(&dst, y)[x * 4 + 3], ==, pixbuf_row(&src, y)[x * 4 + 3]);
            }
        }
        pixbuf_free(&dst);
        g_free(s);
        pixbuf_free(&src);
    }
}

static void test_jpeg_alpha_errors(void)
{
    Pixbuf src = photo(40, 30, PIXBUF_FORMAT_ARGB32);
    JpegAlphaDescriptor desc, d;
    size_t size;
    uint8_t *s = encode_alpha(&src, true, &size, &desc);
    Pixbuf dst;

    /* descriptor parsing */
    uint8_t wire[JPEG_ALPHA_DESCRIPTOR_SIZE] = { 2, 0, 0, 0, 0, 0, 0, 0, 0 };
    g_assert_cmpint(jpeg_alpha_read_descriptor(wire, 9, &d), ==, CODEC_ERR_BAD_HEADER);
    g_assert_cmpint(jpeg_alpha_read_descriptor(wire, 8, &d), ==, CODEC_ERR_TRUNCATED);
    uint8_t big[9] = { 1, 10, 0, 0, 0, 9, 0, 0, 0 };  /* jpeg_size 10 > data_size 9 */
    g_assert_cmpint(jpeg_alpha_read_descriptor(big, 9, &d), ==, CODEC_ERR_BAD_HEADER);
    g_assert_cmpint(jpeg_alpha_write_descriptor(&desc, wire, 8), ==, CODEC_ERR_NO_SPACE);

    /* data shorter / longer than data_size */
    g_assert_cmpint(jpeg_alpha_decode_new(&desc, s, size - 1, 1u << 20, &dst), ==,
                    CODEC_ERR_TRUNCATED);
    d = desc;
    d.data_size = (uint32_t)size - 1;
    g_assert_cmpint(jpeg_alpha_decode_new(&d, s, size, 1u << 20, &dst), ==, CODEC_ERR_BAD_HEADER);
    /* flag disagrees with the LZ header */
    d = desc;
    d.top_down = false;
    g_assert_cmpint(jpeg_alpha_decode_new(&d, s, size, 1u << 20, &dst), ==, CODEC_ERR_BAD_HEADER);
    /* jpeg_size off by one either way */
    d = desc;
    d.jpeg_size--;
    g_assert_cmpint(jpeg_alpha_decode_new(&d, s, size, 1u << 20, &dst), !=, CODEC_OK);
    d.jpeg_size += 2;
    g_assert_cmpint(jpeg_alpha_decode_new(&d, s, size, 1u << 20, &dst), !=, CODEC_OK);
    d.jpeg_size = desc.data_size + 1;
    g_assert_cmpint(jpeg_alpha_decode_new(&d, s, size, 1u << 20, &dst), ==, CODEC_ERR_BAD_HEADER);
    /* over the pixel cap */
    g_assert_cmpint(jpeg_alpha_decode_new(&desc, s, size, 40 * 30 - 1, &dst), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_null(dst.data);

    /* LZ part of another type, or another size */
    Pixbuf other = photo(40, 30, PIXBUF_FORMAT_ARGB32);
    size_t lz_bound = lz_encode_bound(LZ_IMAGE_TYPE_RGBA, 40, 31);
    uint8_t *mix = g_malloc(desc.jpeg_size + lz_bound);
    memcpy(mix, s, desc.jpeg_size);
    size_t lz_size;
    g_assert_cmpint(lz_encode(&other, LZ_IMAGE_TYPE_RGBA, true, mix + desc.jpeg_size, lz_bound,
                              &lz_size), ==, CODEC_OK);
    d = desc;
    d.data_size = (uint32_t)(desc.jpeg_size + lz_size);
    g_assert_cmpint(jpeg_alpha_decode_new(&d, mix, d.data_size, 1u << 20, &dst), ==,
                    CODEC_ERR_BAD_HEADER);
    pixbuf_free(&other);
    other = photo(40, 31, PIXBUF_FORMAT_ARGB32);
    g_assert_cmpint(lz_encode(&other, LZ_IMAGE_TYPE_XXXA, true, mix + desc.jpeg_size, lz_bound,
                              &lz_size), ==, CODEC_OK);
    d.data_size = (uint32_t)(desc.jpeg_size + lz_size);
    g_assert_cmpint(jpeg_alpha_decode_new(&d, mix, d.data_size, 1u << 20, &dst), ==,
                    CODEC_ERR_BAD_HEADER);
    g_free(mix);
    pixbuf_free(&other);

    /* every truncation of the whole data, descriptor adjusted to match: refused */
    for (size_t cut = 0; cut < size; cut += 7) {
        d = desc;
        d.data_size = (uint32_t)cut;
        if (d.jpeg_size > cut) {
            d.jpeg_size = (uint32_t)cut;
        }
        uint8_t *copy = g_memdup2(s, cut);
        g_assert_cmpint(jpeg_alpha_decode_new(&d, copy, cut, 1u << 20, &dst), !=, CODEC_OK);
        g_assert_null(dst.data);
        g_free(copy);
    }
    /* encoder: wrong format, no space */
    Pixbuf x;
    g_assert_cmpint(pixbuf_alloc(&x, PIXBUF_FORMAT_XRGB32, 4, 4), ==, CODEC_OK);
    uint8_t out[64];
    g_assert_cmpint(jpeg_alpha_encode(&x, true, 85, out, sizeof(out), &size, &d), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(jpeg_alpha_encode(&src, true, 85, out, sizeof(out), &size, &d), ==,
                    CODEC_ERR_NO_SPACE);
    pixbuf_free(&x);
    g_free(s);
    pixbuf_free(&src);
}

/* MJPEG: > 28 dB at quality 70 (fast DCT, no fancy upsampling); frames independent. */
static void test_mjpeg_frames(void)
{
    Pixbuf a = photo(320, 240, PIXBUF_FORMAT_XRGB32);
    Pixbuf b = photo(320, 240, PIXBUF_FORMAT_XRGB32);
    for (size_t i = 0; i < (size_t)b.stride * b.height; i++) {
        b.data[i] = (uint8_t)(255 - b.data[i]);  /* a negative: a clearly different frame */
    }
    size_t bound = mjpeg_encode_frame_bound(320, 240);
    uint8_t *fa = g_malloc(bound), *fb = g_malloc(bound);
    size_t sa, sb;
    g_assert_cmpint(mjpeg_encode_frame(&a, 70, fa, bound, &sa), ==, CODEC_OK);
    g_assert_cmpint(mjpeg_encode_frame(&b, 70, fb, bound, &sb), ==, CODEC_OK);
    Pixbuf da, db;
    /* decode out of order: each frame carries its own tables */
    g_assert_cmpint(mjpeg_decode_frame_new(fb, sb, 1u << 20, &db), ==, CODEC_OK);
    g_assert_cmpint(mjpeg_decode_frame_new(fa, sa, 1u << 20, &da), ==, CODEC_OK);
    g_assert_cmpfloat(psnr_bgr(&a, &da), >, 28.0);
    g_assert_cmpfloat(psnr_bgr(&b, &db), >, 28.0);
    g_assert_cmpfloat(psnr_bgr(&a, &db), <, 15.0);  /* the frames really differ */
    pixbuf_free(&da);
    pixbuf_free(&db);
    g_assert_cmpint(mjpeg_decode_frame_new(fa, sa, 320 * 240 - 1, &da), ==, CODEC_ERR_TOO_LARGE);
    for (size_t cut = 0; cut < sa; cut += 13) {
        uint8_t *copy = g_memdup2(fa, cut);
        g_assert_cmpint(mjpeg_decode_frame_new(copy, cut, 1u << 20, &da), !=, CODEC_OK);
        g_assert_null(da.data);
        g_free(copy);
    }
    g_assert_cmpint(mjpeg_encode_frame(&a, 70, fa, 200, &sa), ==, CODEC_ERR_NO_SPACE);
    g_free(fa);
    g_free(fb);
    pixbuf_free(&a);
    pixbuf_free(&b);
}

/* Writes our encoder's streams as fuzz seeds when JPEG_WRITE_SEEDS names a directory. */
static void maybe_write_seeds(void)
{
    const char *dir = g_getenv("JPEG_WRITE_SEEDS");
    if (dir == NULL) {
        return;
    }
    static const uint32_t sizes[][2] = { { 16, 16 }, { 17, 9 }, { 1, 1 }, { 40, 30 } };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        Pixbuf src = photo(sizes[i][0], sizes[i][1], PIXBUF_FORMAT_ARGB32);
        size_t size;
        uint8_t *s = encode_jpeg(&src, i == 0 ? 20 : 85, &size);
        char *path = g_strdup_printf("%s/jpeg-%ux%u.jpg", dir, src.width, src.height);
        g_assert_true(g_file_set_contents(path, (const char *)s, (gssize)size, NULL));
        g_free(path);
        g_free(s);
        JpegAlphaDescriptor desc;
        s = encode_alpha(&src, i % 2 == 0, &size, &desc);
        uint8_t *wire = g_malloc(size + JPEG_ALPHA_DESCRIPTOR_SIZE);
        jpeg_alpha_write_descriptor(&desc, wire, JPEG_ALPHA_DESCRIPTOR_SIZE);
        memcpy(wire + JPEG_ALPHA_DESCRIPTOR_SIZE, s, size);
        path = g_strdup_printf("%s/alpha-%ux%u.bin", dir, src.width, src.height);
        g_assert_true(g_file_set_contents(path, (const char *)wire,
                                          (gssize)(size + JPEG_ALPHA_DESCRIPTOR_SIZE), NULL));
        g_free(path);
        g_free(wire);
        g_free(s);
        pixbuf_free(&src);
    }
    size_t size;
    uint8_t *prog = foreign_jpeg(24, 16, 3, true, &size);
    char *path = g_strdup_printf("%s/progressive-24x16.jpg", dir);
    g_assert_true(g_file_set_contents(path, (const char *)prog, (gssize)size, NULL));
    g_free(path);
    free(prog);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    maybe_write_seeds();
    g_test_add_func("/jpeg/round-trip", test_jpeg_round_trip);
    g_test_add_func("/jpeg/sources-and-quality", test_jpeg_sources_and_quality);
    g_test_add_func("/jpeg/encode-errors", test_jpeg_encode_errors);
    g_test_add_func("/jpeg/truncation", test_jpeg_truncation);
    g_test_add_func("/jpeg/corrupt-headers", test_jpeg_corrupt_headers);
    g_test_add_func("/jpeg/foreign-streams", test_jpeg_foreign_streams);
    g_test_add_func("/jpeg-alpha/round-trip", test_jpeg_alpha_round_trip);
    g_test_add_func("/jpeg-alpha/errors", test_jpeg_alpha_errors);
    g_test_add_func("/mjpeg/frames", test_mjpeg_frames);
    return g_test_run();
}
