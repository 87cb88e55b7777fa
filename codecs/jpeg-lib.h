/* jpeg-lib: private libjpeg glue shared by jpeg.c, jpeg-alpha.c and mjpeg.c (not a public API). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/* Largest dimension a baseline JPEG can carry (libjpeg's JPEG_MAX_DIMENSION). */
#define JPEG_LIB_MAX_DIMENSION 65500u

/* Most scans a progressive stream may have before we call it hostile (each scan revisits the
 * whole image: thousands of tiny scans would make decoding quadratic). */
#define JPEG_LIB_MAX_SCANS 500

typedef struct JpegLibEncodeOptions {
    int quality;         /* 1..100 */
    bool fast_dct;       /* JDCT_IFAST (MJPEG) instead of JDCT_ISLOW */
    bool rows_reversed;  /* feed src rows from the last to the first */
} JpegLibEncodeOptions;

typedef struct JpegLibDecodeOptions {
    bool fast;           /* JDCT_IFAST and no fancy upsampling (MJPEG, as spice-gtk) */
    bool rows_reversed;  /* JPEG row k goes to dst row height-1-k */
} JpegLibDecodeOptions;

size_t jpeg_lib_encode_bound(uint32_t width, uint32_t height);

CodecStatus jpeg_lib_encode(const Pixbuf *src, const JpegLibEncodeOptions *opts, uint8_t *out,
                            size_t out_capacity, size_t *out_size);

CodecStatus jpeg_lib_read_size(const uint8_t *data, size_t size, uint32_t *width,
                               uint32_t *height);

/* dst: XRGB32 (4th byte written 0) or ARGB32 (written 255), geometry equal to the stream's. */
CodecStatus jpeg_lib_decode(const uint8_t *data, size_t size, const JpegLibDecodeOptions *opts,
                            Pixbuf *dst);

/* Header check against @max_pixels, allocation of @out in @format, decode. */
CodecStatus jpeg_lib_decode_new(const uint8_t *data, size_t size, const JpegLibDecodeOptions *opts,
                                PixbufFormat format, uint64_t max_pixels, Pixbuf *out);
