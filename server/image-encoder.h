/* image-encoder: picks the wire encoding of a 32-bit image (BITMAP, LZ, GLZ, ZLIB_GLZ, LZ4, QUIC, JPEG) and writes it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice/enums.h>

#include "spice.h"   /* spice_wan_compression_t */
#include "codecs/glz.h"
#include "protocol/wire.h"

/*
 * The server's image compression policy (spice_server_set_image_compression, or the client's
 * PREFERRED_COMPRESSION) applied to one image for one client, as upstream's dcc does:
 *   OFF (and INVALID)      BITMAP
 *   LZ                     LZ_RGB
 *   LZ4                    LZ4 to a client with peer.lz4, else LZ_RGB
 *   GLZ                    GLZ_RGB when the source carries the client's dictionary, else LZ_RGB
 *   QUIC                   QUIC (JPEG when allowed, see below)
 *   AUTO_LZ                as QUIC for photo-like content, LZ_RGB otherwise
 *   AUTO_GLZ               as QUIC for photo-like content (but GLZ_RGB when, with the client's
 *                          dictionary, that is smaller: a redraw), otherwise as GLZ
 * Where QUIC is chosen, JPEG (JPEG_ALPHA for RGBA) replaces it when the client allows JPEG
 * (peer.jpeg) and the draw may be lossy (lossy_ok), quality IMAGE_ENCODER_JPEG_QUALITY.
 * A GLZ_RGB stream of at least IMAGE_ENCODER_ZLIB_MIN_GLZ bytes goes as ZLIB_GLZ_RGB when the
 * client allows it (peer.zlib_glz) and deflate makes it smaller.
 * An image the dictionary refuses (more pixels than the client's window) goes as LZ_RGB.
 * Whatever the policy, an image whose compressed body would not be smaller than the raw
 * BITMAP body goes out as BITMAP, and so do images QUIC cannot code (under 3x3 pixels: LZ).
 *
 * Safe from any thread; nothing is kept between calls except what glz_encode adds to the
 * caller's dictionary (the caller serializes its use, see codecs/glz.h).
 */

#define IMAGE_ENCODER_JPEG_QUALITY 85   /* upstream's dcc jpeg_quality */
#define IMAGE_ENCODER_ZLIB_MIN_GLZ 100u /* upstream's MIN_GLZ_SIZE_FOR_ZLIB */

/* What the one client receiving the image may get beyond LZ/GLZ/QUIC. All false (the zero
 * value) is always safe. */
typedef struct ImageEncoderPeer {
    bool lz4;        /* announced SPICE_DISPLAY_CAP_LZ4_COMPRESSION (and not on a unix socket) */
    bool jpeg;       /* image_encoder_wan_enabled(jpeg-wan-compression, the link) */
    bool zlib_glz;   /* image_encoder_wan_enabled(zlib-glz-wan-compression, the link) */
} ImageEncoderPeer;

/* A top-down 32-bit image: SPICE_BITMAP_FMT_32BIT (xRGB) or SPICE_BITMAP_FMT_RGBA (ARGB). */
typedef struct ImageEncoderSource {
    uint64_t image_id;          /* the descriptor's id */
    uint8_t format;             /* SPICE_BITMAP_FMT_32BIT or SPICE_BITMAP_FMT_RGBA */
    uint32_t width;
    uint32_t height;
    uint32_t stride;            /* bytes between rows of @pixels, >= width * 4 */
    const uint8_t *pixels;      /* borrowed for the call; top-left pixel, width * 4 bytes a row */
    /* Borrowed, may be NULL: a counted buffer holding @pixels that nobody writes any more.
     * With it a GLZ dictionary keeps a reference instead of a copy of the image (see
     * glz_encode_shared); without it, or for strided pixels, the dictionary copies. */
    GlzSharedPixels *pixels_owner;
    /* Borrowed; the GLZ dictionary of the one client that will receive this image, or NULL
     * (GLZ policies then send LZ). A GLZ_RGB image joins it: the caller must send the message
     * to that client, or the client's later images reference an id it never saw. */
    GlzDictionary *glz;
    ImageEncoderPeer peer;      /* the receiving client's allowances (zero: none) */
    bool lossy_ok;              /* the draw may show an approximation (a plain PUT, no mask) */
} ImageEncoderSource;

/*
 * Whether a WAN option (jpeg-wan-compression, zlib-glz-wan-compression) is on for a client:
 * ALWAYS yes, NEVER (and INVALID) no, AUTO when the main channel's network test found the link
 * slow (upstream: under 10 Mbit/s).
 */
bool image_encoder_wan_enabled(spice_wan_compression_t state, bool slow_link);

/* True for the values a client may ask for in PREFERRED_COMPRESSION (the policies above, OFF
 * included; INVALID and unknown values are not). */
bool image_encoder_policy_valid(uint8_t value);

/* The coder a policy asks for before the size check (SPICE_IMAGE_TYPE_BITMAP, _LZ_RGB, _LZ4,
 * _GLZ_RGB (only with @src->glz), _QUIC or _JPEG / _JPEG_ALPHA). AUTO policies look at the
 * pixels (image_encoder_is_photo_like). */
uint8_t image_encoder_choose(const ImageEncoderSource *src, SpiceImageCompression policy);

/*
 * True when @src looks like a photo (many small colour steps between neighbours), where QUIC
 * beats LZ; false for flat areas, text and sharp edges, where LZ wins. Looks at a bounded
 * sample of rows, so it costs O(width * 16) whatever the height.
 */
bool image_encoder_is_photo_like(const ImageEncoderSource *src);

/*
 * A counted buffer of @size bytes (contents undefined, 64-byte aligned) for pixels a GLZ
 * dictionary will keep (pixels_owner). Large buffers come from mmap with their pages faulted
 * in by one call: every image a dictionary keeps is memory nobody touched yet (the window
 * holds megabytes), and touching it page by page costs more than coding the image. NULL on
 * allocation failure or @size 0. Release with glz_shared_pixels_unref.
 */
GlzSharedPixels *image_encoder_pixels_new(size_t size);

/*
 * Appends the ImageDescriptor (id, type, flags 0, width, height) and the type's body to @w:
 *   BITMAP: format, TOP_DOWN, width, height, stride width * 4, palette 0, packed rows
 *   LZ_RGB, GLZ_RGB, QUIC, LZ4, JPEG: data_size u32 + the stream (LZ/GLZ/QUIC types RGB32, or
 *           RGBA for SPICE_BITMAP_FMT_RGBA; top_down 1; the GLZ id is the dictionary's)
 *   ZLIB_GLZ_RGB: glz_data_size u32, data_size u32, zlib stream of the GLZ stream
 *   JPEG_ALPHA: flags (TOP_DOWN), jpeg_size u32, data_size u32, JPEG + LZ XXXA alpha stream
 * following @policy as described above. Returns the SPICE_IMAGE_TYPE_* written. An encoder
 * failure (out of memory) is not an error for the caller: the image then goes out as BITMAP.
 * @src must be valid (width, height >= 1; format 32BIT or RGBA; pixels readable).
 */
uint8_t image_encoder_write(WireWriter *w, const ImageEncoderSource *src,
                            SpiceImageCompression policy);
