/* glz: SPICE GLZ codec (SPICE_IMAGE_TYPE_GLZ_RGB, ZLIB_GLZ_RGB): LZ with references into earlier images. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/lz.h"
#include "codecs/pixbuf.h"

/*
 * Stream = 33-byte big-endian header (magic "  ZL", version 1.1, ONE byte type | top_down << 4,
 * width, height, stride, u64 image id, u32 win_head_dist) then an LZ-like body whose matches
 * may point into an earlier image (image id - image_dist, absolute pixel offset) of the same
 * dictionary. Facts: /work/shared/reference/codecs.md section 4.
 *
 * Both sides keep history in an object owned by the caller:
 *   - the server keeps one GlzDictionary per client (shared by the client's display channels
 *     with the same glz_dictionary_id), sized by DISPLAY_INIT's glz_dictionary_window_size;
 *   - the client keeps one GlzWindow per session, shared by its display channels.
 *
 * Threads: neither object has a lock. The owner serializes every call on one object (a mutex
 * held around glz_encode / glz_decode, or one thread using it). Different objects are
 * independent and may be used from different threads at the same time. GlzSharedPixels (below)
 * are the exception that crosses objects and threads: their count is atomic.
 */

#define GLZ_HEADER_SIZE 33u
/* Encoder limits that the stream format imposes (pixel_ofs has 25 bits, image_dist 24). */
#define GLZ_MAX_PIXEL_OFFSET ((1u << 25) - 1u)
#define GLZ_MAX_IMAGE_DIST ((1u << 24) - 1u)

typedef struct GlzHeader {
    LzImageType type;
    uint32_t width;
    uint32_t height;
    uint32_t stride;
    bool top_down;          /* true: first coded row is the top of the picture */
    uint64_t id;            /* dictionary image id (not the SpiceImageDescriptor id) */
    uint32_t win_head_dist; /* id - oldest id this or later images may still reference */
} GlzHeader;

/*
 * Reads and checks the header: magic, version, type RGB16/RGB24/RGB32/RGBA (PLT GLZ is never
 * sent by upstream servers and is refused with CODEC_ERR_UNSUPPORTED), non-zero size within the
 * pixbuf limits, stride = width * bytes per pixel.
 * Errors: CODEC_ERR_TRUNCATED, CODEC_ERR_BAD_MAGIC, CODEC_ERR_BAD_HEADER, CODEC_ERR_TOO_LARGE,
 * CODEC_ERR_UNSUPPORTED.
 */
CodecStatus glz_read_header(const uint8_t *data, size_t size, GlzHeader *out);

/* ---- decoder (client side) ---- */

typedef struct GlzWindow GlzWindow;

/*
 * A decoder window that keeps decoded images (as 32-bit pixels in coded order) by id, holding
 * at most @max_pixels pixels in total: the glz_dictionary_window_size the client announced in
 * DISPLAY_INIT. Images larger than that are refused. NULL on allocation failure.
 */
GlzWindow *glz_window_new(uint64_t max_pixels);
/* Frees the window and every image in it. Accepts NULL. */
void glz_window_free(GlzWindow *window);
/* Drops every image (for a new server dictionary, e.g. after a reconnect). */
void glz_window_clear(GlzWindow *window);
/* Number of images held and their total pixels (for tests and statistics). */
size_t glz_window_image_count(const GlzWindow *window);
uint64_t glz_window_pixel_count(const GlzWindow *window);
/* True if image @id is held (a stream referencing it can be decoded). */
bool glz_window_has_image(const GlzWindow *window, uint64_t id);

/*
 * Decodes one GLZ stream. On success @out (caller-owned, release with pixbuf_free) is a packed
 * XRGB32 image (ARGB32 for RGBA streams) with coded row k in row k (flip it when
 * !header.top_down), the image is added to @window, and images the header says no later image
 * will reference are released (upstream's rule: once ids are contiguous up to image X, images
 * below X.id - X.win_head_dist go). As a safety net against a server that overfills its window,
 * the oldest images are also released while the total is over twice max_pixels.
 *
 * Every length and reference is checked: a reference to an image not in the window (never
 * seen, released, or decoded out of order: the caller must decode the images of all display
 * channels in id order, or wait with glz_window_has_image), past the end of that image, before
 * the start of the current one, or past its end; truncated bodies and trailing bytes are errors
 * (CODEC_ERR_CORRUPT, CODEC_ERR_TRUNCATED, CODEC_ERR_TRAILING_DATA, header errors,
 * CODEC_ERR_TOO_LARGE over max_pixels, CODEC_ERR_NO_MEMORY). On error @out is left empty and
 * the window is unchanged. @out_header may be NULL.
 */
CodecStatus glz_decode(GlzWindow *window, const uint8_t *data, size_t size, Pixbuf *out,
                       GlzHeader *out_header);

/*
 * A decoded image's pixels as the window keeps them, shared instead of copied: packed 32-bit
 * pixels (XRGB32, or ARGB32 for RGBA streams), width * 4 bytes a row, in coded order. They are
 * never written again once decoded. Reference counted; the count is atomic, so the last
 * reference may go on any thread.
 */
typedef struct GlzPixels GlzPixels;

/*
 * glz_decode without the copy: on success *@out holds a new reference to the window's own
 * pixels of the image (release with glz_pixels_unref; they stay valid after the window drops
 * the image or is freed). Same checks, errors and window rules as glz_decode; on error *@out
 * is NULL and the window is unchanged.
 */
CodecStatus glz_decode_shared(GlzWindow *window, const uint8_t *data, size_t size,
                              GlzPixels **out, GlzHeader *out_header);
/* The first pixel (row 0 in coded order). Borrowed from @pixels. */
const uint32_t *glz_pixels_data(const GlzPixels *pixels);
/* Drops one reference; the last one frees the pixels. Accepts NULL. */
void glz_pixels_unref(GlzPixels *pixels);

/* ---- encoder (server side) ---- */

typedef struct GlzDictionary GlzDictionary;

/*
 * An encoder dictionary holding up to @window_pixels pixels of history (the client's
 * glz_dictionary_window_size; at most 2^25 like upstream). Each image's pixels stay in the
 * dictionary while the image is in the window: a reference to the caller's buffer when it
 * comes through glz_encode_shared, else the dictionary's own copy. Ids start at 0.
 * NULL on allocation failure or a zero window.
 */
GlzDictionary *glz_dictionary_new(uint32_t window_pixels);
/* Frees the dictionary and drops its references to shared pixels. Accepts NULL. */
void glz_dictionary_free(GlzDictionary *dict);
/* The id the next successful glz_encode will use. */
uint64_t glz_dictionary_next_id(const GlzDictionary *dict);

/* Largest stream glz_encode can produce (header included), 0 for an unsupported type/size. */
size_t glz_encode_bound(LzImageType type, uint32_t width, uint32_t height);

/*
 * Encodes @src (XRGB32 or ARGB32 as LZ_IMAGE_TYPE_RGB32, ARGB32 as LZ_IMAGE_TYPE_RGBA; any
 * stride) as the next image of @dict, with matches into itself and into earlier images of the
 * same type still in the dictionary, into @out (capacity @out_capacity). Rows are coded from src
 * row 0 down; @top_down goes to the header. Images with more pixels than the window (or than
 * GLZ_MAX_PIXEL_OFFSET) are refused with CODEC_ERR_TOO_LARGE: send them as LZ. On success the
 * image joins the dictionary (older images leave it to make room) and @out_id (may be NULL)
 * gets its id. On error the dictionary is as before (no id is used). The dictionary keeps a
 * copy of the pixels: @src is only borrowed for the call (glz_encode_shared avoids the copy).
 * Errors: CODEC_ERR_INVALID_ARGUMENT, CODEC_ERR_TOO_LARGE, CODEC_ERR_NO_SPACE, CODEC_ERR_NO_MEMORY.
 */
CodecStatus glz_encode(GlzDictionary *dict, const Pixbuf *src, LzImageType type, bool top_down,
                       uint8_t *out, size_t out_capacity, size_t *out_size, uint64_t *out_id);

/*
 * Pixels an encoder caller shares with dictionaries instead of letting them copy (a copy of
 * a full screen is most of a text page's encode time): a buffer, its size and what frees it,
 * with a reference count. The count is atomic, so references may be dropped on any thread (a
 * dictionary drops its own when the image leaves the window, inside glz_encode, or in
 * glz_dictionary_free). Nobody may write the pixels while a reference is held: a dictionary
 * reads them again for every later image that references them.
 */
typedef struct GlzSharedPixels GlzSharedPixels;
/* Called once, when the last reference goes, with the wrapped buffer and the caller's opaque. */
typedef void (*GlzPixelsRelease)(void *data, void *opaque);

/* A new malloc'd buffer of @size bytes (> 0, 64-byte aligned, contents undefined), count 1,
 * freed with the last reference. NULL on allocation failure or @size 0. */
GlzSharedPixels *glz_shared_pixels_new(size_t size);
/*
 * Wraps @size bytes at @data (count 1, the caller's): @release(@data, @opaque) runs when the
 * last reference goes; @release NULL means nothing is freed (pixels that outlive every
 * dictionary, e.g. a benchmark's images). NULL on allocation failure; then @release has NOT
 * run and the buffer is still the caller's.
 */
GlzSharedPixels *glz_shared_pixels_wrap(void *data, size_t size, GlzPixelsRelease release,
                                        void *opaque);
/* The buffer and its size. Borrowed from @pixels. */
uint8_t *glz_shared_pixels_data(const GlzSharedPixels *pixels);
size_t glz_shared_pixels_size(const GlzSharedPixels *pixels);
/* Adds a reference; returns @pixels. */
GlzSharedPixels *glz_shared_pixels_ref(GlzSharedPixels *pixels);
/* Drops one reference; the last one releases the buffer. Accepts NULL. */
void glz_shared_pixels_unref(GlzSharedPixels *pixels);

/*
 * The newest image's pixels when the dictionary holds them as a caller's shared buffer of
 * exactly those pixels (glz_encode_shared of packed rows filling the buffer), else NULL.
 * Borrowed: valid until the next glz_encode* or glz_dictionary_free on @dict (take a
 * reference to keep it). A caller about to copy an identical next image (a redraw) for
 * glz_encode_shared can share this buffer instead.
 */
GlzSharedPixels *glz_dictionary_newest_pixels(const GlzDictionary *dict);

/*
 * glz_encode where the dictionary keeps a reference to @owner instead of copying @src: @src's
 * pixels (data .. the last pixel of the last row) must lie inside @owner's buffer, or
 * CODEC_ERR_INVALID_ARGUMENT. On success the dictionary holds its own reference until the
 * image leaves the window or the dictionary is freed; the caller's reference stays the
 * caller's (drop it whenever it likes). When @src is not one packed, 4-byte aligned array
 * (stride = width * 4), or is less than half of @owner's buffer (a reference would keep more
 * memory alive than the window counts), the dictionary copies it as glz_encode does and takes
 * no reference.
 * @owner NULL is glz_encode. Same stream, errors and dictionary rules as glz_encode; on error
 * no reference is kept.
 */
CodecStatus glz_encode_shared(GlzDictionary *dict, const Pixbuf *src, GlzSharedPixels *owner,
                              LzImageType type, bool top_down, uint8_t *out,
                              size_t out_capacity, size_t *out_size, uint64_t *out_id);

/* ---- ZLIB_GLZ_RGB (zlib over a GLZ stream) ---- */

/*
 * Deflates the GLZ stream @glz (@glz_size bytes) with zlib (RFC 1950 wrapper, level 3 like
 * upstream) into @out. CODEC_ERR_NO_SPACE if it does not fit (callers send plain GLZ then, as
 * upstream does when deflate does not shrink the stream).
 */
CodecStatus glz_zlib_compress(const uint8_t *glz, size_t glz_size, uint8_t *out,
                              size_t out_capacity, size_t *out_size);

/*
 * Decodes a ZLIB_GLZ_RGB payload: inflates @data (@size bytes) into exactly @glz_data_size bytes
 * (the message's glz_data_size; refused over 1 GiB) and runs glz_decode on it. Inflate errors,
 * a short or long inflated size are CODEC_ERR_CORRUPT / CODEC_ERR_TRUNCATED.
 */
CodecStatus glz_zlib_decode(GlzWindow *window, const uint8_t *data, size_t size,
                            uint32_t glz_data_size, Pixbuf *out, GlzHeader *out_header);
