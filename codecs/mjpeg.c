/* mjpeg: one MJPEG stream frame = one full baseline JPEG, fast DCT (as upstream's mjpeg encoder). */
#include "codecs/mjpeg.h"

#include "codecs/jpeg-lib.h"

size_t mjpeg_encode_frame_bound(uint32_t width, uint32_t height)
{
    return jpeg_lib_encode_bound(width, height);
}

CodecStatus mjpeg_encode_frame(const Pixbuf *src, int quality, uint8_t *out, size_t out_capacity,
                               size_t *out_size)
{
    JpegLibEncodeOptions opts = { .quality = quality, .fast_dct = true, .rows_reversed = false };
    return jpeg_lib_encode(src, &opts, out, out_capacity, out_size);
}

CodecStatus mjpeg_decode_frame_new(const uint8_t *data, size_t size, uint64_t max_pixels,
                                   Pixbuf *out)
{
    /* spice-gtk's stream decoder: IFAST, no fancy upsampling. */
    JpegLibDecodeOptions opts = { .fast = true, .rows_reversed = false };
    return jpeg_lib_decode_new(data, size, &opts, PIXBUF_FORMAT_XRGB32, max_pixels, out);
}
