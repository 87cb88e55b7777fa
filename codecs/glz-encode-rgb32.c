/* glz-encode-rgb32: the GLZ encoder's RGB pass (run, row above, one hash slot, two far sources; 8-pixel compares). */
#include "codecs/glz-encode-private.h"

#include <stdlib.h>
#include <string.h>

#include "codecs/cpu-features.h"
#include "codecs/rgb32-compare.h"
#include "codecs/unaligned.h"

/*
 * The design is the LZ encoder's RGB32 loop (codecs/lz-encode.c) with GLZ's cross-image
 * sources added cheaply. At each probed position:
 *   - a run of the previous pixel (taken at once when 3+ long);
 *   - two "far" sources kept as distances back (here - source): the same place in the
 *     previous image (static parts of a page) and the sources of long matches found in
 *     earlier images (a scrolled page's shift), kept by how much they matched lately. One
 *     that fails is parked (on pages unlike the earlier ones each try is a cache miss);
 *   - the pixel above;
 *   - one hash slot of the next 3 pixels, dictionary-wide (global positions, never cleared):
 *     its 32 check bits reject most wrong slots without loading the candidate's pixels, and
 *     it is not looked at when a cached source already matches 8 pixels (the slot and its
 *     candidate anywhere in the window are cache misses).
 * All are compared 8 pixels at once and the longest kept; where nothing matches the hash is
 * probed less and less often and the positions between are scanned 7 at a time for a run or
 * row-above start. Against the former several-candidate loop (4-way buckets, a row-hash
 * table for scrolled pages): 2-2.5x faster on text pages, streams 0-30% larger there but
 * still under upstream's on every image; a scrolled page still finds its shift (0.09 bpp).
 */

/* While nothing matches, one more position is skipped between probes every 2^SKIP_SHIFT
 * probes (the run and the row above are still tried everywhere). */
#define SKIP_SHIFT 4u
/* A far source that failed this many probes in a row is dropped until it comes back. */
#define FAR_MAX_MISSES 1u
#define FAR_RETRY_ROWS 32u
/* A parked source that matched this many pixels lately (decaying) tries again on each row. */
#define FAR_RETRY_SCORE 256u

/* ---- the hash slots: position modulo 2^32 low, 32 check bits high; 0 = empty ---- */

static inline size_t slot_index(uint64_t hash)
{
    return (size_t)(hash >> (64 - GLZ_FAST_HASH_BITS));
}

static inline uint64_t slot_make(uint64_t hash, uint64_t g)
{
    return hash >> 17 << 32 | (uint32_t)g;
}

/* Distance back from global @here to the slot's position (1 .. 2^32 - 1), 0 when the check
 * bits differ or it is here itself. A slot older than 2^32 pixels reads back wrong, which,
 * like any stale slot, only costs a failed compare. */
static inline uint64_t slot_back(uint64_t slot, uint64_t hash, uint64_t here)
{
    if ((slot ^ hash >> 17 << 32) >> 32 != 0) {
        return 0;
    }
    return (uint32_t)((uint32_t)here - (uint32_t)slot);
}

/* ---- sources in earlier images ---- */

/* A source at a fixed distance back, resolved to its image once instead of at every probe. */
typedef struct FarSource {
    uint64_t delta;          /* here - source; 0: none */
    const uint32_t *units;   /* the source image's pixels */
    size_t adj;              /* source offset of position ip = ip + adj (mod 2^64) */
    size_t limit;            /* offsets below this have 8 readable pixels */
    size_t pixels;           /* the source image's pixels */
    uint32_t image_dist;     /* 0: the current image (pixel_ofs = delta - 1) */
    unsigned misses;         /* failed probes in a row: parked past FAR_MAX_MISSES */
    uint32_t score;          /* pixels it matched lately (decays each row); 0: free */
} FarSource;

/* Far sources kept at once: a scrolled page needs the previous image's same place (static
 * parts) and its shift; a third cost text pages time and found nothing more. */
#define FAR_COUNT 2u

/* Points @f at distance @delta back from position @ip; false (f->delta = 0) if that pixel
 * cannot be referenced (before the window, another type, too far). */
static bool far_resolve(const PassState *s, size_t ip, uint64_t delta, FarSource *f)
{
    const DictImage *cur = s->cur;
    uint64_t here = cur->base + ip;
    f->delta = 0;
    f->misses = 0;
    f->score = 0;
    if (delta == 0 || delta >= here) {
        return false;
    }
    uint64_t g = here - delta;
    if (g >= cur->base) {
        if (delta - 1 > GLZ_MAX_PIXEL_OFFSET) {
            return false;
        }
        f->units = s->px;
        f->adj = (size_t)0 - (size_t)delta;
        f->limit = cur->pixels;
        f->pixels = cur->pixels;
        f->image_dist = 0;
    } else {
        const DictImage *im = image_at(s, g);
        if (im == NULL || im == cur || im->type != cur->type ||
            cur->id - im->id > GLZ_MAX_IMAGE_DIST || im->pixels < 8) {
            return false;
        }
        size_t ofs = (size_t)(g - im->base);
        f->units = im->units;
        f->adj = ofs - ip;
        f->limit = im->pixels - 7;
        f->pixels = im->pixels;
        f->image_dist = (uint32_t)(cur->id - im->id);
    }
    f->delta = delta;
    return true;
}

/* A source's offset and pixels at position @ip, or NULL if it has no 8 readable pixels there
 * (it may have moved into the next image: resolved again then). */
static inline __attribute__((always_inline)) const uint8_t *far_at(const PassState *s,
                                                                 FarSource *f, size_t ip,
                                                                 size_t *ofs)
{
    *ofs = ip + f->adj;
    if (*ofs < f->limit) {
        return (const uint8_t *)(f->units + *ofs);
    }
    uint32_t score = f->score;
    if (!far_resolve(s, ip, f->delta, f)) {
        return NULL;
    }
    f->score = score;
    *ofs = ip + f->adj;
    return *ofs < f->limit ? (const uint8_t *)(f->units + *ofs) : NULL;
}

/* Makes @delta a far source (if it is not one already) in place of the one that matched
 * least lately: a page's few real sources keep matching, chance ones fade out. */
static void far_push(const PassState *s, FarSource far[FAR_COUNT], size_t ip, uint64_t delta)
{
    unsigned low = 0;
    for (unsigned k = 0; k < FAR_COUNT; k++) {
        if (far[k].delta == delta) {
            return;
        }
        if (far[k].score < far[low].score) {
            low = k;
        }
    }
    FarSource f;
    if (far_resolve(s, ip, delta, &f)) {
        f.score = 1;
        far[low] = f;
    }
}

/* ---- scroll detection: an earlier image's rows found again by their signatures ---- */

/*
 * A scrolled page repeats the previous image's rows a few rows up. Its unique pixel triples
 * are found through the hash slot, but on text most triples recur (the same glyphs), so the
 * slot points at the last copy of a glyph, not the scrolled one, and a small page may never
 * find a match long enough to keep as a far source. So each row gets a signature (its B,G,R
 * at SIG_SAMPLES places across it: no full read of the row), and a row whose signature was a
 * row of the latest image of the same width (not always the one just before: a server sends
 * other pictures between two frames) offers that shift. Eight samples: each is a cache
 * miss at the row's start, and 32 cost a quarter of a text page's encode.
 */
#define SIG_SAMPLES 8u

/* The signature of the @width pixels at @row; 0 when the samples are all one colour (blank
 * rows match every other blank row: no evidence of a shift). */
static uint64_t row_signature(const uint8_t *row, size_t width)
{
    uint32_t first = unaligned_load_u32(row) & 0xFFFFFFu;
    uint32_t varied = 0;
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < SIG_SAMPLES; k++) {
        uint32_t v = unaligned_load_u32(row + 4 * (k * width / SIG_SAMPLES)) & 0xFFFFFFu;
        varied |= v ^ first;
        h = (h ^ v) * 0xC2B2AE3D27D4EB4Full;
        h ^= h >> 29;
    }
    return varied != 0 ? h | 1 : 0;
}

/* An earlier image's row signatures as an open-addressed table: signature -> row. */
typedef struct RowMap {
    const DictImage *image;  /* borrowed: the image the rows are of */
    uint64_t *sig;           /* owned; 0 = empty slot */
    uint32_t *row;
    size_t mask;             /* slots - 1; no table when sig is NULL */
} RowMap;

static void row_map_build(RowMap *m, const DictImage *image)
{
    const uint64_t *sigs = image->row_sigs;
    size_t rows = image->pixels / image->width;
    m->image = image;
    size_t slots = 16;
    while (slots < 2 * rows) {
        slots *= 2;
    }
    m->sig = calloc(slots, sizeof(*m->sig));
    m->row = malloc(slots * sizeof(*m->row));
    if (m->sig == NULL || m->row == NULL) {
        free(m->sig);
        free(m->row);
        m->sig = NULL;
        return;
    }
    m->mask = slots - 1;
    for (size_t y = 0; y < rows; y++) {
        if (sigs[y] == 0) {
            continue;
        }
        size_t i = (size_t)(sigs[y] >> 20) & m->mask;
        while (m->sig[i] != 0 && m->sig[i] != sigs[y]) {
            i = (i + 1) & m->mask;
        }
        if (m->sig[i] == 0) {   /* a repeated row keeps its first place */
            m->sig[i] = sigs[y];
            m->row[i] = (uint32_t)y;
        }
    }
}

static bool row_map_find(const RowMap *m, uint64_t sig, size_t *out_row)
{
    if (m->sig == NULL || sig == 0) {
        return false;
    }
    for (size_t i = (size_t)(sig >> 20) & m->mask; m->sig[i] != 0; i = (i + 1) & m->mask) {
        if (m->sig[i] == sig) {
            *out_row = m->row[i];
            return true;
        }
    }
    return false;
}

/* ---- output ---- */

static inline uint64_t narrow_two_pixels(uint64_t v)
{
    return (v & 0xFFFFFFull) | (v >> 8 & 0xFFFFFF000000ull);
}

/* Literals [@from, @to): up to 4 without branching on their count (a control byte and 4
 * pixels always written, the cursor advanced by what the run takes); longer runs in pairs
 * of pixels, one 8-byte store each, when 2 spare bytes are there. Needs 4 readable pixels. */
static inline __attribute__((always_inline)) bool lits(GlzOut *o, const uint8_t *u, size_t from,
                                                      size_t to)
{
    size_t run = to - from;
    if (run <= 4 && out_has(o, 16)) {
        uint8_t *p = o->p;
        const uint8_t *s = u + 4 * from;
        p[0] = (uint8_t)(run - 1);
        unaligned_store_u64(p + 1, narrow_two_pixels(unaligned_load_u64(s)));
        unaligned_store_u64(p + 7, narrow_two_pixels(unaligned_load_u64(s + 8)));
        o->p += (1 + 3 * run) & -(size_t)(run != 0);
        return true;
    }
    while (from < to) {
        run = to - from < LZ_MAX_LITERAL_RUN ? to - from : LZ_MAX_LITERAL_RUN;
        size_t need = 1 + run * 3;
        if (!out_has(o, need + 2)) {
            return put_literals(o, (const uint32_t *)(const void *)u, from, to, GLZ_PASS_RGB);
        }
        uint8_t *p = o->p;
        const uint8_t *s = u + 4 * from;
        *p++ = (uint8_t)(run - 1);
        size_t k = 0;
        for (; k + 2 <= run; k += 2, s += 8, p += 6) {
            unaligned_store_u64(p, narrow_two_pixels(unaligned_load_u64(s)));
        }
        if (k < run) {
            unaligned_store_u32(p, unaligned_load_u32(s));   /* 4th byte overwritten or spare */
        }
        o->p += need;
        from += run;
    }
    return true;
}

/* A match token; the usual one (this image, offset under 4096, under 262 pixels) without
 * branches: its length byte is written even when absent, the next byte overwrites it. */
static inline __attribute__((always_inline)) bool token(GlzOut *o, size_t len,
                                                       uint32_t image_dist, uint32_t pixel_ofs)
{
    if (image_dist == 0 && pixel_ofs < (1u << 12) && len < 7 + 255 && out_has(o, 4)) {
        uint8_t *p = o->p;
        size_t extra = len >= 7;
        p[0] = (uint8_t)((extra ? 7u : len) << 5 | (pixel_ofs & 0x0F));
        p[1] = (uint8_t)(len - 7);
        p[1 + extra] = (uint8_t)(pixel_ofs >> 4);
        p[2 + extra] = 0;
        o->p += 3 + extra;
        return true;
    }
    return put_match(o, len, 0, image_dist, pixel_ofs);
}

/* ---- the pass ---- */

/* The longest match of a probe so far. */
typedef struct Best {
    size_t len;              /* 0-8 from the first compares, more once one reached 8 */
    const uint8_t *src;
    uint32_t image_dist;
    uint32_t pixel_ofs;
    uint64_t delta;          /* here - source */
} Best;

/*
 * Offers a candidate whose first compare gave @len8 (0-8) pixels at @src for the pixels at
 * @p (@max: most it may match). Candidates are offered in order of preference: on a tie the
 * earlier stays. The first to reach 8 is extended; a later one only if it also matches the
 * pixel after the best so far. Kept in registers (a candidate array in memory cost a tenth of
 * a text page's time).
 */
static inline __attribute__((always_inline)) void offer(Best *b, const uint8_t *p,
                                                        const uint8_t *src, size_t len8,
                                                        size_t max, uint32_t image_dist,
                                                        uint32_t pixel_ofs, uint64_t delta,
                                                        bool wide)
{
    if (len8 == 8) {
        if (b->len >= 8 && (delta == b->delta || b->len >= max ||
                            ((unaligned_load_u32(src + 4 * b->len) ^
                              unaligned_load_u32(p + 4 * b->len)) & 0xFFFFFFu) != 0)) {
            return;
        }
        len8 = 8 + rgb32_extend(src + 32, p + 32, max - 8, wide);
    }
    if (len8 > b->len) {
        *b = (Best){ len8, src, image_dist, pixel_ofs, delta };
    }
}

static inline __attribute__((always_inline)) CodecStatus encode_body(PassState *s, GlzOut *o,
                                                                    uint64_t *htab,
                                                                    const RowMap *prev_rows,
                                                                    bool wide)
{
    const DictImage *cur = s->cur;
    const uint8_t *u = (const uint8_t *)(const void *)s->px;
    const size_t n = cur->pixels;
    const size_t width = cur->width;
    const uint64_t base = cur->base;
    size_t literal_start = 0;
    size_t next_probe = 1;
    size_t probes = 0;
    size_t ip = 1;   /* pixel 0 has nothing before it in this image: a literal */
    size_t next_row = 0;
    FarSource far[FAR_COUNT];
    memset(far, 0, sizeof(far));

    uint64_t prev_same_delta = 0;
    uint64_t sig_delta = 0;   /* the shift the last row found in prev_rows gave */
    size_t signed_rows = 0;   /* rows of cur->row_sigs filled in */
    if (s->first_ref + 1 < s->d->count) {
        const DictImage *prev = cur - 1;
        if (prev->width == cur->width && prev->pixels == n && prev->type == cur->type) {
            prev_same_delta = cur->base - prev->base;
        }
    }

    while (ip + 8 <= n) {
        if (ip >= next_row) {
            /* A new row: copy the rows behind for the dictionary (when it keeps a copy) and
             * give the far sources another chance. */
            size_t y = ip / width;
            size_t row_start = y * width;
            next_row = row_start + width;
            /* Parked sources that matched lately try again on each row, the others every
             * FAR_RETRY_ROWS rows: on a page unlike the earlier ones each try is a cache
             * miss (three sources tried on every row were a third of a text page's time). */
            for (unsigned k = 0; k < FAR_COUNT; k++) {
                far[k].score = (far[k].score * 3) >> 2;
                if (far[k].score >= FAR_RETRY_SCORE || y % FAR_RETRY_ROWS == 0) {
                    far[k].misses = 0;
                }
            }
            if (prev_same_delta != 0) {
                far_push(s, far, ip, prev_same_delta);
            }
            if (cur->row_sigs != NULL) {
                /* Rows a long match went over are signed too: the next image looks for them. */
                for (; signed_rows < y; signed_rows++) {
                    cur->row_sigs[signed_rows] = row_signature(u + 4 * signed_rows * width, width);
                }
                uint64_t sig = row_signature(u + 4 * row_start, width);
                size_t prev_row;
                cur->row_sigs[y] = sig;
                signed_rows = y + 1;
                if (row_map_find(prev_rows, sig, &prev_row) && prev_row != y) {
                    /* Rows repeat within a page too (blank lines, grid lines): a shift
                     * counts once two rows with signatures agree on it. */
                    uint64_t delta = base + row_start -
                                     (prev_rows->image->base + prev_row * width);
                    if (delta == sig_delta) {
                        far_push(s, far, ip, delta);
                    }
                    sig_delta = delta;
                }
            }
            glz_copy_rows_before(s, row_start);
            continue;   /* ip + 8 <= n still holds */
        }
        const uint8_t *p = u + 4 * ip;
        if (next_probe > ip + 1 && ip >= width && ip + 9 <= n) {
            /* No probe for a while: only runs and the row above can match. A match of 2+
             * starts where two neighbouring pixels equal their left (or upper) neighbours. */
            unsigned run = rgb32_equal_mask8(p - 4, p, wide);
            unsigned up = rgb32_equal_mask8(p - 4 * width, p, wide);
            size_t window = next_probe - ip < 7 ? next_probe - ip : 7;
            if (next_row - ip < window) {
                window = next_row - ip;
            }
            unsigned starts = ((run & run >> 1) | (up & up >> 1)) & ((1u << window) - 1);
            if (starts == 0) {
                ip += window;
                continue;
            }
            ip += (size_t)__builtin_ctz(starts);
            p = u + 4 * ip;
        }
        size_t best_len = rgb32_equal8(p - 4, p, wide);
        uint32_t best_image_dist = 0;
        uint32_t best_ofs = 0;
        uint64_t best_delta = 1;

        if (best_len >= 3) {
            if (best_len == 8) {
                best_len += rgb32_extend(p + 28, p + 32, n - ip - 8, wide);
            }
        } else {
            Best b = { 0, NULL, 0, 0, 0 };
            uint64_t here = base + ip;
            if (ip >= next_probe) {
                for (unsigned k = 0; k < FAR_COUNT; k++) {
                    FarSource *f = &far[k];
                    size_t ofs;
                    const uint8_t *src;
                    if (f->delta == 0 || f->misses > FAR_MAX_MISSES ||
                        (src = far_at(s, f, ip, &ofs)) == NULL) {
                        continue;
                    }
                    size_t len = rgb32_equal8(src, p, wide);
                    if (len < 2) {
                        f->misses++;
                        continue;
                    }
                    f->misses = 0;
                    if (f->image_dist == 0) {
                        offer(&b, p, src, len, n - ip, 0, (uint32_t)(f->delta - 1), f->delta,
                              wide);
                    } else {
                        size_t max = f->pixels - ofs < n - ip ? f->pixels - ofs : n - ip;
                        offer(&b, p, src, len, max, f->image_dist, (uint32_t)ofs, f->delta, wide);
                    }
                }
            }
            if (ip >= width) {
                offer(&b, p, p - 4 * width, rgb32_equal8(p - 4 * width, p, wide), n - ip, 0,
                      (uint32_t)(width - 1), width, wide);
            }
            /* The hash slot is a cache miss and so is its candidate (anywhere in the
             * dictionary): not looked at when a cached source already matches 8 pixels. */
            if (ip >= next_probe) {
                uint64_t hash = rgb32_hash3(p);
                uint64_t *slot = &htab[slot_index(hash)];
                uint64_t back = b.len >= 8 ? 0 : slot_back(*slot, hash, here);
                *slot = slot_make(hash, here);
                if (back != 0 && back <= ip) {
                    offer(&b, p, p - 4 * back, rgb32_equal8(p - 4 * back, p, wide), n - ip, 0,
                          (uint32_t)(back - 1), back, wide);
                } else if (back != 0) {
                    FarSource f;
                    size_t ofs;
                    const uint8_t *src;
                    if (far_resolve(s, ip, back, &f) && (src = far_at(s, &f, ip, &ofs)) != NULL) {
                        size_t max = f.pixels - ofs < n - ip ? f.pixels - ofs : n - ip;
                        offer(&b, p, src, rgb32_equal8(src, p, wide), max, f.image_dist, (uint32_t)ofs,
                              back, wide);
                    }
                }
            }
            /* A short run wins ties: its token is the shortest. */
            if (best_len < b.len) {
                best_len = b.len;
                best_image_dist = b.image_dist;
                best_ofs = b.pixel_ofs;
                best_delta = b.delta;
            }
        }

        /* Two pixels only when the token is short (a literal pair is 6 bytes). */
        if (best_len < 2 || (best_len == 2 && match_bytes(best_image_dist, best_ofs) > 5)) {
            if (ip >= next_probe) {
                next_probe = ip + 1 + (probes++ >> SKIP_SHIFT);
            }
            ip++;
            continue;
        }
        /* The next probe is where this match ends: start fetching its slot now. */
        if (ip + best_len + 3 <= n) {
            __builtin_prefetch(&htab[slot_index(rgb32_hash3(p + 4 * best_len))]);
        }
        if (!lits(o, u, literal_start, ip) || !token(o, best_len, best_image_dist, best_ofs)) {
            return CODEC_ERR_NO_SPACE;
        }
        if (best_image_dist != 0) {
            /* Credit the far source that matched; a long match from elsewhere (the hash)
             * in another image may be a new one. */
            bool known = false;
            for (unsigned k = 0; k < FAR_COUNT; k++) {
                if (far[k].delta == best_delta) {
                    far[k].score += (uint32_t)(best_len < (1u << 20) ? best_len : (1u << 20));
                    known = true;
                }
            }
            if (!known && best_len >= 16) {
                far_push(s, far, ip, best_delta);
            }
        }
        ip += best_len;
        literal_start = ip;
        next_probe = ip;
        probes = 0;
        /* Remember where the match ended so the next repeat of its tail is found. */
        if (ip + 2 <= n) {
            uint64_t h2 = rgb32_hash3(u + 4 * (ip - 2)), h1 = rgb32_hash3(u + 4 * (ip - 1));
            htab[slot_index(h2)] = slot_make(h2, base + ip - 2);
            htab[slot_index(h1)] = slot_make(h1, base + ip - 1);
        }
    }
    /* The last few pixels (under 8 left): literals. */
    if (!put_literals(o, s->px, literal_start, n, GLZ_PASS_RGB)) {
        return CODEC_ERR_NO_SPACE;
    }
    for (; cur->row_sigs != NULL && signed_rows < n / width; signed_rows++) {
        cur->row_sigs[signed_rows] = row_signature(u + 4 * signed_rows * width, width);
    }
    glz_copy_rows_before(s, n);
    return CODEC_OK;
}

#if CODECS_X86_DISPATCH
static __attribute__((target("avx2"))) CodecStatus encode_avx2(PassState *s, GlzOut *o,
                                                               uint64_t *htab,
                                                               const RowMap *prev_rows)
{
    return encode_body(s, o, htab, prev_rows, true);
}
#endif

static CodecStatus encode_baseline(PassState *s, GlzOut *o, uint64_t *htab,
                                   const RowMap *prev_rows)
{
    return encode_body(s, o, htab, prev_rows, false);
}

CodecStatus glz_encode_rgb32_pass(PassState *s, uint64_t *htab, GlzOut *o)
{
    /* The table (256 KB) has usually left the caches since the last image: fetch it all
     * now, in the background, instead of one miss per probe. */
    for (size_t k = 0; k < GLZ_FAST_HASH_SIZE; k += 64 / sizeof(*htab)) {
        __builtin_prefetch(&htab[k], 1);
    }
    /* Where the rows of the latest image of this width are, to find them again in this one
     * (a server may send other pictures between two frames of a scrolling window). */
    RowMap prev_rows = { NULL, NULL, NULL, 0 };
    const DictImage *cur = s->cur;
    for (size_t k = s->d->count - 1; k > s->first_ref && cur->row_sigs != NULL; k--) {
        const DictImage *prev = &s->d->images[k - 1];
        if (prev->width == cur->width && prev->type == cur->type && prev->row_sigs != NULL) {
            row_map_build(&prev_rows, prev);
            break;
        }
    }
    CodecStatus st;
#if CODECS_X86_DISPATCH
    /* Same stream either way: AVX2 only compares 8 pixels in one instruction instead of two. */
    if (codecs_cpu_has(CODECS_CPU_AVX2)) {
        st = encode_avx2(s, o, htab, &prev_rows);
    } else
#endif
    {
        st = encode_baseline(s, o, htab, &prev_rows);
    }
    free(prev_rows.sig);
    free(prev_rows.row);
    return st;
}
