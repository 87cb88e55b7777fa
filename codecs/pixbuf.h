/* pixbuf: the pixel buffer every codec reads from and writes to, and the codecs' status values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/enums.h>

/*
 * Status returned by every codec function. Errors are values: a decoder given hostile bytes
 * returns one of these and never reads or writes outside the buffers it was given.
 */
typedef enum CodecStatus {
    CODEC_OK = 0,
    CODEC_ERR_INVALID_ARGUMENT, /* a caller bug: NULL pointer, wrong format for this codec */
    CODEC_ERR_TOO_LARGE,        /* dimensions over PIXBUF_MAX_*, or a size that overflows */
    CODEC_ERR_NO_MEMORY,        /* an allocation failed */
    CODEC_ERR_NO_SPACE,         /* the output buffer is smaller than needed */
    CODEC_ERR_BAD_MAGIC,        /* the stream does not start with the codec's magic/version */
    CODEC_ERR_BAD_HEADER,       /* header fields are inconsistent (type, stride, size) */
    CODEC_ERR_TRUNCATED,        /* the stream ends before the image is complete */
    CODEC_ERR_CORRUPT,          /* impossible codes: match before the start, overlong run, ... */
    CODEC_ERR_TRAILING_DATA,    /* bytes left after the image (upstream refuses these too) */
    CODEC_ERR_BAD_PALETTE,      /* palette missing, or an index outside it */
    CODEC_ERR_UNSUPPORTED,      /* a valid stream this decoder cannot convert to the output */
} CodecStatus;

/* A static English name for @status ("ok", "truncated stream", ...). Never NULL. */
const char *codec_status_to_str(CodecStatus status);

/*
 * Pixel formats. Values equal SPICE_BITMAP_FMT_* so a wire format byte converts with a check
 * (pixbuf_format_from_spice). Byte layouts are little-endian pixels as in SPICE bitmaps:
 *   XRGB32: bytes B, G, R, X (X ignored on input; codecs write 0)
 *   ARGB32: bytes B, G, R, A
 *   RGB24:  bytes B, G, R
 *   RGB16:  u16 x1r5g5b5 in host (little-endian) order; bit 15 ignored by comparisons
 *   A8:     one byte per pixel (also QUIC's GRAY)
 *   PLT*:   palette indices; 1BIT/4BIT pack 8/2 pixels per byte, *_BE with the leftmost pixel
 *           in the most significant bits, *_LE in the least significant bits.
 */
typedef enum PixbufFormat {
    PIXBUF_FORMAT_INVALID = SPICE_BITMAP_FMT_INVALID,
    PIXBUF_FORMAT_PLT1_LE = SPICE_BITMAP_FMT_1BIT_LE,
    PIXBUF_FORMAT_PLT1_BE = SPICE_BITMAP_FMT_1BIT_BE,
    PIXBUF_FORMAT_PLT4_LE = SPICE_BITMAP_FMT_4BIT_LE,
    PIXBUF_FORMAT_PLT4_BE = SPICE_BITMAP_FMT_4BIT_BE,
    PIXBUF_FORMAT_PLT8 = SPICE_BITMAP_FMT_8BIT,
    PIXBUF_FORMAT_RGB16 = SPICE_BITMAP_FMT_16BIT,
    PIXBUF_FORMAT_RGB24 = SPICE_BITMAP_FMT_24BIT,
    PIXBUF_FORMAT_XRGB32 = SPICE_BITMAP_FMT_32BIT,
    PIXBUF_FORMAT_ARGB32 = SPICE_BITMAP_FMT_RGBA,
    PIXBUF_FORMAT_A8 = SPICE_BITMAP_FMT_8BIT_A,
} PixbufFormat;

/* Limits every constructor enforces, so that width * height * 4 and stride * height always fit
 * comfortably in 32-bit signed arithmetic used by peers (upstream caps images at 1 GiB). */
#define PIXBUF_MAX_DIMENSION 65536u
#define PIXBUF_MAX_BYTES (1024u * 1024u * 1024u - 1u)

/*
 * Pixbuf: width x height pixels, rows top-down in memory: row y starts at data + y * stride.
 * (A codec that carries a top_down flag, like LZ, says in its header how rows map to the screen.)
 *
 * Ownership: a view (pixbuf_init_view) points at memory the caller owns and must keep alive;
 * an owned buffer (pixbuf_alloc) holds memory released by pixbuf_free. pixbuf_free is safe on
 * both kinds and on a zeroed struct. Codecs only ever borrow a Pixbuf for the duration of a call.
 * The struct is public so it can live on the stack; build it with the constructors, which check
 * every field, and do not change the fields afterwards.
 */
typedef struct Pixbuf {
    PixbufFormat format;
    uint32_t width;
    uint32_t height;
    size_t stride;   /* bytes from one row to the next, >= pixbuf_row_bytes() */
    uint8_t *data;   /* NULL only for an empty (0-pixel) image */
    bool owned;      /* true: data is ours, freed by pixbuf_free */
} Pixbuf;

/* Bits per pixel of @format (1, 4, 8, 16, 24, 32), 0 for an unknown format. */
unsigned pixbuf_format_bpp(PixbufFormat format);
/* True for the PLT1/PLT4/PLT8 formats. */
bool pixbuf_format_is_palette(PixbufFormat format);
/* Maps a wire byte (SPICE_BITMAP_FMT_*) to a format; PIXBUF_FORMAT_INVALID if unknown. */
PixbufFormat pixbuf_format_from_spice(uint32_t spice_bitmap_fmt);

/* Bytes needed for one row of @width pixels (rounded up to whole bytes for PLT1/PLT4).
 * CODEC_ERR_INVALID_ARGUMENT for an unknown format, CODEC_ERR_TOO_LARGE over the limits. */
CodecStatus pixbuf_row_bytes(PixbufFormat format, uint32_t width, size_t *out_row_bytes);

/*
 * Makes @pb a view of @data (which the caller owns). Checks: known format, width/height within
 * PIXBUF_MAX_DIMENSION, stride >= row bytes, (height - 1) * stride + row bytes <= @data_size
 * without overflow, and stride * height <= PIXBUF_MAX_BYTES. A 0-pixel image is allowed (data
 * may then be NULL). On error @pb is zeroed.
 */
CodecStatus pixbuf_init_view(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height,
                             size_t stride, void *data, size_t data_size);

/*
 * Allocates a zero-filled owned buffer with the tightest stride (pixbuf_row_bytes). Same checks
 * as pixbuf_init_view. On error @pb is zeroed. Release with pixbuf_free.
 */
CodecStatus pixbuf_alloc(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height);
/*
 * pixbuf_alloc without zeroing the pixels (their bytes are indeterminate), for a decoder that
 * writes every one of them: zeroing a frame is a pass over memory as long as a fast decode.
 */
CodecStatus pixbuf_alloc_uninit(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height);

/* Frees owned memory (views are left alone) and zeroes @pb. Accepts NULL. */
void pixbuf_free(Pixbuf *pb);

/* Start of row @y (must be < height). */
static inline uint8_t *pixbuf_row(const Pixbuf *pb, uint32_t y)
{
    return pb->data + (size_t)y * pb->stride;
}

/* True when rows are packed with no padding (stride == row bytes), so the pixels are one array. */
bool pixbuf_is_packed(const Pixbuf *pb);

/* Reverses the order of the rows in place (for LZ streams whose top_down flag is 0). */
void pixbuf_flip_rows(Pixbuf *pb);
