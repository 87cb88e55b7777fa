/* jpeg: SPICE_IMAGE_TYPE_JPEG encode/decode (upstream's choices: ISLOW DCT, 4:2:0, top row first). */
#include "codecs/jpeg.h"

#include "codecs/jpeg-lib.h"

size_t jpeg_encode_bound(uint32_t width, uint32_t height)
{
    return jpeg_lib_encode_bound(width, height);
}

CodecStatus jpeg_encode(const Pixbuf *src, int quality, uint8_t *out, size_t out_capacity,
                        size_t *out_size)
{
    JpegLibEncodeOptions opts = { .quality = quality, .fast_dct = false, .rows_reversed = false };
    return jpeg_lib_encode(src, &opts, out, out_capacity, out_size);
}

CodecStatus jpeg_read_size(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height)
{
    return jpeg_lib_read_size(data, size, width, height);
}

CodecStatus jpeg_decode(const uint8_t *data, size_t size, Pixbuf *dst)
{
    JpegLibDecodeOptions opts = { .fast = false, .rows_reversed = false };
    return jpeg_lib_decode(data, size, &opts, dst);
}

CodecStatus jpeg_decode_new(const uint8_t *data, size_t size, PixbufFormat format,
                            uint64_t max_pixels, Pixbuf *out)
{
    JpegLibDecodeOptions opts = { .fast = false, .rows_reversed = false };
    return jpeg_lib_decode_new(data, size, &opts, format, max_pixels, out);
}
