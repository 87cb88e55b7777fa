/* glz-decode: bounds-checked GLZ decoder and the client's window of decoded images. */
#include "codecs/glz.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/cpu-features.h"
#include "codecs/lz-format.h"

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned glz_type_bytes_per_pixel(LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_RGB16: return 2;
    case LZ_IMAGE_TYPE_RGB24: return 3;
    case LZ_IMAGE_TYPE_RGB32:
    case LZ_IMAGE_TYPE_RGBA: return 4;
    default: return 0;
    }
}

CodecStatus glz_read_header(const uint8_t *data, size_t size, GlzHeader *out)
{
    memset(out, 0, sizeof(*out));
    if (data == NULL || size < GLZ_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    if (get_be32(data) != LZ_MAGIC || get_be32(data + 4) != LZ_VERSION) {
        return CODEC_ERR_BAD_MAGIC;
    }
    /* One byte: type in the low nibble, top_down in bit 4 (LZ has two u32s here). */
    uint8_t type_byte = data[8];
    uint32_t type = type_byte & 0x0F;
    uint32_t width = get_be32(data + 9);
    uint32_t height = get_be32(data + 13);
    uint32_t stride = get_be32(data + 17);
    if (type == LZ_IMAGE_TYPE_INVALID || type > LZ_IMAGE_TYPE_A8 || (type_byte >> 5) != 0 ||
        width == 0 || height == 0) {
        return CODEC_ERR_BAD_HEADER;
    }
    unsigned bpp = glz_type_bytes_per_pixel((LzImageType)type);
    if (bpp == 0) {
        return CODEC_ERR_UNSUPPORTED;   /* PLT/A8/XXXA: never sent as GLZ by upstream */
    }
    if (width > PIXBUF_MAX_DIMENSION || height > PIXBUF_MAX_DIMENSION ||
        (uint64_t)width * height * 4 > PIXBUF_MAX_BYTES) {
        return CODEC_ERR_TOO_LARGE;
    }
    if ((uint64_t)stride != (uint64_t)width * bpp) {
        return CODEC_ERR_BAD_HEADER;
    }
    out->type = (LzImageType)type;
    out->width = width;
    out->height = height;
    out->stride = stride;
    out->top_down = (type_byte & 0x10) != 0;
    out->id = (uint64_t)get_be32(data + 21) << 32 | get_be32(data + 25);
    out->win_head_dist = get_be32(data + 29);
    return CODEC_OK;
}

/* ---- window ---- */

/* A decoded image's pixels, shared by the window and the callers of glz_decode_shared. */
struct GlzPixels {
    atomic_int refs;
    size_t pixels;
    size_t capacity;       /* pixels the buffer holds, >= @pixels (a reused buffer) */
    uint32_t data[];       /* @pixels 32-bit pixels in coded order, then at least
                            * GLZ_PIXELS_PAD more that nothing reads as part of an image */
};

/* Slack after every image's pixels: the decoder copies whole groups of pixels, so it may read
 * a few pixels past the end of the image a match refers to. */
#define GLZ_PIXELS_PAD 16u

typedef struct WindowImage {
    uint64_t id;
    uint32_t win_head_dist;
    size_t pixels;
    GlzPixels *px;         /* one reference */
    uint32_t *data;        /* px->data */
} WindowImage;

struct GlzWindow {
    uint64_t max_pixels;
    uint64_t total_pixels;
    WindowImage *images;   /* owned, sorted by id */
    size_t count;
    size_t capacity;
    bool have_first;
    uint64_t contiguous_next;  /* lowest id not received yet, counting from the first one */
    uint64_t release_below;    /* images with a lower id are no longer referenced */
    GlzPixels *spare;          /* owned (no references), NULL or the last image released */
};

static GlzPixels *pixels_new(size_t pixels)
{
    if (pixels > (SIZE_MAX - sizeof(GlzPixels)) / 4 - GLZ_PIXELS_PAD) {
        return NULL;
    }
    GlzPixels *p = malloc(sizeof(GlzPixels) + (pixels + GLZ_PIXELS_PAD) * 4);
    if (p != NULL) {
        atomic_init(&p->refs, 1);
        p->pixels = pixels;
        p->capacity = pixels;
        /* Only ever read as the tail of a group copy, never shown: defined all the same. */
        memset(p->data + pixels, 0, GLZ_PIXELS_PAD * 4);
    }
    return p;
}

const uint32_t *glz_pixels_data(const GlzPixels *pixels)
{
    return pixels->data;
}

void glz_pixels_unref(GlzPixels *pixels)
{
    if (pixels != NULL && atomic_fetch_sub(&pixels->refs, 1) == 1) {
        free(pixels);
    }
}

/* The window lets go of @p: the largest recently released buffer nobody else holds is kept for
 * the next image (already faulted in). */
static void window_release(GlzWindow *w, GlzPixels *p)
{
    if (atomic_fetch_sub(&p->refs, 1) != 1) {
        return;   /* a caller of glz_decode_shared still draws with it */
    }
    if (w->spare != NULL && w->spare->capacity > p->capacity) {
        free(p);
        return;
    }
    free(w->spare);
    w->spare = p;
}

GlzWindow *glz_window_new(uint64_t max_pixels)
{
    GlzWindow *w = calloc(1, sizeof(*w));
    if (w != NULL) {
        w->max_pixels = max_pixels;
    }
    return w;
}

void glz_window_clear(GlzWindow *w)
{
    for (size_t i = 0; i < w->count; i++) {
        glz_pixels_unref(w->images[i].px);
    }
    w->count = 0;
    w->total_pixels = 0;
    w->have_first = false;
    w->contiguous_next = 0;
    w->release_below = 0;
}

void glz_window_free(GlzWindow *w)
{
    if (w == NULL) {
        return;
    }
    glz_window_clear(w);
    free(w->spare);
    free(w->images);
    free(w);
}

size_t glz_window_image_count(const GlzWindow *w)
{
    return w->count;
}

uint64_t glz_window_pixel_count(const GlzWindow *w)
{
    return w->total_pixels;
}

/* Index of the first image with id >= @id. */
static size_t window_lower_bound(const GlzWindow *w, uint64_t id)
{
    size_t lo = 0, hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->images[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static const WindowImage *window_find(const GlzWindow *w, uint64_t id)
{
    size_t i = window_lower_bound(w, id);
    return i < w->count && w->images[i].id == id ? &w->images[i] : NULL;
}

bool glz_window_has_image(const GlzWindow *w, uint64_t id)
{
    return window_find(w, id) != NULL;
}

/* Removes images [0, n) (the oldest). */
static void window_drop_oldest(GlzWindow *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        window_release(w, w->images[i].px);
        w->total_pixels -= w->images[i].pixels;
    }
    memmove(w->images, w->images + n, (w->count - n) * sizeof(*w->images));
    w->count -= n;
}

/* Takes @img's reference to its pixels (released on error). */
static CodecStatus window_add(GlzWindow *w, WindowImage img)
{
    size_t pos = window_lower_bound(w, img.id);
    if (pos < w->count && w->images[pos].id == img.id) {
        /* The same id again: the server restarted its dictionary; the new image wins. */
        window_release(w, w->images[pos].px);
        w->total_pixels -= w->images[pos].pixels;
        w->images[pos] = img;
        w->total_pixels += img.pixels;
    } else {
        if (w->count == w->capacity) {
            size_t cap = w->capacity ? w->capacity * 2 : 16;
            WindowImage *grown = realloc(w->images, cap * sizeof(*grown));
            if (grown == NULL) {
                glz_pixels_unref(img.px);
                return CODEC_ERR_NO_MEMORY;
            }
            w->images = grown;
            w->capacity = cap;
        }
        memmove(w->images + pos + 1, w->images + pos, (w->count - pos) * sizeof(*w->images));
        w->images[pos] = img;
        w->count++;
        w->total_pixels += img.pixels;
    }

    /* Ids from several display channels may arrive out of order: only release once every id
     * up to an image has arrived, from the head that image announced. */
    if (!w->have_first) {
        w->have_first = true;
        w->contiguous_next = img.id;
    }
    const WindowImage *at;
    while ((at = window_find(w, w->contiguous_next)) != NULL) {
        uint64_t head = at->id >= at->win_head_dist ? at->id - at->win_head_dist : 0;
        if (head > w->release_below) {
            w->release_below = head;
        }
        w->contiguous_next++;
    }
    window_drop_oldest(w, window_lower_bound(w, w->release_below));

    /* Safety net for a server that ignores the window it was given: hold at most twice the
     * announced size (slack for a dictionary that counts its window differently from ours). */
    size_t n = 0;
    uint64_t total = w->total_pixels;
    while (total > 2 * w->max_pixels && n + 1 < w->count) {
        total -= w->images[n].pixels;
        n++;
    }
    window_drop_oldest(w, n);
    return CODEC_OK;
}

/* ---- body ---- */

typedef enum GlzPass {
    GLZ_PASS_RGB32,   /* RGB24/RGB32/RGBA colour: B,G,R literals */
    GLZ_PASS_RGB16,   /* big-endian 555 literals, expanded to 32 bits */
    GLZ_PASS_ALPHA,   /* the 4th byte of each pixel */
} GlzPass;

/* Everything one pass needs; ip and op advance as ops are decoded. */
typedef struct GlzPassState {
    const GlzWindow *w;
    uint64_t id;               /* the image being decoded */
    const uint8_t *ip;
    const uint8_t *end;
    uint32_t *out;             /* @n pixels */
    size_t op;
    size_t n;
    /* The image the last cross-image match referenced: runs of matches mostly go to one. */
    uint32_t cached_dist;      /* 0: nothing cached */
    const WindowImage *cached;
    /* glz_decode decodes into the caller's buffer and copies to the window's, behind the
     * decoder while the pixels are still in the cache: [0, copied) of @out are in @copy_to.
     * NULL: no copy. */
    uint32_t *copy_to;
    size_t copied;
} GlzPassState;

/* Pixels decoded between two copies to GlzPassState.copy_to: small enough to stay in the
 * cache, large enough that the check per op and the call per copy cost nothing. */
#define GLZ_COPY_CHUNK_PIXELS 8192u

/* Copies the pixels decoded since the last copy (all of them, when the pass is over). */
static void copy_decoded(GlzPassState *s, size_t op)
{
    memcpy(s->copy_to + s->copied, s->out + s->copied, (op - s->copied) * 4);
    s->copied = op;
}

static inline uint32_t expand5(uint32_t v)
{
    return v << 3 | v >> 2;
}

static inline uint32_t load_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The image @image_dist before the current one, or NULL if the window does not hold it. */
static inline const WindowImage *source_image(GlzPassState *s, uint32_t image_dist)
{
    if (image_dist != s->cached_dist) {
        if (image_dist > s->id) {
            return NULL;
        }
        s->cached = window_find(s->w, s->id - image_dist);
        s->cached_dist = image_dist;
    }
    return s->cached;
}

/* A match as the stream codes it, before any check against the images. */
typedef struct GlzMatch {
    size_t len;
    uint32_t pixel_ofs;
    uint32_t image_dist;
} GlzMatch;

/*
 * Decodes one op with every read of the input checked (the careful path: near the end of the
 * stream, and for the RGB16 and alpha passes). Writes only inside [op, op + its length).
 */
static inline __attribute__((always_inline)) CodecStatus
decode_op_checked(GlzPassState *s, GlzPass pass)
{
    const uint8_t *ip = s->ip;
    const uint8_t *const end = s->end;
    uint32_t *const out = s->out;
    size_t op = s->op;
    const size_t n = s->n;

    if (ip >= end) {
        return CODEC_ERR_TRUNCATED;
    }
    uint32_t ctrl = *ip++;
    if (ctrl < LZ_MAX_LITERAL_RUN) {
        size_t count = (size_t)ctrl + 1;
        if (count > n - op) {
            return CODEC_ERR_CORRUPT;
        }
        size_t lit = pass == GLZ_PASS_RGB32 ? 3 : pass == GLZ_PASS_RGB16 ? 2 : 1;
        if ((size_t)(end - ip) < count * lit) {
            return CODEC_ERR_TRUNCATED;
        }
        for (size_t i = 0; i < count; i++, op++) {
            switch (pass) {
            case GLZ_PASS_RGB32:
                out[op] = (uint32_t)ip[0] | (uint32_t)ip[1] << 8 | (uint32_t)ip[2] << 16;
                ip += 3;
                break;
            case GLZ_PASS_RGB16: {
                uint32_t v = (uint32_t)ip[0] << 8 | ip[1];
                out[op] = expand5(v >> 10 & 31) << 16 | expand5(v >> 5 & 31) << 8 |
                          expand5(v & 31);
                ip += 2;
                break;
            }
            case GLZ_PASS_ALPHA:
                out[op] = (out[op] & 0x00FFFFFFu) | (uint32_t)*ip++ << 24;
                break;
            }
        }
        s->ip = ip;
        s->op = op;
        return CODEC_OK;
    }

    /* Match: ctrl = L<<5 | F<<4 | ofs bits 0-3, [length bytes], ofs bits 4-11, c2 ... */
    size_t len = ctrl >> 5;
    uint32_t pixel_ofs = ctrl & 0x0F;
    bool long_ofs = (ctrl & 0x10) != 0;
    if (len == 7) {
        uint8_t more;
        do {
            if (ip >= end) {
                return CODEC_ERR_TRUNCATED;
            }
            more = *ip++;
            len += more;
        } while (more == 255);
    }
    if (end - ip < 2) {
        return CODEC_ERR_TRUNCATED;
    }
    pixel_ofs |= (uint32_t)*ip++ << 4;
    uint8_t c2 = *ip++;
    unsigned n_dist = c2 >> 6;
    uint32_t image_dist;
    if (!long_ofs) {
        image_dist = c2 & 0x3F;
        if ((size_t)(end - ip) < n_dist) {
            return CODEC_ERR_TRUNCATED;
        }
        for (unsigned i = 0; i < n_dist; i++) {
            image_dist |= (uint32_t)*ip++ << (6 + 8 * i);
        }
    } else {
        bool very_long = (c2 & 0x20) != 0;
        pixel_ofs |= (uint32_t)(c2 & 0x1F) << 12;
        if ((size_t)(end - ip) < n_dist + (very_long ? 1u : 0u)) {
            return CODEC_ERR_TRUNCATED;
        }
        image_dist = 0;
        for (unsigned i = 0; i < n_dist; i++) {
            image_dist |= (uint32_t)*ip++ << (8 * i);   /* little-endian, unlike the rest */
        }
        if (very_long) {
            pixel_ofs |= (uint32_t)*ip++ << 17;
        }
    }
    len += pass == GLZ_PASS_ALPHA ? 2 : pass == GLZ_PASS_RGB16 ? 1 : 0;
    if (len > n - op) {
        return CODEC_ERR_CORRUPT;   /* match runs past the end of the image */
    }

    const uint32_t *ref;
    size_t dist = 0;   /* 0: the source is another image */
    if (image_dist == 0) {
        dist = (size_t)pixel_ofs + 1;
        if (dist > op) {
            return CODEC_ERR_CORRUPT;   /* before the start of the image */
        }
        ref = out + (op - dist);
    } else {
        const WindowImage *src = source_image(s, image_dist);
        if (src == NULL || pixel_ofs > src->pixels || len > src->pixels - pixel_ofs) {
            return CODEC_ERR_CORRUPT;   /* unknown/released image, or past its end */
        }
        ref = src->data + pixel_ofs;
    }
    /* Exactly @len pixels (the fast path's group copies may not fit here). A flat image is
     * one pixel and one match to its end, so the common kinds are not done pixel by pixel. */
    uint32_t *d = out + op;
    if (pass == GLZ_PASS_ALPHA) {
        for (size_t i = 0; i < len; i++) {
            d[i] = (d[i] & 0x00FFFFFFu) | (ref[i] & 0xFF000000u);
        }
    } else if (dist == 0 || dist >= len) {
        memcpy(d, ref, len * 4);   /* another image, or far enough back not to overlap */
    } else if (dist == 1) {
        uint32_t v = ref[0];
        for (size_t i = 0; i < len; i++) {
            d[i] = v;
        }
    } else {
        for (size_t i = 0; i < len; i++) {   /* forward: the source overlaps the match */
            d[i] = ref[i];
        }
    }
    s->ip = ip;
    s->op = op + len;
    return CODEC_OK;
}

static CodecStatus decode_pass_checked(GlzPassState *s, GlzPass pass)
{
    while (s->op < s->n) {
        CodecStatus st = pass == GLZ_PASS_RGB16 ? decode_op_checked(s, GLZ_PASS_RGB16)
                                                : decode_op_checked(s, GLZ_PASS_ALPHA);
        if (st != CODEC_OK) {
            return st;
        }
    }
    return CODEC_OK;
}

static __attribute__((noinline)) CodecStatus decode_rgb32_op_checked(GlzPassState *s)
{
    return decode_op_checked(s, GLZ_PASS_RGB32);
}

/*
 * The fast path reads at most this many bytes from the start of an op without looking at the
 * end of the input: a 32-pixel literal run (1 + 96 bytes, read 8 at a time from 12-byte groups:
 * up to byte 99) or a match header (at most 7 bytes after its length bytes, whose reads are
 * checked against the same margin).
 */
#define GLZ_FAST_INPUT_MARGIN 128u
/* The fast path copies whole groups of this many pixels, and always at least two of them: up to
 * 2 * GLZ_GROUP pixels from the op's start, past its end. Those writes stay inside the image (an
 * op closer to its end takes the careful path) and later ops overwrite them; the reads of a
 * cross-image source may go GLZ_PIXELS_PAD past its end. */
#define GLZ_GROUP 8u
_Static_assert(GLZ_PIXELS_PAD >= 2 * GLZ_GROUP, "group copies read into the padding");

static inline void copy_group(uint32_t *d, const uint32_t *s)
{
    memcpy(d, s, GLZ_GROUP * 4);
}

/* Four B,G,R literals (12 bytes at @p, reading 14) as four pixels at @d. */
static inline void expand4(uint32_t *d, const uint8_t *p)
{
    uint64_t a = load_le64(p), b = load_le64(p + 6);
    uint64_t lo = (a & 0xFFFFFFu) | (a << 8 & 0xFFFFFF00000000u);
    uint64_t hi = (b & 0xFFFFFFu) | (b << 8 & 0xFFFFFF00000000u);
    d[0] = (uint32_t)lo;
    d[1] = (uint32_t)(lo >> 32);
    d[2] = (uint32_t)hi;
    d[3] = (uint32_t)(hi >> 32);
}

#if CODECS_X86_DISPATCH
#define GLZ_HAVE_SHUFFLE_VARIANT 1
#else
#define GLZ_HAVE_SHUFFLE_VARIANT 0
#endif

typedef uint8_t GlzBytes16 __attribute__((vector_size(16), aligned(1)));

/* expand4 as one byte shuffle (pshufb where the target has SSSE3): reads 16 bytes at @p. */
static inline __attribute__((always_inline)) void expand4_shuffle(uint32_t *d, const uint8_t *p)
{
    GlzBytes16 v, zero = { 0 };
    memcpy(&v, p, 16);
    /* Indices 16+ pick from @zero: B, G, R, 0 for each pixel. */
#if defined(__clang__)   /* clang lacks __builtin_shuffle; the same constant shuffle */
    GlzBytes16 px = __builtin_shufflevector(v, zero, 0, 1, 2, 16, 3, 4, 5, 16,
                                            6, 7, 8, 16, 9, 10, 11, 16);
#else
    GlzBytes16 px = __builtin_shuffle(v, zero, (GlzBytes16){ 0, 1, 2, 16, 3, 4, 5, 16,
                                                              6, 7, 8, 16, 9, 10, 11, 16 });
#endif
    memcpy(d, &px, 16);
}

/*
 * The RGB24/RGB32/RGBA colour pass. While at least GLZ_FAST_INPUT_MARGIN input bytes are left,
 * an op is decoded with one check of its length against the image (the input is known to be
 * long enough) and copied in whole groups, with as few branches as the common short ops allow;
 * near the end, decode_op_checked. Errors are the same as decode_op_checked's.
 */
static inline __attribute__((always_inline)) CodecStatus
decode_pass_rgb32_body(GlzPassState *s, bool shuffle)
{
    const uint8_t *ip = s->ip;
    const uint8_t *const end = s->end;
    uint32_t *const out = s->out;
    size_t op = s->op;
    const size_t n = s->n;
    size_t copy_at = s->copy_to != NULL ? s->copied + GLZ_COPY_CHUNK_PIXELS : SIZE_MAX;

    while (op < n) {
        if (op >= copy_at) {
            copy_decoded(s, op);
            copy_at = op + GLZ_COPY_CHUNK_PIXELS;
        }
        if ((size_t)(end - ip) < GLZ_FAST_INPUT_MARGIN) {
            goto careful;
        }
        const uint8_t *const op_start = ip;
        uint32_t ctrl = *ip++;
        uint32_t *d = out + op;
        if (ctrl < LZ_MAX_LITERAL_RUN) {
            size_t count = (size_t)ctrl + 1;
            if (count + GLZ_GROUP > n - op) {
                ip = op_start;   /* at the end of the image, or past it */
                goto careful;
            }
            /* 8 pixels whatever the count (most runs are short), then groups of 4. */
            if (shuffle) {
                expand4_shuffle(d, ip);
                expand4_shuffle(d + 4, ip + 12);
                for (size_t i = 8; i < count; i += 4) {
                    expand4_shuffle(d + i, ip + 3 * i);
                }
            } else {
                expand4(d, ip);
                expand4(d + 4, ip + 12);
                for (size_t i = 8; i < count; i += 4) {
                    expand4(d + i, ip + 3 * i);
                }
            }
            ip += count * 3;
            op += count;
            continue;
        }

        /* Match: ctrl = L<<5 | F<<4 | ofs bits 0-3, [length bytes], ofs bits 4-11, c2, ... */
        /* The length: 3 bits, 7 meaning "plus the next byte(s)"; the common one-byte
         * extension without a branch. */
        size_t len = ctrl >> 5;
        uint32_t has_ext = len == 7;
        uint32_t ext = ip[0] & (0u - has_ext);
        len += ext;
        ip += has_ext;
        if (ext == 255) {
            uint8_t more;
            do {
                if ((size_t)(end - ip) < GLZ_FAST_INPUT_MARGIN) {
                    ip = op_start;   /* long length bytes near the end: the careful way */
                    goto careful;
                }
                more = *ip++;
                len += more;
            } while (more == 255);
        }
        /* Short form: c2 = n_dist<<6 | image_dist bits 0-5, then n_dist bytes of image_dist
         * bits 6+. Long form (F): c2 = n_dist<<6 | very_long<<5 | ofs bits 12-16, n_dist
         * bytes of image_dist (little-endian), [ofs bits 17-24]. Both from one 4-byte load,
         * the form chosen with masks (it is hard to predict). */
        uint32_t c2 = ip[1];
        uint32_t n_dist = c2 >> 6;
        uint32_t tail = load_le32(ip + 2);
        uint32_t dist_bytes = tail & ((1u << (8 * n_dist)) - 1u);
        uint32_t long_mask = 0u - (ctrl >> 4 & 1);
        uint32_t very_long = c2 >> 5 & 1 & long_mask;
        uint32_t pixel_ofs = (ctrl & 0x0F) | (uint32_t)ip[0] << 4 |
                             (((c2 & 0x1F) << 12 | (tail >> (8 * n_dist) & 0xFF & (0u - very_long)) << 17) &
                              long_mask);
        uint32_t image_dist = (((c2 & 0x3F) | dist_bytes << 6) & ~long_mask) | (dist_bytes & long_mask);
        ip += 2 + n_dist + very_long;
        if (len + 2 * GLZ_GROUP > n - op) {
            ip = op_start;   /* at the end of the image, or past it */
            goto careful;
        }

        const uint32_t *r;
        if (image_dist == 0) {
            size_t dist = (size_t)pixel_ofs + 1;
            if (dist > op) {
                return CODEC_ERR_CORRUPT;   /* before the start of the image */
            }
            r = d - dist;
            if (dist < GLZ_GROUP) {
                /* The source overlaps the first group. */
                op += len;
                if (dist == 1) {
                    uint32_t fill[GLZ_GROUP];
                    for (unsigned i = 0; i < GLZ_GROUP; i++) {
                        fill[i] = r[0];
                    }
                    for (size_t i = 0; i < len; i += GLZ_GROUP) {
                        copy_group(d + i, fill);
                    }
                } else {
                    for (size_t i = 0; i < len; i++) {   /* a short repeating pattern */
                        d[i] = r[i];
                    }
                }
                continue;
            }
        } else {
            const WindowImage *src = source_image(s, image_dist);
            if (src == NULL || pixel_ofs > src->pixels || len > src->pixels - pixel_ofs) {
                return CODEC_ERR_CORRUPT;   /* unknown/released image, or past its end */
            }
            r = src->data + pixel_ofs;
        }
        /* Two groups whatever the length (most matches are short), each reading only pixels
         * written before it (the distance is at least one group). */
        copy_group(d, r);
        copy_group(d + GLZ_GROUP, r + GLZ_GROUP);
        for (size_t i = 2 * GLZ_GROUP; i < len; i += GLZ_GROUP) {
            copy_group(d + i, r + i);
        }
        op += len;
        continue;

    careful:
        s->ip = ip;
        s->op = op;
        CodecStatus st = decode_rgb32_op_checked(s);
        if (st != CODEC_OK) {
            return st;
        }
        ip = s->ip;
        op = s->op;
    }
    s->ip = ip;
    s->op = op;
    return CODEC_OK;
}

static CodecStatus decode_pass_rgb32_plain(GlzPassState *s)
{
    return decode_pass_rgb32_body(s, false);
}

#if GLZ_HAVE_SHUFFLE_VARIANT
/* Literal runs are most of a photo's stream: SSSE3's byte shuffle expands 4 pixels at once. */
__attribute__((target("ssse3"))) static CodecStatus decode_pass_rgb32_ssse3(GlzPassState *s)
{
    return decode_pass_rgb32_body(s, true);
}
#endif

static CodecStatus decode_pass_rgb32(GlzPassState *s)
{
#if GLZ_HAVE_SHUFFLE_VARIANT
    if (codecs_cpu_has(CODECS_CPU_SSSE3)) {
        return decode_pass_rgb32_ssse3(s);
    }
#endif
    return decode_pass_rgb32_plain(s);
}

/*
 * Decodes one pass of @n pixels into @out.
 * Cross-image references resolve through @w relative to @id. Every read of @in and every
 * reference is checked. With @copy_to (the last pass only), the pixels are also copied there.
 */
static CodecStatus decode_pass(const GlzWindow *w, uint64_t id, const uint8_t **ip,
                               const uint8_t *end, uint32_t *out, size_t n, GlzPass pass,
                               uint32_t *copy_to)
{
    GlzPassState s = { .w = w, .id = id, .ip = *ip, .end = end, .out = out, .n = n,
                       .copy_to = copy_to };
    CodecStatus st = pass == GLZ_PASS_RGB32 ? decode_pass_rgb32(&s) : decode_pass_checked(&s, pass);
    if (st == CODEC_OK && copy_to != NULL) {
        copy_decoded(&s, n);
    }
    *ip = s.ip;
    return st;
}

/*
 * glz_decode_shared, and glz_decode when @copy_to (width * height pixels) is not NULL: the
 * image is then decoded there (where the caller reads it next) and copied to the window's
 * buffer as it is decoded.
 */
static CodecStatus decode_image(GlzWindow *w, const uint8_t *data, size_t size, GlzPixels **out,
                                GlzHeader *out_header, uint32_t *copy_to)
{
    GlzHeader h;
    if (out != NULL) {
        *out = NULL;
    }
    if (w == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    CodecStatus st = glz_read_header(data, size, &h);
    if (out_header != NULL) {
        *out_header = h;
    }
    if (st != CODEC_OK) {
        return st;
    }
    size_t pixels = (size_t)h.width * h.height;
    if (pixels > w->max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    GlzPixels *px;   /* the colour pass writes every pixel */
    if (w->spare != NULL && w->spare->capacity >= pixels) {
        px = w->spare;
        w->spare = NULL;
        atomic_store(&px->refs, 1);
        px->pixels = pixels;
    } else {
        px = pixels_new(pixels);
    }
    if (px == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    const uint8_t *ip = data + GLZ_HEADER_SIZE, *const end = data + size;
    bool two_passes = h.type == LZ_IMAGE_TYPE_RGBA;
    uint32_t *target = copy_to != NULL ? copy_to : px->data;
    uint32_t *window_copy = copy_to != NULL ? px->data : NULL;
    st = decode_pass(w, h.id, &ip, end, target, pixels,
                     h.type == LZ_IMAGE_TYPE_RGB16 ? GLZ_PASS_RGB16 : GLZ_PASS_RGB32,
                     two_passes ? NULL : window_copy);
    if (st == CODEC_OK && two_passes) {
        st = decode_pass(w, h.id, &ip, end, target, pixels, GLZ_PASS_ALPHA, window_copy);
    }
    if (st == CODEC_OK && ip != end) {
        st = CODEC_ERR_TRAILING_DATA;
    }
    if (st != CODEC_OK) {
        glz_pixels_unref(px);
        return st;
    }
    atomic_fetch_add(&px->refs, 1);   /* one for the window, one for the caller */
    WindowImage img = { h.id, h.win_head_dist, pixels, px, px->data };
    st = window_add(w, img);
    if (st != CODEC_OK) {
        glz_pixels_unref(px);
        return st;
    }
    *out = px;
    return CODEC_OK;
}

CodecStatus glz_decode_shared(GlzWindow *w, const uint8_t *data, size_t size, GlzPixels **out,
                              GlzHeader *out_header)
{
    return decode_image(w, data, size, out, out_header, NULL);
}

CodecStatus glz_decode(GlzWindow *w, const uint8_t *data, size_t size, Pixbuf *out,
                       GlzHeader *out_header)
{
    GlzHeader h;
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (w == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    /* The copy's buffer first, so that running out of memory leaves the window unchanged. */
    CodecStatus st = glz_read_header(data, size, &h);
    if (st == CODEC_OK && (size_t)h.width * h.height <= w->max_pixels) {
        /* Every pixel is written (copied from the window's) on success. */
        st = pixbuf_alloc_uninit(out, h.type == LZ_IMAGE_TYPE_RGBA ? PIXBUF_FORMAT_ARGB32
                                                                   : PIXBUF_FORMAT_XRGB32,
                                 h.width, h.height);
        if (st != CODEC_OK) {
            if (out_header != NULL) {
                *out_header = h;
            }
            return st;
        }
    }
    GlzPixels *px;
    st = decode_image(w, data, size, &px, out_header, (uint32_t *)(void *)out->data);
    if (st != CODEC_OK) {
        pixbuf_free(out);
        return st;
    }
    glz_pixels_unref(px);
    return CODEC_OK;
}
