/* image-encoder: the image compression policy of the display channel, over codecs/ LZ, GLZ, LZ4, QUIC and JPEG. */
#include "image-encoder.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "codecs/glz.h"
#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
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

/* From this size on, pixel buffers a dictionary keeps are mmap'd and pre-faulted. */
#define PREFAULT_MIN_BYTES (128u * 1024u)

static void unmap_pixels(void *data, void *opaque)
{
    munmap(data, (size_t)(uintptr_t)opaque);
}

GlzSharedPixels *image_encoder_pixels_new(size_t size)
{
    if (size < PREFAULT_MIN_BYTES) {
        return glz_shared_pixels_new(size);
    }
    /* MAP_POPULATE: the kernel fills every page in one call instead of one fault per 4 KiB
     * page as the pixels are written (measured: 0.5 ms instead of 2 ms per 480x360 image). */
    void *data = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (data == MAP_FAILED) {
        return glz_shared_pixels_new(size);
    }
    GlzSharedPixels *pixels = glz_shared_pixels_wrap(data, size, unmap_pixels,
                                                     (void *)(uintptr_t)size);
    if (pixels == NULL) {
        munmap(data, size);
    }
    return pixels;
}

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

bool image_encoder_wan_enabled(spice_wan_compression_t state, bool slow_link)
{
    switch (state) {
    case SPICE_WAN_COMPRESSION_ALWAYS:
        return true;
    case SPICE_WAN_COMPRESSION_AUTO:
        return slow_link;
    default:   /* NEVER, INVALID */
        return false;
    }
}

bool image_encoder_policy_valid(uint8_t value)
{
    switch (value) {
    case SPICE_IMAGE_COMPRESSION_OFF:
    case SPICE_IMAGE_COMPRESSION_AUTO_GLZ:
    case SPICE_IMAGE_COMPRESSION_AUTO_LZ:
    case SPICE_IMAGE_COMPRESSION_QUIC:
    case SPICE_IMAGE_COMPRESSION_GLZ:
    case SPICE_IMAGE_COMPRESSION_LZ:
    case SPICE_IMAGE_COMPRESSION_LZ4:
        return true;
    default:
        return false;
    }
}

/* QUIC's place: JPEG instead when this client takes it and the draw may be lossy. */
static uint8_t quic_or_jpeg(const ImageEncoderSource *src)
{
    if (src->peer.jpeg && src->lossy_ok) {
        return src->format == SPICE_BITMAP_FMT_RGBA ? SPICE_IMAGE_TYPE_JPEG_ALPHA :
                                                      SPICE_IMAGE_TYPE_JPEG;
    }
    return SPICE_IMAGE_TYPE_QUIC;
}

uint8_t image_encoder_choose(const ImageEncoderSource *src, SpiceImageCompression policy)
{
    switch (policy) {
    case SPICE_IMAGE_COMPRESSION_QUIC:
        return quic_or_jpeg(src);
    case SPICE_IMAGE_COMPRESSION_GLZ:
        /* No dictionary (several clients share this image, or none was set up): LZ. */
        return src->glz ? SPICE_IMAGE_TYPE_GLZ_RGB : SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_LZ4:
        /* Only a client that said it decodes LZ4 gets it; the others LZ, as upstream. */
        return src->peer.lz4 ? SPICE_IMAGE_TYPE_LZ4 : SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_LZ:
        return SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_AUTO_LZ:
        return image_encoder_is_photo_like(src) ? quic_or_jpeg(src) : SPICE_IMAGE_TYPE_LZ_RGB;
    case SPICE_IMAGE_COMPRESSION_AUTO_GLZ:
        if (image_encoder_is_photo_like(src)) {
            return quic_or_jpeg(src);
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

/* A coded image body: the bytes after the descriptor. */
typedef struct EncodedBody {
    uint8_t *stream;     /* malloc'd, owned */
    size_t size;         /* bytes of @stream */
    uint8_t type;        /* SPICE_IMAGE_TYPE_* */
    uint32_t glz_size;   /* ZLIB_GLZ_RGB: the inflated GLZ stream's size */
    JpegAlphaDescriptor alpha;   /* JPEG_ALPHA: the descriptor in front of the data */
} EncodedBody;

/* Bytes of the body in front of the stream, per type. */
static size_t body_header_size(uint8_t type)
{
    switch (type) {
    case SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB:
        return 8;                             /* glz_data_size, data_size */
    case SPICE_IMAGE_TYPE_JPEG_ALPHA:
        return JPEG_ALPHA_DESCRIPTOR_SIZE;    /* flags, jpeg_size, data_size */
    default:
        return COMPRESSED_BODY_HEADER;        /* data_size */
    }
}

static size_t stream_bound(const ImageEncoderSource *src, uint8_t type)
{
    bool alpha = src->format == SPICE_BITMAP_FMT_RGBA;
    LzImageType lz_type = alpha ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32;
    switch (type) {
    case SPICE_IMAGE_TYPE_QUIC:
        return quic_encode_bound(alpha ? QUIC_IMAGE_TYPE_RGBA : QUIC_IMAGE_TYPE_RGB32, src->width,
                                 src->height);
    case SPICE_IMAGE_TYPE_GLZ_RGB:
        return glz_encode_bound(lz_type, src->width, src->height);
    case SPICE_IMAGE_TYPE_LZ4:
        return lz4_image_encode_bound(alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32,
                                      src->width, src->height, 0);
    case SPICE_IMAGE_TYPE_JPEG:
        return jpeg_encode_bound(src->width, src->height);
    case SPICE_IMAGE_TYPE_JPEG_ALPHA:
        return jpeg_alpha_encode_bound(src->width, src->height);
    default:
        return lz_encode_bound(lz_type, src->width, src->height);
    }
}

/* GLZ stream -> zlib when that is smaller (upstream's rule); @body keeps GLZ otherwise. */
static void try_zlib(EncodedBody *body)
{
    if (body->size < IMAGE_ENCODER_ZLIB_MIN_GLZ || body->size > UINT32_MAX) {
        return;
    }
    /* Deflate must win by a byte at least, counting the extra u32 of the ZLIB_GLZ body. */
    size_t capacity = body->size - 5;
    uint8_t *zstream = malloc(capacity);
    size_t zsize = 0;
    if (zstream == NULL || glz_zlib_compress(body->stream, body->size, zstream, capacity,
                                             &zsize) != CODEC_OK) {
        free(zstream);
        return;
    }
    body->glz_size = (uint32_t)body->size;
    free(body->stream);
    body->stream = zstream;
    body->size = zsize;
    body->type = SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB;
}

/*
 * A counted buffer holding @bytes bytes equal to @pixels (packed rows), for @dict to keep: the
 * buffer of its newest image when the pixels are the same (a redraw: comparing warm memory
 * costs far less than filling fresh pages), else (with @make) a new pre-faulted copy. NULL
 * without memory, or when nothing matches and !@make. The caller owns one reference.
 */
static GlzSharedPixels *kept_copy_of(GlzDictionary *dict, const uint8_t *pixels, size_t bytes,
                                     bool make)
{
    GlzSharedPixels *newest = glz_dictionary_newest_pixels(dict);
    if (newest != NULL && glz_shared_pixels_size(newest) == bytes &&
        memcmp(glz_shared_pixels_data(newest), pixels, bytes) == 0) {
        return glz_shared_pixels_ref(newest);
    }
    GlzSharedPixels *copy = make ? image_encoder_pixels_new(bytes) : NULL;
    if (copy != NULL) {
        memcpy(glz_shared_pixels_data(copy), pixels, bytes);
    }
    return copy;
}

/*
 * GLZ-codes @src into its dictionary, which keeps the pixels for later images to reference.
 * Without an owner the dictionary would copy them into fresh memory, faulting it in a page at
 * a time (4x the cost of coding a redraw); a counted copy made here is kept instead: the
 * dictionary's newest buffer when the pixels are the same, else a pre-faulted new one.
 * Strided pixels (a part of a bigger image) are left to the dictionary's own copy, and so is a
 * @trial's new image (AUTO_GLZ's try with little room, which mostly fails early: the
 * dictionary copies only the rows coded).
 */
static CodecStatus glz_encode_kept(const ImageEncoderSource *src, const Pixbuf *view,
                                   LzImageType lz_type, uint8_t *out, size_t capacity,
                                   size_t *size, bool trial)
{
    size_t row_bytes = (size_t)src->width * 4;
    if (src->pixels_owner != NULL || src->stride != row_bytes) {
        return glz_encode_shared(src->glz, view, src->pixels_owner, lz_type, true, out, capacity,
                                 size, NULL);
    }
    size_t bytes = row_bytes * src->height;
    GlzSharedPixels *copy = kept_copy_of(src->glz, src->pixels, bytes, !trial);
    if (copy == NULL) {
        return glz_encode_shared(src->glz, view, NULL, lz_type, true, out, capacity, size, NULL);
    }
    Pixbuf kept;
    CodecStatus status = pixbuf_init_view(&kept, view->format, src->width, src->height,
                                          row_bytes, glz_shared_pixels_data(copy), bytes);
    if (status == CODEC_OK) {
        status = glz_encode_shared(src->glz, &kept, copy, lz_type, true, out, capacity, size,
                                   NULL);
    }
    glz_shared_pixels_unref(copy);   /* the dictionary holds its own reference on success */
    return status;
}

/*
 * Codes @src as @type with a body no larger than @max_body (the most that still beats BITMAP).
 * Fills @body and returns true, or false when the coder needs more room, cannot code this image
 * or runs out of memory (nothing to free then). @trial: a GLZ try expected to fail (see
 * glz_encode_kept).
 */
static bool encode_body(const ImageEncoderSource *src, uint8_t type, size_t max_body,
                        bool trial, EncodedBody *body)
{
    bool alpha = src->format == SPICE_BITMAP_FMT_RGBA;
    Pixbuf view;
    size_t data_size = (size_t)(src->height - 1) * src->stride + (size_t)src->width * 4;
    if (pixbuf_init_view(&view, alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32, src->width,
                         src->height, src->stride, (void *)src->pixels, data_size) != CODEC_OK) {
        return false;
    }
    size_t header = body_header_size(type);
    size_t bound = stream_bound(src, type);
    if (bound == 0 || max_body <= header) {
        return false;
    }
    size_t capacity = max_body - header < bound ? max_body - header : bound;
    uint8_t *stream = malloc(capacity);
    if (stream == NULL) {
        return false;
    }
    LzImageType lz_type = alpha ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32;
    size_t size = 0;
    CodecStatus status;
    *body = (EncodedBody){ .type = type };
    switch (type) {
    case SPICE_IMAGE_TYPE_QUIC:
        status = quic_encode(&view, alpha ? QUIC_IMAGE_TYPE_RGBA : QUIC_IMAGE_TYPE_RGB32, stream,
                             capacity, &size);
        break;
    case SPICE_IMAGE_TYPE_GLZ_RGB:
        /* On failure (too large for the window, no room) the dictionary is unchanged and no id
         * is used, so falling back to LZ keeps the client's window in step. */
        status = glz_encode_kept(src, &view, lz_type, stream, capacity, &size, trial);
        break;
    case SPICE_IMAGE_TYPE_LZ4:
        /* One stream for the image: the default block size (64 KiB) keeps every block's
         * matches within LZ4's window, as upstream's per-chunk blocks do. */
        status = lz4_image_encode(&view, true, 0, stream, capacity, &size);
        break;
    case SPICE_IMAGE_TYPE_JPEG:
        status = jpeg_encode(&view, IMAGE_ENCODER_JPEG_QUALITY, stream, capacity, &size);
        break;
    case SPICE_IMAGE_TYPE_JPEG_ALPHA:
        status = jpeg_alpha_encode(&view, true, IMAGE_ENCODER_JPEG_QUALITY, stream, capacity,
                                   &size, &body->alpha);
        break;
    default:
        /* Rows go top first, so the stream says top_down. */
        status = lz_encode(&view, lz_type, true, stream, capacity, &size);
        break;
    }
    if (status != CODEC_OK || size > UINT32_MAX) {
        free(stream);
        return false;
    }
    body->stream = stream;
    body->size = size;
    return true;
}

static void write_body(WireWriter *w, const EncodedBody *body)
{
    switch (body->type) {
    case SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB:
        wire_write_u32(w, body->glz_size);
        wire_write_u32(w, (uint32_t)body->size);
        break;
    case SPICE_IMAGE_TYPE_JPEG_ALPHA: {
        uint8_t desc[JPEG_ALPHA_DESCRIPTOR_SIZE];
        jpeg_alpha_write_descriptor(&body->alpha, desc, sizeof(desc));
        wire_write_bytes(w, desc, sizeof(desc));
        break;
    }
    default:
        wire_write_u32(w, (uint32_t)body->size);
        break;
    }
    wire_write_bytes(w, body->stream, body->size);
}

uint8_t image_encoder_write(WireWriter *w, const ImageEncoderSource *src,
                            SpiceImageCompression policy)
{
    uint8_t type = image_encoder_choose(src, policy);
    if (type == SPICE_IMAGE_TYPE_QUIC && (src->width < QUIC_MIN_SIDE || src->height < QUIC_MIN_SIDE)) {
        type = SPICE_IMAGE_TYPE_LZ_RGB;
    }
    if (type != SPICE_IMAGE_TYPE_BITMAP) {
        /* The body must be strictly smaller than the BITMAP body. */
        size_t max_body = BITMAP_BODY_HEADER + (size_t)src->width * 4 * src->height - 1;
        EncodedBody body;
        bool ok = encode_body(src, type, max_body, false, &body);
        if (!ok && type == SPICE_IMAGE_TYPE_GLZ_RGB) {
            type = SPICE_IMAGE_TYPE_LZ_RGB;   /* e.g. more pixels than the client's window */
            ok = encode_body(src, type, max_body, false, &body);
        }
        if (ok && type == SPICE_IMAGE_TYPE_QUIC && policy == SPICE_IMAGE_COMPRESSION_AUTO_GLZ &&
            src->glz != NULL) {
            /* Photo-like content the client already has (a redraw, a moved window) costs GLZ a
             * few references into its window but QUIC a full coding: GLZ gets the room QUIC
             * needed, and wins (joining the dictionary) only if it fits. A fresh photo fills
             * that room fast and fails, leaving the dictionary as it was. */
            EncodedBody glz;
            if (encode_body(src, SPICE_IMAGE_TYPE_GLZ_RGB, body.size + COMPRESSED_BODY_HEADER - 1,
                            true, &glz)) {
                free(body.stream);
                body = glz;
            }
        }
        if (ok) {
            if (body.type == SPICE_IMAGE_TYPE_GLZ_RGB && src->peer.zlib_glz) {
                try_zlib(&body);
            }
            write_descriptor(w, src, body.type);
            write_body(w, &body);
            free(body.stream);
            return body.type;
        }
    }
    write_bitmap(w, src);
    return SPICE_IMAGE_TYPE_BITMAP;
}
