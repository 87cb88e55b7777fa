/* quic-encode: QUIC encoder producing spice-common's bitstream bit for bit. */
#include "codecs/quic.h"

#include <string.h>

#include "codecs/quic-model.h"

/* Bits accumulate most-significant first; each full 32-bit word is stored little-endian. */
typedef struct BitWriter {
    uint8_t *p;
    uint8_t *end;
    uint64_t acc;
    unsigned pending;   /* bits in acc not yet stored, < 32 between calls */
} BitWriter;

/*
 * Branch-free: the candidate word is stored at p every time and p advances only once 32 bits
 * are pending (a partial word is rewritten later). The caller guarantees 4 writable bytes at p
 * (quic_encode checks a whole row's worst case before coding it). @len <= 32.
 */
static QUIC_ALWAYS_INLINE void put_bits(BitWriter *w, uint32_t code, unsigned len)
{
    uint64_t acc = w->acc << len | code;
    unsigned pending = w->pending + len;
    uint32_t word = (uint32_t)(acc >> (pending & 31));
    uint8_t *p = w->p;
    p[0] = (uint8_t)word;
    p[1] = (uint8_t)(word >> 8);
    p[2] = (uint8_t)(word >> 16);
    p[3] = (uint8_t)(word >> 24);
    w->p = p + ((pending >> 5) << 2);
    w->pending = pending & 31;
    w->acc = acc;
}

static void put_ones(BitWriter *w, unsigned n)
{
    for (; n >= 32; n -= 32) {
        put_bits(w, 0xFFFFFFFFu, 32);
    }
    if (n) {
        put_bits(w, (1u << n) - 1, n);
    }
}

/* The run coder: one '1' per full block of 2^melclen pixels (raising the state), then a '0'
 * and the remainder in melclen bits; the state drops by one after each run. */
static void put_run(BitWriter *w, QuicState *s, unsigned run)
{
    unsigned hits = 0;
    while (run >= s->melcorder) {
        hits++;
        run -= s->melcorder;
        quic_melc_up(s);
    }
    put_ones(w, hits);
    put_bits(w, run, s->melclen + 1);
    quic_melc_down(s);
}

typedef struct Encoder {
    QuicCoder coder;
    BitWriter bits;
} Encoder;

/*
 * One channel as the pixel loop sees it. The loops work on local copies of these pointers, of
 * the bit writer and of the wait/run state: the row stores are uint8_t, which may alias any
 * object, so state left in memory would be reloaded after every store.
 */
typedef struct Lane {
    const uint8_t *cur;
    const uint8_t *prev;
    uint8_t *corr;
    QuicBucket *buckets;
} Lane;

/* Codes pixel @i of every lane. Predictions: 0 (first pixel of the image), left (rest of
 * row 0), above (x = 0), else the average of left and above. */
static QUIC_ALWAYS_INLINE void code_pixel(const QuicFamily *f, const Lane *lanes, unsigned n,
                                          BitWriter *w, size_t i, bool row0, bool first)
{
    for (unsigned c = 0; c < n; c++) {
        const Lane *l = &lanes[c];
        unsigned pred;
        if (row0) {
            pred = first ? 0 : l->cur[i - 1];
        } else {
            pred = first ? l->prev[0] : (unsigned)(l->cur[i - 1] + l->prev[i]) >> 1;
        }
        unsigned sym = f->fold[(l->cur[i] - pred) & f->mask];
        unsigned k = l->buckets[f->bucket_of[l->corr[i]]].bestcode;
        l->corr[i + 1] = (uint8_t)sym;
        unsigned packed = f->code_packed[sym][k];
        put_bits(w, packed & 0xFF, packed >> 8);
    }
}

static QUIC_ALWAYS_INLINE void update_model(const QuicFamily *f, const QuicState *s,
                                            const Lane *lanes, unsigned n, size_t i)
{
    for (unsigned c = 0; c < n; c++) {
        const Lane *l = &lanes[c];
        quic_update_bucket(f, s, &l->buckets[f->bucket_of[l->corr[i]]], l->corr[i + 1]);
    }
}

/*
 * Codes pixels [i, end) of one row segment. The model is updated only at "stop" pixels spaced
 * by pseudo-random waits below @waitmask; the wait carries over between segments and rows. On
 * rows after the first, a pixel whose left neighbours repeat while the row above is flat starts
 * a run of copies of the left pixel, coded by length and ending at the segment end.
 */
static QUIC_ALWAYS_INLINE void code_segment(Encoder *e, QuicGroup *g, unsigned n, bool row0,
                                            size_t i, size_t end, unsigned waitmask)
{
    const QuicFamily *f = &e->coder.family;
    Lane lanes[3];
    for (unsigned c = 0; c < n; c++) {
        QuicPlane *p = g->planes[c];
        lanes[c] = (Lane){ p->cur, p->prev, p->corr, p->buckets };
    }
    QuicState s = g->state;
    BitWriter w = e->bits;
    const uint32_t *key = g->cur_key;
    const uint32_t *up = g->prev_key;
    size_t stop;
    size_t run_index = 0;

    if (i == 0) {
        code_pixel(f, lanes, n, &w, 0, row0, true);
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
                code_pixel(f, lanes, n, &w, i, true, false);
            }
            update_model(f, &s, lanes, n, stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            code_pixel(f, lanes, n, &w, i, true, false);
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
                code_pixel(f, lanes, n, &w, i, false, false);
            }
            update_model(f, &s, lanes, n, stop);
            stop = i + (quic_tabrand(&s) & waitmask);
        }
        for (; i < end; i++) {
            if (RUN_STARTS_AT(i)) {
                goto run;
            }
            code_pixel(f, lanes, n, &w, i, false, false);
        }
        s.waitcnt = (unsigned)(stop - end);
        goto done;

run:
        run_index = i;
        s.waitcnt = (unsigned)(stop - i);
        size_t run_start = i;
        i = quic_run_end(key, i, end, key[i - 1]);
        put_run(&w, &s, (unsigned)(i - run_start));
        if (i == end) {
            goto done;
        }
        stop = i + s.waitcnt;
    }
#undef RUN_STARTS_AT
done:
    g->state = s;
    e->bits = w;
}

/* Splits a row where the wait mask index changes (every QUIC_WM_NEXT pixels, up to the max). */
static QUIC_ALWAYS_INLINE void code_row(Encoder *e, QuicGroup *g, unsigned n, bool row0)
{
    QuicState *s = &g->state;
    size_t pos = 0;
    size_t left = e->coder.width;
    while (s->wmidx < QUIC_WM_INDEX_MAX && s->wmileft <= left) {
        if (s->wmileft) {
            code_segment(e, g, n, row0, pos, pos + s->wmileft, (1u << s->wmidx) - 1);
            left -= s->wmileft;
            pos += s->wmileft;
        }
        quic_state_next_wm(s);
    }
    if (left) {
        code_segment(e, g, n, row0, pos, pos + left, (1u << s->wmidx) - 1);
        if (s->wmidx < QUIC_WM_INDEX_MAX) {
            s->wmileft -= (unsigned)left;
        }
    }
}

static void code_row_rgb_first(Encoder *e, QuicGroup *g) { code_row(e, g, 3, true); }
static void code_row_rgb(Encoder *e, QuicGroup *g) { code_row(e, g, 3, false); }
static void code_row_one_first(Encoder *e, QuicGroup *g) { code_row(e, g, 1, true); }
static void code_row_one(Encoder *e, QuicGroup *g) { code_row(e, g, 1, false); }

static inline uint32_t le32_to_host(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
}

/* Splits source row @y into planes and run keys. */
static void load_row(QuicCoder *c, const Pixbuf *src, uint32_t y, QuicImageType type)
{
    const uint8_t *row = pixbuf_row(src, y);
    uint32_t w = c->width;
    if (type == QUIC_IMAGE_TYPE_GRAY) {
        QuicGroup *g = &c->groups[0];
        memcpy(g->planes[0]->cur, row, w);
        for (uint32_t x = 0; x < w; x++) {
            g->cur_key[x] = row[x];
        }
        return;
    }
    QuicGroup *g = &c->groups[0];
    uint8_t *r = g->planes[0]->cur, *gr = g->planes[1]->cur, *b = g->planes[2]->cur;
    switch (type) {
    case QUIC_IMAGE_TYPE_RGB16:
        for (uint32_t x = 0; x < w; x++) {
            uint32_t v = (uint32_t)row[2 * x] | (uint32_t)row[2 * x + 1] << 8;
            r[x] = v >> 10 & 31;
            gr[x] = v >> 5 & 31;
            b[x] = v & 31;
            g->cur_key[x] = v & 0x7FFF;
        }
        break;
    case QUIC_IMAGE_TYPE_RGB24:
        for (uint32_t x = 0; x < w; x++, row += 3) {
            b[x] = row[0];
            gr[x] = row[1];
            r[x] = row[2];
            g->cur_key[x] = (uint32_t)row[0] | (uint32_t)row[1] << 8 | (uint32_t)row[2] << 16;
        }
        break;
    default: {   /* RGB32 and RGBA: 4-byte pixels */
        QuicGroup *ga = c->num_groups > 1 ? &c->groups[1] : NULL;
        uint8_t *a = ga ? ga->planes[0]->cur : NULL;
        if (ga == NULL) {
            /* One 32-bit load per pixel, every pointer in a local (a byte store may alias
             * g->cur_key, which the generic loop reloaded per pixel): on text pages this
             * split was ~40% of the encoder's own time. */
            uint32_t *key = g->cur_key;
            for (uint32_t x = 0; x < w; x++) {
                uint32_t v;
                memcpy(&v, row + 4 * (size_t)x, 4);
                v = le32_to_host(v) & 0x00FFFFFFu;
                b[x] = (uint8_t)v;
                gr[x] = (uint8_t)(v >> 8);
                r[x] = (uint8_t)(v >> 16);
                key[x] = v;
            }
            break;
        }
        for (uint32_t x = 0; x < w; x++, row += 4) {
            b[x] = row[0];
            gr[x] = row[1];
            r[x] = row[2];
            g->cur_key[x] = (uint32_t)row[0] | (uint32_t)row[1] << 8 | (uint32_t)row[2] << 16;
            if (ga) {
                a[x] = row[3];
                ga->cur_key[x] = row[3];
            }
        }
        break;
    }
    }
}

QuicImageType quic_image_type_for_format(PixbufFormat format)
{
    switch (format) {
    case PIXBUF_FORMAT_A8: return QUIC_IMAGE_TYPE_GRAY;
    case PIXBUF_FORMAT_RGB16: return QUIC_IMAGE_TYPE_RGB16;
    case PIXBUF_FORMAT_RGB24: return QUIC_IMAGE_TYPE_RGB24;
    case PIXBUF_FORMAT_XRGB32: return QUIC_IMAGE_TYPE_RGB32;
    case PIXBUF_FORMAT_ARGB32: return QUIC_IMAGE_TYPE_RGBA;
    default: return QUIC_IMAGE_TYPE_INVALID;
    }
}

/* Worst-case bits per pixel: 26 per channel plus, per coding group, a run that ends there
 * (at most 16 bits, plus one hit bit per pixel it covers). */
static unsigned worst_bits_per_pixel(QuicImageType type)
{
    switch (type) {
    case QUIC_IMAGE_TYPE_GRAY: return 26 + 18;
    case QUIC_IMAGE_TYPE_RGB16:
    case QUIC_IMAGE_TYPE_RGB24:
    case QUIC_IMAGE_TYPE_RGB32: return 3 * 26 + 18;
    case QUIC_IMAGE_TYPE_RGBA: return 3 * 26 + 18 + 26 + 18;
    case QUIC_IMAGE_TYPE_INVALID: break;
    }
    return 0;
}

size_t quic_encode_bound(QuicImageType type, uint32_t width, uint32_t height)
{
    unsigned bpp = worst_bits_per_pixel(type);
    if (bpp == 0 || width > PIXBUF_MAX_DIMENSION || height > PIXBUF_MAX_DIMENSION ||
        (uint64_t)width * height * 4 > PIXBUF_MAX_BYTES) {
        return 0;
    }
    uint64_t bits = (uint64_t)width * height * bpp;
    /* Header, body rounded up to words, the trailing zero word and one spare. */
    return (size_t)(QUIC_HEADER_SIZE + 4 * ((bits + 31) / 32 + 2));
}

static bool format_fits_type(PixbufFormat format, QuicImageType type)
{
    if (type == QUIC_IMAGE_TYPE_RGB32) {
        return format == PIXBUF_FORMAT_XRGB32 || format == PIXBUF_FORMAT_ARGB32;
    }
    return type != QUIC_IMAGE_TYPE_INVALID && quic_image_type_for_format(format) == type;
}

CodecStatus quic_encode(const Pixbuf *src, QuicImageType type, uint8_t *out, size_t out_capacity,
                        size_t *out_size)
{
    if (out_size != NULL) {
        *out_size = 0;
    }
    if (src == NULL || out == NULL || out_size == NULL || !format_fits_type(src->format, type) ||
        src->width == 0 || src->height == 0 || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (quic_encode_bound(type, src->width, src->height) == 0) {
        return CODEC_ERR_TOO_LARGE;
    }
    Encoder e;
    CodecStatus st = quic_coder_init(&e.coder, type, src->width);
    if (st != CODEC_OK) {
        return st;
    }
    e.bits = (BitWriter){ out, out + out_capacity, 0, 0 };
    /* Space is checked per row against the row's worst case, so the hot loop needs no checks. */
    size_t row_worst = 4 * (((size_t)src->width * worst_bits_per_pixel(type) + 31) / 32 + 2);
    st = CODEC_ERR_NO_SPACE;
    if (out_capacity < QUIC_HEADER_SIZE + row_worst) {
        goto done;
    }
    put_bits(&e.bits, QUIC_MAGIC, 32);
    put_bits(&e.bits, QUIC_VERSION, 32);
    put_bits(&e.bits, (uint32_t)type, 32);
    put_bits(&e.bits, src->width, 32);
    put_bits(&e.bits, src->height, 32);

    for (uint32_t y = 0; y < src->height; y++) {
        if ((size_t)(e.bits.end - e.bits.p) < row_worst) {
            goto done;
        }
        quic_coder_start_row(&e.coder, y);
        load_row(&e.coder, src, y, type);
        QuicGroup *g = &e.coder.groups[0];
        if (type == QUIC_IMAGE_TYPE_GRAY) {
            (y == 0 ? code_row_one_first : code_row_one)(&e, g);
        } else {
            (y == 0 ? code_row_rgb_first : code_row_rgb)(&e, g);
            if (type == QUIC_IMAGE_TYPE_RGBA) {
                (y == 0 ? code_row_one_first : code_row_one)(&e, &e.coder.groups[1]);
            }
        }
    }
    /* Pad the last word with zeros, then one all-zero word: upstream's decoder reads a word
     * ahead, and upstream's encoder ends exactly like this. */
    if ((size_t)(e.bits.end - e.bits.p) < 8) {
        goto done;
    }
    if (e.bits.pending) {
        put_bits(&e.bits, 0, 32 - e.bits.pending);
    }
    put_bits(&e.bits, 0, 32);
    *out_size = (size_t)(e.bits.p - out);
    st = CODEC_OK;
done:
    quic_coder_finish(&e.coder);
    return st;
}
