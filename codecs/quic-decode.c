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

/*
 * Decoder-private state. The pixel loops never touch the model's per-plane byte rows: a group's
 * channel values live only in its packed key rows (B | G << 8 | R << 16 for RGB, the value for
 * one channel), which are also what store_row writes out, and its coded symbols in one packed
 * word per pixel (channel c in byte c). k_of_ctx caches each context's bucket's best code so
 * the per-symbol chain is one byte load instead of two dependent loads; it is rewritten
 * whenever a model update changes a bucket's best code.
 */
typedef struct Decoder {
    QuicCoder coder;
    BitReader bits;
    uint32_t *corr[2];                    /* per group, width + 1 words: see QuicPlane.corr */
    uint8_t k_of_ctx[QUIC_MAX_PLANES][256];
    uint8_t bucket_first[QUIC_MAX_CODES];   /* first context of each bucket */
    uint16_t bucket_size[QUIC_MAX_CODES];
    uint32_t gr_min_bits[QUIC_MAX_CODES];
} Decoder;

static QUIC_ALWAYS_INLINE unsigned read_symbol(BitReader *r, const Decoder *d, unsigned k,
                                               bool fast)
{
    const QuicFamily *f = &d->coder.family;
    uint64_t buf = r->buf;
    unsigned sym, len;
    if (LIKELY((uint32_t)(buf >> 32) > d->gr_min_bits[k])) {
        /* zeros, a one, k bits: the top len bits read as 1 << k | low, so the symbol is that
         * plus (zeros - 1) << k (mod 2^32 when zeros is 0) */
        unsigned zeros = (unsigned)__builtin_clzll(buf);
        len = zeros + 1 + k;
        sym = (unsigned)(buf >> (64 - len)) + ((zeros - 1) << k);
    } else {
        len = f->escape_len[k];
        sym = f->gr_count[k] + (unsigned)(buf >> (64 - len));
        if (sym > f->mask) {
            r->bad_symbol = true;   /* an escape value no encoder can produce */
            sym = 0;
        }
    }
    eat(r, len, fast);
    return sym;
}

/*
 * Decodes one pixel of @n channels at a packed prediction @pred; returns its packed value and
 * its packed symbols in @syms. ctx[c] is channel c's context on entry and its symbol on exit.
 */
static QUIC_ALWAYS_INLINE uint32_t decode_pixel(const Decoder *d, unsigned first_plane,
                                                unsigned n, BitReader *r, unsigned *ctx,
                                                uint32_t pred, uint32_t *syms, bool fast)
{
    const QuicFamily *f = &d->coder.family;
    uint32_t value = 0, packed = 0;
    for (unsigned c = 0; c < n; c++) {
        unsigned shift = 8 * (n - 1 - c);
        unsigned k = d->k_of_ctx[first_plane + c][ctx[c]];
        unsigned sym = read_symbol(r, d, k, fast);
        ctx[c] = sym;
        packed |= sym << (8 * c);
        value |= ((f->unfold[sym] + (pred >> shift)) & f->mask) << shift;
    }
    *syms = packed;
    return value;
}

/* Per-byte floor((a + b) / 2) of two packed pixels (channel values are at most 8 bits). */
static QUIC_ALWAYS_INLINE uint32_t average_bytes(uint32_t a, uint32_t b)
{
    return (a & b) + (((a ^ b) >> 1) & 0x7F7F7F7Fu);
}

/* Model update of every channel at a pixel whose context word is @ctxs and symbols @syms. */
static void update_model(Decoder *d, const QuicGroup *g, unsigned first_plane, unsigned n,
                         uint32_t ctxs, uint32_t syms)
{
    const QuicFamily *f = &d->coder.family;
    for (unsigned c = 0; c < n; c++) {
        unsigned bucket = f->bucket_of[(ctxs >> (8 * c)) & 0xFF];
        QuicBucket *b = &g->planes[c]->buckets[bucket];
        unsigned old = b->bestcode;
        quic_update_bucket(f, &g->state, b, (syms >> (8 * c)) & 0xFF);
        if (b->bestcode != old) {
            memset(&d->k_of_ctx[first_plane + c][d->bucket_first[bucket]], (int)b->bestcode,
                   d->bucket_size[bucket]);
        }
    }
}

/* Sum of the run lengths of @hits consecutive hits from MELCODE state @state, and the state. */
static QUIC_ALWAYS_INLINE size_t melc_hits(QuicState *s, unsigned hits)
{
    size_t run = 0;
    for (unsigned h = 0; h < hits; h++) {
        run += s->melcorder;
        quic_melc_up(s);
    }
    return run;
}

/* Reads a run length (see put_run in quic-encode.c); false if it cannot fit in @max. */
static QUIC_ALWAYS_INLINE bool read_run(BitReader *r, QuicState *s, size_t max,
                                        size_t *out_len, bool fast)
{
    size_t run = 0;
    for (;;) {
        uint32_t bits = peek32(r);
        unsigned ones = bits == 0xFFFFFFFFu ? 32 : (unsigned)__builtin_clz(~bits);
        run += melc_hits(s, ones);
        if (run > max) {
            return false;
        }
        if (ones < 32) {
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
static QUIC_ALWAYS_INLINE bool decode_segment(Decoder *d, unsigned gi, unsigned n, bool row0,
                                              size_t i, size_t end, unsigned waitmask,
                                              bool fast)
{
    QuicGroup *g = &d->coder.groups[gi];
    unsigned first_plane = gi == 0 ? 0 : 3;
    uint32_t *corr = d->corr[gi];
    uint32_t *key = g->cur_key;
    const uint32_t *up = g->prev_key;
    unsigned ctx[3];
    for (unsigned c = 0; c < n; c++) {
        ctx[c] = (corr[i] >> (8 * c)) & 0xFF;
    }
    uint32_t left = i ? key[i - 1] : 0;
    QuicState s = g->state;
    BitReader r = d->bits;
    size_t stop;
    size_t run_index = 0;
    bool ok = true;
    uint32_t syms;

#define UPDATE_AT(x) \
    do { \
        g->state = s; \
        update_model(d, g, first_plane, n, corr[x], corr[(x) + 1]); \
    } while (0)

    if (i == 0) {
        left = decode_pixel(d, first_plane, n, &r, ctx, row0 ? 0 : up[0], &syms, fast);
        key[0] = left;
        corr[1] = syms;
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
                left = decode_pixel(d, first_plane, n, &r, ctx, left, &syms, fast);
                key[i] = left;
                corr[i + 1] = syms;
            }
            UPDATE_AT(stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            left = decode_pixel(d, first_plane, n, &r, ctx, left, &syms, fast);
            key[i] = left;
            corr[i + 1] = syms;
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;
    }

#define RUN_STARTS_AT(i) \
    ((i) > 2 && up[(i) - 1] == up[i] && run_index != (i) && left == key[(i) - 2])

    for (;;) {
        while (stop < end) {
            for (; i <= stop; i++) {
                if (RUN_STARTS_AT(i)) {
                    goto run;
                }
                left = decode_pixel(d, first_plane, n, &r, ctx, average_bytes(left, up[i]),
                                    &syms, fast);
                key[i] = left;
                corr[i + 1] = syms;
            }
            UPDATE_AT(stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            if (RUN_STARTS_AT(i)) {
                goto run;
            }
            left = decode_pixel(d, first_plane, n, &r, ctx, average_bytes(left, up[i]), &syms,
                                fast);
            key[i] = left;
            corr[i + 1] = syms;
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;

run:
        s.waitcnt = (unsigned)(stop - i);
        run_index = i;
        size_t run_len;
        if (!read_run(&r, &s, end - i, &run_len, fast)) {
            ok = false;
            goto done;
        }
        for (size_t run_end = i + run_len; i < run_end; i++) {
            key[i] = left;
        }
        if (i == end) {
            goto done;
        }
        /* Run pixels leave corr alone: the next contexts are whatever corr[i] holds. */
        for (unsigned c = 0; c < n; c++) {
            ctx[c] = (corr[i] >> (8 * c)) & 0xFF;
        }
        stop = i + s.waitcnt;
    }
#undef RUN_STARTS_AT
#undef UPDATE_AT
done:
    g->state = s;
    d->bits = r;
    return ok;
}

static QUIC_ALWAYS_INLINE bool decode_row(Decoder *d, unsigned gi, unsigned n, bool row0,
                                          bool fast)
{
    QuicState *s = &d->coder.groups[gi].state;
    size_t pos = 0;
    size_t left = d->coder.width;
    while (s->wmidx < QUIC_WM_INDEX_MAX && s->wmileft <= left) {
        if (s->wmileft) {
            if (!decode_segment(d, gi, n, row0, pos, pos + s->wmileft, (1u << s->wmidx) - 1,
                                fast)) {
                return false;
            }
            left -= s->wmileft;
            pos += s->wmileft;
        }
        quic_state_next_wm(s);
    }
    if (left) {
        if (!decode_segment(d, gi, n, row0, pos, pos + left, (1u << s->wmidx) - 1, fast)) {
            return false;
        }
        if (s->wmidx < QUIC_WM_INDEX_MAX) {
            s->wmileft -= (unsigned)left;
        }
    }
    return true;
}

/* The row decoders: RGB or one channel (gray, or the alpha group), first row or not, fast or
 * checked reads. */
#define ROW_DECODER(name, gi, n, row0, fast) \
    static bool name(Decoder *d) { return decode_row(d, gi, n, row0, fast); }
ROW_DECODER(decode_row_rgb_first, 0, 3, true, false)
ROW_DECODER(decode_row_rgb, 0, 3, false, false)
ROW_DECODER(decode_row_one_first, 0, 1, true, false)
ROW_DECODER(decode_row_one, 0, 1, false, false)
ROW_DECODER(decode_row_alpha_first, 1, 1, true, false)
ROW_DECODER(decode_row_alpha, 1, 1, false, false)
ROW_DECODER(decode_row_rgb_first_fast, 0, 3, true, true)
ROW_DECODER(decode_row_rgb_fast, 0, 3, false, true)
ROW_DECODER(decode_row_one_first_fast, 0, 1, true, true)
ROW_DECODER(decode_row_one_fast, 0, 1, false, true)
ROW_DECODER(decode_row_alpha_first_fast, 1, 1, true, true)
ROW_DECODER(decode_row_alpha_fast, 1, 1, false, true)
#undef ROW_DECODER

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
static void store_row(const QuicCoder *c, QuicImageType type, Pixbuf *dst, uint32_t y)
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

/* Sets up the decoder-private state next to @d->coder (already initialised). */
static CodecStatus decoder_init(Decoder *d)
{
    const QuicFamily *f = &d->coder.family;
    size_t words = (size_t)d->coder.width + 1;
    uint32_t *corr = calloc(d->coder.num_groups * words, sizeof(uint32_t));
    if (corr == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    d->corr[0] = corr;
    d->corr[1] = d->coder.num_groups > 1 ? corr + words : NULL;
    memset(d->k_of_ctx, (int)(f->bpc - 1), sizeof(d->k_of_ctx));   /* every bestcode starts there */
    for (unsigned b = 0; b < QUIC_MAX_CODES; b++) {
        d->bucket_size[b] = 0;
        d->bucket_first[b] = 0;
    }
    for (unsigned ctx = f->mask + 1; ctx-- > 0;) {
        d->bucket_first[f->bucket_of[ctx]] = (uint8_t)ctx;
        d->bucket_size[f->bucket_of[ctx]]++;
    }
    for (unsigned k = 0; k < QUIC_MAX_CODES; k++) {
        d->gr_min_bits[k] = k < f->bpc ? f->gr_min_bits[k] : UINT32_MAX;
    }
    return CODEC_OK;
}

/* Row start: swaps each group's key rows and sets the x = 0 contexts (see QuicPlane.corr). */
static void decoder_start_row(Decoder *d, uint32_t y)
{
    for (unsigned g = 0; g < d->coder.num_groups; g++) {
        QuicGroup *group = &d->coder.groups[g];
        uint32_t *k = group->cur_key;
        group->cur_key = group->prev_key;
        group->prev_key = k;
        d->corr[g][0] = y == 0 ? 0 : d->corr[g][1];
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
    st = quic_coder_init(&d.coder, h.type, h.width);
    if (st != CODEC_OK) {
        return st;
    }
    st = decoder_init(&d);
    if (st != CODEC_OK) {
        quic_coder_finish(&d.coder);
        return st;
    }
    size_t words = size / 4;
    d.bits = (BitReader){ data + QUIC_HEADER_SIZE, data + 4 * words, 0, 0, 0, false };
    refill(&d.bits);

    unsigned channels = h.type == QUIC_IMAGE_TYPE_GRAY ? 1 : h.type == QUIC_IMAGE_TYPE_RGBA ? 4 : 3;
    size_t fast_margin = row_worst_bytes(h.width, channels, d.coder.num_groups);
    for (uint32_t y = 0; y < h.height; y++) {
        decoder_start_row(&d, y);
        bool fast = (size_t)(d.bits.end - d.bits.p) >= fast_margin;
        bool ok;
        if (h.type == QUIC_IMAGE_TYPE_GRAY) {
            ok = fast ? (y == 0 ? decode_row_one_first_fast : decode_row_one_fast)(&d)
                      : (y == 0 ? decode_row_one_first : decode_row_one)(&d);
        } else {
            ok = fast ? (y == 0 ? decode_row_rgb_first_fast : decode_row_rgb_fast)(&d)
                      : (y == 0 ? decode_row_rgb_first : decode_row_rgb)(&d);
            if (ok && h.type == QUIC_IMAGE_TYPE_RGBA) {
                ok = fast ? (y == 0 ? decode_row_alpha_first_fast : decode_row_alpha_fast)(&d)
                          : (y == 0 ? decode_row_alpha_first : decode_row_alpha)(&d);
            }
        }
        if (!ok || d.bits.bad_symbol) {
            st = CODEC_ERR_CORRUPT;
            break;
        }
        if (overrun(&d.bits)) {
            st = CODEC_ERR_TRUNCATED;
            break;
        }
        store_row(&d.coder, h.type, dst, y);
    }
    free(d.corr[0]);
    quic_coder_finish(&d.coder);
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
    st = pixbuf_alloc(out, format, h.width, h.height);
    if (st == CODEC_OK) {
        st = quic_decode(data, size, out, NULL);
    }
    if (st != CODEC_OK) {
        pixbuf_free(out);
    }
    return st;
}
