/* image-decode: SpiceImage descriptors (BITMAP, QUIC, LZ, caches, SURFACE) decoded into pixman. */
#include "client/image-decode.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "codecs/glz.h"
#include "codecs/jpeg.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/pixbuf.h"
#include "codecs/quic.h"
#include "protocol/wire.h"

#define MAX_PALETTE_ENTRIES 256u

typedef struct Palette {
    uint32_t num_ents;
    uint32_t ents[MAX_PALETTE_ENTRIES];
} Palette;

struct ImageCaches {
    GHashTable *pixmaps;    /* uint64 id* -> pixman_image_t* (one reference) */
    GHashTable *palettes;   /* uint64 id* -> Palette* */
    uint64_t pixmap_pixels; /* sum of width * height in @pixmaps */
    GlzWindow *glz;         /* owned */
};

static uint64_t image_pixels(pixman_image_t *img)
{
    return (uint64_t)pixman_image_get_width(img) * (uint64_t)pixman_image_get_height(img);
}

/* Keeps pixmap_pixels in step with removals from the table. */
static gboolean drop_pixels(gpointer key, gpointer value, gpointer user)
{
    ImageCaches *c = user;
    c->pixmap_pixels -= image_pixels(value);
    return TRUE;
}

static void unref_image(gpointer p)
{
    pixman_image_unref(p);
}

ImageCaches *image_caches_new(void)
{
    ImageCaches *c = g_new0(ImageCaches, 1);
    c->pixmaps = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, unref_image);
    c->palettes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    c->glz = glz_window_new(IMAGE_GLZ_WINDOW_PIXELS);
    return c;
}

void image_caches_free(ImageCaches *caches)
{
    if (caches == NULL) {
        return;
    }
    g_hash_table_destroy(caches->pixmaps);
    g_hash_table_destroy(caches->palettes);
    glz_window_free(caches->glz);
    g_free(caches);
}

void image_caches_remove_pixmap(ImageCaches *caches, uint64_t id)
{
    pixman_image_t *img = g_hash_table_lookup(caches->pixmaps, &id);
    if (img != NULL) {
        caches->pixmap_pixels -= image_pixels(img);
        g_hash_table_remove(caches->pixmaps, &id);
    }
}

void image_caches_clear_pixmaps(ImageCaches *caches)
{
    g_hash_table_foreach_remove(caches->pixmaps, drop_pixels, caches);
}

uint64_t image_caches_pixmap_pixels(const ImageCaches *caches)
{
    return caches->pixmap_pixels;
}

void image_caches_remove_palette(ImageCaches *caches, uint64_t id)
{
    g_hash_table_remove(caches->palettes, &id);
}

void image_caches_clear_palettes(ImageCaches *caches)
{
    g_hash_table_remove_all(caches->palettes);
}

unsigned image_caches_pixmap_count(const ImageCaches *caches)
{
    return g_hash_table_size(caches->pixmaps);
}

const char *image_type_name(uint8_t type)
{
    switch (type) {
    case SPICE_IMAGE_TYPE_BITMAP: return "BITMAP";
    case SPICE_IMAGE_TYPE_QUIC: return "QUIC";
    case SPICE_IMAGE_TYPE_LZ_PLT: return "LZ_PLT";
    case SPICE_IMAGE_TYPE_LZ_RGB: return "LZ_RGB";
    case SPICE_IMAGE_TYPE_GLZ_RGB: return "GLZ_RGB";
    case SPICE_IMAGE_TYPE_FROM_CACHE: return "FROM_CACHE";
    case SPICE_IMAGE_TYPE_SURFACE: return "SURFACE";
    case SPICE_IMAGE_TYPE_JPEG: return "JPEG";
    case SPICE_IMAGE_TYPE_FROM_CACHE_LOSSLESS: return "FROM_CACHE_LOSSLESS";
    case SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB: return "ZLIB_GLZ_RGB";
    case SPICE_IMAGE_TYPE_JPEG_ALPHA: return "JPEG_ALPHA";
    case SPICE_IMAGE_TYPE_LZ4: return "LZ4";
    default: return "unknown";
    }
}

static void put_palette(ImageCaches *caches, uint64_t id, const Palette *pal)
{
    uint64_t *key = g_new(uint64_t, 1);
    *key = id;
    g_hash_table_replace(caches->palettes, key, g_memdup2(pal, sizeof(*pal)));
}

/* Reads a palette reference: a u64 cache id when @from_cache, else a u32 offset to a Palette. */
static ImageStatus read_palette(WireReader *r, const uint8_t *body, size_t size, bool from_cache,
                                bool cache_me, ImageCaches *caches, Palette *out, char **message)
{
    if (from_cache) {
        uint64_t id = wire_read_u64(r);
        if (!wire_reader_ok(r)) {
            *message = g_strdup("palette cache id is cut off");
            return IMAGE_MALFORMED;
        }
        const Palette *hit = g_hash_table_lookup(caches->palettes, &id);
        if (hit == NULL) {
            *message = g_strdup_printf("palette %" G_GUINT64_FORMAT " is not in the cache", id);
            return IMAGE_CACHE_MISS;
        }
        *out = *hit;
        return IMAGE_OK;
    }
    uint32_t off = wire_read_u32(r);
    if (!wire_reader_ok(r) || off == 0 || off >= size) {
        *message = g_strdup("palette pointer is missing or outside the message");
        return IMAGE_MALFORMED;
    }
    WireReader p;
    wire_reader_init(&p, body + off, size - off);
    uint64_t unique = wire_read_u64(&p);
    uint16_t n = wire_read_u16(&p);
    if (!wire_reader_ok(&p) || n > MAX_PALETTE_ENTRIES || (size_t)n * 4u > wire_reader_remaining(&p)) {
        *message = g_strdup_printf("palette with %u entries does not fit the message (max %u)", n,
                                   MAX_PALETTE_ENTRIES);
        return IMAGE_MALFORMED;
    }
    memset(out, 0, sizeof(*out));
    out->num_ents = n;
    for (uint16_t i = 0; i < n; i++) {
        out->ents[i] = wire_read_u32(&p);
    }
    if (cache_me) {
        put_palette(caches, unique, out);
    }
    return IMAGE_OK;
}

/* Every caller writes each pixel before the image is read (a decode that fails drops it), so
 * the memory is not cleared first: for a 1920x1080 frame that clear cost as much as a copy. */
static pixman_image_t *new_image(bool alpha, uint32_t width, uint32_t height)
{
    return pixman_image_create_bits_no_clear(alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)width,
                                             (int)height, NULL, 0);
}

/* The @size bytes of @name's coded data at the reader, or NULL with *@message saying that they
 * do not fit the message. Borrowed from the message. */
static const uint8_t *read_coded_data(WireReader *r, uint32_t size, const char *name, char **message)
{
    const uint8_t *data = wire_read_span(r, size);
    if (data == NULL) {
        *message = g_strdup_printf("%s data of %u bytes does not fit the message", name, size);
    }
    return data;
}

static void free_adopted_pixels(pixman_image_t *img, void *pixels)
{
    (void)img;
    free(pixels);   /* codecs allocate pixbufs with malloc (pixbuf_free frees them) */
}

/*
 * A pixman image over @pb's own memory when its layout is already what pixman wants (32-bit
 * pixels, @alpha matching ARGB32, 4-byte stride); @pb is then emptied and the image frees the
 * pixels. NULL when it is not (the caller converts), @pb untouched. Saves a copy of every
 * decoded frame: the codecs' XRGB32/ARGB32 byte layout is pixman's x8r8g8b8/a8r8g8b8.
 */
static pixman_image_t *adopt_pixbuf(Pixbuf *pb, bool alpha)
{
    PixbufFormat want = alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32;
    if (!pb->owned || pb->format != want || pb->stride % 4 != 0 || pb->stride > INT32_MAX ||
        (uintptr_t)pb->data % 4 != 0) {
        return NULL;
    }
    pixman_image_t *img = pixman_image_create_bits(alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8,
                                                   (int)pb->width, (int)pb->height,
                                                   (uint32_t *)(void *)pb->data, (int)pb->stride);
    if (img == NULL) {
        return NULL;
    }
    pixman_image_set_destroy_function(img, free_adopted_pixels, pb->data);
    *pb = (Pixbuf){ 0 };
    return img;
}

static void release_glz_pixels(pixman_image_t *img, void *pixels)
{
    (void)img;
    glz_pixels_unref(pixels);
}

static void view_of(pixman_image_t *img, bool alpha, Pixbuf *pb)
{
    int stride = pixman_image_get_stride(img);
    uint32_t h = (uint32_t)pixman_image_get_height(img);
    pixbuf_init_view(pb, alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32,
                     (uint32_t)pixman_image_get_width(img), h, (size_t)stride,
                     pixman_image_get_data(img), (size_t)stride * h);
}

/* One source pixel of a BITMAP row as xRGB/ARGB. */
static uint32_t bitmap_pixel(PixbufFormat fmt, const uint8_t *row, uint32_t x, const Palette *pal)
{
    unsigned idx;
    switch (fmt) {
    case PIXBUF_FORMAT_XRGB32:
        return (uint32_t)row[x * 4] | (uint32_t)row[x * 4 + 1] << 8 | (uint32_t)row[x * 4 + 2] << 16;
    case PIXBUF_FORMAT_ARGB32:
        return (uint32_t)row[x * 4] | (uint32_t)row[x * 4 + 1] << 8 | (uint32_t)row[x * 4 + 2] << 16
               | (uint32_t)row[x * 4 + 3] << 24;
    case PIXBUF_FORMAT_RGB24:
        return (uint32_t)row[x * 3] | (uint32_t)row[x * 3 + 1] << 8 | (uint32_t)row[x * 3 + 2] << 16;
    case PIXBUF_FORMAT_RGB16: {
        uint32_t v = (uint32_t)row[x * 2] | (uint32_t)row[x * 2 + 1] << 8;
        uint32_t r = (v >> 10) & 31, g = (v >> 5) & 31, b = v & 31;
        r = r << 3 | r >> 2;
        g = g << 3 | g >> 2;
        b = b << 3 | b >> 2;
        return r << 16 | g << 8 | b;
    }
    case PIXBUF_FORMAT_A8:
        return (uint32_t)row[x] << 24;
    case PIXBUF_FORMAT_PLT8:
        idx = row[x];
        break;
    case PIXBUF_FORMAT_PLT4_LE:
        idx = (row[x / 2] >> ((x & 1) * 4)) & 0xf;
        break;
    case PIXBUF_FORMAT_PLT4_BE:
        idx = (row[x / 2] >> ((1 - (x & 1)) * 4)) & 0xf;
        break;
    case PIXBUF_FORMAT_PLT1_LE:
        idx = (row[x / 8] >> (x & 7)) & 1;
        break;
    case PIXBUF_FORMAT_PLT1_BE:
        idx = (row[x / 8] >> (7 - (x & 7))) & 1;
        break;
    default:
        return 0;
    }
    /* Checked by the caller: every index the format can hold exists in the palette. */
    return pal->ents[idx];
}

static ImageStatus decode_bitmap(WireReader *r, const uint8_t *body, size_t size, uint32_t width,
                                 uint32_t height, ImageCaches *caches, pixman_image_t **out,
                                 char **message)
{
    uint8_t wire_fmt = wire_read_u8(r);
    uint8_t flags = wire_read_u8(r);
    uint32_t x = wire_read_u32(r);
    uint32_t y = wire_read_u32(r);
    uint32_t stride = wire_read_u32(r);
    PixbufFormat fmt = pixbuf_format_from_spice(wire_fmt);
    if (!wire_reader_ok(r) || fmt == PIXBUF_FORMAT_INVALID) {
        *message = g_strdup_printf("BITMAP header is cut off or has unknown format %u", wire_fmt);
        return IMAGE_MALFORMED;
    }
    if (x != width || y != height) {
        *message = g_strdup_printf("BITMAP is %ux%u but its descriptor says %ux%u", x, y, width, height);
        return IMAGE_MALFORMED;
    }
    Palette pal = { 0 };
    if (pixbuf_format_is_palette(fmt)) {
        ImageStatus st = read_palette(r, body, size, flags & SPICE_BITMAP_FLAGS_PAL_FROM_CACHE,
                                      flags & SPICE_BITMAP_FLAGS_PAL_CACHE_ME, caches, &pal, message);
        if (st != IMAGE_OK) {
            return st;
        }
        uint32_t needed = 1u << pixbuf_format_bpp(fmt);
        if (pal.num_ents < needed) {
            /* Indices past the palette would read garbage: pad with black, as peers do. */
            memset(pal.ents + pal.num_ents, 0, (needed - pal.num_ents) * sizeof(uint32_t));
        }
    } else {
        (void)wire_read_u32(r);   /* palette pointer: unused for true-colour formats */
    }
    size_t row_bytes;
    if (pixbuf_row_bytes(fmt, width, &row_bytes) != CODEC_OK || stride < row_bytes) {
        *message = g_strdup_printf("BITMAP stride %u is below its %u-pixel row", stride, width);
        return IMAGE_MALFORMED;
    }
    const uint8_t *data = wire_read_span(r, (size_t)stride * height);
    if (data == NULL) {
        *message = g_strdup_printf("BITMAP %ux%u (stride %u) does not fit the message", width, height, stride);
        return IMAGE_MALFORMED;
    }
    bool alpha = fmt == PIXBUF_FORMAT_ARGB32 || fmt == PIXBUF_FORMAT_A8;
    pixman_image_t *img = new_image(alpha, width, height);
    if (img == NULL) {
        *message = g_strdup("out of memory for a BITMAP");
        return IMAGE_TOO_LARGE;
    }
    uint8_t *dst = (uint8_t *)pixman_image_get_data(img);
    int dst_stride = pixman_image_get_stride(img);
    bool top_down = flags & SPICE_BITMAP_FLAGS_TOP_DOWN;
    for (uint32_t row = 0; row < height; row++) {
        const uint8_t *src = data + (size_t)(top_down ? row : height - 1 - row) * stride;
        uint32_t *d = (uint32_t *)(void *)(dst + (size_t)row * (size_t)dst_stride);
        for (uint32_t col = 0; col < width; col++) {
            d[col] = bitmap_pixel(fmt, src, col, &pal);
        }
    }
    *out = img;
    return IMAGE_OK;
}

static ImageStatus decode_lz(WireReader *r, const uint8_t *body, size_t size, bool plt,
                             uint32_t width, uint32_t height, ImageCaches *caches,
                             pixman_image_t **out, char **message)
{
    Palette pal = { 0 };
    if (plt) {
        uint8_t flags = wire_read_u8(r);
        uint32_t data_size = wire_read_u32(r);
        (void)data_size;
        ImageStatus st = read_palette(r, body, size, flags & SPICE_BITMAP_FLAGS_PAL_FROM_CACHE,
                                      flags & SPICE_BITMAP_FLAGS_PAL_CACHE_ME, caches, &pal, message);
        if (st != IMAGE_OK) {
            return st;
        }
        /* The data of LZ_PLT follows the palette reference. */
        const uint8_t *data = read_coded_data(r, data_size, "LZ_PLT", message);
        if (data == NULL) {
            return IMAGE_MALFORMED;
        }
        LzHeader hdr;
        CodecStatus cs = lz_read_header(data, data_size, &hdr);
        if (cs != CODEC_OK || hdr.width != width || hdr.height != height) {
            *message = g_strdup_printf("LZ_PLT header: %s (or size differs from the descriptor)",
                                       codec_status_to_str(cs));
            return IMAGE_DECODE_FAILED;
        }
        pixman_image_t *img = new_image(false, width, height);
        if (img == NULL) {
            *message = g_strdup("out of memory for an image");
            return IMAGE_TOO_LARGE;
        }
        Pixbuf view;
        view_of(img, false, &view);
        LzPalette lp = { pal.ents, pal.num_ents };
        cs = lz_decode(data, data_size, &lp, &view, &hdr);
        if (cs != CODEC_OK) {
            pixman_image_unref(img);
            *message = g_strdup_printf("LZ_PLT decode failed: %s", codec_status_to_str(cs));
            return IMAGE_DECODE_FAILED;
        }
        if (!hdr.top_down) {
            pixbuf_flip_rows(&view);
        }
        *out = img;
        return IMAGE_OK;
    }
    uint32_t data_size = wire_read_u32(r);
    const uint8_t *data = read_coded_data(r, data_size, "LZ_RGB", message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    LzHeader hdr;
    CodecStatus cs = lz_read_header(data, data_size, &hdr);
    if (cs != CODEC_OK || hdr.width != width || hdr.height != height) {
        *message = g_strdup_printf("LZ_RGB header: %s (or size differs from the descriptor)",
                                   codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    bool alpha = hdr.type == LZ_IMAGE_TYPE_RGBA;
    if (hdr.type != LZ_IMAGE_TYPE_RGB16 && hdr.type != LZ_IMAGE_TYPE_RGB24
        && hdr.type != LZ_IMAGE_TYPE_RGB32 && !alpha) {
        *message = g_strdup_printf("LZ_RGB stream of LZ type %d is not an RGB type", hdr.type);
        return IMAGE_DECODE_FAILED;
    }
    pixman_image_t *img = new_image(alpha, width, height);
    if (img == NULL) {
        *message = g_strdup("out of memory for an image");
        return IMAGE_TOO_LARGE;
    }
    Pixbuf view;
    view_of(img, alpha, &view);
    cs = lz_decode(data, data_size, NULL, &view, &hdr);
    if (cs != CODEC_OK) {
        pixman_image_unref(img);
        *message = g_strdup_printf("LZ_RGB decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    if (!hdr.top_down) {
        pixbuf_flip_rows(&view);
    }
    *out = img;
    return IMAGE_OK;
}

static ImageStatus decode_quic(WireReader *r, uint32_t width, uint32_t height, pixman_image_t **out,
                               char **message)
{
    uint32_t data_size = wire_read_u32(r);
    const uint8_t *data = read_coded_data(r, data_size, "QUIC", message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    QuicHeader hdr;
    CodecStatus cs = quic_read_header(data, data_size, &hdr);
    if (cs != CODEC_OK || hdr.width != width || hdr.height != height) {
        *message = g_strdup_printf("QUIC header: %s (or size differs from the descriptor)",
                                   codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    if (hdr.type == QUIC_IMAGE_TYPE_GRAY) {
        *message = g_strdup("QUIC GRAY images are not supported (upstream never sends them)");
        return IMAGE_UNSUPPORTED;
    }
    bool alpha = hdr.type == QUIC_IMAGE_TYPE_RGBA;
    pixman_image_t *img = new_image(alpha, width, height);
    if (img == NULL) {
        *message = g_strdup("out of memory for an image");
        return IMAGE_TOO_LARGE;
    }
    Pixbuf view;
    view_of(img, alpha, &view);
    cs = quic_decode(data, data_size, &view, NULL);
    if (cs != CODEC_OK) {
        pixman_image_unref(img);
        *message = g_strdup_printf("QUIC decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    *out = img;
    return IMAGE_OK;
}

static ImageStatus pixbuf_to_image(Pixbuf *pb, bool alpha, const char *name, pixman_image_t **out,
                                   char **message);

static ImageStatus decode_glz(WireReader *r, bool zlib, uint32_t width, uint32_t height,
                              ImageCaches *caches, pixman_image_t **out, char **message)
{
    const char *name = zlib ? "ZLIB_GLZ_RGB" : "GLZ_RGB";
    uint32_t glz_size = zlib ? wire_read_u32(r) : 0;
    uint32_t data_size = wire_read_u32(r);
    const uint8_t *data = read_coded_data(r, data_size, name, message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    if (caches->glz == NULL) {
        *message = g_strdup("out of memory for the GLZ window");
        return IMAGE_TOO_LARGE;
    }
    GlzHeader hdr;
    if (!zlib) {
        /* Top-down images (what QXL guests send) are drawn straight from the window's copy:
         * no second copy of every frame. Bottom-up ones need their rows flipped: copied. */
        GlzPixels *shared = NULL;
        CodecStatus cs = glz_decode_shared(caches->glz, data, data_size, &shared, &hdr);
        if (cs != CODEC_OK) {
            *message = g_strdup_printf("%s decode failed: %s", name, codec_status_to_str(cs));
            return IMAGE_DECODE_FAILED;
        }
        if (hdr.width != width || hdr.height != height) {
            glz_pixels_unref(shared);
            *message = g_strdup_printf("%s is %ux%u but its descriptor says %ux%u", name, hdr.width,
                                       hdr.height, width, height);
            return IMAGE_MALFORMED;
        }
        bool alpha = hdr.type == LZ_IMAGE_TYPE_RGBA;
        if (hdr.top_down && width <= INT32_MAX / 4) {
            /* pixman takes non-const bits; images decoded here are only ever read. */
            pixman_image_t *img = pixman_image_create_bits(
                alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)width, (int)height,
                (uint32_t *)glz_pixels_data(shared), (int)(width * 4));
            if (img == NULL) {
                glz_pixels_unref(shared);
                *message = g_strdup("out of memory for an image");
                return IMAGE_TOO_LARGE;
            }
            pixman_image_set_destroy_function(img, release_glz_pixels, shared);
            *out = img;
            return IMAGE_OK;
        }
        Pixbuf copy = { 0 };
        CodecStatus st = pixbuf_alloc(&copy, alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32,
                                      width, height);
        if (st == CODEC_OK) {
            memcpy(copy.data, glz_pixels_data(shared), (size_t)width * height * 4);
        }
        glz_pixels_unref(shared);
        if (st != CODEC_OK) {
            *message = g_strdup("out of memory for an image");
            return IMAGE_TOO_LARGE;
        }
        if (!hdr.top_down) {
            pixbuf_flip_rows(&copy);
        }
        return pixbuf_to_image(&copy, alpha, name, out, message);
    }
    Pixbuf pb = { 0 };
    CodecStatus cs = glz_zlib_decode(caches->glz, data, data_size, glz_size, &pb, &hdr);
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("%s decode failed: %s", name, codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    if (hdr.width != width || hdr.height != height) {
        pixbuf_free(&pb);
        *message = g_strdup_printf("%s is %ux%u but its descriptor says %ux%u", name, hdr.width,
                                   hdr.height, width, height);
        return IMAGE_MALFORMED;
    }
    if (!hdr.top_down) {
        pixbuf_flip_rows(&pb);
    }
    return pixbuf_to_image(&pb, pb.format == PIXBUF_FORMAT_ARGB32, name, out, message);
}

/* Takes @pb (any true-colour format; freed here) into a new 32-bit pixman image of the same
 * size, ARGB when @alpha. */
static ImageStatus pixbuf_to_image(Pixbuf *pb, bool alpha, const char *name, pixman_image_t **out,
                                   char **message)
{
    pixman_image_t *img = adopt_pixbuf(pb, alpha);
    if (img != NULL) {
        *out = img;
        return IMAGE_OK;
    }
    img = new_image(alpha, pb->width, pb->height);
    if (img == NULL) {
        pixbuf_free(pb);
        *message = g_strdup_printf("out of memory for a %s image", name);
        return IMAGE_TOO_LARGE;
    }
    uint8_t *dst = (uint8_t *)pixman_image_get_data(img);
    size_t dst_stride = (size_t)pixman_image_get_stride(img);
    for (uint32_t y = 0; y < pb->height; y++) {
        uint32_t *d = (uint32_t *)(void *)(dst + y * dst_stride);
        const uint8_t *src = pixbuf_row(pb, y);
        for (uint32_t x = 0; x < pb->width; x++) {
            d[x] = bitmap_pixel(pb->format, src, x, NULL);
        }
    }
    pixbuf_free(pb);
    *out = img;
    return IMAGE_OK;
}

static ImageStatus decode_lz4(WireReader *r, uint32_t width, uint32_t height, pixman_image_t **out,
                              char **message)
{
    uint32_t data_size = wire_read_u32(r);
    const uint8_t *data = read_coded_data(r, data_size, "LZ4", message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    Pixbuf pb = { 0 };
    Lz4ImageHeader hdr;
    CodecStatus cs = lz4_image_decode_new(data, data_size, width, height, IMAGE_MAX_PIXELS, &pb, &hdr);
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("LZ4 decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    if (!hdr.top_down) {
        pixbuf_flip_rows(&pb);
    }
    return pixbuf_to_image(&pb, pb.format == PIXBUF_FORMAT_ARGB32, "LZ4", out, message);
}

static ImageStatus decode_jpeg(WireReader *r, uint32_t width, uint32_t height, pixman_image_t **out,
                               char **message)
{
    uint32_t data_size = wire_read_u32(r);
    const uint8_t *data = read_coded_data(r, data_size, "JPEG", message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    uint32_t jw = 0, jh = 0;
    CodecStatus cs = jpeg_read_size(data, data_size, &jw, &jh);
    if (cs == CODEC_OK && (jw != width || jh != height)) {
        *message = g_strdup_printf("JPEG is %ux%u but its descriptor says %ux%u", jw, jh, width, height);
        return IMAGE_MALFORMED;
    }
    Pixbuf pb = { 0 };
    if (cs == CODEC_OK) {
        cs = jpeg_decode_new(data, data_size, PIXBUF_FORMAT_XRGB32, IMAGE_MAX_PIXELS, &pb);
    }
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("JPEG decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    return pixbuf_to_image(&pb, false, "JPEG", out, message);
}

static ImageStatus decode_jpeg_alpha(WireReader *r, uint32_t width, uint32_t height,
                                     pixman_image_t **out, char **message)
{
    const uint8_t *wire = wire_read_span(r, JPEG_ALPHA_DESCRIPTOR_SIZE);
    JpegAlphaDescriptor desc;
    CodecStatus cs = wire ? jpeg_alpha_read_descriptor(wire, JPEG_ALPHA_DESCRIPTOR_SIZE, &desc)
                          : CODEC_ERR_TRUNCATED;
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("JPEG_ALPHA descriptor: %s", codec_status_to_str(cs));
        return IMAGE_MALFORMED;
    }
    const uint8_t *data = read_coded_data(r, desc.data_size, "JPEG_ALPHA", message);
    if (data == NULL) {
        return IMAGE_MALFORMED;
    }
    Pixbuf pb = { 0 };
    cs = jpeg_alpha_decode_new(&desc, data, desc.data_size, IMAGE_MAX_PIXELS, &pb);
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("JPEG_ALPHA decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    if (pb.width != width || pb.height != height) {
        *message = g_strdup_printf("JPEG_ALPHA is %ux%u but its descriptor says %ux%u", pb.width,
                                   pb.height, width, height);
        pixbuf_free(&pb);
        return IMAGE_MALFORMED;
    }
    /* Row 0 of the result is the bottom of the picture unless the descriptor says top-down. */
    if (!desc.top_down) {
        pixbuf_flip_rows(&pb);
    }
    return pixbuf_to_image(&pb, true, "JPEG_ALPHA", out, message);
}

/* The 18-byte SpiceImageDescriptor every image starts with. */
typedef struct ImageDescriptor {
    uint64_t id;
    uint8_t type;
    uint8_t flags;
    uint32_t width;
    uint32_t height;
} ImageDescriptor;

/* Reads the descriptor at @offset of @body into @d and leaves @r after it; false if the
 * offset is outside the message or the descriptor is cut off. */
static bool read_image_descriptor(WireReader *r, const uint8_t *body, size_t size,
                                  uint32_t offset, ImageDescriptor *d)
{
    if (offset == 0 || offset >= size) {
        return false;
    }
    wire_reader_init(r, body, size);
    wire_reader_seek(r, offset);
    d->id = wire_read_u64(r);
    d->type = wire_read_u8(r);
    d->flags = wire_read_u8(r);
    d->width = wire_read_u32(r);
    d->height = wire_read_u32(r);
    return wire_reader_ok(r);
}

ImageStatus image_decode_into(const uint8_t *body, size_t size, uint32_t offset,
                              pixman_image_t *dst, int32_t x, int32_t y, uint32_t width,
                              uint32_t height, bool *placed, char **message)
{
    *placed = false;
    *message = NULL;
    WireReader r;
    ImageDescriptor d;
    if (x < 0 || y < 0 || (int64_t)x + width > pixman_image_get_width(dst)
        || (int64_t)y + height > pixman_image_get_height(dst)
        || !read_image_descriptor(&r, body, size, offset, &d)) {
        return IMAGE_OK;
    }
    uint32_t data_size = wire_read_u32(&r);
    const uint8_t *data = wire_read_span(&r, data_size);
    if (data == NULL || d.type != SPICE_IMAGE_TYPE_QUIC
        || (d.flags & (SPICE_IMAGE_FLAGS_CACHE_ME | SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME))
        || d.width != width || d.height != height) {
        return IMAGE_OK;   /* image_decode's business (including reporting what is wrong) */
    }
    QuicHeader hdr;
    if (quic_read_header(data, data_size, &hdr) != CODEC_OK || hdr.width != width
        || hdr.height != height) {
        return IMAGE_OK;
    }
    pixman_format_code_t fmt = pixman_image_get_format(dst);
    bool alpha = hdr.type == QUIC_IMAGE_TYPE_RGBA;
    bool fits = alpha ? fmt == PIXMAN_a8r8g8b8 || fmt == PIXMAN_x8r8g8b8
                      : fmt == PIXMAN_x8r8g8b8 && (hdr.type == QUIC_IMAGE_TYPE_RGB32
                                                   || hdr.type == QUIC_IMAGE_TYPE_RGB24);
    if (!fits) {
        return IMAGE_OK;
    }
    size_t stride = (size_t)pixman_image_get_stride(dst);
    size_t dst_height = (size_t)pixman_image_get_height(dst);
    uint8_t *first = (uint8_t *)pixman_image_get_data(dst) + (size_t)y * stride + (size_t)x * 4;
    size_t room = (dst_height - (size_t)y) * stride - (size_t)x * 4;
    Pixbuf view;
    if (pixbuf_init_view(&view, alpha ? PIXBUF_FORMAT_ARGB32 : PIXBUF_FORMAT_XRGB32, width, height,
                         stride, first, room) != CODEC_OK) {
        return IMAGE_OK;
    }
    *placed = true;
    CodecStatus cs = quic_decode(data, data_size, &view, NULL);
    if (cs != CODEC_OK) {
        *message = g_strdup_printf("QUIC decode failed: %s", codec_status_to_str(cs));
        return IMAGE_DECODE_FAILED;
    }
    g_debug("decoded QUIC image %" G_GUINT64_FORMAT " (%ux%u) in place", d.id, width, height);
    return IMAGE_OK;
}

ImageStatus image_decode(const uint8_t *body, size_t size, uint32_t offset, ImageCaches *caches,
                         ImageSurfaceLookup lookup, void *lookup_user, pixman_image_t **out,
                         char **message)
{
    *out = NULL;
    *message = NULL;
    if (offset == 0 || offset >= size) {
        *message = g_strdup("image pointer is outside the message");
        return IMAGE_MALFORMED;
    }
    WireReader r;
    ImageDescriptor d;
    if (!read_image_descriptor(&r, body, size, offset, &d)) {
        *message = g_strdup("image descriptor is cut off");
        return IMAGE_MALFORMED;
    }
    uint64_t id = d.id;
    uint8_t type = d.type;
    uint8_t flags = d.flags;
    uint32_t width = d.width;
    uint32_t height = d.height;
    if (type == SPICE_IMAGE_TYPE_FROM_CACHE || type == SPICE_IMAGE_TYPE_FROM_CACHE_LOSSLESS) {
        pixman_image_t *hit = g_hash_table_lookup(caches->pixmaps, &id);
        if (hit == NULL) {
            *message = g_strdup_printf("image %" G_GUINT64_FORMAT " is not in the pixmap cache", id);
            return IMAGE_CACHE_MISS;
        }
        *out = pixman_image_ref(hit);
        return IMAGE_OK;
    }
    if (type == SPICE_IMAGE_TYPE_SURFACE) {
        uint32_t surface_id = wire_read_u32(&r);
        pixman_image_t *s = wire_reader_ok(&r) && lookup ? lookup(surface_id, lookup_user) : NULL;
        if (s == NULL) {
            *message = g_strdup_printf("SURFACE image names surface %u, which does not exist", surface_id);
            return IMAGE_CACHE_MISS;
        }
        *out = pixman_image_ref(s);
        return IMAGE_OK;
    }
    if (width == 0 || height == 0 || (uint64_t)width * height > IMAGE_MAX_PIXELS) {
        *message = g_strdup_printf("%s image of %ux%u is empty or over %u pixels",
                                   image_type_name(type), width, height, IMAGE_MAX_PIXELS);
        return IMAGE_TOO_LARGE;
    }
    ImageStatus st;
    switch (type) {
    case SPICE_IMAGE_TYPE_BITMAP:
        st = decode_bitmap(&r, body, size, width, height, caches, out, message);
        break;
    case SPICE_IMAGE_TYPE_QUIC:
        st = decode_quic(&r, width, height, out, message);
        break;
    case SPICE_IMAGE_TYPE_LZ_RGB:
    case SPICE_IMAGE_TYPE_LZ_PLT:
        st = decode_lz(&r, body, size, type == SPICE_IMAGE_TYPE_LZ_PLT, width, height, caches, out,
                       message);
        break;
    case SPICE_IMAGE_TYPE_GLZ_RGB:
    case SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB:
        st = decode_glz(&r, type == SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB, width, height, caches, out, message);
        break;
    case SPICE_IMAGE_TYPE_LZ4:
        st = decode_lz4(&r, width, height, out, message);
        break;
    case SPICE_IMAGE_TYPE_JPEG:
        st = decode_jpeg(&r, width, height, out, message);
        break;
    case SPICE_IMAGE_TYPE_JPEG_ALPHA:
        st = decode_jpeg_alpha(&r, width, height, out, message);
        break;
    default:
        *message = g_strdup_printf("unsupported image type %s (%u)", image_type_name(type), type);
        return IMAGE_UNSUPPORTED;
    }
    if (st == IMAGE_OK) {
        /* G_MESSAGES_DEBUG=all shows which codecs a server really sends (the interop tests check). */
        g_debug("decoded %s image %" G_GUINT64_FORMAT " (%ux%u)", image_type_name(type), id, width,
                height);
    }
    if (st == IMAGE_OK
        && (flags & (SPICE_IMAGE_FLAGS_CACHE_ME | SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME))) {
        image_caches_remove_pixmap(caches, id);
        uint64_t pixels = image_pixels(*out);
        if (caches->pixmap_pixels + pixels <= IMAGE_CACHE_MAX_PIXELS) {
            uint64_t *key = g_new(uint64_t, 1);
            *key = id;
            g_hash_table_replace(caches->pixmaps, key, pixman_image_ref(*out));
            caches->pixmap_pixels += pixels;
        } else {
            /* The server overfills the cache it was promised: the image is still drawn. */
            *message = g_strdup_printf("pixmap cache over %u pixels: image %" G_GUINT64_FORMAT
                                       " not cached", IMAGE_CACHE_MAX_PIXELS, id);
        }
    }
    return st;
}
