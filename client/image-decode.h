/* image-decode: a SpiceImage inside a display message -> a pixman image, with the client caches. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

/*
 * ImageCaches: the client's pixmap cache (decoded images by the 64-bit image id, filled when the
 * server sets CACHE_ME / CACHE_REPLACE_ME, emptied by INVAL_LIST / INVAL_ALL_PIXMAPS) and palette
 * cache (by the palette's unique id, PAL_CACHE_ME / PAL_FROM_CACHE / INVAL_PALETTE). The caches
 * hold their own pixman references. One per session (upstream shares them across display
 * channels). Not thread-safe: used from the session's main context.
 */
typedef struct ImageCaches ImageCaches;

/* The GLZ window (pixels) we announce in DISPLAY_INIT and keep for GLZ_RGB / ZLIB_GLZ_RGB images:
 * the caches also hold the session's GLZ decoder window (codecs/glz.h), shared by its display
 * channels, which must therefore decode in message order. */
#define IMAGE_GLZ_WINDOW_PIXELS (16u * 1024u * 1024u)

ImageCaches *image_caches_new(void);
/* Accepts NULL. */
void image_caches_free(ImageCaches *caches);
void image_caches_remove_pixmap(ImageCaches *caches, uint64_t id);
void image_caches_clear_pixmaps(ImageCaches *caches);
void image_caches_remove_palette(ImageCaches *caches, uint64_t id);
void image_caches_clear_palettes(ImageCaches *caches);
unsigned image_caches_pixmap_count(const ImageCaches *caches);
/* Pixels held by the pixmap cache. A server that overfills it (beyond IMAGE_CACHE_MAX_PIXELS,
 * twice what DISPLAY_INIT promises) gets its CACHE_ME ignored: later FROM_CACHE then miss. */
uint64_t image_caches_pixmap_pixels(const ImageCaches *caches);
#define IMAGE_CACHE_MAX_PIXELS (40u * 1024u * 1024u)

typedef enum ImageStatus {
    IMAGE_OK = 0,
    IMAGE_MALFORMED,      /* the descriptor or its data does not fit the message */
    IMAGE_UNSUPPORTED,    /* a type we cannot decode (unknown, QUIC GRAY) */
    IMAGE_CACHE_MISS,     /* FROM_CACHE / PAL_FROM_CACHE / SURFACE naming nothing we hold */
    IMAGE_DECODE_FAILED,  /* the codec refused the stream */
    IMAGE_TOO_LARGE,      /* over IMAGE_MAX_PIXELS */
} ImageStatus;

#define IMAGE_MAX_PIXELS (1u << 26)   /* 8192 x 8192: what we accept to allocate per image */

/* Returns the pixman image of surface @surface_id (borrowed), or NULL if there is none. */
typedef pixman_image_t *(*ImageSurfaceLookup)(uint32_t surface_id, void *user);

/*
 * Decodes the SpiceImage at @offset of the message @body (@size bytes). On IMAGE_OK *out holds a
 * new reference (the caller unrefs it) and *message is NULL or a warning (an image not cached
 * because the server overfills the cache). On error *out is NULL and *message (g_malloc'd, the
 * caller frees it) names what failed, e.g. "LZ4 decode failed: truncated". @lookup may be
 * NULL (SURFACE images then miss).
 */
ImageStatus image_decode(const uint8_t *body, size_t size, uint32_t offset, ImageCaches *caches,
                         ImageSurfaceLookup lookup, void *lookup_user, pixman_image_t **out,
                         char **message);

/*
 * Decodes the SpiceImage at @offset straight into @dst's pixels at (@x, @y), when that is the
 * same as drawing it there with a plain copy and needs no image of its own: a QUIC image of
 * exactly @width x @height, not to be cached, inside @dst, in a format whose bytes @dst takes
 * as they are (RGBA into any 32-bit surface, RGB32/RGB24 into x8r8g8b8). Then *placed is true
 * and the status is the decode's (on IMAGE_DECODE_FAILED some rows may have been written, and
 * *message says why, as image_decode's). Otherwise *placed is false, nothing was read or
 * written, and the caller decodes with image_decode. A video's QUIC key frames are 3.6 MB
 * each at 1280x720: this saves allocating, faulting in and copying every one of them.
 */
ImageStatus image_decode_into(const uint8_t *body, size_t size, uint32_t offset,
                              pixman_image_t *dst, int32_t x, int32_t y, uint32_t width,
                              uint32_t height, bool *placed, char **message);

/* "BITMAP", "QUIC", "GLZ_RGB", ... or "unknown". Never NULL. */
const char *image_type_name(uint8_t type);
