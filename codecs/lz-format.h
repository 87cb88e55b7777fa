/* lz-format: constants and helpers shared by the LZ encoder and decoder (private to codecs/). */
#pragma once

#include <stdint.h>
#include <string.h>

#include "codecs/lz.h"
#include "codecs/unaligned.h"

/* Pixel units are compared as little-endian words (B,G,R in the low bytes of an XRGB32 pixel). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "codecs/lz: only little-endian hosts are supported"
#endif

#define LZ_MAGIC 0x20205A4Cu      /* bytes "  ZL" in big-endian order */
#define LZ_VERSION 0x00010001u

/* A control byte below this starts a literal run of (byte + 1) units. */
#define LZ_MAX_LITERAL_RUN 32u
/* Offsets (distance - 1) up to this are "near": 5 bits in the control byte + one byte. The near
 * encoding of exactly this value (high bits 31, low byte 255) instead flags a far offset, which
 * adds a big-endian u16 to it. */
#define LZ_NEAR_OFFSET_LIMIT 8191u
#define LZ_FAR_OFFSET_MAX (LZ_NEAR_OFFSET_LIMIT + 65535u)

/*
 * The coding unit of a pass, which decides literal size, comparison and length bias:
 *   BYTE:  PLT rows and A8, one byte per unit
 *   RGB16: one u16 pixel, literal big-endian, compared on the low 15 bits
 *   RGB32: one pixel held as a u32 (B,G,R,X bytes), literal B,G,R, compared on B,G,R
 *   ALPHA: one pixel held as a u32, literal = the 4th byte, compared on it
 */
typedef enum LzUnit {
    LZ_UNIT_BYTE,
    LZ_UNIT_RGB16,
    LZ_UNIT_RGB32,
    LZ_UNIT_ALPHA,
} LzUnit;

/* A match of M units is coded with a 3-bit length field (+ extension bytes) holding M - bias. */
static inline unsigned lz_unit_length_bias(LzUnit unit)
{
    switch (unit) {
    case LZ_UNIT_RGB32: return 0;
    case LZ_UNIT_RGB16: return 1;
    case LZ_UNIT_BYTE:
    case LZ_UNIT_ALPHA: return 2;
    }
    return 0;
}

/* Pixels per byte of a PLT type (1 for everything else). */
static inline unsigned lz_type_pixels_per_byte(LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_PLT1_LE:
    case LZ_IMAGE_TYPE_PLT1_BE: return 8;
    case LZ_IMAGE_TYPE_PLT4_LE:
    case LZ_IMAGE_TYPE_PLT4_BE: return 2;
    default: return 1;
    }
}

static inline bool lz_type_is_palette(LzImageType type)
{
    return type >= LZ_IMAGE_TYPE_PLT1_LE && type <= LZ_IMAGE_TYPE_PLT8;
}

/* The pixbuf format whose rows are exactly the coded rows of @type (stride rules included). */
static inline PixbufFormat lz_type_row_format(LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_PLT1_LE: return PIXBUF_FORMAT_PLT1_LE;
    case LZ_IMAGE_TYPE_PLT1_BE: return PIXBUF_FORMAT_PLT1_BE;
    case LZ_IMAGE_TYPE_PLT4_LE: return PIXBUF_FORMAT_PLT4_LE;
    case LZ_IMAGE_TYPE_PLT4_BE: return PIXBUF_FORMAT_PLT4_BE;
    case LZ_IMAGE_TYPE_PLT8: return PIXBUF_FORMAT_PLT8;
    case LZ_IMAGE_TYPE_RGB16: return PIXBUF_FORMAT_RGB16;
    case LZ_IMAGE_TYPE_RGB24: return PIXBUF_FORMAT_RGB24;
    case LZ_IMAGE_TYPE_RGB32:
    case LZ_IMAGE_TYPE_RGBA:
    case LZ_IMAGE_TYPE_XXXA: return PIXBUF_FORMAT_ARGB32;
    case LZ_IMAGE_TYPE_A8: return PIXBUF_FORMAT_A8;
    case LZ_IMAGE_TYPE_INVALID: break;
    }
    return PIXBUF_FORMAT_INVALID;
}

