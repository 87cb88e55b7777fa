/* test-pixbuf-images: deterministic synthetic images in every pixbuf format, for codec tests and benchmarks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

typedef enum TestImageKind {
    TEST_IMAGE_FLAT,      /* one colour */
    TEST_IMAGE_GRADIENT,  /* smooth ramps in every channel */
    TEST_IMAGE_TEXT,      /* desktop-like: title bar, repeated glyphs on a light background */
    TEST_IMAGE_NOISE,     /* uniform random bytes: the incompressible worst case */
    TEST_IMAGE_KIND_COUNT,
} TestImageKind;

const char *test_image_kind_name(TestImageKind kind);

/* Fills every pixel of @pb (any format) from @kind and @seed. Unused bits (the X byte of XRGB32,
 * PLT row padding) get deterministic garbage/zero as noted in the .c, so codecs must ignore them. */
void test_image_fill(Pixbuf *pb, TestImageKind kind, uint32_t seed);

/* Sets the 4th byte (X or alpha) of every pixel of the 32-bit @pb to @value: XRGB32 as guests
 * draw it (X 0 or 255), where test_image_fill leaves garbage. */
void test_pixbuf_set_fourth_byte(Pixbuf *pb, uint8_t value);

/* True if @a and @b hold the same pixels: same geometry and format, row bytes equal; for XRGB32
 * the 4th byte is ignored (PLT row padding bits are compared: LZ carries them). */
bool test_pixbuf_same_pixels(const Pixbuf *a, const Pixbuf *b);
