/* quic-decode: bounds-checked QUIC decoder mirroring the encoder's model step for step. */
#include "codecs/quic.h"

#include <stdlib.h>
#include <string.h>

#include "codecs/quic-model.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

CodecStatus quic_read_header(const uint8_t *data, size_t size, QuicHeader *out)
{
    memset(out, 0, sizeof(*out));
    if (data == NULL || size < QUIC_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    if (get_le32(data) != QUIC_MAGIC || get_le32(data + 4) != QUIC_VERSION) {
        return CODEC_ERR_BAD_MAGIC;
    }
    uint32_t type = get_le32(data + 8);
    uint32_t width = get_le32(data + 12);
    uint32_t height = get_le32(data + 16);
    if (type < QUIC_IMAGE_TYPE_GRAY || type > QUIC_IMAGE_TYPE_RGBA || width == 0 || height == 0) {
        return CODEC_ERR_BAD_HEADER;
    }
    if (width > PIXBUF_MAX_DIMENSION || height > PIXBUF_MAX_DIMENSION ||
        (uint64_t)width * height * 4 > PIXBUF_MAX_BYTES) {
        return CODEC_ERR_TOO_LARGE;
    }
    out->type = (QuicImageType)type;
    out->width = width;
    out->height = height;
    return CODEC_OK;
}

/*
 * The next 32 stream bits sit in the top half of @buf (@avail >= 32 valid bits). Past the end
 * of the data the reader feeds zero words and counts them: a valid stream never needs them
 * (upstream fails as soon as its 32-bit window would pass the last word), so any use is
 * reported as truncation at the end of the row.
 */
typedef struct BitReader {
    const uint8_t *p;
    const uint8_t *end;
    uint64_t buf;
    unsigned avail;
    unsigned phantom_words;
    bool bad_symbol;
} BitReader;

/* Checked refill, for the rows near the end of the data. */
static QUIC_ALWAYS_INLINE void refill(BitReader *r)
{
    while (r->avail <= 32) {
        uint32_t word = 0;
        if (r->end - r->p >= 4) {
            word = get_le32(r->p);
            r->p += 4;
        } else if (r->phantom_words < 2) {
            r->phantom_words++;
        }
        r->buf |= (uint64_t)word << (32 - r->avail);
        r->avail += 32;
    }
}

static QUIC_ALWAYS_INLINE uint32_t peek32(const BitReader *r)
{
    return (uint32_t)(r->buf >> 32);
}

/*
 * Consumes @n <= 32 bits and keeps at least 32 in the window. @fast: the caller has checked
 * that the data left covers the worst case of everything it will read (see row_worst_bytes),
 * so the end test is skipped.
 */
static QUIC_ALWAYS_INLINE void eat(BitReader *r, unsigned n, bool fast)
{
    r->buf <<= n;
    r->avail -= n;
    if (r->avail < 32) {
        if (fast) {
            r->buf |= (uint64_t)get_le32(r->p) << (32 - r->avail);
            r->p += 4;
            r->avail += 32;
        } else {
            refill(r);
        }
    }
}

/* True when the window has reached into the zero words past the data. */
static bool overrun(const BitReader *r)
{
    return 32u * (r->phantom_words + 1) > r->avail;
}

/* Key rows get spare words past the width (run fills store four keys at a time) and before it
 * (the runny loop's run test reads key[x - 2] at x = 1). */
#define KEY_PAD 4u
#define KEY_FRONT 2u

/* One coding group (RGB, gray, or the alpha of RGBA) as the decoder keeps it. */
typedef struct DecoderGroup {
    QuicState state;
    unsigned channels;
    /* Channel values of this and the previous row, packed per pixel (B | G << 8 | R << 16 for
     * RGB, the value for one channel): what run detection compares and store_row writes. */
    uint32_t *cur_key;
    uint32_t *prev_key;
    /* corr[n * (1 + x) + c]: channel c's symbol coded at x, corr[c] its context at x = 0 (see
     * QuicPlane.corr: run pixels leave it untouched). */
    uint8_t *corr;
} DecoderGroup;

/*
 * All decoder state. The model is the one of quic-model.h, kept in a form for decoding:
 * bucket counters as int32 so an update is a few SIMD steps without branches, and k_of_ctx,
 * each context's bucket's best code, so the per-symbol chain is one byte load (it is
 * rewritten whenever an update changes a bucket's best code).
 */
typedef struct Decoder {
    QuicFamily family;
    BitReader bits;
    uint32_t width;
    unsigned num_groups;
    size_t row_runs;   /* runs read in the current row, all groups */
    DecoderGroup groups[2];
    void *rows_mem;
    uint8_t k_of_ctx[QUIC_MAX_PLANES][256];
    uint8_t bestcode[QUIC_MAX_PLANES][QUIC_MAX_CODES];
    uint8_t bucket_first[QUIC_MAX_CODES];   /* first context of each bucket */
    uint16_t bucket_size[QUIC_MAX_CODES];
    uint64_t gr_min_window[QUIC_MAX_CODES];   /* a window at least this starts a GR code */
    /* Sum of the run lengths of the first s MELCODE states' hits (s = 0..QUIC_MELC_STATES). */
    uint32_t melc_sum[QUIC_MELC_STATES + 1];
    /* counters[plane][bucket][k], as QuicBucket.counters; k >= bpc stay 0 and never win. */
    _Alignas(16) uint32_t counters[QUIC_MAX_PLANES][QUIC_MAX_CODES][QUIC_MAX_CODES];
} Decoder;

static QUIC_ALWAYS_INLINE unsigned read_symbol(BitReader *r, const Decoder *d, unsigned k,
                                               unsigned mask, bool fast)
{
    const QuicFamily *f = &d->family;
    uint64_t buf = r->buf;
    unsigned sym, len;
    if (LIKELY(buf >= d->gr_min_window[k])) {
        /* zeros, a one, k bits: the top len bits read as 1 << k | low, so the symbol is that
         * plus (zeros - 1) << k (mod 2^32 when zeros is 0) */
        unsigned zeros = (unsigned)__builtin_clzll(buf);
        len = zeros + 1 + k;
        sym = (unsigned)(buf >> (64 - len)) + ((zeros - 1) << k);
    } else {
        len = f->escape_len[k];
        sym = f->gr_count[k] + (unsigned)(buf >> (64 - len));
        if (sym > mask) {
            r->bad_symbol = true;   /* an escape value no encoder can produce */
            sym = 0;
        }
    }
    eat(r, len, fast);
    return sym;
}

/*
 * Decodes one pixel of @n channels at the packed prediction @pred and returns its packed
 * value. ctx[c] is channel c's context on entry and its symbol on exit; the symbols also go
 * to @corr (n bytes).
 */
static QUIC_ALWAYS_INLINE uint32_t decode_pixel(const Decoder *d, unsigned first_plane,
                                                unsigned n, unsigned mask, BitReader *r,
                                                unsigned *ctx,
                                                uint32_t pred, uint8_t *corr, bool fast)
{
    const QuicFamily *f = &d->family;
    uint32_t value = 0;
    for (unsigned c = 0; c < n; c++) {
        unsigned shift = 8 * (n - 1 - c);
        unsigned k = d->k_of_ctx[first_plane + c][ctx[c]];
        unsigned sym = read_symbol(r, d, k, mask, fast);
        ctx[c] = sym;
        corr[c] = (uint8_t)sym;
        value |= ((f->unfold[sym] + (pred >> shift)) & mask) << shift;
    }
    return value;
}

/* Per-byte floor((a + b) / 2) of two packed pixels. */
static QUIC_ALWAYS_INLINE uint32_t average_bytes(uint32_t a, uint32_t b)
{
    return (a & b) + (((a ^ b) >> 1) & 0x7F7F7F7Fu);
}

/* Model update of every channel of a group at a pixel with contexts @ctxs and symbols
 * @syms (n bytes each). */
static void update_model(Decoder *d, const QuicState *s, unsigned first_plane, unsigned n,
                         const uint8_t *ctxs, const uint8_t *syms)
{
    const QuicFamily *f = &d->family;
    for (unsigned c = 0; c < n; c++) {
        unsigned plane = first_plane + c;
        unsigned bucket = f->bucket_of[ctxs[c]];
        unsigned best = quic_counters_update(f, d->counters[plane][bucket], syms[c], s->wm_trigger);
        if (best != d->bestcode[plane][bucket]) {
            d->bestcode[plane][bucket] = (uint8_t)best;
            memset(&d->k_of_ctx[plane][d->bucket_first[bucket]], (int)best,
                   d->bucket_size[bucket]);
        }
    }
}

/* Applies @hits run hits to @s (each adds the current order, then moves one state up) and
 * returns the length they add. */
static QUIC_ALWAYS_INLINE size_t melc_hits(const Decoder *d, QuicState *s, unsigned hits)
{
    unsigned from = s->melcstate, to = from + hits;
    size_t run;
    if (LIKELY(to <= QUIC_MELC_STATES)) {
        run = d->melc_sum[to] - d->melc_sum[from];
    } else {
        run = d->melc_sum[QUIC_MELC_STATES] - d->melc_sum[from] +
              ((size_t)(to - QUIC_MELC_STATES) << quic_melc_len[QUIC_MELC_STATES - 1]);
    }
    if (to > QUIC_MELC_STATES - 1) {
        to = QUIC_MELC_STATES - 1;
    }
    s->melcstate = to;
    s->melclen = quic_melc_len[to];
    s->melcorder = 1u << s->melclen;
    return run;
}

/* Reads a run length (see put_run in quic-encode.c); false if it cannot fit in @max. */
static QUIC_ALWAYS_INLINE bool read_run(const Decoder *d, BitReader *r, QuicState *s, size_t max,
                                        size_t *out_len, bool fast)
{
    size_t run = 0;
    for (;;) {
        uint32_t bits = peek32(r);
        unsigned ones = bits == 0xFFFFFFFFu ? 32 : (unsigned)__builtin_clz(~bits);
        run += melc_hits(d, s, ones);
        if (run > max) {
            return false;
        }
        if (LIKELY(ones < 32)) {
            eat(r, ones + 1, fast);
            break;
        }
        eat(r, 32, fast);
    }
    if (s->melclen) {
        run += peek32(r) >> (32 - s->melclen);
        eat(r, s->melclen, fast);
    }
    quic_melc_down(s);
    if (run > max) {
        return false;
    }
    *out_len = run;
    return true;
}

/* Mirror of code_segment in quic-encode.c; false on a run past the segment end. */
static QUIC_ALWAYS_INLINE bool decode_segment(Decoder *d, unsigned gi, unsigned n, unsigned bpc,
                                              bool row0, bool runny, size_t i, size_t end,
                                              unsigned waitmask, bool fast)
{
    DecoderGroup *g = &d->groups[gi];
    unsigned first_plane = gi == 0 ? 0 : 3;
    uint8_t *corr = g->corr;
    uint32_t *key = g->cur_key;
    const uint32_t *up = g->prev_key;
    unsigned ctx[3];
    for (unsigned c = 0; c < n; c++) {
        ctx[c] = corr[n * i + c];
    }
    uint32_t left = i ? key[i - 1] : 0;
    QuicState s = g->state;
    BitReader r = d->bits;
    size_t stop;
    bool ok = true;

#define DECODE_AT(i, pred) \
    (key[i] = left = decode_pixel(d, first_plane, n, (1u << bpc) - 1, &r, ctx, (pred), \
                                  corr + n * ((i) + 1), fast))
#define UPDATE_AT(x) update_model(d, &s, first_plane, n, corr + n * (x), corr + n * ((x) + 1))

    if (i == 0) {
        DECODE_AT(0, row0 ? 0 : up[0]);
        if (s.waitcnt) {
            s.waitcnt--;
        } else {
            s.waitcnt = quic_tabrand(&s) & waitmask;
            UPDATE_AT(0);
        }
        stop = ++i + s.waitcnt;
    } else {
        stop = i + s.waitcnt;
    }

    if (row0) {
        while (stop < end) {
            for (; i <= stop; i++) {
                DECODE_AT(i, left);
            }
            UPDATE_AT(stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            DECODE_AT(i, left);
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;
    }

    /*
     * Two shapes of the same loop; rows choose by the previous row's run count (quic_decode).
     * Both read the same symbols and runs. The smooth shape tests for a run with early exits:
     * the row above rarely repeats on photos, so the test costs one well-predicted branch. On
     * dithered gradients it repeats on about half the pixels and runs start on a quarter of
     * them, half of them empty: there the runny shape wins (about 10%) with one combined test,
     * and after a run it decodes the next pixel directly instead of testing it again.
     */
#define FILL_RUN(run_len) \
    do { \
        /* Four keys per step: the rows have KEY_PAD spare words, and keys past the run are \
         * rewritten when their pixels are decoded. */ \
        size_t run_end_ = i + (run_len); \
        for (size_t j = i; j < run_end_; j += 4) { \
            key[j] = left; \
            key[j + 1] = left; \
            key[j + 2] = left; \
            key[j + 3] = left; \
        } \
        d->row_runs++; \
        i = run_end_; \
    } while (0)

    size_t run_len;
    if (!runny) {
        size_t run_index = 0;
#define RUN_STARTS_AT(i) \
    ((i) > 2 && up[(i) - 1] == up[i] && run_index != (i) && left == key[(i) - 2])
        for (;;) {
            while (stop < end) {
                for (; i <= stop; i++) {
                    if (RUN_STARTS_AT(i)) {
                        goto smooth_run;
                    }
                    DECODE_AT(i, average_bytes(left, up[i]));
                }
                UPDATE_AT(stop);
                stop = i + (quic_tabrand(&s) & waitmask);
            }
            for (; i < end; i++) {
                if (RUN_STARTS_AT(i)) {
                    goto smooth_run;
                }
                DECODE_AT(i, average_bytes(left, up[i]));
            }
            s.waitcnt = (unsigned)(stop - end);
            goto done;

smooth_run:
            s.waitcnt = (unsigned)(stop - i);
            run_index = i;
            if (!read_run(d, &r, &s, end - i, &run_len, fast)) {
                ok = false;
                goto done;
            }
            FILL_RUN(run_len);
            if (i == end) {
                goto done;
            }
            /* Run pixels leave corr alone: the next contexts are whatever corr holds. */
            for (unsigned c = 0; c < n; c++) {
                ctx[c] = corr[n * i + c];
            }
            stop = i + s.waitcnt;
        }
#undef RUN_STARTS_AT
    }

    /* The runny shape: key[-2] and key[-1] exist (KEY_FRONT), so all terms are evaluated and
     * one branch decides. No run_index: the pixel a run ends on is never tested. The indexes
     * are signed: for i < 2 a size_t i - 2 wraps, which is undefined pointer arithmetic. */
#define RUN_STARTS_AT(i) \
    __builtin_expect(((i) > 2) & (up[(ptrdiff_t)(i) - 1] == up[i]) & \
                     (left == key[(ptrdiff_t)(i) - 2]), 0)
    for (;;) {
        while (stop < end) {
            for (; i <= stop; i++) {
                if (RUN_STARTS_AT(i)) {
                    goto run;
                }
after_run_before_stop:
                DECODE_AT(i, average_bytes(left, up[i]));
            }
            UPDATE_AT(stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            if (RUN_STARTS_AT(i)) {
                goto run;
            }
after_run_past_stop:
            DECODE_AT(i, average_bytes(left, up[i]));
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;

run:
        s.waitcnt = (unsigned)(stop - i);
        if (!read_run(d, &r, &s, end - i, &run_len, fast)) {
            ok = false;
            goto done;
        }
        FILL_RUN(run_len);
        if (i == end) {
            goto done;
        }
        stop = i + s.waitcnt;
        /* After a non-empty run both keys to the left hold the run's value, so the row above
         * alone decides whether another run starts here; after an empty one none does (the
         * smooth shape's run_index test). */
        if (run_len != 0 && up[i - 1] == up[i]) {
            goto run;
        }
        /* Run pixels leave corr alone: the next contexts are whatever corr holds there. */
        for (unsigned c = 0; c < n; c++) {
            ctx[c] = corr[n * i + c];
        }
        /* Decode pixel i without testing it, in whichever loop holds it. */
        if (stop < end) {
            goto after_run_before_stop;
        }
        goto after_run_past_stop;
    }
#undef FILL_RUN
#undef RUN_STARTS_AT
#undef UPDATE_AT
#undef DECODE_AT
done:
    g->state = s;
    d->bits = r;
    return ok;
}

static QUIC_ALWAYS_INLINE bool decode_row(Decoder *d, unsigned gi, unsigned n, unsigned bpc,
                                          bool row0, bool runny, bool fast)
{
    QuicState *s = &d->groups[gi].state;
    size_t pos = 0;
    size_t left = d->width;
    while (s->wmidx < QUIC_WM_INDEX_MAX && s->wmileft <= left) {
        if (s->wmileft) {
            if (!decode_segment(d, gi, n, bpc, row0, runny, pos, pos + s->wmileft, (1u << s->wmidx) - 1,
                                fast)) {
                return false;
            }
            left -= s->wmileft;
            pos += s->wmileft;
        }
        quic_state_next_wm(s);
    }
    if (left) {
        if (!decode_segment(d, gi, n, bpc, row0, runny, pos, pos + left, (1u << s->wmidx) - 1, fast)) {
            return false;
        }
        if (s->wmidx < QUIC_WM_INDEX_MAX) {
            s->wmileft -= (unsigned)left;
        }
    }
    return true;
}

/* The row decoders: RGB (8 or 5 bits) or one channel (gray, or the alpha group), first row or
 * not, fast or checked reads. */
#define ROW_DECODER(name, gi, n, bpc, row0, fast) \
    static bool name(Decoder *d) { return decode_row(d, gi, n, bpc, row0, false, fast); }
#define ROW_DECODER_RUNNY(name, gi, n, bpc, fast) \
    static bool name##_runny(Decoder *d) { return decode_row(d, gi, n, bpc, false, true, fast); }
#define ROW_DECODERS(name, gi, n, bpc) \
    ROW_DECODER(name##_first, gi, n, bpc, true, false) \
    ROW_DECODER(name, gi, n, bpc, false, false) \
    ROW_DECODER(name##_first_fast, gi, n, bpc, true, true) \
    ROW_DECODER(name##_fast, gi, n, bpc, false, true) \
    ROW_DECODER_RUNNY(name, gi, n, bpc, false) \
    ROW_DECODER_RUNNY(name##_fast, gi, n, bpc, true)
ROW_DECODERS(decode_row_rgb, 0, 3, 8)
ROW_DECODERS(decode_row_rgb16, 0, 3, 5)
ROW_DECODERS(decode_row_one, 0, 1, 8)
ROW_DECODERS(decode_row_alpha, 1, 1, 8)
#undef ROW_DECODERS
#undef ROW_DECODER_RUNNY
#undef ROW_DECODER

/* The row decoders of the first group for one kind of image. */
typedef bool (*RowDecoder)(Decoder *d);
typedef struct RowDecoders {
    RowDecoder rgb_first, rgb_first_fast, rgb, rgb_fast, rgb_runny, rgb_fast_runny;
} RowDecoders;
#define ROW_DECODER_SET(name) \
    { name##_first, name##_first_fast, name, name##_fast, name##_runny, name##_fast_runny }
static const RowDecoders rows_rgb = ROW_DECODER_SET(decode_row_rgb);
static const RowDecoders rows_rgb16 = ROW_DECODER_SET(decode_row_rgb16);
static const RowDecoders rows_one = ROW_DECODER_SET(decode_row_one);
#undef ROW_DECODER_SET

/*
 * Most bytes one row can read, all groups: per pixel and channel a symbol of at most
 * QUIC_CODE_LIMIT bits, per pixel and group at most one run (a '0', up to 15 remainder bits,
 * and one '1' per pixel it covers; a longer run fails), plus the 32-bit window ahead.
 */
static size_t row_worst_bytes(uint32_t width, unsigned channels, unsigned groups)
{
    uint64_t bits = (uint64_t)width * (channels * QUIC_CODE_LIMIT + groups * 17) +
                    groups * 128 + 64;
    return (size_t)((bits + 7) / 8) + 8;
}

static inline uint8_t expand5(unsigned v)
{
    return (uint8_t)(v << 3 | v >> 2);
}

/* Writes row @y, decoded into the groups' key rows, into @dst. */
static void store_row(const Decoder *c, QuicImageType type, Pixbuf *dst, uint32_t y)
{
    uint8_t *row = pixbuf_row(dst, y);
    uint32_t w = c->width;
    const uint32_t *key = c->groups[0].cur_key;
    if (type == QUIC_IMAGE_TYPE_GRAY) {
        for (uint32_t x = 0; x < w; x++) {
            row[x] = (uint8_t)key[x];
        }
        return;
    }
    switch (dst->format) {
    case PIXBUF_FORMAT_RGB16:
        for (uint32_t x = 0; x < w; x++) {
            uint32_t k = key[x];
            uint32_t v = (k >> 16 & 0x1F) << 10 | (k >> 8 & 0x1F) << 5 | (k & 0x1F);
            row[2 * x] = (uint8_t)v;
            row[2 * x + 1] = (uint8_t)(v >> 8);
        }
        break;
    case PIXBUF_FORMAT_RGB24:
        for (uint32_t x = 0; x < w; x++, row += 3) {
            row[0] = (uint8_t)key[x];
            row[1] = (uint8_t)(key[x] >> 8);
            row[2] = (uint8_t)(key[x] >> 16);
        }
        break;
    default: {   /* XRGB32 / ARGB32 */
        const uint32_t *alpha = type == QUIC_IMAGE_TYPE_RGBA ? c->groups[1].cur_key : NULL;
        if (type == QUIC_IMAGE_TYPE_RGB16) {
            for (uint32_t x = 0; x < w; x++, row += 4) {
                row[0] = expand5(key[x] & 0x1F);
                row[1] = expand5(key[x] >> 8 & 0x1F);
                row[2] = expand5(key[x] >> 16 & 0x1F);
                row[3] = 0;
            }
            break;
        }
        /* The keys already hold B | G << 8 | R << 16 per pixel: one 32-bit store each. */
        for (uint32_t x = 0; x < w; x++) {
            uint32_t v = key[x] | (alpha ? alpha[x] << 24 : 0);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            v = __builtin_bswap32(v);
#endif
            memcpy(row + 4 * (size_t)x, &v, 4);
        }
        break;
    }
    }
}

/* Sets up @d for @type (valid) and @width pixels. CODEC_ERR_NO_MEMORY on failure. */
static CodecStatus decoder_init(Decoder *d, QuicImageType type, uint32_t width)
{
    memset(d, 0, sizeof(*d));
    QuicFamily *f = &d->family;
    quic_family_init(f, type == QUIC_IMAGE_TYPE_RGB16 ? 5 : 8);
    d->width = width;
    d->num_groups = type == QUIC_IMAGE_TYPE_RGBA ? 2 : 1;

    /* One block: per group two key rows, then the symbol rows. */
    size_t key_words = KEY_FRONT + (size_t)width + KEY_PAD;
    size_t corr_bytes[2] = { (type == QUIC_IMAGE_TYPE_GRAY ? 1 : 3) * ((size_t)width + 1),
                             (size_t)width + 1 };
    uint32_t *keys = calloc(1, d->num_groups * 2 * key_words * sizeof(uint32_t) + corr_bytes[0] +
                               corr_bytes[1]);
    if (keys == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    d->rows_mem = keys;
    uint8_t *corr = (uint8_t *)(keys + d->num_groups * 2 * key_words);
    for (unsigned g = 0; g < d->num_groups; g++) {
        DecoderGroup *group = &d->groups[g];
        quic_state_reset(&group->state);
        group->channels = g == 0 && type != QUIC_IMAGE_TYPE_GRAY ? 3 : 1;
        group->cur_key = keys + 2 * g * key_words + KEY_FRONT;
        group->prev_key = group->cur_key + key_words;
        group->corr = corr;
        corr += corr_bytes[g];
    }

    memset(d->k_of_ctx, (int)(f->bpc - 1), sizeof(d->k_of_ctx));   /* every bestcode starts there */
    memset(d->bestcode, (int)(f->bpc - 1), sizeof(d->bestcode));
    for (unsigned ctx = f->mask + 1; ctx-- > 0;) {
        d->bucket_first[f->bucket_of[ctx]] = (uint8_t)ctx;
        d->bucket_size[f->bucket_of[ctx]]++;
    }
    for (unsigned k = 0; k < QUIC_MAX_CODES; k++) {
        d->gr_min_window[k] = k < f->bpc ? (uint64_t)(f->gr_min_bits[k] + 1ull) << 32 : UINT64_MAX;
    }
    for (unsigned s = 0; s < QUIC_MELC_STATES; s++) {
        d->melc_sum[s + 1] = d->melc_sum[s] + (1u << quic_melc_len[s]);
    }
    return CODEC_OK;
}

/* Row start: swaps each group's key rows and sets the x = 0 contexts (see QuicPlane.corr). */
static void decoder_start_row(Decoder *d, uint32_t y)
{
    for (unsigned g = 0; g < d->num_groups; g++) {
        DecoderGroup *group = &d->groups[g];
        uint32_t *k = group->cur_key;
        group->cur_key = group->prev_key;
        group->prev_key = k;
        for (unsigned c = 0; c < group->channels; c++) {
            group->corr[c] = y == 0 ? 0 : group->corr[group->channels + c];
        }
    }
}

static bool dst_fits(QuicImageType type, PixbufFormat f)
{
    switch (type) {
    case QUIC_IMAGE_TYPE_GRAY: return f == PIXBUF_FORMAT_A8;
    case QUIC_IMAGE_TYPE_RGB16: return f == PIXBUF_FORMAT_RGB16 || f == PIXBUF_FORMAT_XRGB32;
    case QUIC_IMAGE_TYPE_RGB24:
    case QUIC_IMAGE_TYPE_RGB32:
        return f == PIXBUF_FORMAT_XRGB32 || f == PIXBUF_FORMAT_ARGB32 || f == PIXBUF_FORMAT_RGB24;
    case QUIC_IMAGE_TYPE_RGBA: return f == PIXBUF_FORMAT_ARGB32;
    case QUIC_IMAGE_TYPE_INVALID: break;
    }
    return false;
}

CodecStatus quic_decode(const uint8_t *data, size_t size, Pixbuf *dst, QuicHeader *out_header)
{
    QuicHeader h;
    CodecStatus st = quic_read_header(data, size, &h);
    if (out_header != NULL) {
        *out_header = h;
    }
    if (st != CODEC_OK) {
        return st;
    }
    if (dst == NULL || dst->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (dst->width != h.width || dst->height != h.height) {
        return CODEC_ERR_BAD_HEADER;
    }
    if (!dst_fits(h.type, dst->format)) {
        return CODEC_ERR_UNSUPPORTED;
    }
    Decoder d;
    st = decoder_init(&d, h.type, h.width);
    if (st != CODEC_OK) {
        return st;
    }
    size_t words = size / 4;
    d.bits = (BitReader){ data + QUIC_HEADER_SIZE, data + 4 * words, 0, 0, 0, false };
    refill(&d.bits);

    unsigned channels = h.type == QUIC_IMAGE_TYPE_GRAY ? 1 : h.type == QUIC_IMAGE_TYPE_RGBA ? 4 : 3;
    size_t fast_margin = row_worst_bytes(h.width, channels, d.num_groups);
    const RowDecoders *rows = h.type == QUIC_IMAGE_TYPE_GRAY ? &rows_one
                              : h.type == QUIC_IMAGE_TYPE_RGB16 ? &rows_rgb16 : &rows_rgb;
    /* Rows after one with at least a run per 32 pixels take the loop shaped for runs (see
     * decode_segment): dithered gradients, not photos (no runs) nor text (a few long ones). */
    size_t runny_rows = h.width / 32;
    for (uint32_t y = 0; y < h.height; y++) {
        decoder_start_row(&d, y);
        bool fast = (size_t)(d.bits.end - d.bits.p) >= fast_margin;
        bool runny = d.row_runs >= runny_rows;
        d.row_runs = 0;
        RowDecoder rgb = y == 0 ? (fast ? rows->rgb_first_fast : rows->rgb_first)
                       : runny ? (fast ? rows->rgb_fast_runny : rows->rgb_runny)
                               : (fast ? rows->rgb_fast : rows->rgb);
        bool ok = rgb(&d);
        if (ok && h.type == QUIC_IMAGE_TYPE_RGBA) {
            RowDecoder alpha = y == 0 ? (fast ? decode_row_alpha_first_fast : decode_row_alpha_first)
                             : runny ? (fast ? decode_row_alpha_fast_runny : decode_row_alpha_runny)
                                     : (fast ? decode_row_alpha_fast : decode_row_alpha);
            ok = alpha(&d);
        }
        if (!ok || d.bits.bad_symbol) {
            st = CODEC_ERR_CORRUPT;
            break;
        }
        if (overrun(&d.bits)) {
            st = CODEC_ERR_TRUNCATED;
            break;
        }
        store_row(&d, h.type, dst, y);
    }
    free(d.rows_mem);
    return st;
}

CodecStatus quic_decode_new(const uint8_t *data, size_t size, PixbufFormat format,
                            uint64_t max_pixels, Pixbuf *out, QuicHeader *out_header)
{
    QuicHeader h;
    memset(out, 0, sizeof(*out));
    CodecStatus st = quic_read_header(data, size, &h);
    if (out_header != NULL) {
        *out_header = h;
    }
    if (st != CODEC_OK) {
        return st;
    }
    if ((uint64_t)h.width * h.height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    if (!dst_fits(h.type, format)) {
        return CODEC_ERR_UNSUPPORTED;
    }
    /* Not zero-filled: @out is packed (no row padding), a successful decode stores every row
     * whole (store_row writes all row bytes of each accepted format, the 4th byte of 32-bit
     * pixels included), and on error @out is freed before anyone sees it.
     * tests/unit/test-decode-uninit.c checks this for every type and format on poisoned memory. */
    st = pixbuf_alloc_uninit(out, format, h.width, h.height);
    if (st == CODEC_OK) {
        st = quic_decode(data, size, out, NULL);
    }
    if (st != CODEC_OK) {
        pixbuf_free(out);
    }
    return st;
}
