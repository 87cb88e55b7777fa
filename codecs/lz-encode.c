/* lz-encode: SPICE LZ encoder (greedy matching: run check, one-slot hash, row-above probe; one loop per unit kind). */
#include "codecs/lz.h"

#include <stdlib.h>
#include <string.h>
#include "codecs/cpu-features.h"
#include "codecs/lz-format.h"
#include "codecs/rgb32-compare.h"

/* 2^14 entries of u32 positions = 64 KiB: stays in L2 and finds more than upstream's 2^13. */
#define HASH_BITS 14u
#define HASH_SIZE (1u << HASH_BITS)

/* Output cursor. Every token checks its worst-case size first, so a buffer below the bound
 * fails cleanly with CODEC_ERR_NO_SPACE instead of overrunning. */
typedef struct LzOut {
    uint8_t *p;
    uint8_t *end;
} LzOut;

static inline bool out_has(const LzOut *o, size_t n)
{
    return (size_t)(o->end - o->p) >= n;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline size_t literal_size(LzUnit unit)
{
    switch (unit) {
    case LZ_UNIT_BYTE:
    case LZ_UNIT_ALPHA: return 1;
    case LZ_UNIT_RGB16: return 2;
    case LZ_UNIT_RGB32: return 3;
    }
    return 1;
}

/* The part of unit @i that matches compare (what the decoder reproduces). */
static inline __attribute__((always_inline)) uint32_t unit_key(const uint8_t *u, size_t i,
                                                              LzUnit unit)
{
    switch (unit) {
    case LZ_UNIT_BYTE: return u[i];
    case LZ_UNIT_RGB16: return unaligned_load_u16(u + 2 * i) & 0x7FFFu;
    case LZ_UNIT_RGB32: return unaligned_load_u32(u + 4 * i) & 0x00FFFFFFu; /* little-endian B,G,R */
    case LZ_UNIT_ALPHA: return u[4 * i + 3];
    }
    return 0;
}

static inline __attribute__((always_inline)) uint8_t *put_literal(uint8_t *p, const uint8_t *u,
                                                                 size_t i, LzUnit unit)
{
    switch (unit) {
    case LZ_UNIT_BYTE:
        *p++ = u[i];
        break;
    case LZ_UNIT_RGB16: {
        uint16_t v = unaligned_load_u16(u + 2 * i);
        *p++ = (uint8_t)(v >> 8);
        *p++ = (uint8_t)v;
        break;
    }
    case LZ_UNIT_RGB32:
        *p++ = u[4 * i];       /* B */
        *p++ = u[4 * i + 1];   /* G */
        *p++ = u[4 * i + 2];   /* R */
        break;
    case LZ_UNIT_ALPHA:
        *p++ = u[4 * i + 3];
        break;
    }
    return p;
}

static inline __attribute__((always_inline)) CodecStatus
put_literals(LzOut *o, const uint8_t *u, size_t from, size_t to, LzUnit unit)
{
    while (from < to) {
        size_t run = to - from < LZ_MAX_LITERAL_RUN ? to - from : LZ_MAX_LITERAL_RUN;
        if (!out_has(o, 1 + run * literal_size(unit))) {
            return CODEC_ERR_NO_SPACE;
        }
        uint8_t *p = o->p;
        *p++ = (uint8_t)(run - 1);
        for (size_t i = 0; i < run; i++) {
            p = put_literal(p, u, from + i, unit);
        }
        o->p = p;
        from += run;
    }
    return CODEC_OK;
}

/* Codes a match of @len units at distance @dist (1 = repeat the previous unit). */
static inline CodecStatus put_match(LzOut *o, size_t len, size_t dist, LzUnit unit)
{
    size_t field = len - lz_unit_length_bias(unit);   /* >= 1: callers respect the minimums */
    size_t offset = dist - 1;
    bool far = offset >= LZ_NEAR_OFFSET_LIMIT;
    if (!out_has(o, 5 + field / 255)) {
        return CODEC_ERR_NO_SPACE;
    }
    uint8_t *p = o->p;
    uint8_t high = far ? 31 : (uint8_t)(offset >> 8);
    if (field < 7) {
        *p++ = (uint8_t)(field << 5 | high);
    } else {
        *p++ = (uint8_t)(7u << 5 | high);
        size_t rest = field - 7;
        for (; rest >= 255; rest -= 255) {
            *p++ = 255;
        }
        *p++ = (uint8_t)rest;
    }
    if (far) {
        size_t far_value = offset - LZ_NEAR_OFFSET_LIMIT;
        *p++ = 255;
        *p++ = (uint8_t)(far_value >> 8);
        *p++ = (uint8_t)far_value;
    } else {
        *p++ = (uint8_t)offset;
    }
    o->p = p;
    return CODEC_OK;
}

static inline uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t h = a * 0x9E3779B1u ^ b * 0x85EBCA77u ^ c * 0xC2B2AE3Du;
    return (h ^ (h >> 15)) * 0x2C1B3C6Du >> (32 - HASH_BITS);
}


/* Bytes per unit in the gathered array, and the bits of 8 bytes that matching compares. */
static inline size_t unit_bytes(LzUnit unit)
{
    return unit == LZ_UNIT_BYTE ? 1 : unit == LZ_UNIT_RGB16 ? 2 : 4;
}

static inline uint64_t compare_mask64(LzUnit unit)
{
    switch (unit) {
    case LZ_UNIT_BYTE: return ~(uint64_t)0;
    case LZ_UNIT_RGB16: return 0x7FFF7FFF7FFF7FFFull;
    case LZ_UNIT_RGB32: return 0x00FFFFFF00FFFFFFull;
    case LZ_UNIT_ALPHA: return 0xFF000000FF000000ull;
    }
    return 0;
}

/* Units equal from @ref and @ip onwards, at most @max (overlap allowed: ref < ip). Compares
 * 8 bytes at a time; on little-endian hosts the lowest differing bit is in the first differing
 * unit. */
static inline __attribute__((always_inline)) size_t match_length(const uint8_t *u, size_t ref,
                                                                size_t ip, size_t max, LzUnit unit)
{
    const size_t ub = unit_bytes(unit);
    const size_t per_word = 8 / ub;
    const uint64_t mask = compare_mask64(unit);
    size_t len = 0;
    while (len + per_word <= max) {
        uint64_t diff = (unaligned_load_u64(u + ub * (ref + len)) ^ unaligned_load_u64(u + ub * (ip + len))) & mask;
        if (diff != 0) {
            return len + (size_t)__builtin_ctzll(diff) / (8 * ub);
        }
        len += per_word;
    }
    while (len < max && unit_key(u, ref + len, unit) == unit_key(u, ip + len, unit)) {
        len++;
    }
    return len;
}

/*
 * One pass over @n units. Greedy: at each position try a run of the previous unit, the hash
 * slot of the next three units, and the same position one row up (@row_units; desktop content
 * repeats vertically); take the longest that beats literals.
 */
static inline __attribute__((always_inline)) CodecStatus
encode_pass(LzOut *o, const uint8_t *u, size_t n, size_t row_units, uint32_t *htab, LzUnit unit)
{
    /* Below these a match would not be shorter than the literals it replaces (the decoder's
     * length bias also forbids shorter ones for PLT/alpha and RGB16). */
    const size_t min_near = unit == LZ_UNIT_RGB32 ? 2 : unit == LZ_UNIT_RGB16 ? 2 : 3;
    const size_t min_far = unit == LZ_UNIT_RGB32 ? 2 : unit == LZ_UNIT_RGB16 ? 3 : 5;
    const size_t max_dist = (size_t)LZ_FAR_OFFSET_MAX + 1;
    size_t literal_start = 0;
    size_t ip = 0;
    CodecStatus st;

    memset(htab, 0, HASH_SIZE * sizeof(*htab));
    while (ip + 3 <= n) {
        uint32_t k0 = unit_key(u, ip, unit);
        uint32_t k1 = unit_key(u, ip + 1, unit);
        uint32_t k2 = unit_key(u, ip + 2, unit);
        size_t best_len = 0;
        size_t best_dist = 0;
        size_t max_len = n - ip;

        if (ip > 0 && unit_key(u, ip - 1, unit) == k0 && k0 == k1 && k1 == k2) {
            best_dist = 1;
            best_len = 3 + match_length(u, ip + 2, ip + 3, max_len - 3, unit);
        } else {
            uint32_t h = hash3(k0, k1, k2);
            size_t cand = htab[h];
            htab[h] = (uint32_t)(ip + 1);   /* 0 marks an empty slot */
            if (cand != 0 && ip + 1 - cand <= max_dist) {
                cand--;
                if (unit_key(u, cand, unit) == k0 && unit_key(u, cand + 1, unit) == k1 &&
                    unit_key(u, cand + 2, unit) == k2) {
                    best_dist = ip - cand;
                    best_len = 3 + match_length(u, cand + 3, ip + 3, max_len - 3, unit);
                }
            }
            if (row_units != 0 && ip >= row_units && row_units <= max_dist &&
                best_dist != row_units && best_len < max_len) {
                size_t up = ip - row_units;
                size_t up_len = match_length(u, up, ip, max_len, unit);
                if (up_len > best_len) {
                    best_len = up_len;
                    best_dist = row_units;
                }
            }
        }

        size_t needed = best_dist - 1 < LZ_NEAR_OFFSET_LIMIT ? min_near : min_far;
        if (best_len == 0 || best_len < needed) {
            ip++;
            continue;
        }
        if ((st = put_literals(o, u, literal_start, ip, unit)) != CODEC_OK ||
            (st = put_match(o, best_len, best_dist, unit)) != CODEC_OK) {
            return st;
        }
        ip += best_len;
        literal_start = ip;
        /* Remember where the match ended so the next repeat of its tail is found. */
        for (size_t back = 2; back >= 1; back--) {
            if (ip >= back && ip - back + 3 <= n) {
                size_t pos = ip - back;
                htab[hash3(unit_key(u, pos, unit), unit_key(u, pos + 1, unit),
                           unit_key(u, pos + 2, unit))] = (uint32_t)(pos + 1);
            }
        }
    }
    return put_literals(o, u, literal_start, n, unit);
}

/* ---- RGB32: the pass the desktop sees, with its own loop ---- */

/* B,G,R of 2 pixels (the low 6 bytes of the result) from their 8 bytes. */
static inline uint64_t narrow_two_pixels(uint64_t v)
{
    return (v & 0xFFFFFFull) | (v >> 8 & 0xFFFFFF000000ull);
}

/* Literal runs for units [@from, @to). When 2 spare output bytes are there, each pair of
 * pixels is one 8-byte load and one 8-byte store (6 bytes kept, the next store overwrites the
 * other 2); otherwise byte by byte, so an exactly sized buffer still works. */
static CodecStatus put_literals_rgb32_long(LzOut *o, const uint8_t *u, size_t from, size_t to)
{
    while (from < to) {
        size_t run = to - from < LZ_MAX_LITERAL_RUN ? to - from : LZ_MAX_LITERAL_RUN;
        size_t need = 1 + run * 3;
        if (!out_has(o, need + 2)) {
            if (!out_has(o, need)) {
                return CODEC_ERR_NO_SPACE;
            }
            return put_literals(o, u, from, to, LZ_UNIT_RGB32);
        }
        uint8_t *p = o->p;
        const uint8_t *s = u + 4 * from;
        *p++ = (uint8_t)(run - 1);
        size_t i = 0;
        for (; i + 2 <= run; i += 2, s += 8, p += 6) {
            unaligned_store_u64(p, narrow_two_pixels(unaligned_load_u64(s)));
        }
        if (i < run) {
            unaligned_store_u32(p, unaligned_load_u32(s));   /* the 4th byte is overwritten or spare */
        }
        o->p += need;
        from += run;
    }
    return CODEC_OK;
}

/*
 * The literals before a match: usually none or a few (noisy gradients alternate 1-3 literals
 * with short matches), so up to 4 are written without branching on their count: a control
 * byte and 4 pixels always, the cursor then advanced by what the run really takes (nothing
 * for an empty run). Needs 4 readable pixels at @from and 16 spare output bytes.
 */
static inline __attribute__((always_inline)) CodecStatus
put_literals_rgb32(LzOut *o, const uint8_t *u, size_t from, size_t to)
{
    size_t run = to - from;
    if (run <= 4 && out_has(o, 16)) {
        uint8_t *p = o->p;
        const uint8_t *s = u + 4 * from;
        p[0] = (uint8_t)(run - 1);
        unaligned_store_u64(p + 1, narrow_two_pixels(unaligned_load_u64(s)));
        unaligned_store_u64(p + 7, narrow_two_pixels(unaligned_load_u64(s + 8)));
        o->p += (1 + 3 * run) & -(size_t)(run != 0);
        return CODEC_OK;
    }
    return put_literals_rgb32_long(o, u, from, to);
}

/* A match as put_match codes it, without branches for the usual near match of under 262
 * pixels (its length byte is written even when the short form leaves it out: the offset byte
 * then overwrites it). */
static inline __attribute__((always_inline)) CodecStatus put_match_rgb32(LzOut *o, size_t len,
                                                                        size_t dist)
{
    size_t offset = dist - 1;
    if (offset < LZ_NEAR_OFFSET_LIMIT && len < 7 + 255 && out_has(o, 4)) {
        uint8_t *p = o->p;
        size_t extra = len >= 7;
        p[0] = (uint8_t)((extra ? 7u : len) << 5 | offset >> 8);
        p[1] = (uint8_t)(len - 7);
        p[1 + extra] = (uint8_t)offset;
        o->p += 2 + extra;
        return CODEC_OK;
    }
    return put_match(o, len, dist, LZ_UNIT_RGB32);
}

/*
 * The RGB32 hash table: RGB32_HASH_SIZE slots of 8 bytes, the position (below 2^28: PIXBUF_MAX_BYTES)
 * in the low half and 32 more bits of the 3-pixel hash in the high half. A slot whose check bits
 * differ is no candidate, decided without loading the candidate's pixels: on noisy pictures
 * about half the probes fail, and that load (anywhere up to 73728 pixels back) was the longest
 * wait on the way to each literal-or-match decision. Position 0 (never inserted) is empty.
 */
typedef uint64_t Rgb32Slot;

/* 2^13 slots (64 KiB), half of encode_pass's count: on pictures with short matches (gradients)
 * the loop waits on each slot's load, and fewer, hotter slots answer sooner (gradient +4%,
 * text pages unchanged, 3% more bytes on gradient). */
#define RGB32_HASH_BITS 13u
#define RGB32_HASH_SIZE (1u << RGB32_HASH_BITS)

/* Pictures with many short matches (over 1 per 32 pixels in their first eighth: gradient 1 per
 * 8, desktop 1 per 11; text pages 1 per 70-120) go on with half the slots: their probes then
 * find fewer candidates, and a hash match is the loop's slowest step (gradient +4%, 3% more
 * bytes, still 6% under upstream's; desktop unchanged). Text pages lose matches and 3-6% of
 * their speed with half the slots, so they keep them all. */
#define RGB32_DENSE_MATCHES_SHIFT 5u

/* @mask: RGB32_HASH_SIZE - 1, or half that for pictures dense in matches. */
static inline size_t rgb32_slot_index(uint64_t hash, size_t mask)
{
    return (size_t)(hash >> (64 - RGB32_HASH_BITS)) & mask;
}

static inline Rgb32Slot rgb32_slot(uint64_t hash, size_t pos)
{
    return hash >> 18 << 32 | (uint32_t)pos;
}

/* The position in @slot if its check bits are those of @hash, else 0. */
static inline size_t rgb32_slot_position(Rgb32Slot slot, uint64_t hash)
{
    return (slot ^ hash >> 18 << 32) >> 32 == 0 ? (uint32_t)slot : 0;
}

/* While nothing matches, the hash is probed less often: after each 2^RGB32_SKIP_SHIFT probes
 * without a match, one more position is skipped between probes (the row above and the run are
 * still tried everywhere: they are cheap, and they are where noisy pictures still find their
 * few matches). */
#define RGB32_SKIP_SHIFT 4u

/* The longest match at unit @ip of the tail (under 8 units left): run, hash slot or row above. */
static inline size_t tail_match(const uint8_t *u, size_t ip, size_t n, size_t row,
                                const Rgb32Slot *htab, size_t mask, size_t *out_dist)
{
    const uint8_t *p = u + 4 * ip;
    size_t best_len = 0;
    size_t candidates[3] = { 1, 0, row };
    if (ip + 3 <= n) {
        uint64_t hash = rgb32_hash3(p);
        size_t cand = rgb32_slot_position(htab[rgb32_slot_index(hash, mask)], hash);
        candidates[1] = cand != 0 ? ip - cand : 0;
    }
    for (unsigned i = 0; i < 3; i++) {
        size_t dist = candidates[i];
        if (dist != 0 && dist <= ip && dist <= (size_t)LZ_FAR_OFFSET_MAX + 1) {
            size_t len = rgb32_extend(p - 4 * dist, p, n - ip, false);
            if (len > best_len) {
                best_len = len;
                *out_dist = dist;
            }
        }
    }
    return best_len;
}

/*
 * The RGB32 pass. Greedy, like encode_pass: at each position take a run of the previous pixel
 * when it is at least 3 long, else the longest of the hash slot of the next 3 pixels, the row
 * above and a short run. Candidates are compared 8 pixels at once and the longest picked
 * without branches; only the choice "literal or match" and long matches branch.
 */
static inline __attribute__((always_inline)) CodecStatus
encode_rgb32_body(LzOut *o, const uint8_t *u, size_t n, size_t row, Rgb32Slot *htab, bool wide)
{
    const size_t max_dist = (size_t)LZ_FAR_OFFSET_MAX + 1;
    const size_t row_dist = row != 0 && row <= max_dist ? row : 0;
    size_t literal_start = 0;
    size_t next_probe = 1;
    size_t probes = 0;
    size_t slot_mask = RGB32_HASH_SIZE - 1;
    size_t matches = 0;
    size_t sample_end = n / 8;   /* where the match density is judged (see RGB32_DENSE_MATCHES_SHIFT) */
    size_t ip = 1;   /* unit 0 has nothing before it: always a literal */
    CodecStatus st;

    /* Slot values are positions; 0 (never inserted: unit 0 is skipped) marks an empty slot. */
    memset(htab, 0, RGB32_HASH_SIZE * sizeof(*htab));
    while (ip + 8 <= n) {
        const uint8_t *p = u + 4 * ip;
        if (next_probe > ip + 1 && ip >= row_dist && ip + 9 <= n) {
            /* No hash probe for a while: only runs and the row above can match. A match of
             * 2+ starts where two neighbouring pixels equal their left (or upper) neighbours;
             * skip the positions before the next probe where none does. */
            unsigned run = rgb32_equal_mask8(p - 4, p, wide);
            unsigned up = row_dist != 0 ? rgb32_equal_mask8(p - 4 * row_dist, p, wide) : 0;
            size_t window = next_probe - ip < 7 ? next_probe - ip : 7;
            unsigned starts = ((run & run >> 1) | (up & up >> 1)) & ((1u << window) - 1);
            if (starts == 0) {
                ip += window;
                continue;
            }
            ip += (size_t)__builtin_ctz(starts);
            p = u + 4 * ip;
        }
        size_t best_len = rgb32_equal8(p - 4, p, wide);
        size_t best_dist = 1;

        if (best_len >= 3) {
            if (best_len == 8) {
                best_len += rgb32_extend(p + 28, p + 32, n - ip - 8, wide);
            }
        } else {
            size_t run_len = best_len;
            best_len = 0;
            if (ip >= next_probe) {
                uint64_t hash = rgb32_hash3(p);
                Rgb32Slot *slot = &htab[rgb32_slot_index(hash, slot_mask)];
                size_t cand = rgb32_slot_position(*slot, hash);
                *slot = rgb32_slot(hash, ip);
                if (cand != 0 && ip - cand <= max_dist) {
                    best_len = rgb32_equal8(u + 4 * cand, p, wide);
                    best_dist = ip - cand;
                }
            }
            size_t row_len = 0;
            if (row_dist != 0 && ip >= row_dist) {
                row_len = rgb32_equal8(p - 4 * row_dist, p, wide);
            }
            if (best_len == 8) {
                best_len += rgb32_extend(p + 32 - 4 * best_dist, p + 32, n - ip - 8, wide);
                /* The row above wins only if it also matches pixel best_len. */
                if (row_len == 8 && best_dist != row_dist && best_len < n - ip &&
                    ((unaligned_load_u32(p + 4 * best_len - 4 * row_dist) ^ unaligned_load_u32(p + 4 * best_len)) &
                     0xFFFFFFu) == 0) {
                    row_len += rgb32_extend(p + 32 - 4 * row_dist, p + 32, n - ip - 8, wide);
                }
            } else if (row_len == 8) {
                row_len += rgb32_extend(p + 32 - 4 * row_dist, p + 32, n - ip - 8, wide);
            }
            size_t pick_row = row_len > best_len;
            best_dist = pick_row ? row_dist : best_dist;
            best_len = pick_row ? row_len : best_len;
            size_t pick_run = run_len > best_len;
            best_dist = pick_run ? 1 : best_dist;
            best_len = pick_run ? run_len : best_len;
        }

        if (best_len < 2) {
            if (ip >= next_probe) {
                next_probe = ip + 1 + (probes++ >> RGB32_SKIP_SHIFT);
            }
            ip++;
            continue;
        }
        if ((st = put_literals_rgb32(o, u, literal_start, ip)) != CODEC_OK ||
            (st = put_match_rgb32(o, best_len, best_dist)) != CODEC_OK) {
            return st;
        }
        ip += best_len;
        literal_start = ip;
        next_probe = ip;
        probes = 0;
        matches++;
        if (ip >= sample_end) {
            sample_end = SIZE_MAX;
            if (matches << RGB32_DENSE_MATCHES_SHIFT > ip) {
                slot_mask >>= 1;
            }
        }
        /* No slots are filled inside or at the end of a match: only probed positions are
         * remembered. Inserting the match's last 2 positions found 6% more on gradient and
         * 2% on text pages but cost gradient 3% of its speed (2 more hashes and stores on
         * the way to each next probe). */
    }
    /* The last few units: exact-length comparisons only. */
    while (ip < n) {
        size_t dist = 0;
        size_t len = tail_match(u, ip, n, row_dist, htab, slot_mask, &dist);
        if (len < 2) {
            ip++;
            continue;
        }
        if ((st = put_literals_rgb32_long(o, u, literal_start, ip)) != CODEC_OK ||
            (st = put_match(o, len, dist, LZ_UNIT_RGB32)) != CODEC_OK) {
            return st;
        }
        ip += len;
        literal_start = ip;
    }
    return put_literals_rgb32_long(o, u, literal_start, n);
}

#if CODECS_X86_DISPATCH
static __attribute__((target("avx2"))) CodecStatus
encode_rgb32_avx2(LzOut *o, const uint8_t *u, size_t n, size_t row, Rgb32Slot *htab)
{
    return encode_rgb32_body(o, u, n, row, htab, true);
}
#endif

static CodecStatus encode_rgb32_baseline(LzOut *o, const uint8_t *u, size_t n, size_t row,
                                         Rgb32Slot *htab)
{
    return encode_rgb32_body(o, u, n, row, htab, false);
}

/* One allocation serves every pass (each clears what it uses first). */
typedef union LzHashTable {
    uint32_t positions[HASH_SIZE];   /* encode_pass */
    Rgb32Slot rgb32[RGB32_HASH_SIZE]; /* the RGB32 loop */
} LzHashTable;

static CodecStatus encode_pass_byte(LzOut *o, const uint8_t *u, size_t n, size_t row,
                                    LzHashTable *table)
{
    return encode_pass(o, u, n, row, table->positions, LZ_UNIT_BYTE);
}

static CodecStatus encode_pass_rgb16(LzOut *o, const uint8_t *u, size_t n, size_t row,
                                     LzHashTable *table)
{
    return encode_pass(o, u, n, row, table->positions, LZ_UNIT_RGB16);
}

static CodecStatus encode_pass_rgb32(LzOut *o, const uint8_t *u, size_t n, size_t row,
                                     LzHashTable *table)
{
#if CODECS_X86_DISPATCH
    /* Same stream either way: AVX2 only compares 8 pixels in one instruction instead of two. */
    if (codecs_cpu_has(CODECS_CPU_AVX2)) {
        return encode_rgb32_avx2(o, u, n, row, table->rgb32);
    }
#endif
    return encode_rgb32_baseline(o, u, n, row, table->rgb32);
}

static CodecStatus encode_pass_alpha(LzOut *o, const uint8_t *u, size_t n, size_t row,
                                     LzHashTable *table)
{
    return encode_pass(o, u, n, row, table->positions, LZ_UNIT_ALPHA);
}

LzImageType lz_image_type_for_format(PixbufFormat format)
{
    switch (format) {
    case PIXBUF_FORMAT_PLT1_LE: return LZ_IMAGE_TYPE_PLT1_LE;
    case PIXBUF_FORMAT_PLT1_BE: return LZ_IMAGE_TYPE_PLT1_BE;
    case PIXBUF_FORMAT_PLT4_LE: return LZ_IMAGE_TYPE_PLT4_LE;
    case PIXBUF_FORMAT_PLT4_BE: return LZ_IMAGE_TYPE_PLT4_BE;
    case PIXBUF_FORMAT_PLT8: return LZ_IMAGE_TYPE_PLT8;
    case PIXBUF_FORMAT_RGB16: return LZ_IMAGE_TYPE_RGB16;
    case PIXBUF_FORMAT_RGB24: return LZ_IMAGE_TYPE_RGB24;
    case PIXBUF_FORMAT_XRGB32: return LZ_IMAGE_TYPE_RGB32;
    case PIXBUF_FORMAT_ARGB32: return LZ_IMAGE_TYPE_RGBA;
    case PIXBUF_FORMAT_A8: return LZ_IMAGE_TYPE_A8;
    case PIXBUF_FORMAT_INVALID: break;
    }
    return LZ_IMAGE_TYPE_INVALID;
}

/* Units per pass and literal bytes per unit, for the bound. */
static bool pass_layout(LzImageType type, uint32_t width, uint32_t height, size_t *out_units,
                        size_t *out_literal_bytes, unsigned *out_passes)
{
    size_t row_bytes;
    PixbufFormat row_format = lz_type_row_format(type);
    if (row_format == PIXBUF_FORMAT_INVALID ||
        pixbuf_row_bytes(row_format, width, &row_bytes) != CODEC_OK ||
        height > PIXBUF_MAX_DIMENSION || (uint64_t)row_bytes * height > PIXBUF_MAX_BYTES) {
        return false;
    }
    size_t pixels = (size_t)width * height;
    *out_passes = 1;
    switch (type) {
    case LZ_IMAGE_TYPE_RGB16:
        *out_units = pixels;
        *out_literal_bytes = 2;
        break;
    case LZ_IMAGE_TYPE_RGB24:
    case LZ_IMAGE_TYPE_RGB32:
        *out_units = pixels;
        *out_literal_bytes = 3;
        break;
    case LZ_IMAGE_TYPE_RGBA:
        *out_units = pixels;
        *out_literal_bytes = 3;
        *out_passes = 2;   /* the second (alpha) pass is smaller, the bound counts it as RGB */
        break;
    case LZ_IMAGE_TYPE_XXXA:
        *out_units = pixels;
        *out_literal_bytes = 1;
        break;
    default:   /* PLT and A8: bytes of the coded rows */
        *out_units = row_bytes * height;
        *out_literal_bytes = 1;
        break;
    }
    return true;
}

size_t lz_encode_bound(LzImageType type, uint32_t width, uint32_t height)
{
    size_t units, literal_bytes;
    unsigned passes;
    if (!pass_layout(type, width, height, &units, &literal_bytes, &passes)) {
        return 0;
    }
    /* Literal runs cost 1 control byte per 32 units; a match never costs more than the
     * literals it replaces plus the control byte it may add to split a run. */
    size_t per_pass = units * literal_bytes + units / LZ_MAX_LITERAL_RUN + 2;
    return LZ_HEADER_SIZE + per_pass * passes + 16;
}

static bool format_fits_type(PixbufFormat format, LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_RGB32:
        return format == PIXBUF_FORMAT_XRGB32 || format == PIXBUF_FORMAT_ARGB32;
    case LZ_IMAGE_TYPE_RGBA:
    case LZ_IMAGE_TYPE_XXXA:
        return format == PIXBUF_FORMAT_ARGB32;
    case LZ_IMAGE_TYPE_INVALID:
        return false;
    default:
        return format == lz_type_row_format(type);
    }
}

/* The coded rows as one array: the pixbuf itself when packed, else a packed copy (RGB24 is
 * always widened to 4-byte units so it shares the RGB32 loop). *@out_scratch owns any copy. */
static CodecStatus gather_units(const Pixbuf *src, LzImageType type, const uint8_t **out_units,
                                uint8_t **out_scratch)
{
    size_t row_bytes;
    (void)pixbuf_row_bytes(src->format, src->width, &row_bytes);
    *out_scratch = NULL;
    if (type == LZ_IMAGE_TYPE_RGB24) {
        uint8_t *wide = malloc((size_t)src->width * src->height * 4);
        if (wide == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        uint8_t *w = wide;
        for (uint32_t y = 0; y < src->height; y++) {
            const uint8_t *row = pixbuf_row(src, y);
            for (uint32_t x = 0; x < src->width; x++, row += 3, w += 4) {
                w[0] = row[0];
                w[1] = row[1];
                w[2] = row[2];
                w[3] = 0;
            }
        }
        *out_units = *out_scratch = wide;
        return CODEC_OK;
    }
    if (pixbuf_is_packed(src)) {
        *out_units = src->data;
        return CODEC_OK;
    }
    uint8_t *packed = malloc(row_bytes * src->height);
    if (packed == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    for (uint32_t y = 0; y < src->height; y++) {
        memcpy(packed + row_bytes * y, pixbuf_row(src, y), row_bytes);
    }
    *out_units = *out_scratch = packed;
    return CODEC_OK;
}

CodecStatus lz_encode(const Pixbuf *src, LzImageType type, bool top_down,
                      uint8_t *out, size_t out_capacity, size_t *out_size)
{
    if (out_size != NULL) {
        *out_size = 0;
    }
    if (src == NULL || out == NULL || out_size == NULL || !format_fits_type(src->format, type) ||
        src->width == 0 || src->height == 0 || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t header_stride;
    if (pixbuf_row_bytes(lz_type_row_format(type), src->width, &header_stride) != CODEC_OK) {
        return CODEC_ERR_TOO_LARGE;
    }
    if (out_capacity < LZ_HEADER_SIZE) {
        return CODEC_ERR_NO_SPACE;
    }
    put_be32(out + 0, LZ_MAGIC);
    put_be32(out + 4, LZ_VERSION);
    put_be32(out + 8, (uint32_t)type);
    put_be32(out + 12, src->width);
    put_be32(out + 16, src->height);
    put_be32(out + 20, (uint32_t)header_stride);
    put_be32(out + 24, top_down ? 1u : 0u);

    const uint8_t *units;
    uint8_t *scratch;
    CodecStatus st = gather_units(src, type, &units, &scratch);
    if (st != CODEC_OK) {
        return st;
    }
    LzHashTable *htab = malloc(sizeof(*htab));
    if (htab == NULL) {
        free(scratch);
        return CODEC_ERR_NO_MEMORY;
    }

    LzOut o = { out + LZ_HEADER_SIZE, out + out_capacity };
    size_t pixels = (size_t)src->width * src->height;
    switch (type) {
    case LZ_IMAGE_TYPE_RGB16:
        st = encode_pass_rgb16(&o, units, pixels, src->width, htab);
        break;
    case LZ_IMAGE_TYPE_RGB24:
    case LZ_IMAGE_TYPE_RGB32:
        st = encode_pass_rgb32(&o, units, pixels, src->width, htab);
        break;
    case LZ_IMAGE_TYPE_RGBA:
        st = encode_pass_rgb32(&o, units, pixels, src->width, htab);
        if (st == CODEC_OK) {
            st = encode_pass_alpha(&o, units, pixels, src->width, htab);
        }
        break;
    case LZ_IMAGE_TYPE_XXXA:
        st = encode_pass_alpha(&o, units, pixels, src->width, htab);
        break;
    default:   /* PLT and A8 code their row bytes */
        st = encode_pass_byte(&o, units, header_stride * src->height, header_stride, htab);
        break;
    }
    free(htab);
    free(scratch);
    if (st == CODEC_OK) {
        *out_size = (size_t)(o.p - out);
    }
    return st;
}
