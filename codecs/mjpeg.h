/* mjpeg: one frame of an MJPEG video stream (SPICE_VIDEO_CODEC_TYPE_MJPEG), encode and decode. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * Each MJPEG frame is a complete baseline JPEG with its own tables (YCbCr 4:2:0, fast integer
 * DCT as upstream's mjpeg encoder). Frames carry rows in the order they are given: the stream's
 * TOP_DOWN flag (STREAM_CREATE) tells the peer whether the first row is the top. Rate control
 * (choosing @quality and fps) belongs to the caller. Pure functions, thread-safe, buffers
 * borrowed for the call; mjpeg_decode_frame_new's result is owned by the caller.
 */

/* Largest frame mjpeg_encode_frame can produce (0 over the pixbuf limits). */
size_t mjpeg_encode_frame_bound(uint32_t width, uint32_t height);

/* Encodes @src (XRGB32/ARGB32/RGB24) at @quality (1..100) into @out. Errors as jpeg_encode. */
CodecStatus mjpeg_encode_frame(const Pixbuf *src, int quality, uint8_t *out, size_t out_capacity,
                               size_t *out_size);

/*
 * Decodes one frame into a new XRGB32 @out (caller-owned), refusing width * height >
 * @max_pixels with CODEC_ERR_TOO_LARGE before allocating. Errors as jpeg_decode. On error @out
 * is left empty.
 */
CodecStatus mjpeg_decode_frame_new(const uint8_t *data, size_t size, uint64_t max_pixels,
                                   Pixbuf *out);
