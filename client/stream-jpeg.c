/* stream-jpeg: one video stream's MJPEG frame decoder, a libjpeg decompressor kept across frames. */
#include "client/stream-jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <jpeglib.h>
#include <jerror.h>

/* Most scans a progressive frame may have (each costs a pass over the frame; thousands of tiny
 * scans would make one frame take seconds). A video encoder sends one. */
#define MAX_SCANS 500

struct StreamJpeg {
    /* First member: libjpeg hands callbacks the error manager, and we find the rest from it. */
    struct jpeg_error_mgr err;
    jmp_buf jump;
    CodecStatus status;           /* set before jumping back to the decode */
    struct jpeg_decompress_struct cinfo;
    struct jpeg_source_mgr src;
    struct jpeg_progress_mgr progress;
    bool created;                 /* cinfo holds a decompressor */
    JSAMPROW *rows;               /* row table, one entry per frame row */
    uint32_t rows_cap;
};

/* libjpeg's errors end in error_exit, whose default exit()s: ours jumps back to the call. */
static void fail(j_common_ptr cinfo, CodecStatus status)
{
    StreamJpeg *sj = (StreamJpeg *)(void *)cinfo->err;
    if (sj->status == CODEC_OK) {
        sj->status = status;
    }
    longjmp(sj->jump, 1);
}

static void on_error_exit(j_common_ptr cinfo)
{
    fail(cinfo, cinfo->err->msg_code == JERR_OUT_OF_MEMORY ? CODEC_ERR_NO_MEMORY
                                                             : CODEC_ERR_CORRUPT);
}

/* Warnings are corrupt data libjpeg would paper over (a premature end, a bad Huffman code):
 * the frame is refused as codecs/jpeg-lib refuses it. Trace messages are ignored. */
static void on_emit_message(j_common_ptr cinfo, int msg_level)
{
    if (msg_level < 0) {
        fail(cinfo, CODEC_ERR_CORRUPT);
    }
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo;   /* a library never prints */
}

static void on_progress(j_common_ptr cinfo)
{
    if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_SCANS) {
        fail(cinfo, CODEC_ERR_CORRUPT);
    }
}

/* The source is the whole frame in memory: asking for more means it was truncated. */
static void src_init(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

static boolean src_fill(j_decompress_ptr cinfo)
{
    fail((j_common_ptr)cinfo, CODEC_ERR_TRUNCATED);
    return FALSE;
}

static void src_skip(j_decompress_ptr cinfo, long num_bytes)
{
    if (num_bytes <= 0) {
        return;
    }
    if ((unsigned long)num_bytes > cinfo->src->bytes_in_buffer) {
        fail((j_common_ptr)cinfo, CODEC_ERR_TRUNCATED);
    }
    cinfo->src->next_input_byte += num_bytes;
    cinfo->src->bytes_in_buffer -= (size_t)num_bytes;
}

static void src_term(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

StreamJpeg *stream_jpeg_new(void)
{
    StreamJpeg *sj = g_new0(StreamJpeg, 1);
    jpeg_std_error(&sj->err);
    sj->err.error_exit = on_error_exit;
    sj->err.emit_message = on_emit_message;
    sj->err.output_message = on_output_message;
    sj->cinfo.err = &sj->err;
    sj->status = CODEC_OK;
    if (setjmp(sj->jump) != 0) {
        g_free(sj);   /* out of memory inside jpeg_create_decompress: nothing to destroy */
        return NULL;
    }
    jpeg_create_decompress(&sj->cinfo);
    sj->created = true;
    sj->src.init_source = src_init;
    sj->src.fill_input_buffer = src_fill;
    sj->src.skip_input_data = src_skip;
    sj->src.resync_to_restart = jpeg_resync_to_restart;
    sj->src.term_source = src_term;
    sj->cinfo.src = &sj->src;
    sj->progress.progress_monitor = on_progress;
    sj->cinfo.progress = &sj->progress;
    return sj;
}

void stream_jpeg_free(StreamJpeg *sj)
{
    if (sj == NULL) {
        return;
    }
    if (sj->created) {
        jpeg_destroy_decompress(&sj->cinfo);
    }
    g_free(sj->rows);
    g_free(sj);
}

/* Grows the row table to @height entries (kept for the next frames). */
static bool reserve_rows(StreamJpeg *sj, uint32_t height)
{
    if (height <= sj->rows_cap) {
        return true;
    }
    JSAMPROW *rows = g_try_renew(JSAMPROW, sj->rows, height);
    if (rows == NULL) {
        return false;
    }
    sj->rows = rows;
    sj->rows_cap = height;
    return true;
}

CodecStatus stream_jpeg_decode(StreamJpeg *sj, const uint8_t *data, size_t size,
                               StreamJpegTarget target, void *user, bool *wrote)
{
    if (wrote) {
        *wrote = false;
    }
    if (sj == NULL || data == NULL || size == 0 || target == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    struct jpeg_decompress_struct *cinfo = &sj->cinfo;
    sj->status = CODEC_OK;
    sj->src.next_input_byte = data;
    sj->src.bytes_in_buffer = size;
    if (setjmp(sj->jump) != 0) {
        /* Back from inside libjpeg: forget this frame, keep the decompressor for the next. */
        jpeg_abort_decompress(cinfo);
        return sj->status;
    }
    CodecStatus status = CODEC_OK;
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        status = CODEC_ERR_BAD_HEADER;
    } else if (cinfo->jpeg_color_space != JCS_YCbCr && cinfo->jpeg_color_space != JCS_RGB
               && cinfo->jpeg_color_space != JCS_GRAYSCALE) {
        status = CODEC_ERR_UNSUPPORTED;   /* CMYK/YCCK: no video encoder sends these */
    }
    if (status != CODEC_OK) {
        jpeg_abort_decompress(cinfo);
        return status;
    }
    uint32_t width = cinfo->image_width, height = cinfo->image_height;
    ptrdiff_t stride = 0;
    uint8_t *first = target(width, height, &stride, user);
    if (first == NULL) {
        jpeg_abort_decompress(cinfo);
        return CODEC_ERR_TOO_LARGE;
    }
    if (!reserve_rows(sj, height)) {
        jpeg_abort_decompress(cinfo);
        return CODEC_ERR_NO_MEMORY;
    }
    for (uint32_t y = 0; y < height; y++) {
        sj->rows[y] = first + (ptrdiff_t)y * stride;
    }
    cinfo->out_color_space = JCS_EXT_BGRX;
    cinfo->dct_method = JDCT_IFAST;
    cinfo->do_fancy_upsampling = FALSE;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != width || cinfo->output_height != height
        || cinfo->output_components != 4) {
        jpeg_abort_decompress(cinfo);
        return CODEC_ERR_UNSUPPORTED;
    }
    /* The whole row table at once: libjpeg then writes each row group straight into place
     * (one row at a time costs its merged upsampler a copy of every second row). */
    while (cinfo->output_scanline < height) {
        JDIMENSION done = cinfo->output_scanline;
        if (wrote) {
            *wrote = true;
        }
        if (jpeg_read_scanlines(cinfo, sj->rows + done, height - done) == 0) {
            jpeg_abort_decompress(cinfo);
            return CODEC_ERR_TRUNCATED;   /* our source never suspends; be safe anyway */
        }
    }
    jpeg_finish_decompress(cinfo);   /* reads up to EOI: a missing EOI is truncation */
    return CODEC_OK;
}
