/* glz-encode: GLZ encoder with a per-client dictionary: images, shared pixels, the stream header and the alpha pass. */
#include "codecs/glz.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "codecs/cpu-features.h"
#if CODECS_SSE2
#include <emmintrin.h>
#endif
#include "codecs/glz-encode-private.h"
#include "codecs/lz-format.h"

/*
 * Positions are "global": each image owns [base, base + pixels) in one 64-bit space, so one
 * hash table serves every image. Every candidate is verified by comparing pixels, so stale or
 * colliding entries only cost time, never correctness.
 *
 * The RGB pass (every image's first) is glz-encode-rgb32.c's loop. The alpha pass of RGBA
 * images (rare: the server sends alpha surfaces as LZ or QUIC mostly) is encode_pass below,
 * greedy over several candidates:
 *   - a 4-way bucket of recent positions whose next 3 pixels hash alike;
 *   - the sources of the two most recent matches (same global distance), and once a row the
 *     same place in the previous image;
 *   - the pixel above and the pixel to the left in the current image.
 */
#define HASH_BITS 14u
#define HASH_WAYS 4u
#define HASH_SIZE (1u << HASH_BITS)
#define MAX_WINDOW_PIXELS (1u << 25)
#define MIN_MATCH 3u
#define PREFETCH_AHEAD 8u
#define RECENT_DELTAS 2u

/* A bucket of HASH_WAYS entries is half a 64-byte cache line, so the whole table (512 KB)
 * mostly stays in L2: with 16-byte entries its misses were most of a text page's match time.
 * The tag (all 32 bits of the key's hash) rejects most wrong candidates without touching
 * their pixels. The position is kept modulo 2^32 and read back as the nearest earlier
 * global position with those low bits: an entry older than 2^32 pixels reads back wrong,
 * which like any stale entry only costs a failed compare. */
typedef struct HashEntry {
    uint32_t pos;         /* low 32 bits of (global position + 1); 0 = empty */
    uint32_t tag;
} HashEntry;

static HashEntry *hash_table_new(void)
{
    size_t bytes = (size_t)HASH_SIZE * HASH_WAYS * sizeof(HashEntry);
    HashEntry *t = aligned_alloc(64, bytes);
    if (t != NULL) {
        memset(t, 0, bytes);
    }
    return t;
}

/* ---- pixels shared with the caller ---- */

struct GlzSharedPixels {
    atomic_size_t refs;
    uint8_t *data;
    size_t size;
    GlzPixelsRelease release;   /* NULL: nothing to free */
    void *opaque;
};

static void release_aligned(void *data, void *opaque)
{
    (void)opaque;
    free(data);
}

GlzSharedPixels *glz_shared_pixels_wrap(void *data, size_t size, GlzPixelsRelease release,
                                        void *opaque)
{
    GlzSharedPixels *p = malloc(sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    atomic_init(&p->refs, 1);
    p->data = data;
    p->size = size;
    p->release = release;
    p->opaque = opaque;
    return p;
}

GlzSharedPixels *glz_shared_pixels_new(size_t size)
{
    if (size == 0 || size > SIZE_MAX - 63) {
        return NULL;
    }
    void *data = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (data == NULL) {
        return NULL;
    }
    GlzSharedPixels *p = glz_shared_pixels_wrap(data, size, release_aligned, NULL);
    if (p == NULL) {
        free(data);
    }
    return p;
}

uint8_t *glz_shared_pixels_data(const GlzSharedPixels *p)
{
    return p->data;
}

size_t glz_shared_pixels_size(const GlzSharedPixels *p)
{
    return p->size;
}

GlzSharedPixels *glz_shared_pixels_ref(GlzSharedPixels *p)
{
    atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
    return p;
}

void glz_shared_pixels_unref(GlzSharedPixels *p)
{
    if (p == NULL) {
        return;
    }
    /* acq_rel: every other holder's reads of the pixels happen before the release below. */
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    if (p->release != NULL) {
        p->release(p->data, p->opaque);
    }
    free(p);
}

/* ---- dictionary ---- */


/* Keeps the largest recently released unit buffer for the next image; frees the other. */
static void keep_spare(GlzDictionary *d, uint32_t *units, size_t pixels)
{
    if (units == NULL || (d->spare != NULL && d->spare_pixels > pixels)) {
        free(units);
        return;
    }
    free(d->spare);
    d->spare = units;
    d->spare_pixels = pixels;
}

/* An image leaves the dictionary: its copy may serve the next image, a shared buffer is
 * given back. */
static void release_image(GlzDictionary *d, DictImage *im)
{
    keep_spare(d, im->copy, im->pixels);
    glz_shared_pixels_unref(im->shared);
    free(im->row_sigs);
    im->copy = NULL;
    im->shared = NULL;
    im->row_sigs = NULL;
}

GlzDictionary *glz_dictionary_new(uint32_t window_pixels)
{
    if (window_pixels == 0) {
        return NULL;
    }
    GlzDictionary *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->window_pixels = window_pixels > MAX_WINDOW_PIXELS ? MAX_WINDOW_PIXELS : window_pixels;
    d->next_base = 1;
    d->fast_hash = aligned_alloc(64, GLZ_FAST_HASH_SIZE * sizeof(uint64_t));
    if (d->fast_hash != NULL) {
        memset(d->fast_hash, 0, GLZ_FAST_HASH_SIZE * sizeof(uint64_t));
    }
    if (d->fast_hash == NULL) {
        glz_dictionary_free(d);
        return NULL;
    }
    return d;
}

void glz_dictionary_free(GlzDictionary *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->count; i++) {
        free(d->images[i].copy);
        glz_shared_pixels_unref(d->images[i].shared);
        free(d->images[i].row_sigs);
    }
    free(d->images);
    free(d->spare);
    free(d->fast_hash);
    free(d->hash_alpha);
    free(d);
}

uint64_t glz_dictionary_next_id(const GlzDictionary *d)
{
    return d->next_id;
}

GlzSharedPixels *glz_dictionary_newest_pixels(const GlzDictionary *d)
{
    if (d->count == 0) {
        return NULL;
    }
    const DictImage *im = &d->images[d->count - 1];
    if (im->shared == NULL || (const void *)im->units != (const void *)im->shared->data ||
        im->shared->size != im->pixels * 4) {
        return NULL;
    }
    return im->shared;
}

size_t glz_encode_bound(LzImageType type, uint32_t width, uint32_t height)
{
    if ((type != LZ_IMAGE_TYPE_RGB32 && type != LZ_IMAGE_TYPE_RGBA) || width == 0 ||
        height == 0 || (uint64_t)width * height > GLZ_MAX_PIXEL_OFFSET) {
        return 0;
    }
    size_t n = (size_t)width * height;
    /* Literals cost 3 + 1/32 bytes a pixel (1 + 1/32 for alpha); a match of >= 3 pixels costs at
     * most 8 bytes + 1 per 255 pixels, i.e. under 3 bytes a pixel. */
    size_t bound = GLZ_HEADER_SIZE + 4 * n + 64;
    if (type == LZ_IMAGE_TYPE_RGBA) {
        bound += 3 * n + 64;
    }
    return bound;
}

/* ---- output ---- */


static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}




/* ---- matching ---- */

static inline uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t x = a * 0x9E3779B1u ^ (b * 0x85EBCA77u + (b >> 13)) ^ (c * 0xC2B2AE3Du + (c >> 7));
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    return x;   /* bucket = top HASH_BITS bits, tag = all of it */
}

void glz_copy_rows_before(PassState *s, size_t upto)
{
    const DictImage *cur = s->cur;
    const uint32_t width = cur->width;
    while (s->copied < cur->pixels && upto - s->copied >= width) {
        if (s->copy_to != NULL) {
            memcpy(s->copy_to + s->copied, s->px + s->copied, (size_t)width * 4);
        }
        s->copied += width;
    }
}


typedef struct Match {
    size_t len;
    uint32_t image_dist;
    uint32_t pixel_ofs;
    uint64_t src;         /* global position of the source */
} Match;

/* A source the coder may match from: where its pixels are and how a match names it. */
typedef struct Candidate {
    uint64_t g;           /* global position */
    const uint32_t *src;
    size_t max_len;
    uint32_t image_dist;
    uint32_t pixel_ofs;
} Candidate;

/* Resolves global source @g for current pixel @i into @c; false if it cannot be used. */
static inline __attribute__((always_inline)) bool resolve_candidate(const PassState *s, size_t i,
                                                                  uint64_t g, Candidate *c)
{
    const DictImage *cur = s->cur;
    uint64_t here = cur->base + i;
    if (g == 0 || g >= here) {
        return false;
    }
    c->g = g;
    c->max_len = cur->pixels - i;
    if (g >= cur->base) {
        uint64_t dist = here - g;
        if (dist - 1 > GLZ_MAX_PIXEL_OFFSET) {
            return false;
        }
        c->src = s->px + (g - cur->base);
        c->image_dist = 0;
        c->pixel_ofs = (uint32_t)(dist - 1);
    } else {
        const DictImage *im = image_at(s, g);
        if (im == NULL || im == cur || im->type != cur->type ||
            cur->id - im->id > GLZ_MAX_IMAGE_DIST) {
            return false;
        }
        uint64_t ofs = g - im->base;
        if (ofs > GLZ_MAX_PIXEL_OFFSET) {
            return false;
        }
        if (im->pixels - ofs < c->max_len) {
            c->max_len = im->pixels - ofs;
        }
        c->src = im->units + ofs;
        c->image_dist = (uint32_t)(cur->id - im->id);
        c->pixel_ofs = (uint32_t)ofs;
    }
    return true;
}

/* Keeps candidate @c in @best if its match at current pixel @i is longer. */
static inline __attribute__((always_inline)) void try_candidate(const PassState *s, size_t i,
                                                              const Candidate *c, Match *best)
{
    /* The same source as the best so far (candidates often coincide: the last source, the
     * previous image's same place, the pixel above or to the left) cannot do better. */
    if (c->g == best->src) {
        return;
    }
    const uint32_t *src = c->src;
    const size_t max_len = c->max_len;
    if (max_len <= best->len) {
        return;
    }
    const uint32_t *u = s->px + i;
    const uint32_t mask = s->mask;
    /* Cheap reject: the pixel that would make this one longer than the best must match. */
    if (((u[best->len] ^ src[best->len]) & mask) != 0) {
        return;
    }
    size_t len = 0;
#if CODECS_SSE2
    {
        /* Eight pixels a step (SSE2 is part of x86-64), the first difference found from the
         * compare masks: text pages are mostly long matches, and this loop was a quarter of
         * their match time at four pixels a step. */
        const __m128i vmask = _mm_set1_epi32((int)mask), zero = _mm_setzero_si128();
        while (len + 8 <= max_len) {
            __m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(u + len));
            __m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(u + len + 4));
            __m128i b0 = _mm_loadu_si128((const __m128i *)(const void *)(src + len));
            __m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)(src + len + 4));
            __m128i d0 = _mm_and_si128(_mm_xor_si128(a0, b0), vmask);
            __m128i d1 = _mm_and_si128(_mm_xor_si128(a1, b1), vmask);
            uint32_t same = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi32(d0, zero)) |
                            (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi32(d1, zero)) << 16;
            if (same != UINT32_MAX) {
                len += (size_t)__builtin_ctz(~same) / 4;
                goto counted;
            }
            len += 8;
        }
    }
#endif
    {
        /* Four pixels, then two, per step. */
        const uint64_t mask2 = s->mask2;
        while (len + 4 <= max_len) {
            uint64_t a0, a1, b0, b1;
            memcpy(&a0, u + len, 8);
            memcpy(&a1, u + len + 2, 8);
            memcpy(&b0, src + len, 8);
            memcpy(&b1, src + len + 2, 8);
            if ((((a0 ^ b0) | (a1 ^ b1)) & mask2) != 0) {
                break;
            }
            len += 4;
        }
        while (len + 2 <= max_len) {
            uint64_t a, b;
            memcpy(&a, u + len, 8);
            memcpy(&b, src + len, 8);
            if (((a ^ b) & mask2) != 0) {
                break;
            }
            len += 2;
        }
    }
    while (len < max_len && ((u[len] ^ src[len]) & mask) == 0) {
        len++;
    }
#if CODECS_SSE2
counted:
#endif
    if (len > best->len) {
        best->len = len;
        best->image_dist = c->image_dist;
        best->pixel_ofs = c->pixel_ofs;
        best->src = c->g;
    }
}

static inline HashEntry *hash_bucket(HashEntry *table, uint32_t key)
{
    return table + (size_t)(key >> (32 - HASH_BITS)) * HASH_WAYS;
}

static inline void hash_insert(HashEntry *bucket, uint32_t key, uint64_t g)
{
    for (unsigned w = HASH_WAYS - 1; w > 0; w--) {
        bucket[w] = bucket[w - 1];
    }
    bucket[0] = (HashEntry){ (uint32_t)(g + 1), key };
}

static CodecStatus encode_pass(PassState *s, HashEntry *hash, GlzPass pass, GlzOut *o)
{
    const DictImage *cur = s->cur;
    const uint32_t *u = s->px;
    size_t copy_next = s->copied + cur->width;   /* copy_rows_before() has work from here */
    const size_t n = cur->pixels;
    const uint32_t mask = s->mask;
    const unsigned bias = pass == GLZ_PASS_ALPHA ? 2 : 0;
    const uint32_t width = cur->width;
    size_t lit_start = 0;
    size_t i = 0;
    /* here - source of the last few matches, distinct, most recent first: a scrolled page
     * alternates between a few sources (the static parts at the same place in the previous
     * image, the scrolled text a few lines further on, the row above), and returning to
     * one of them after a short detour is what keeps its matches long. */
    uint64_t deltas[RECENT_DELTAS] = { 0 };
    /* The same place in the previous image, when it has the same size (static regions). */
    uint64_t prev_same_delta = 0;
    size_t prev_same_next = 0;  /* first position of the next row */
    if (s->d->count >= 2 && s->first_ref + 1 < s->d->count) {
        const DictImage *prev = cur - 1;
        if (prev->width == width && prev->pixels == n && prev->type == cur->type) {
            prev_same_delta = cur->base - prev->base;
        }
    }
    size_t misses = 0;           /* positions since the last match */

    while (i < n) {
        Match best = { 0, 0, 0, 0 };
        uint64_t here = cur->base + i;
        /* In incompressible stretches try the other sources less and less often (but always
         * at row starts, where the row-hash candidate may change); the hash table is probed
         * at every position, as upstream does: skipping it lost photo the short matches that
         * kept it under upstream's size. */
        bool full = misses < 32 || (i & (misses < 256 ? 1u : 3u)) == 0 ||
                    (width != 0 && i % width == 0);
        if (n - i >= MIN_MATCH) {
            uint32_t key = hash3(u[i] & mask, u[i + 1] & mask, u[i + 2] & mask);
            HashEntry *bucket = hash_bucket(hash, key);
            /* The table is megabytes: start fetching the next position's bucket now (most
             * probes are literals, whose next probe is i + 1). */
            if (n - i > MIN_MATCH) {
                __builtin_prefetch(hash_bucket(hash, hash3(u[i + 1] & mask, u[i + 2] & mask,
                                                           u[i + 3] & mask)), 1);
            }
            /* Gather the candidates first and start fetching their pixels, then compare: most
             * sources in other images are cache misses, and waiting for them one after the
             * other was most of a text page's probe time. Same order as they are tried. */
            Candidate cands[RECENT_DELTAS + 4 + HASH_WAYS];
            unsigned nc = 0;
#define ADD_CANDIDATE(pos) \
            do { \
                if (resolve_candidate(s, i, (pos), &cands[nc])) { \
                    __builtin_prefetch(cands[nc].src); \
                    nc++; \
                } \
            } while (0)
            if (full) {
                /* Deep in incompressible stretches (photo, gradient) only the last source is
                 * still worth a try: each other one is a compare in another image. */
                bool near = misses < 2;
                for (unsigned r = 0; r < (near ? RECENT_DELTAS : 1) && deltas[r] != 0; r++) {
                    ADD_CANDIDATE(here - deltas[r]);
                }
                /* Once a row: a compare in the previous image at every probe cost more than it
                 * found; once it matches, the recent sources carry it on. */
                if (prev_same_delta != 0 && i >= prev_same_next) {
                    ADD_CANDIDATE(here - prev_same_delta);
                    prev_same_next = (i / width + 1) * width;
                }
                if (i >= width) {
                    ADD_CANDIDATE(here - width);
                }
                if (i >= 1) {
                    ADD_CANDIDATE(here - 1);
                }
            }
            for (unsigned w = 0; w < HASH_WAYS; w++) {
                if (bucket[w].pos != 0 && bucket[w].tag == key) {
                    /* here + 1 - (g + 1) = distance back, exact below 2^32 */
                    uint32_t back = (uint32_t)(here + 1) - bucket[w].pos;
                    ADD_CANDIDATE(here - back);
                }
            }
#undef ADD_CANDIDATE
            for (unsigned c = 0; c < nc; c++) {
                try_candidate(s, i, &cands[c], &best);
            }
            hash_insert(bucket, key, here);
        }
        /* Two pixels are worth a match when its token is short (upstream takes those too). */
        if (best.len < MIN_MATCH && !(best.len == 2 && pass == GLZ_PASS_RGB &&
                                      match_bytes(best.image_dist, best.pixel_ofs) <= 5)) {
            misses++;
            i++;
            if (i >= copy_next) {
                glz_copy_rows_before(s, i);
                copy_next = s->copied + width;
            }
            if (i - lit_start == LZ_MAX_LITERAL_RUN) {
                if (!put_literals(o, u, lit_start, i, pass)) {
                    return CODEC_ERR_NO_SPACE;
                }
                lit_start = i;
            }
            continue;
        }
        if (!put_literals(o, u, lit_start, i, pass) ||
            !put_match(o, best.len, bias, best.image_dist, best.pixel_ofs)) {
            return CODEC_ERR_NO_SPACE;
        }
        uint64_t delta = here - best.src;
        unsigned r = 0;
        while (r + 1 < RECENT_DELTAS && deltas[r] != delta) {
            r++;
        }
        for (; r > 0; r--) {
            deltas[r] = deltas[r - 1];
        }
        deltas[0] = delta;
        misses = 0;
        /* Index the covered positions too, sparser the longer the match: long matches are
         * runs or copies whose content the table already knows, and on text pages one insert
         * per covered pixel (a cache miss each in a 1 MB table) was most of the match time.
         * Sparser made text pages smaller still (fewer stale entries pushing useful ones out
         * of their bucket): every 8th pixel past 6, 64th past 16, 256th past 64 cost gradient
         * 0.5% and saved 1-3% on text pages against every 8th past 16 and 64th past 256. */
        size_t end = i + best.len;
        size_t step = best.len > 64 ? 256 : best.len > 16 ? 64 : best.len > 6 ? 8 : 1;
        if (end + MIN_MATCH <= n) {
            __builtin_prefetch(hash_bucket(hash, hash3(u[end] & mask, u[end + 1] & mask,
                                                       u[end + 2] & mask)), 1);
        }
        /* Keys are computed PREFETCH_AHEAD positions before their insert, so each bucket is
         * on its way to the cache by the time it is shifted. Same inserts, same order. */
        size_t stop_k = n < MIN_MATCH ? 0 : n - MIN_MATCH + 1 < end ? n - MIN_MATCH + 1 : end;
        uint32_t ahead[PREFETCH_AHEAD];
        size_t k = i + 1, kp = i + 1;
        for (unsigned j = 0; j < PREFETCH_AHEAD && kp < stop_k; j++, kp += step) {
            ahead[j] = hash3(u[kp] & mask, u[kp + 1] & mask, u[kp + 2] & mask);
            __builtin_prefetch(hash_bucket(hash, ahead[j]), 1);
        }
        for (unsigned j = 0; k < stop_k; k += step, j = (j + 1) % PREFETCH_AHEAD) {
            uint32_t key = ahead[j];
            if (kp < stop_k) {
                ahead[j] = hash3(u[kp] & mask, u[kp + 1] & mask, u[kp + 2] & mask);
                __builtin_prefetch(hash_bucket(hash, ahead[j]), 1);
                kp += step;
            }
            hash_insert(hash_bucket(hash, key), key, cur->base + k);
        }
        i = end;
        lit_start = i;
        if (i >= copy_next) {
            glz_copy_rows_before(s, i);
            copy_next = s->copied + width;
        }
    }
    if (!put_literals(o, u, lit_start, n, pass)) {
        return CODEC_ERR_NO_SPACE;
    }
    glz_copy_rows_before(s, n);
    return CODEC_OK;
}

/* True when @src's pixels lie inside @owner's buffer. */
static bool owner_holds(const GlzSharedPixels *owner, const Pixbuf *src)
{
    uintptr_t start = (uintptr_t)owner->data, p = (uintptr_t)src->data;
    if (p < start || p - start > owner->size) {
        return false;
    }
    size_t span = (size_t)(src->height - 1) * src->stride + (size_t)src->width * 4;
    return span <= owner->size - (p - start);
}

CodecStatus glz_encode(GlzDictionary *d, const Pixbuf *src, LzImageType type, bool top_down,
                       uint8_t *out, size_t out_capacity, size_t *out_size, uint64_t *out_id)
{
    return glz_encode_shared(d, src, NULL, type, top_down, out, out_capacity, out_size, out_id);
}

CodecStatus glz_encode_shared(GlzDictionary *d, const Pixbuf *src, GlzSharedPixels *owner,
                              LzImageType type, bool top_down, uint8_t *out,
                              size_t out_capacity, size_t *out_size, uint64_t *out_id)
{
    if (d == NULL || src == NULL || out == NULL || out_size == NULL || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    *out_size = 0;
    bool format_ok = type == LZ_IMAGE_TYPE_RGB32
        ? (src->format == PIXBUF_FORMAT_XRGB32 || src->format == PIXBUF_FORMAT_ARGB32)
        : type == LZ_IMAGE_TYPE_RGBA && src->format == PIXBUF_FORMAT_ARGB32;
    if (!format_ok || src->width == 0 || src->height == 0 ||
        (owner != NULL && !owner_holds(owner, src))) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t n = (size_t)src->width * src->height;
    if (n > d->window_pixels || n > GLZ_MAX_PIXEL_OFFSET) {
        return CODEC_ERR_TOO_LARGE;
    }
    if (out_capacity < GLZ_HEADER_SIZE) {
        return CODEC_ERR_NO_SPACE;
    }
    if (type == LZ_IMAGE_TYPE_RGBA && d->hash_alpha == NULL) {
        d->hash_alpha = hash_table_new();
        if (d->hash_alpha == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
    }
    if (d->count == d->capacity) {
        size_t cap = d->capacity ? d->capacity * 2 : 16;
        DictImage *grown = realloc(d->images, cap * sizeof(*grown));
        if (grown == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        d->images = grown;
        d->capacity = cap;
    }
    /* Code straight from the caller's pixels when they are one packed, aligned array: then
     * a shared owner is kept instead of a copy, and without one the copy is made behind the
     * coder (RGB) or up front (RGBA, coded in two passes). Otherwise copy first. */
    bool packed = src->stride == (size_t)src->width * 4 &&
                  (uintptr_t)src->data % _Alignof(uint32_t) == 0;
    /* A small part of a big buffer is copied instead: the window counts the image's pixels,
     * so a reference to the whole buffer could pin far more memory than the window allows. */
    bool share = owner != NULL && packed && owner->size / 2 <= n * 4;
    uint32_t *units = NULL;
    if (!share) {
        if (d->spare != NULL && d->spare_pixels >= n) {
            units = d->spare;   /* already faulted in: a fresh 8 MB buffer costs ~2000 faults */
            d->spare = NULL;
        } else {
            units = malloc(n * 4);
        }
    }
    if (!share && units == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    const uint32_t *px = units;
    uint32_t *copy_to = NULL;
    size_t copied = n;
    if (share) {
        px = (const uint32_t *)(const void *)src->data;
        copied = 0;
    } else if (type == LZ_IMAGE_TYPE_RGB32 && packed) {
        px = (const uint32_t *)(const void *)src->data;
        copy_to = units;
        copied = 0;
    } else {
        for (uint32_t y = 0; y < src->height; y++) {
            memcpy(units + (size_t)y * src->width, pixbuf_row(src, y), (size_t)src->width * 4);
        }
    }

    /* Images that must leave to make room are not referenced; they go only on success. */
    size_t first_ref = 0;
    uint64_t kept = d->total_pixels;
    while (first_ref < d->count &&
           (kept + n > d->window_pixels || d->next_id - d->images[first_ref].id > GLZ_MAX_IMAGE_DIST)) {
        kept -= d->images[first_ref].pixels;
        first_ref++;
    }
    uint64_t id = d->next_id;
    uint64_t oldest = first_ref < d->count ? d->images[first_ref].id : id;

    DictImage *cur = &d->images[d->count++];
    /* Row signatures are a help, not a need: without memory for them scrolls go undetected. */
    *cur = (DictImage){ id, d->next_base, n, src->width, type, share ? px : units, units, NULL,
                        calloc(src->height, sizeof(uint64_t)) };
    d->next_base += n;

    uint8_t *h = out;
    put_be32(h, LZ_MAGIC);
    put_be32(h + 4, LZ_VERSION);
    h[8] = (uint8_t)(type | (top_down ? 0x10 : 0));
    put_be32(h + 9, src->width);
    put_be32(h + 13, src->height);
    put_be32(h + 17, src->width * 4);
    put_be32(h + 21, (uint32_t)(id >> 32));
    put_be32(h + 25, (uint32_t)id);
    put_be32(h + 29, (uint32_t)(id - oldest));

    GlzOut o = { out + GLZ_HEADER_SIZE, out + out_capacity };
    PassState s = { d, first_ref, cur, 0x00FFFFFFu, 0x00FFFFFF00FFFFFFull, px, copy_to, copied };
    CodecStatus st = glz_encode_rgb32_pass(&s, d->fast_hash, &o);
    if (st == CODEC_OK && type == LZ_IMAGE_TYPE_RGBA) {
        s.mask = 0xFF000000u;
        s.mask2 = 0xFF000000FF000000ull;
        st = encode_pass(&s, d->hash_alpha, GLZ_PASS_ALPHA, &o);
    }
    if (st != CODEC_OK) {
        d->count--;
        free(cur->row_sigs);
        free(units);
        return st;
    }

    if (share) {
        cur->shared = glz_shared_pixels_ref(owner);
    }
    for (size_t k = 0; k < first_ref; k++) {
        release_image(d, &d->images[k]);
    }
    memmove(d->images, d->images + first_ref, (d->count - first_ref) * sizeof(*d->images));
    d->count -= first_ref;
    d->total_pixels = kept + n;
    d->next_id++;
    *out_size = (size_t)(o.p - out);
    if (out_id != NULL) {
        *out_id = id;
    }
    return CODEC_OK;
}
