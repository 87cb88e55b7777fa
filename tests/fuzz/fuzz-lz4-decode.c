/* fuzz-lz4-decode: the LZ4 image container decoder on hostile streams, packed and padded outputs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz4-image.h"

/*
 * The container has no geometry, so the first two input bytes choose it (width, height in
 * 1..64) and the rest is the container; seeds in corpus/lz4/ follow that layout.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    uint32_t width = (uint32_t)(data[0] % 64) + 1;
    uint32_t height = (uint32_t)(data[1] % 64) + 1;
    const uint8_t *stream = data + 2;
    size_t stream_size = size - 2;

    Pixbuf out;
    Lz4ImageHeader hdr;
    CodecStatus st = lz4_image_decode_new(stream, stream_size, width, height, 4096, &out, &hdr);
    if (st != CODEC_OK) {
        return 0;
    }
    /* A stream that decodes must decode the same into a padded buffer, and survive a
     * re-encode to the same bytes. */
    size_t row_bytes = out.stride, stride = row_bytes + 3;
    uint8_t *mem = calloc(stride, height);
    Pixbuf padded;
    if (mem == NULL ||
        pixbuf_init_view(&padded, out.format, width, height, stride, mem, stride * height) != CODEC_OK ||
        lz4_image_decode(stream, stream_size, &padded, NULL) != CODEC_OK) {
        abort();
    }
    for (uint32_t y = 0; y < height; y++) {
        if (memcmp(pixbuf_row(&padded, y), pixbuf_row(&out, y), row_bytes) != 0) {
            abort();
        }
    }
    size_t bound = lz4_image_encode_bound(out.format, width, height, 0), again_size;
    uint8_t *again = malloc(bound);
    Pixbuf back;
    if (again == NULL ||
        lz4_image_encode(&out, hdr.top_down, 0, again, bound, &again_size) != CODEC_OK ||
        lz4_image_decode_new(again, again_size, width, height, 4096, &back, NULL) != CODEC_OK ||
        memcmp(back.data, out.data, row_bytes * height) != 0) {
        abort();
    }
    pixbuf_free(&back);
    free(again);
    free(mem);
    pixbuf_free(&out);
    return 0;
}
