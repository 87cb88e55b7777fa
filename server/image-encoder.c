/* image-encoder: the image compression policy of the display channel, over codecs/ LZ, GLZ and QUIC. */
#include "image-encoder.h"

#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"
#include "codecs/lz.h"
#include "codecs/pixbuf.h"
#include "codecs/quic.h"

/* BITMAP body before the rows: format u8, flags u8, width, height, stride, palette pointer. */
#define BITMAP_BODY_HEADER 18u
/* A compressed body is data_size u32 + the stream. */
#define COMPRESSED_BODY_HEADER 4u
/* QUIC's model needs a few rows and columns (upstream refuses under 3 as well). */
#define QUIC_MIN_SIDE 3u
/* Neighbour steps up to this (largest channel difference) are the gradual ones of photos. */
#define GRADUAL_STEP_MAX 24u
#define SAMPLE_ROWS 16u
#define SAMPLE_PAIRS_PER_ROW 256u

/* Largest absolute channel difference of two pixels, colour channels only. */
static unsigned channel_step(const uint8_t *a, const uint8_t *b)
{
    unsigned step = 0;
    for (int c = 0; c < 3; c++) {
        unsigned d = a[c] > b[c] ? (unsigned)(a[c] - b[c]) : (unsigned)(b[c] - a[c]);
        step = d > step ? d : step;
    }
    return step;
}

/*
 * Counts neighbour steps on evenly spaced rows: equal pixels (flat: backgrounds, fills),
 * small steps (gradual: photos, gradients) and big steps (sharp: text, edges, noise).
 * Photo-like = most neighbours differ and the differences are mostly gradual. Antialiased
 * text on a flat background stays mostly flat; noise is mostly sharp (neither codec helps, and
 * the size check then sends BITMAP).
 */
bool image_encoder_is_photo_like(const ImageEncoderSource *src)
{
    if (src->width < 2) {
        return false;
    }
    uint32_t rows = src->height < SAMPLE_ROWS ? src->height : SAMPLE_ROWS;
    uint32_t pairs = src->width - 1;
    uint32_t step_x = pairs > SAMPLE_PAIRS_PER_ROW ? pairs / SAMPLE_PAIRS_PER_ROW : 1;
    uint64_t flat = 0, gradual = 0, sharp = 0;
    for (uint32_t i = 0; i < rows; i++) {
        /* Rows spread over the image, the middle of each stripe. */
        uint32_t y = (uint32_t)(((uint64_t)src->height * (2 * i + 1)) / (2 * rows));
        const uint8_t *row = src->pixels + (size_t)y * src->stride;
        for (uint32_t x = 1; x < src->width; x += step_x) {
            unsigned step = channel_step(row + (size_t)x * 4, row + (size_t)(x - 1) * 4);
            if (step == 0) {
                flat++;
            } else if (step <= GRADUAL_STEP_MAX) {
                gradual++;
            } else {
                sharp++;
            }
        }
    }
    uint64_t total = flat + gradual + sharp;
    return total > 0 && (gradual + sharp) * 2 >= total && gradual >= sharp;
}

uint8_t image_encoder_choose(const ImageEncoderSource *src, SpiceImageCompression policy)
{
    switch (policy) {
    case SPICE_IMAGE_COMPRESSION_QUIC:
        return SPICE_IMAGE_TYPE_QUIC;
    case SPICE_IMAGE_COMPRESSION_GLZ:
        /* No dictionary (several clients share this image, or none was set up): LZ. */
        return src->glz ? SPICE_IMAGE_TYPE_GLZ_RGB : SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_LZ:
    case SPICE_IMAGE_COMPRESSION_LZ4:   /* no LZ4 coder yet: LZ */
        return SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_AUTO_LZ:
        return image_encoder_is_photo_like(src) ? SPICE_IMAGE_TYPE_QUIC : SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_AUTO_GLZ:
        if (image_encoder_is_photo_like(src)) {
            return SPICE_IMAGE_TYPE_QUIC;
        }
        return src->glz ? SPICE_IMAGE_TYPE_GLZ_RGB : SPICE_IMAGE_TYPE_LZ_RGB;
    default:   /* OFF, INVALID and anything unknown */
        return SPICE_IMAGE_TYPE_BITMAP;
    }
}

static void write_descriptor(WireWriter *w, const ImageEncoderSource *src, uint8_t type)
{
    wire_write_u64(w, src->image_id);
    wire_write_u8(w, type);
    wire_write_u8(w, 0);   /* flags: we keep no client image cache yet */
    wire_write_u32(w, src->width);
    wire_write_u32(w, src->height);
}

static void write_bitmap(WireWriter *w, const ImageEncoderSource *src)
{
    size_t row_bytes = (size_t)src->width * 4;
    write_descriptor(w, src, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(w, src->format);
    wire_write_u8(w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(w, src->width);
    wire_write_u32(w, src->height);
    wire_write_u32(w, (uint32_t)row_bytes);
    wire_write_u32(w, 0);   /* palette: none for 32-bit formats */
    uint8_t *out = wire_writer_reserve(w, row_bytes * src->height);
    if (out == NULL) {
        return;   /* the writer records the failure */
    }
    for (uint32_t y = 0; y < src->height; y++) {
        memcpy(out + (size_t)y * row_bytes, src->pixels + (size_t)y * src->stride, row_bytes);
    }
}

/*
 * Codes @src as @type into a buffer of @capacity bytes (the most that still beats BITMAP).
 * Returns the malloc'd stream (caller frees) and its size, or NULL when the coder needs more
 * room, cannot code this image or runs out of memory.
 */
static uint8_t *encode_stream(const ImageEncoderSource *src, uint8_t type, size_t capacity,
                              size_t *out_size)
{
    bool alpha = src->format == SPICE_BITMAP_FMT_RGBA;
    Pixbuf view;
    size_t data_size = (size_t)(src->height - 1) * src->stride + (size_t)src->width * 4;
    if (pixbuf_init_view(&view, alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32, src->width,
                         src->height, src->stride, (void *)src->pixels, data_size) != CODEC_OK) {
        return NULL;
    }
    LzImageType lz_type = alpha ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32;
    size_t bound = type == SPICE_IMAGE_TYPE_QUIC ?
        quic_encode_bound(alpha ? QUIC_IMAGE_TYPE_RGBA : QUIC_IMAGE_TYPE_RGB32, src->width,
                          src->height) :
        type == SPICE_IMAGE_TYPE_GLZ_RGB ? glz_encode_bound(lz_type, src->width, src->height) :
        lz_encode_bound(lz_type, src->width, src->height);
    if (bound == 0) {
        return NULL;
    }
    capacity = capacity < bound ? capacity : bound;
    uint8_t *stream = malloc(capacity);
    if (stream == NULL) {
        return NULL;
    }
    CodecStatus status;
    if (type == SPICE_IMAGE_TYPE_QUIC) {
        status = quic_encode(&view, alpha ? QUIC_IMAGE_TYPE_RGBA : QUIC_IMAGE_TYPE_RGB32, stream,
                             capacity, out_size);
    } else if (type == SPICE_IMAGE_TYPE_GLZ_RGB) {
        /* On failure (too large for the window, no room) the dictionary is unchanged and no id
         * is used, so falling back to LZ keeps the client's window in step. */
        status = glz_encode(src->glz, &view, lz_type, true, stream, capacity, out_size, NULL);
    } else {
        /* Rows go top first, so the stream says top_down. */
        status = lz_encode(&view, lz_type, true, stream, capacity, out_size);
    }
    if (status != CODEC_OK) {
        free(stream);
        return NULL;
    }
    return stream;
}

uint8_t image_encoder_write(WireWriter *w, const ImageEncoderSource *src,
                            SpiceImageCompression policy)
{
    uint8_t type = image_encoder_choose(src, policy);
    if (type == SPICE_IMAGE_TYPE_QUIC && (src->width < QUIC_MIN_SIDE || src->height < QUIC_MIN_SIDE)) {
        type = SPICE_IMAGE_TYPE_LZ_RGB;
    }
    if (type != SPICE_IMAGE_TYPE_BITMAP) {
        /* The stream must leave the compressed body strictly smaller than the BITMAP body. */
        size_t raw_body = BITMAP_BODY_HEADER + (size_t)src->width * 4 * src->height;
        size_t capacity = raw_body - COMPRESSED_BODY_HEADER - 1;
        size_t stream_size = 0;
        uint8_t *stream = encode_stream(src, type, capacity, &stream_size);
        if (stream == NULL && type == SPICE_IMAGE_TYPE_GLZ_RGB) {
            type = SPICE_IMAGE_TYPE_LZ_RGB;   /* e.g. more pixels than the client's window */
            stream = encode_stream(src, type, capacity, &stream_size);
        }
        if (stream != NULL) {
            write_descriptor(w, src, type);
            wire_write_u32(w, (uint32_t)stream_size);
            wire_write_bytes(w, stream, stream_size);
            free(stream);
            return type;
        }
    }
    write_bitmap(w, src);
    return SPICE_IMAGE_TYPE_BITMAP;
}
