/* stream-jpeg: one video stream's MJPEG frame decoder, a libjpeg decompressor kept across frames. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * A stream decodes dozens of frames a second, all of the same size and layout. Unlike
 * codecs/mjpeg.h (a pure function that allocates its result), a StreamJpeg keeps one libjpeg
 * decompressor for the stream's life and writes each frame where its caller says: straight
 * into the surface when the frame lands there unscaled, else into a buffer the caller reuses.
 * Options are spice-gtk's for streams (fast integer IDCT, no fancy upsampling).
 *
 * Pixels come out as B, G, R, 0xFF (XRGB32 whose X reads as opaque alpha, so a8r8g8b8 and
 * x8r8g8b8 surfaces both take them). Hostile frames are refused as codecs/jpeg-lib refuses
 * them (libjpeg warnings count as corruption, at most StreamJpeg's scan limit, input never read
 * past @size): the status says why. A frame that fails after its first rows were written leaves
 * those rows in the target (stream_jpeg_decode says so in *wrote).
 *
 * Ownership: the StreamJpeg owns its decompressor and row table; @data and the target memory
 * are borrowed for the call. Not thread-safe (one per stream, used from its main context).
 */
typedef struct StreamJpeg StreamJpeg;

StreamJpeg *stream_jpeg_new(void);
/* Accepts NULL. */
void stream_jpeg_free(StreamJpeg *sj);

/*
 * Where a frame of @width x @height goes, asked once its header is read: returns the address
 * of the first (top) JPEG row and sets *stride (bytes from one JPEG row to the next; negative
 * places the frame bottom-up), or returns NULL to refuse the frame (then the decode returns
 * CODEC_ERR_TOO_LARGE and writes nothing). The target must hold @height rows of @width * 4
 * bytes at that stride.
 */
typedef uint8_t *(*StreamJpegTarget)(uint32_t width, uint32_t height, ptrdiff_t *stride,
                                     void *user);

/* Decodes one frame (a complete baseline or progressive JPEG of @size bytes) into the memory
 * @target returns. *wrote (may be NULL) is set to true once any row was written, also when the
 * decode then fails. */
CodecStatus stream_jpeg_decode(StreamJpeg *sj, const uint8_t *data, size_t size,
                               StreamJpegTarget target, void *user, bool *wrote);
