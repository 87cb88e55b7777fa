/* quic-decode: bounds-checked QUIC decoder mirroring the encoder's model step for step. */
#include "codecs/quic.h"

#include <string.h>

#include "codecs/quic-model.h"

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

typedef struct Decoder {
    QuicCoder coder;
    BitReader bits;
} Decoder;

static QUIC_ALWAYS_INLINE unsigned read_symbol(BitReader *r, const QuicFamily *f, unsigned k,
                                               bool fast)
{
    uint32_t bits = peek32(r);
    unsigned sym, len;
    if (bits > f->gr_min_bits[k]) {
        unsigned zeros = (unsigned)__builtin_clz(bits);
        len = zeros + 1 + k;
        sym = zeros << k | ((bits >> (32 - len)) & ((1u << k) - 1));
    } else {
        len = f->escape_len[k];
        sym = f->gr_count[k] + ((bits >> (32 - len)) & f->suffix_mask[k]);
        if (sym > f->mask) {
            r->bad_symbol = true;   /* an escape value no encoder can produce */
            sym = 0;
        }
    }
    eat(r, len, fast);
    return sym;
}

/*
 * One channel as the pixel loop sees it: pointers, and in registers the previous symbol (the
 * next pixel's context) and the left value. The loops keep these and the bit reader in locals:
 * the row stores are uint8_t and may alias any object, so state left in memory would be
 * reloaded after every store.
 */
typedef struct Lane {
    uint8_t *cur;
    const uint8_t *prev;
    uint8_t *corr;
    QuicBucket *buckets;
    unsigned ctx;    /* corr[i]: context of the next pixel */
    unsigned left;   /* cur[i - 1] */
} Lane;

static QUIC_ALWAYS_INLINE void decode_pixel(const QuicFamily *f, Lane *lanes, unsigned n,
                                            BitReader *r, uint32_t *key, size_t i, bool row0,
                                            bool first, bool fast)
{
    uint32_t packed = 0;
    for (unsigned c = 0; c < n; c++) {
        Lane *l = &lanes[c];
        unsigned k = l->buckets[f->bucket_of[l->ctx]].bestcode;
        unsigned sym = read_symbol(r, f, k, fast);
        l->corr[i + 1] = (uint8_t)sym;
        l->ctx = sym;
        unsigned pred;
        if (row0) {
            pred = first ? 0 : l->left;
        } else {
            pred = first ? l->prev[0] : (l->left + l->prev[i]) >> 1;
        }
        unsigned v = (f->unfold[sym] + pred) & f->mask;
        l->cur[i] = (uint8_t)v;
        l->left = v;
        packed |= v << (8 * (n - 1 - c));   /* B | G << 8 | R << 16, as stored */
    }
    key[i] = packed;
}

static QUIC_ALWAYS_INLINE void update_model(const QuicFamily *f, const QuicState *s,
                                            const Lane *lanes, unsigned n, size_t i)
{
    for (unsigned c = 0; c < n; c++) {
        const Lane *l = &lanes[c];
        quic_update_bucket(f, s, &l->buckets[f->bucket_of[l->corr[i]]], l->corr[i + 1]);
    }
}

/* Reads a run length (see put_run in quic-encode.c); false if it cannot fit in @max. */
static QUIC_ALWAYS_INLINE bool read_run(BitReader *r, QuicState *s, size_t max,
                                        size_t *out_len, bool fast)
{
    size_t run = 0;
    for (;;) {
        uint32_t bits = peek32(r);
        unsigned ones = bits == 0xFFFFFFFFu ? 32 : (unsigned)__builtin_clz(~bits);
        for (unsigned h = 0; h < ones; h++) {
            run += s->melcorder;
            quic_melc_up(s);
        }
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
static QUIC_ALWAYS_INLINE bool decode_segment(Decoder *d, QuicGroup *g, unsigned n, bool row0,
                                              size_t i, size_t end, unsigned waitmask,
                                              bool fast)
{
    const QuicFamily *f = &d->coder.family;
    Lane lanes[3];
    for (unsigned c = 0; c < n; c++) {
        QuicPlane *p = g->planes[c];
        lanes[c] = (Lane){ p->cur, p->prev, p->corr, p->buckets, p->corr[i],
                           i ? p->cur[i - 1] : 0 };
    }
    QuicState s = g->state;
    BitReader r = d->bits;
    uint32_t *key = g->cur_key;
    const uint32_t *up = g->prev_key;
    size_t stop;
    size_t run_index = 0;
    bool ok = true;

    if (i == 0) {
        decode_pixel(f, lanes, n, &r, key, 0, row0, true, fast);
        if (s.waitcnt) {
            s.waitcnt--;
        } else {
            s.waitcnt = quic_tabrand(&s) & waitmask;
            update_model(f, &s, lanes, n, 0);
        }
        stop = ++i + s.waitcnt;
    } else {
        stop = i + s.waitcnt;
    }

    if (row0) {
        while (stop < end) {
            for (; i <= stop; i++) {
                decode_pixel(f, lanes, n, &r, key, i, true, false, fast);
            }
            update_model(f, &s, lanes, n, stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            decode_pixel(f, lanes, n, &r, key, i, true, false, fast);
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;
    }

#define RUN_STARTS_AT(i) \
    ((i) > 2 && up[(i) - 1] == up[i] && run_index != (i) && key[(i) - 1] == key[(i) - 2])

    for (;;) {
        while (stop < end) {
            for (; i <= stop; i++) {
                if (RUN_STARTS_AT(i)) {
                    goto run;
                }
                decode_pixel(f, lanes, n, &r, key, i, false, false, fast);
            }
            update_model(f, &s, lanes, n, stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            if (RUN_STARTS_AT(i)) {
                goto run;
            }
            decode_pixel(f, lanes, n, &r, key, i, false, false, fast);
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
        uint32_t value = key[i - 1];
        for (size_t run_end = i + run_len; i < run_end; i++) {
            for (unsigned c = 0; c < n; c++) {
                lanes[c].cur[i] = (uint8_t)lanes[c].left;
            }
            key[i] = value;
        }
        if (i == end) {
            goto done;
        }
        /* Run pixels leave corr alone: the next context is whatever corr[i] holds. */
        for (unsigned c = 0; c < n; c++) {
            lanes[c].ctx = lanes[c].corr[i];
        }
        stop = i + s.waitcnt;
    }
#undef RUN_STARTS_AT
done:
    g->state = s;
    d->bits = r;
    return ok;
}

static QUIC_ALWAYS_INLINE bool decode_row(Decoder *d, QuicGroup *g, unsigned n, bool row0,
                                          bool fast)
{
    QuicState *s = &g->state;
    size_t pos = 0;
    size_t left = d->coder.width;
    while (s->wmidx < QUIC_WM_INDEX_MAX && s->wmileft <= left) {
        if (s->wmileft) {
            if (!decode_segment(d, g, n, row0, pos, pos + s->wmileft, (1u << s->wmidx) - 1,
                                fast)) {
                return false;
            }
            left -= s->wmileft;
            pos += s->wmileft;
        }
        quic_state_next_wm(s);
    }
    if (left) {
        if (!decode_segment(d, g, n, row0, pos, pos + left, (1u << s->wmidx) - 1, fast)) {
            return false;
        }
        if (s->wmidx < QUIC_WM_INDEX_MAX) {
            s->wmileft -= (unsigned)left;
        }
    }
    return true;
}

/* The eight row decoders: RGB or one channel, first row or not, fast or checked reads. */
#define ROW_DECODER(name, n, row0, fast) \
    static bool name(Decoder *d, QuicGroup *g) { return decode_row(d, g, n, row0, fast); }
ROW_DECODER(decode_row_rgb_first, 3, true, false)
ROW_DECODER(decode_row_rgb, 3, false, false)
ROW_DECODER(decode_row_one_first, 1, true, false)
ROW_DECODER(decode_row_one, 1, false, false)
ROW_DECODER(decode_row_rgb_first_fast, 3, true, true)
ROW_DECODER(decode_row_rgb_fast, 3, false, true)
ROW_DECODER(decode_row_one_first_fast, 1, true, true)
ROW_DECODER(decode_row_one_fast, 1, false, true)
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

/* Writes the decoded planes of row @y into @dst. */
static void store_row(const QuicCoder *c, QuicImageType type, Pixbuf *dst, uint32_t y)
{
    uint8_t *row = pixbuf_row(dst, y);
    uint32_t w = c->width;
    if (type == QUIC_IMAGE_TYPE_GRAY) {
        memcpy(row, c->planes[0].cur, w);
        return;
    }
    const uint8_t *r = c->planes[0].cur, *g = c->planes[1].cur, *b = c->planes[2].cur;
    switch (dst->format) {
    case PIXBUF_FORMAT_RGB16:
        for (uint32_t x = 0; x < w; x++) {
            uint32_t v = (uint32_t)r[x] << 10 | (uint32_t)g[x] << 5 | b[x];
            row[2 * x] = (uint8_t)v;
            row[2 * x + 1] = (uint8_t)(v >> 8);
        }
        break;
    case PIXBUF_FORMAT_RGB24:
        for (uint32_t x = 0; x < w; x++, row += 3) {
            row[0] = b[x];
            row[1] = g[x];
            row[2] = r[x];
        }
        break;
    default: {   /* XRGB32 / ARGB32 */
        const uint8_t *a = type == QUIC_IMAGE_TYPE_RGBA ? c->planes[3].cur : NULL;
        bool five = type == QUIC_IMAGE_TYPE_RGB16;
        if (a == NULL && !five) {
            /* The common case: the run keys already hold B | G << 8 | R << 16 per pixel,
             * so each pixel is one 32-bit store. */
            const uint32_t *key = c->groups[0].cur_key;
            for (uint32_t x = 0; x < w; x++) {
                uint32_t v = key[x];
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                v = __builtin_bswap32(v);
#endif
                memcpy(row + 4 * (size_t)x, &v, 4);
            }
            break;
        }
        for (uint32_t x = 0; x < w; x++, row += 4) {
            row[0] = five ? expand5(b[x]) : b[x];
            row[1] = five ? expand5(g[x]) : g[x];
            row[2] = five ? expand5(r[x]) : r[x];
            row[3] = a ? a[x] : 0;
        }
        break;
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
    st = quic_coder_init(&d.coder, h.type, h.width);
    if (st != CODEC_OK) {
        return st;
    }
    size_t words = size / 4;
    d.bits = (BitReader){ data + QUIC_HEADER_SIZE, data + 4 * words, 0, 0, 0, false };
    refill(&d.bits);

    unsigned channels = h.type == QUIC_IMAGE_TYPE_GRAY ? 1 : h.type == QUIC_IMAGE_TYPE_RGBA ? 4 : 3;
    size_t fast_margin = row_worst_bytes(h.width, channels, d.coder.num_groups);
    for (uint32_t y = 0; y < h.height; y++) {
        quic_coder_start_row(&d.coder, y);
        QuicGroup *g = &d.coder.groups[0];
        bool fast = (size_t)(d.bits.end - d.bits.p) >= fast_margin;
        bool ok;
        if (h.type == QUIC_IMAGE_TYPE_GRAY) {
            ok = fast ? (y == 0 ? decode_row_one_first_fast : decode_row_one_fast)(&d, g)
                      : (y == 0 ? decode_row_one_first : decode_row_one)(&d, g);
        } else {
            ok = fast ? (y == 0 ? decode_row_rgb_first_fast : decode_row_rgb_fast)(&d, g)
                      : (y == 0 ? decode_row_rgb_first : decode_row_rgb)(&d, g);
            if (ok && h.type == QUIC_IMAGE_TYPE_RGBA) {
                QuicGroup *ga = &d.coder.groups[1];
                ok = fast ? (y == 0 ? decode_row_one_first_fast : decode_row_one_fast)(&d, ga)
                          : (y == 0 ? decode_row_one_first : decode_row_one)(&d, ga);
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
