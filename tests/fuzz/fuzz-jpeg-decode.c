/* fuzz-jpeg-decode: JPEG, MJPEG-frame and JPEG_ALPHA (descriptor + data) decoders on hostile bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "codecs/jpeg.h"
#include "codecs/mjpeg.h"

/* Keeps each run fast; the decoders themselves take the cap from the caller. */
#define MAX_FUZZ_PIXELS (1u << 20)

static void check_decoded(CodecStatus status, const Pixbuf *pb, PixbufFormat format)
{
    if (status == CODEC_OK) {
        if (pb->data == NULL || pb->format != format ||
            (uint64_t)pb->width * pb->height > MAX_FUZZ_PIXELS) {
            abort();
        }
    } else if (pb->data != NULL) {
        abort();  /* on error the result must be left empty */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Pixbuf pb;
    CodecStatus st = jpeg_decode_new(data, size, PIXBUF_FORMAT_XRGB32, MAX_FUZZ_PIXELS, &pb);
    check_decoded(st, &pb, PIXBUF_FORMAT_XRGB32);
    pixbuf_free(&pb);

    st = mjpeg_decode_frame_new(data, size, MAX_FUZZ_PIXELS, &pb);
    check_decoded(st, &pb, PIXBUF_FORMAT_XRGB32);
    pixbuf_free(&pb);

    JpegAlphaDescriptor desc;
    if (jpeg_alpha_read_descriptor(data, size, &desc) == CODEC_OK) {
        st = jpeg_alpha_decode_new(&desc, data + JPEG_ALPHA_DESCRIPTOR_SIZE,
                                   size - JPEG_ALPHA_DESCRIPTOR_SIZE, MAX_FUZZ_PIXELS, &pb);
        check_decoded(st, &pb, PIXBUF_FORMAT_ARGB32);
        pixbuf_free(&pb);
    }
    return 0;
}
