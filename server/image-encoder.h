/* image-encoder: picks the wire encoding of a 32-bit image (BITMAP, LZ_RGB, GLZ_RGB or QUIC) and writes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice/enums.h>

#include "codecs/glz.h"
#include "protocol/wire.h"

/*
 * The server's image compression policy (spice_server_set_image_compression) applied to one
 * image. Lossless only. What each policy sends here:
 *   OFF (and INVALID)      BITMAP
 *   LZ, LZ4                LZ_RGB (LZ4 is not implemented yet: LZ is the closest lossless
 *                          dictionary coder every client decodes without a capability)
 *   GLZ                    GLZ_RGB when the source carries the client's dictionary, else LZ_RGB
 *   QUIC                   QUIC
 *   AUTO_LZ                QUIC for photo-like content, LZ_RGB otherwise
 *   AUTO_GLZ               QUIC for photo-like content, otherwise as GLZ
 * An image the dictionary refuses (more pixels than the client's window) goes as LZ_RGB.
 * Whatever the policy, an image whose compressed body would not be smaller than the raw
 * BITMAP body goes out as BITMAP, and so do images QUIC cannot code (under 3x3 pixels).
 * LZ_RGB and QUIC need no client capability (every SPICE client decodes them), so the client's
 * caps do not enter the choice yet; they will for LZ4.
 *
 * Safe from any thread; nothing is kept between calls except what glz_encode adds to the
 * caller's dictionary (the caller serializes its use, see codecs/glz.h).
 */

/* A top-down 32-bit image: SPICE_BITMAP_FMT_32BIT (xRGB) or SPICE_BITMAP_FMT_RGBA (ARGB). */
typedef struct ImageEncoderSource {
    uint64_t image_id;          /* the descriptor's id */
    uint8_t format;             /* SPICE_BITMAP_FMT_32BIT or SPICE_BITMAP_FMT_RGBA */
    uint32_t width;
    uint32_t height;
    uint32_t stride;            /* bytes between rows of @pixels, >= width * 4 */
    const uint8_t *pixels;      /* borrowed for the call; top-left pixel, width * 4 bytes a row */
    /* Borrowed; the GLZ dictionary of the one client that will receive this image, or NULL
     * (GLZ policies then send LZ). A GLZ_RGB image joins it: the caller must send the message
     * to that client, or the client's later images reference an id it never saw. */
    GlzDictionary *glz;
} ImageEncoderSource;

/* The coder a policy asks for before the size check (SPICE_IMAGE_TYPE_BITMAP, _LZ_RGB, _GLZ_RGB
 * (only with @src->glz) or _QUIC). AUTO policies look at the pixels
 * (image_encoder_is_photo_like). */
uint8_t image_encoder_choose(const ImageEncoderSource *src, SpiceImageCompression policy);

/*
 * True when @src looks like a photo (many small colour steps between neighbours), where QUIC
 * beats LZ; false for flat areas, text and sharp edges, where LZ wins. Looks at a bounded
 * sample of rows, so it costs O(width * 16) whatever the height.
 */
bool image_encoder_is_photo_like(const ImageEncoderSource *src);

/*
 * Appends the ImageDescriptor (id, type, flags 0, width, height) and the type's body to @w:
 *   BITMAP: format, TOP_DOWN, width, height, stride width * 4, palette 0, packed rows
 *   LZ_RGB: data_size u32 + LZ stream (RGB32, or RGBA for SPICE_BITMAP_FMT_RGBA; top_down 1)
 *   GLZ_RGB: data_size u32 + GLZ stream of @src->glz (same types; its id is the dictionary's)
 *   QUIC:   data_size u32 + QUIC stream (RGB32 or RGBA)
 * following @policy as described above. Returns the SPICE_IMAGE_TYPE_* written. An encoder
 * failure (out of memory) is not an error for the caller: the image then goes out as BITMAP.
 * @src must be valid (width, height >= 1; format 32BIT or RGBA; pixels readable).
 */
uint8_t image_encoder_write(WireWriter *w, const ImageEncoderSource *src,
                            SpiceImageCompression policy);
