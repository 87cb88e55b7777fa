/* glz-encode-private: the GLZ encoder's dictionary, pass state and token writers, shared by its files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codecs/glz.h"
#include "codecs/lz-format.h"

/* Everything here is private to glz-encode*.c: the dictionary owns every pointer it holds
 * (see the fields), a PassState only borrows them for one encode pass. */

/* The RGB fast loop's hash table (glz-encode-rgb32.c): one 64-bit slot per key. */
#define GLZ_FAST_HASH_BITS 15u
#define GLZ_FAST_HASH_SIZE (1u << GLZ_FAST_HASH_BITS)

typedef struct HashEntry HashEntry;

typedef struct DictImage {
    uint64_t id;
    uint64_t base;        /* global position of pixel 0 */
    size_t pixels;
    uint32_t width;
    LzImageType type;
    const uint32_t *units; /* the pixels in coded order, as the decoder will hold them: */
    uint32_t *copy;       /* owned: NULL, or units when they are the dictionary's copy */
    GlzSharedPixels *shared; /* one reference: NULL, or the buffer holding units */
    uint64_t *row_sigs;   /* owned: NULL, or one signature per row for the next image's scroll
                           * detection (glz-encode-rgb32.c; 0 for a row without one) */
} DictImage;

struct GlzDictionary {
    uint64_t window_pixels;
    uint64_t next_id;
    uint64_t next_base;
    DictImage *images;    /* owned, oldest first; during glz_encode the last is the current */
    size_t count;
    size_t capacity;
    uint64_t total_pixels;
    uint64_t *fast_hash;  /* owned, GLZ_FAST_HASH_SIZE slots of the RGB pass (glz-encode-rgb32.c) */
    HashEntry *hash_alpha; /* owned, allocated on the first RGBA image */
    uint32_t *spare;      /* owned, NULL or the units of the last image that left the window */
    size_t spare_pixels;
};

typedef struct GlzOut {
    uint8_t *p;
    uint8_t *end;
} GlzOut;

static inline bool out_has(const GlzOut *o, size_t n)
{
    return (size_t)(o->end - o->p) >= n;
}

typedef enum GlzPass {
    GLZ_PASS_RGB,
    GLZ_PASS_ALPHA,
} GlzPass;

static inline bool put_literals(GlzOut *o, const uint32_t *u, size_t from, size_t to, GlzPass pass)
{
    while (from < to) {
        size_t count = to - from;
        if (count > LZ_MAX_LITERAL_RUN) {
            count = LZ_MAX_LITERAL_RUN;
        }
        size_t need = 1 + count * (pass == GLZ_PASS_RGB ? 3 : 1);
        if (!out_has(o, need)) {
            return false;
        }
        *o->p++ = (uint8_t)(count - 1);
        for (size_t i = 0; i < count; i++) {
            uint32_t v = u[from + i];
            if (pass == GLZ_PASS_RGB) {
                *o->p++ = (uint8_t)v;
                *o->p++ = (uint8_t)(v >> 8);
                *o->p++ = (uint8_t)(v >> 16);
            } else {
                *o->p++ = (uint8_t)(v >> 24);
            }
        }
        from += count;
    }
    return true;
}

/* One match token. @len >= bias + 1; image_dist 0 means "in this image, pixel_ofs = dist - 1". */
static inline bool put_match(GlzOut *o, size_t len, unsigned bias, uint32_t image_dist,
                      uint32_t pixel_ofs)
{
    size_t l = len - bias;
    if (!out_has(o, 8 + l / 255)) {
        return false;
    }
    bool long_ofs = pixel_ofs >= (1u << 12);
    uint8_t lfield = l < 7 ? (uint8_t)l : 7;
    *o->p++ = (uint8_t)(lfield << 5 | (long_ofs ? 0x10 : 0) | (pixel_ofs & 0x0F));
    if (l >= 7) {
        size_t rest = l - 7;
        while (rest >= 255) {
            *o->p++ = 255;
            rest -= 255;
        }
        *o->p++ = (uint8_t)rest;
    }
    *o->p++ = (uint8_t)(pixel_ofs >> 4);
    if (!long_ofs) {
        uint32_t high = image_dist >> 6;
        unsigned n = high == 0 ? 0 : high < (1u << 8) ? 1 : high < (1u << 16) ? 2 : 3;
        *o->p++ = (uint8_t)(n << 6 | (image_dist & 0x3F));
        for (unsigned i = 0; i < n; i++) {
            *o->p++ = (uint8_t)(high >> (8 * i));
        }
    } else {
        bool very_long = pixel_ofs >= (1u << 17);
        unsigned n = image_dist == 0 ? 0 : image_dist < (1u << 8) ? 1
                   : image_dist < (1u << 16) ? 2 : 3;
        *o->p++ = (uint8_t)(n << 6 | (very_long ? 0x20 : 0) | ((pixel_ofs >> 12) & 0x1F));
        for (unsigned i = 0; i < n; i++) {
            *o->p++ = (uint8_t)(image_dist >> (8 * i));
        }
        if (very_long) {
            *o->p++ = (uint8_t)(pixel_ofs >> 17);
        }
    }
    return true;
}

/* Bytes of the token of a match under 7 pixels (put_match's layout). */
static inline size_t match_bytes(uint32_t image_dist, uint32_t pixel_ofs)
{
    if (pixel_ofs < (1u << 12)) {
        uint32_t high = image_dist >> 6;
        return 3 + (high == 0 ? 0 : high < (1u << 8) ? 1 : high < (1u << 16) ? 2 : 3);
    }
    size_t dist_bytes = image_dist == 0 ? 0 : image_dist < (1u << 8) ? 1
                      : image_dist < (1u << 16) ? 2 : 3;
    return 3 + dist_bytes + (pixel_ofs >= (1u << 17) ? 1 : 0);
}

/* Copies the rows of the current image that lie wholly before pixel @upto into copy_to (if
 * any); @upto = pixels does everything. */
struct PassState;
void glz_copy_rows_before(struct PassState *s, size_t upto);

typedef struct PassState {
    const GlzDictionary *d;
    size_t first_ref;     /* images below this index are leaving: not referencable */
    const DictImage *cur;
    uint32_t mask;
    uint64_t mask2;       /* mask for two pixels at once */
    /* The current image's pixels while it is coded: the caller's own when they are packed
     * and aligned (when not shared, copied into copy_to row by row just behind the coder,
     * while the rows are still cached: a separate 8 MB copy up front then read back from
     * memory was a quarter of a text page's encode), else the dictionary's copy. */
    const uint32_t *px;
    uint32_t *copy_to;    /* NULL, or cur->copy when px must still be copied into it */
    size_t copied;        /* pixels of px already copied (whole rows, or all) */
} PassState;

/* The image holding global position @g among the referencable ones, or NULL. */
static inline const DictImage *image_at(const PassState *s, uint64_t g)
{
    size_t lo = s->first_ref, hi = s->d->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const DictImage *im = &s->d->images[mid];
        if (g < im->base) {
            hi = mid;
        } else if (g - im->base >= im->pixels) {
            lo = mid + 1;
        } else {
            return im;
        }
    }
    return NULL;
}

/* The RGB pass of one image (any type: RGB32, or RGBA's first pass) with the dictionary-wide
 * slot table @htab (glz-encode-rgb32.c). CODEC_ERR_NO_SPACE if @o fills up. */
CodecStatus glz_encode_rgb32_pass(PassState *s, uint64_t *htab, GlzOut *o);
