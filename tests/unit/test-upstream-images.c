/* test-upstream-images: our decoders reproduce the pictures upstream's spice-server sent (tests/data/upstream-images). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz.h"
#include "codecs/pixbuf.h"
#include "codecs/quic.h"
#ifdef HAVE_GLZ
#include "codecs/glz.h"
#endif

/*
 * records.txt (written by tests/interop/capture/record.py) has one line per DRAW_COPY image:
 *   session seq type width height dest_left dest_top src_left src_top src_right src_bottom
 *   record-file expected-ppm
 * A record file is the image descriptor (18 bytes: id u64, type u8, flags u8, width u32,
 * height u32) followed by the type's body (data_size u32 + stream for QUIC / LZ_RGB / GLZ_RGB).
 * The expected picture is what the demo drew and what spice-gtk shows in lossless modes.
 */

#define DESCRIPTOR_SIZE 18u
#define MAX_PIXELS (4096u * 4096u)
/* The recorder's DISPLAY_INIT announced a 4M-pixel GLZ window. */
#define GLZ_WINDOW_PIXELS (4u * 1024u * 1024u)

#ifndef UPSTREAM_IMAGES_DIR
#error "UPSTREAM_IMAGES_DIR must name tests/data/upstream-images"
#endif

typedef struct Picture {
    uint32_t width, height;
    uint8_t *rgb; /* owned: width * height * 3 bytes, rows top first */
} Picture;

typedef struct Record {
    char session[128];
    unsigned seq;
    char type[32];
    uint32_t width, height;
    int dest_left, dest_top, src_left, src_top, src_right, src_bottom;
    char file[192];
    char expected[128];
} Record;

typedef struct Counts {
    unsigned decoded[3]; /* QUIC, LZ_RGB, GLZ_RGB */
    unsigned skipped;
    unsigned failed;
} Counts;

/* Reads the whole file at UPSTREAM_IMAGES_DIR/@name; caller frees. NULL (logged) on failure. */
static uint8_t *read_file(const char *name, size_t *size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", UPSTREAM_IMAGES_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: %s (re-record with tests/interop/capture/record.py)\n", path,
                strerror(errno));
        return NULL;
    }
    uint8_t *data = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (used == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *grown = realloc(data, cap);
            if (grown == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t n = fread(data + used, 1, cap - used, f);
        used += n;
        if (n == 0) {
            break;
        }
    }
    fclose(f);
    *size = used;
    return data;
}

static bool load_ppm(const char *name, Picture *out)
{
    size_t size = 0;
    uint8_t *data = read_file(name, &size);
    if (data == NULL) {
        return false;
    }
    unsigned w = 0, h = 0, maxval = 0;
    int header = 0;
    /* The recorder writes exactly "P6\n<w> <h>\n255\n". */
    char text[64] = { 0 };
    memcpy(text, data, size < sizeof(text) - 1 ? size : sizeof(text) - 1);
    if (sscanf(text, "P6\n%u %u\n%u\n%n", &w, &h, &maxval, &header) != 3 || header == 0 || maxval != 255 ||
        w == 0 || h == 0 || w > 4096 || h > 4096 || size - (size_t)header != (size_t)w * h * 3) {
        fprintf(stderr, "%s is not a %ux%u binary PPM written by record.py\n", name, w, h);
        free(data);
        return false;
    }
    out->width = w;
    out->height = h;
    out->rgb = malloc((size_t)w * h * 3);
    if (out->rgb != NULL) {
        memcpy(out->rgb, data + header, (size_t)w * h * 3);
    }
    free(data);
    return out->rgb != NULL;
}

/* Compares the src area of @decoded (XRGB32/ARGB32, rows top first) with the dest box of @pic. */
static bool matches_picture(const Record *r, const Pixbuf *decoded, const Picture *pic)
{
    if (r->src_left < 0 || r->src_top < 0 || r->src_right > (int)decoded->width ||
        r->src_bottom > (int)decoded->height || r->src_left >= r->src_right || r->src_top >= r->src_bottom ||
        r->dest_left < 0 || r->dest_top < 0 || r->dest_left + (r->src_right - r->src_left) > (int)pic->width ||
        r->dest_top + (r->src_bottom - r->src_top) > (int)pic->height) {
        fprintf(stderr, "%s: src area / dest box outside the image or the picture\n", r->file);
        return false;
    }
    unsigned mismatches = 0;
    for (int y = r->src_top; y < r->src_bottom; y++) {
        const uint8_t *row = decoded->data + (size_t)y * decoded->stride;
        for (int x = r->src_left; x < r->src_right; x++) {
            const uint8_t *px = row + (size_t)x * 4; /* B, G, R, X */
            size_t ex = (size_t)(r->dest_left + x - r->src_left), ey = (size_t)(r->dest_top + y - r->src_top);
            const uint8_t *want = pic->rgb + (ey * pic->width + ex) * 3;
            if (px[2] != want[0] || px[1] != want[1] || px[0] != want[2]) {
                if (mismatches++ < 3) {
                    fprintf(stderr, "%s: pixel (%d,%d) is %02x%02x%02x, upstream's picture has %02x%02x%02x\n",
                            r->file, x, y, px[2], px[1], px[0], want[0], want[1], want[2]);
                }
            }
        }
    }
    if (mismatches != 0) {
        fprintf(stderr, "%s: %u pixels differ\n", r->file, mismatches);
    }
    return mismatches == 0;
}

/* The stream inside a record (after descriptor and data_size), checked against the file size. */
static bool record_stream(const Record *r, const uint8_t *data, size_t size, uint8_t want_type,
                          const uint8_t **stream, size_t *stream_size)
{
    if (size < DESCRIPTOR_SIZE + 4 || data[8] != want_type) {
        fprintf(stderr, "%s: not a type-%u image record (%zu bytes)\n", r->file, want_type, size);
        return false;
    }
    uint32_t width = (uint32_t)data[10] | (uint32_t)data[11] << 8 | (uint32_t)data[12] << 16 | (uint32_t)data[13] << 24;
    uint32_t height = (uint32_t)data[14] | (uint32_t)data[15] << 8 | (uint32_t)data[16] << 16 | (uint32_t)data[17] << 24;
    uint32_t data_size = (uint32_t)data[18] | (uint32_t)data[19] << 8 | (uint32_t)data[20] << 16 | (uint32_t)data[21] << 24;
    if (width != r->width || height != r->height || data_size != size - DESCRIPTOR_SIZE - 4) {
        fprintf(stderr, "%s: descriptor %ux%u data_size %u does not match the index / file\n", r->file, width,
                height, data_size);
        return false;
    }
    *stream = data + DESCRIPTOR_SIZE + 4;
    *stream_size = data_size;
    return true;
}

static bool decode_lz(const Record *r, const uint8_t *s, size_t n, Pixbuf *out)
{
    LzHeader hdr;
    CodecStatus st = lz_decode_new(s, n, NULL, PIXBUF_FORMAT_XRGB32, MAX_PIXELS, out, &hdr);
    if (st != CODEC_OK) {
        fprintf(stderr, "%s: lz_decode_new: %s\n", r->file, codec_status_to_str(st));
        return false;
    }
    if (hdr.width != r->width || hdr.height != r->height) {
        fprintf(stderr, "%s: LZ header says %ux%u\n", r->file, hdr.width, hdr.height);
        return false;
    }
    if (!hdr.top_down) {
        pixbuf_flip_rows(out);
    }
    return true;
}

static bool decode_quic(const Record *r, const uint8_t *s, size_t n, Pixbuf *out)
{
    QuicHeader hdr;
    CodecStatus st = quic_decode_new(s, n, PIXBUF_FORMAT_XRGB32, MAX_PIXELS, out, &hdr);
    if (st != CODEC_OK) {
        fprintf(stderr, "%s: quic_decode_new: %s\n", r->file, codec_status_to_str(st));
        return false;
    }
    return hdr.width == r->width && hdr.height == r->height;
}

#ifdef HAVE_GLZ
static bool decode_glz(const Record *r, GlzWindow *window, const uint8_t *s, size_t n, Pixbuf *out)
{
    GlzHeader hdr;
    CodecStatus st = glz_decode(window, s, n, out, &hdr);
    if (st != CODEC_OK) {
        fprintf(stderr, "%s: glz_decode: %s\n", r->file, codec_status_to_str(st));
        return false;
    }
    if (hdr.width != r->width || hdr.height != r->height) {
        fprintf(stderr, "%s: GLZ header says %ux%u\n", r->file, hdr.width, hdr.height);
        return false;
    }
    if (!hdr.top_down) {
        pixbuf_flip_rows(out);
    }
    return true;
}
#endif

static bool parse_record(const char *line, Record *r)
{
    return sscanf(line, "%127s %u %31s %u %u %d %d %d %d %d %d %191s %127s", r->session, &r->seq, r->type,
                  &r->width, &r->height, &r->dest_left, &r->dest_top, &r->src_left, &r->src_top, &r->src_right,
                  &r->src_bottom, r->file, r->expected) == 13;
}

int main(void)
{
    size_t index_size = 0;
    uint8_t *index = read_file("records.txt", &index_size);
    if (index == NULL) {
        return 1;
    }
    char *text = malloc(index_size + 1);
    if (text == NULL) {
        free(index);
        return 1;
    }
    memcpy(text, index, index_size);
    text[index_size] = '\0';
    free(index);

    Counts counts = { { 0, 0, 0 }, 0, 0 };
    char session[128] = "";
#ifdef HAVE_GLZ
    GlzWindow *window = NULL;
#endif
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            continue;
        }
        Record r;
        if (!parse_record(line, &r)) {
            fprintf(stderr, "records.txt: cannot parse '%s'\n", line);
            counts.failed++;
            continue;
        }
        if (strcmp(session, r.session) != 0) {
            /* A new session is a new client: a fresh GLZ window, like spice-gtk's. */
            snprintf(session, sizeof(session), "%s", r.session);
#ifdef HAVE_GLZ
            glz_window_free(window);
            window = glz_window_new(GLZ_WINDOW_PIXELS);
            if (window == NULL) {
                fprintf(stderr, "glz_window_new failed\n");
                return 1;
            }
#endif
        }
        int kind = strcmp(r.type, "QUIC") == 0 ? 0 : strcmp(r.type, "LZ_RGB") == 0 ? 1
                   : strcmp(r.type, "GLZ_RGB") == 0 ? 2 : -1;
#ifndef HAVE_GLZ
        if (kind == 2) {
            kind = -1;
        }
#endif
        if (kind < 0) {
            printf("skip %s/%u: %s (no decoder in this build)\n", r.session, r.seq, r.type);
            counts.skipped++;
            continue;
        }
        size_t size = 0;
        uint8_t *data = read_file(r.file, &size);
        Picture pic = { 0, 0, NULL };
        Pixbuf decoded;
        memset(&decoded, 0, sizeof(decoded));
        const uint8_t *stream = NULL;
        size_t stream_size = 0;
        static const uint8_t wire_type[3] = { SPICE_IMAGE_TYPE_QUIC, SPICE_IMAGE_TYPE_LZ_RGB,
                                              SPICE_IMAGE_TYPE_GLZ_RGB };
        bool ok = data != NULL && load_ppm(r.expected, &pic) &&
                  record_stream(&r, data, size, wire_type[kind], &stream, &stream_size);
        if (ok) {
            switch (kind) {
            case 0:
                ok = decode_quic(&r, stream, stream_size, &decoded);
                break;
            case 1:
                ok = decode_lz(&r, stream, stream_size, &decoded);
                break;
#ifdef HAVE_GLZ
            case 2:
                ok = decode_glz(&r, window, stream, stream_size, &decoded);
                break;
#endif
            default:
                ok = false;
            }
        }
        ok = ok && matches_picture(&r, &decoded, &pic);
        printf("%s %s/%u %s %ux%u\n", ok ? "ok  " : "FAIL", r.session, r.seq, r.type, r.width, r.height);
        if (ok) {
            counts.decoded[kind]++;
        } else {
            counts.failed++;
        }
        pixbuf_free(&decoded);
        free(pic.rgb);
        free(data);
    }
#ifdef HAVE_GLZ
    glz_window_free(window);
#endif
    free(text);

    printf("covered: QUIC %u, LZ_RGB %u, GLZ_RGB %u%s; skipped %u; failed %u\n", counts.decoded[0],
           counts.decoded[1], counts.decoded[2],
#ifdef HAVE_GLZ
           "",
#else
           " (GLZ decoder not in this build)",
#endif
           counts.skipped, counts.failed);
    /* Every recorded type we have a decoder for must have been seen: an empty index is a failure. */
    if (counts.decoded[0] == 0 || counts.decoded[1] == 0) {
        fprintf(stderr, "records.txt holds no QUIC or no LZ_RGB record: re-record with record.py\n");
        return 1;
    }
    return counts.failed == 0 ? 0 : 1;
}
