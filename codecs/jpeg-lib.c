/* jpeg-lib: libjpeg glue: memory source/destination, an error manager that returns, pixel layouts. */
#include "codecs/jpeg-lib.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/*
 * libjpeg reports errors by calling error_exit, whose default prints and exit()s. Ours records a
 * status and longjmps back to the call that set `jump`. Warnings (corrupt data that libjpeg
 * would paper over, e.g. a premature end) are errors too: a decoder must not show garbage as a
 * valid picture. Everything the longjmp skips is owned by the libjpeg object, which the landing
 * site destroys.
 */
typedef struct JpegGuard {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    CodecStatus status;  /* what to return after the jump; set before jumping */
} JpegGuard;

static void guard_fail(j_common_ptr cinfo, CodecStatus status)
{
    JpegGuard *guard = (JpegGuard *)cinfo->err;
    if (guard->status == CODEC_OK) {
        guard->status = status;
    }
    longjmp(guard->jump, 1);
}

static void guard_error_exit(j_common_ptr cinfo)
{
    int code = cinfo->err->msg_code;
    guard_fail(cinfo, code == JERR_OUT_OF_MEMORY ? CODEC_ERR_NO_MEMORY : CODEC_ERR_CORRUPT);
}

static void guard_emit_message(j_common_ptr cinfo, int msg_level)
{
    if (msg_level < 0) {
        guard_fail(cinfo, CODEC_ERR_CORRUPT);
    }
    /* trace messages: ignored (we never print from a codec) */
}

static void guard_output_message(j_common_ptr cinfo)
{
    (void)cinfo;
}

static void guard_init(JpegGuard *guard)
{
    memset(guard, 0, sizeof(*guard));
    jpeg_std_error(&guard->mgr);
    guard->mgr.error_exit = guard_error_exit;
    guard->mgr.emit_message = guard_emit_message;
    guard->mgr.output_message = guard_output_message;
    guard->status = CODEC_OK;
}

/* ---- destination: a fixed caller buffer; running out is CODEC_ERR_NO_SPACE ---- */

static void dest_init(j_compress_ptr cinfo)
{
    (void)cinfo;  /* next_output_byte / free_in_buffer are set before jpeg_start_compress */
}

static boolean dest_empty(j_compress_ptr cinfo)
{
    guard_fail((j_common_ptr)cinfo, CODEC_ERR_NO_SPACE);
    return FALSE;
}

static void dest_term(j_compress_ptr cinfo)
{
    (void)cinfo;
}

/* ---- source: the whole stream in memory; asking for more is CODEC_ERR_TRUNCATED ---- */

static void src_init(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

static boolean src_fill(j_decompress_ptr cinfo)
{
    guard_fail((j_common_ptr)cinfo, CODEC_ERR_TRUNCATED);
    return FALSE;
}

static void src_skip(j_decompress_ptr cinfo, long num_bytes)
{
    if (num_bytes <= 0) {
        return;
    }
    if ((unsigned long)num_bytes > cinfo->src->bytes_in_buffer) {
        guard_fail((j_common_ptr)cinfo, CODEC_ERR_TRUNCATED);
    }
    cinfo->src->next_input_byte += num_bytes;
    cinfo->src->bytes_in_buffer -= (size_t)num_bytes;
}

static void src_term(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

/* Progressive streams: each scan costs a pass over the image; refuse absurd scan counts. */
static void scan_limit(j_common_ptr cinfo)
{
    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > JPEG_LIB_MAX_SCANS) {
        guard_fail(cinfo, CODEC_ERR_CORRUPT);
    }
}

size_t jpeg_lib_encode_bound(uint32_t width, uint32_t height)
{
    if (width == 0 || height == 0 || width > JPEG_LIB_MAX_DIMENSION ||
        height > JPEG_LIB_MAX_DIMENSION) {
        return 0;
    }
    /* libjpeg-turbo's own worst case (tjBufSize) for 4:2:0 is 3 bytes per pixel of the
     * MCU-padded image plus 2048 of headers; we allow 6 (its 4:4:4 figure) for safety. */
    uint64_t padded = (uint64_t)((width + 15u) & ~15u) * ((height + 15u) & ~15u);
    uint64_t bound = padded * 6u + 2048u;
    if (bound > SIZE_MAX || padded * 4u > PIXBUF_MAX_BYTES) {
        return 0;
    }
    return (size_t)bound;
}

CodecStatus jpeg_lib_encode(const Pixbuf *src, const JpegLibEncodeOptions *opts, uint8_t *out,
                            size_t out_capacity, size_t *out_size)
{
    if (src == NULL || opts == NULL || out == NULL || out_size == NULL || src->data == NULL ||
        src->width == 0 || src->height == 0 || src->width > JPEG_LIB_MAX_DIMENSION ||
        src->height > JPEG_LIB_MAX_DIMENSION || opts->quality < 1 || opts->quality > 100) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    /* volatile: live across setjmp (a longjmp may otherwise leave them clobbered) */
    volatile J_COLOR_SPACE in_space;
    volatile int in_components;
    switch (src->format) {
    case PIXBUF_FORMAT_XRGB32:
    case PIXBUF_FORMAT_ARGB32:
        in_space = JCS_EXT_BGRX;  /* bytes B, G, R, X: no conversion pass of our own */
        in_components = 4;
        break;
    case PIXBUF_FORMAT_RGB24:
        in_space = JCS_EXT_BGR;
        in_components = 3;
        break;
    default:
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    *out_size = 0;
    if (out_capacity == 0) {
        /* libjpeg stores a byte and then decrements free_in_buffer: 0 would wrap around. */
        return CODEC_ERR_NO_SPACE;
    }

    struct jpeg_compress_struct cinfo;
    JpegGuard guard;
    struct jpeg_destination_mgr dest;
    guard_init(&guard);
    cinfo.err = &guard.mgr;
    if (setjmp(guard.jump) != 0) {
        jpeg_destroy_compress(&cinfo);
        return guard.status;
    }
    jpeg_create_compress(&cinfo);
    dest.next_output_byte = out;
    dest.free_in_buffer = out_capacity;
    dest.init_destination = dest_init;
    dest.empty_output_buffer = dest_empty;
    dest.term_destination = dest_term;
    cinfo.dest = &dest;

    cinfo.image_width = src->width;
    cinfo.image_height = src->height;
    cinfo.input_components = in_components;
    cinfo.in_color_space = in_space;
    jpeg_set_defaults(&cinfo);  /* YCbCr 4:2:0, Huffman standard tables: what peers expect */
    cinfo.dct_method = opts->fast_dct ? JDCT_IFAST : JDCT_ISLOW;
    jpeg_set_quality(&cinfo, opts->quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        uint32_t y = cinfo.next_scanline;
        uint32_t row = opts->rows_reversed ? src->height - 1u - y : y;
        /* libjpeg's prototype is not const, but it only reads input rows. */
        JSAMPROW rowp = (JSAMPROW)(uintptr_t)pixbuf_row(src, row);
        jpeg_write_scanlines(&cinfo, &rowp, 1);
    }
    jpeg_finish_compress(&cinfo);
    *out_size = out_capacity - dest.free_in_buffer;
    jpeg_destroy_compress(&cinfo);
    return CODEC_OK;
}

/* Shared start of every decode: guard, source and header. The caller has done setjmp. */
static void start_source(struct jpeg_decompress_struct *cinfo, struct jpeg_source_mgr *src,
                         const uint8_t *data, size_t size)
{
    src->next_input_byte = data;
    src->bytes_in_buffer = size;
    src->init_source = src_init;
    src->fill_input_buffer = src_fill;
    src->skip_input_data = src_skip;
    src->resync_to_restart = jpeg_resync_to_restart;
    src->term_source = src_term;
    cinfo->src = src;
}

CodecStatus jpeg_lib_read_size(const uint8_t *data, size_t size, uint32_t *width,
                               uint32_t *height)
{
    if ((data == NULL && size != 0) || width == NULL || height == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    struct jpeg_source_mgr src;
    JpegGuard guard;
    guard_init(&guard);
    cinfo.err = &guard.mgr;
    if (setjmp(guard.jump) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return guard.status;
    }
    jpeg_create_decompress(&cinfo);
    start_source(&cinfo, &src, data, size);
    int rc = jpeg_read_header(&cinfo, TRUE);
    CodecStatus status = CODEC_OK;
    if (rc != JPEG_HEADER_OK || cinfo.image_width == 0 || cinfo.image_height == 0) {
        status = CODEC_ERR_BAD_HEADER;  /* tables-only stream: no image */
    } else {
        *width = cinfo.image_width;
        *height = cinfo.image_height;
    }
    jpeg_destroy_decompress(&cinfo);
    return status;
}

CodecStatus jpeg_lib_decode(const uint8_t *data, size_t size, const JpegLibDecodeOptions *opts,
                            Pixbuf *dst)
{
    if ((data == NULL && size != 0) || opts == NULL || dst == NULL || dst->data == NULL ||
        (dst->format != PIXBUF_FORMAT_XRGB32 && dst->format != PIXBUF_FORMAT_ARGB32)) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    struct jpeg_decompress_struct cinfo;
    struct jpeg_source_mgr src;
    struct jpeg_progress_mgr progress;
    JpegGuard guard;
    guard_init(&guard);
    cinfo.err = &guard.mgr;
    if (setjmp(guard.jump) != 0) {
        jpeg_destroy_decompress(&cinfo);
        return guard.status;
    }
    jpeg_create_decompress(&cinfo);
    start_source(&cinfo, &src, data, size);
    memset(&progress, 0, sizeof(progress));
    progress.progress_monitor = scan_limit;
    cinfo.progress = &progress;

    CodecStatus status = CODEC_OK;
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        status = CODEC_ERR_BAD_HEADER;
    } else if (cinfo.image_width != dst->width || cinfo.image_height != dst->height) {
        status = CODEC_ERR_BAD_HEADER;
    } else if (cinfo.jpeg_color_space != JCS_YCbCr && cinfo.jpeg_color_space != JCS_RGB &&
               cinfo.jpeg_color_space != JCS_GRAYSCALE) {
        status = CODEC_ERR_UNSUPPORTED;  /* CMYK/YCCK: not something a SPICE peer sends */
    }
    if (status != CODEC_OK) {
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    cinfo.out_color_space = JCS_EXT_BGRX;  /* writes B, G, R, 0xFF */
    if (opts->fast) {
        cinfo.dct_method = JDCT_IFAST;
        cinfo.do_fancy_upsampling = FALSE;
    }
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != dst->width || cinfo.output_height != dst->height ||
        cinfo.output_components != 4) {
        jpeg_destroy_decompress(&cinfo);
        return CODEC_ERR_UNSUPPORTED;
    }
    bool zero_x = dst->format == PIXBUF_FORMAT_XRGB32;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint32_t y = cinfo.output_scanline;
        uint32_t row = opts->rows_reversed ? dst->height - 1u - y : y;
        JSAMPROW rowp = pixbuf_row(dst, row);
        if (jpeg_read_scanlines(&cinfo, &rowp, 1) != 1) {
            jpeg_destroy_decompress(&cinfo);
            return CODEC_ERR_TRUNCATED;  /* our source never suspends; be safe anyway */
        }
        if (zero_x) {
            for (uint32_t x = 0; x < dst->width; x++) {
                rowp[x * 4u + 3u] = 0;  /* pixbuf convention: codecs write X = 0 */
            }
        }
    }
    jpeg_finish_decompress(&cinfo);  /* reads up to EOI: a missing EOI is truncation */
    jpeg_destroy_decompress(&cinfo);
    return CODEC_OK;
}

CodecStatus jpeg_lib_decode_new(const uint8_t *data, size_t size, const JpegLibDecodeOptions *opts,
                                PixbufFormat format, uint64_t max_pixels, Pixbuf *out)
{
    if (out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (format != PIXBUF_FORMAT_XRGB32 && format != PIXBUF_FORMAT_ARGB32) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    uint32_t width, height;
    CodecStatus status = jpeg_lib_read_size(data, size, &width, &height);
    if (status != CODEC_OK) {
        return status;
    }
    if ((uint64_t)width * height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    status = pixbuf_alloc(out, format, width, height);
    if (status != CODEC_OK) {
        return status;
    }
    status = jpeg_lib_decode(data, size, opts, out);
    if (status != CODEC_OK) {
        pixbuf_free(out);
    }
    return status;
}
