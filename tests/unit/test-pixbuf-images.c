/* test-pixbuf-images: deterministic synthetic images in every pixbuf format, for codec tests and benchmarks. */
#include "test-pixbuf-images.h"

#include <string.h>

const char *test_image_kind_name(TestImageKind kind)
{
    switch (kind) {
    case TEST_IMAGE_FLAT: return "flat";
    case TEST_IMAGE_GRADIENT: return "gradient";
    case TEST_IMAGE_TEXT: return "text";
    case TEST_IMAGE_NOISE: return "noise";
    case TEST_IMAGE_KIND_COUNT: break;
    }
    return "?";
}

static uint32_t mix(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x7feb352dU;
    v ^= v >> 15;
    v *= 0x846ca68bU;
    v ^= v >> 16;
    return v;
}

/* Desktop-like content: a 24-row title bar, then 8x12 character cells holding one of 40
 * glyphs (so the same glyph recurs), some blank cells, and a coloured sidebar. */
static uint32_t text_pixel(uint32_t x, uint32_t y, uint32_t seed)
{
    if (y < 24) {
        return 0xFF000000u | (0x20u + y * 2) << 16 | (0x40u + y * 3) << 8 | 0xC0u;
    }
    if (x % 400 < 40) {
        return 0xFF3C3F41u;
    }
    uint32_t cx = x / 8, cy = (y - 24) / 12, gx = x % 8, gy = (y - 24) % 12;
    uint32_t cell = mix(cx * 7919u + cy * 104729u + seed);
    if (cell % 5 == 0 || gx == 7 || gy >= 10) {
        return 0xFFF0F0F0u;
    }
    uint32_t glyph = cell % 40;
    bool ink = mix(glyph * 131u + gx * 17u + gy * 257u) % 10 < 4;
    return ink ? 0xFF101010u + (cy % 3 == 0 ? 0x00800000u : 0) : 0xFFF0F0F0u;
}

static uint32_t argb_at(TestImageKind kind, uint32_t x, uint32_t y, uint32_t seed)
{
    switch (kind) {
    case TEST_IMAGE_FLAT:
        return 0xC0000000u | (mix(seed) & 0x00FFFFFFu);
    case TEST_IMAGE_GRADIENT:
        return (x * 3 + y) << 24 | ((x + seed) & 0xFF) << 16 | (y & 0xFF) << 8 | ((x + y) / 2 & 0xFF);
    case TEST_IMAGE_TEXT:
        return text_pixel(x, y, seed);
    case TEST_IMAGE_NOISE:
    case TEST_IMAGE_KIND_COUNT:
        break;
    }
    return mix(x * 0x9E3779B1u ^ mix(y + seed * 0x85EBCA77u));
}

void test_pixbuf_set_fourth_byte(Pixbuf *pb, uint8_t value)
{
    for (uint32_t y = 0; y < pb->height; y++) {
        uint8_t *row = pixbuf_row(pb, y);
        for (uint32_t x = 0; x < pb->width; x++) {
            row[4 * x + 3] = value;
        }
    }
}

void test_image_fill(Pixbuf *pb, TestImageKind kind, uint32_t seed)
{
    for (uint32_t y = 0; y < pb->height; y++) {
        uint8_t *row = pixbuf_row(pb, y);
        size_t row_bytes;
        (void)pixbuf_row_bytes(pb->format, pb->width, &row_bytes);
        if (pixbuf_format_is_palette(pb->format)) {
            memset(row, 0, row_bytes);   /* padding bits stay 0 */
        }
        for (uint32_t x = 0; x < pb->width; x++) {
            uint32_t v = argb_at(kind, x, y, seed);
            uint8_t a = v >> 24, r = v >> 16, g = v >> 8, b = v;
            uint32_t index = (uint32_t)(r ^ (g >> 1) ^ (b >> 2));
            switch (pb->format) {
            case PIXBUF_FORMAT_XRGB32:
                /* Garbage in X: every codec must ignore it. */
                row[4 * x] = b; row[4 * x + 1] = g; row[4 * x + 2] = r;
                row[4 * x + 3] = (uint8_t)(x * 7 + y);
                break;
            case PIXBUF_FORMAT_ARGB32:
                row[4 * x] = b; row[4 * x + 1] = g; row[4 * x + 2] = r; row[4 * x + 3] = a;
                break;
            case PIXBUF_FORMAT_RGB24:
                row[3 * x] = b; row[3 * x + 1] = g; row[3 * x + 2] = r;
                break;
            case PIXBUF_FORMAT_RGB16: {
                uint16_t p = (uint16_t)((r >> 3) << 10 | (g >> 3) << 5 | b >> 3);
                memcpy(row + 2 * x, &p, 2);
                break;
            }
            case PIXBUF_FORMAT_A8:
            case PIXBUF_FORMAT_PLT8:
                row[x] = pb->format == PIXBUF_FORMAT_A8 ? a : (uint8_t)index;
                break;
            case PIXBUF_FORMAT_PLT4_LE:
                row[x / 2] |= (uint8_t)((index & 15) << (x % 2 ? 4 : 0));
                break;
            case PIXBUF_FORMAT_PLT4_BE:
                row[x / 2] |= (uint8_t)((index & 15) << (x % 2 ? 0 : 4));
                break;
            case PIXBUF_FORMAT_PLT1_LE:
                row[x / 8] |= (uint8_t)((index & 1) << (x % 8));
                break;
            case PIXBUF_FORMAT_PLT1_BE:
                row[x / 8] |= (uint8_t)((index & 1) << (7 - x % 8));
                break;
            case PIXBUF_FORMAT_INVALID:
                break;
            }
        }
    }
}

bool test_pixbuf_same_pixels(const Pixbuf *a, const Pixbuf *b)
{
    if (a->format != b->format || a->width != b->width || a->height != b->height) {
        return false;
    }
    size_t row_bytes;
    (void)pixbuf_row_bytes(a->format, a->width, &row_bytes);
    for (uint32_t y = 0; y < a->height; y++) {
        const uint8_t *ra = pixbuf_row(a, y), *rb = pixbuf_row(b, y);
        if (a->format == PIXBUF_FORMAT_XRGB32) {
            for (uint32_t x = 0; x < a->width; x++) {
                if (memcmp(ra + 4 * x, rb + 4 * x, 3) != 0) {
                    return false;
                }
            }
        } else if (memcmp(ra, rb, row_bytes) != 0) {
            return false;
        }
    }
    return true;
}
