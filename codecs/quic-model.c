/* quic-model: code tables, wait-mask state and per-image buffers of the QUIC model. */
#include "codecs/quic-model.h"

#include <stdlib.h>
#include <string.h>

/* Low 6 bits of upstream's tabrand_chaos table (the wait mask is at most 63, so the rest of each
 * entry never matters). Must match exactly or peers' models drift apart. */
const uint8_t quic_tabrand_low6[256] = {
     2, 23, 19, 21,  7, 18, 40, 14, 12, 32, 47, 44, 36,  6, 18, 11,
     4, 19, 42, 29, 16, 63, 57, 51, 16,  3,  5, 14, 15, 30, 20,  9,
    36, 45,  3, 57, 61,  0,  8,  5, 41, 14, 43, 27, 43, 59, 31, 35,
    39, 60, 42, 38, 13, 54, 62,  1, 26,  3, 11, 61, 52, 34,  7, 48,
     4, 59, 22, 12, 22,  8, 50,  4, 10,  6, 44,  8, 11, 46, 31, 51,
    53, 17,  1, 43, 46, 60, 36, 54, 10, 27, 39, 44, 22, 41, 23,  2,
    44,  0, 40, 53, 40, 48, 16, 43, 32, 28, 33, 12, 20,  2, 56, 62,
    55, 58, 18, 20, 13, 55, 38, 29, 57, 19, 49, 33, 47, 63, 59,  0,
    35, 61, 19, 25, 46, 38, 60,  4, 35,  1, 26, 40, 28, 10,  5, 14,
    25, 18, 48, 49, 20, 59, 62, 34, 46,  7, 33, 52, 34, 58,  9, 29,
     8, 55, 62, 60, 37, 36, 37, 50,  6,  3, 10, 28, 48, 24, 26, 61,
    57, 30, 11, 54,  2,  6, 50, 47,  7, 17, 35, 53, 32, 12, 23, 17,
     5, 21, 49, 55, 51, 45, 52, 27, 39, 25, 39, 63, 22, 24, 42, 52,
    56, 38, 41, 41, 56, 32, 13, 24, 26, 51, 27, 56, 58, 37, 24, 42,
    15, 28, 17, 30, 31, 15, 16, 23, 25, 54, 33, 34,  1, 29, 31, 50,
    53, 21, 49, 15, 47,  9,  0, 58, 37, 45, 30, 13,  9, 45, 63, 21,
};

/* Counter-halving trigger per wait mask index (upstream's model evolution 3). */
static const unsigned wm_trigger_by_index[QUIC_WM_INDEX_MAX + 1] = {
    110, 550, 900, 800, 550, 400, 350,
};

/* Run-length (MELCODE) order per state: a hit covers 2^len pixels. */
const uint8_t quic_melc_len[QUIC_MELC_STATES] = {
    0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
    4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

static unsigned ceil_log2(unsigned v)
{
    unsigned bits = 0;
    while ((1u << bits) < v) {
        bits++;
    }
    return bits;
}

void quic_family_init(QuicFamily *f, unsigned bpc)
{
    memset(f, 0, sizeof(*f));
    f->bpc = bpc;
    f->mask = (1u << bpc) - 1;
    for (unsigned k = 0; k < bpc; k++) {
        unsigned alt = QUIC_CODE_LIMIT - bpc;
        if (alt > (1u << (bpc - k)) - 1) {
            alt = (1u << (bpc - k)) - 1;
        }
        f->gr_count[k] = alt << k;
        unsigned suffix_len = ceil_log2((1u << bpc) - f->gr_count[k]);
        f->escape_len[k] = alt + suffix_len;
        f->gr_min_bits[k] = (uint32_t)((1ull << (32 - alt)) - 1);
        f->suffix_mask[k] = (uint32_t)((1ull << suffix_len) - 1);
        for (unsigned s = 0; s <= f->mask; s++) {
            if (s < f->gr_count[k]) {
                f->code[s][k] = 1u << k | (s & ((1u << k) - 1));
                f->code_len[s][k] = (uint8_t)((s >> k) + k + 1);
            } else {
                f->code[s][k] = s - f->gr_count[k];
                f->code_len[s][k] = (uint8_t)f->escape_len[k];
            }
            f->code_packed[s][k] = (uint16_t)(f->code[s][k] | (unsigned)f->code_len[s][k] << 8);
        }
    }
    for (unsigned s = 0; s <= f->mask; s++) {
        f->fold[s] = (uint8_t)(s <= f->mask / 2 ? s << 1 : ((f->mask - s) << 1) + 1);
        f->unfold[s] = (uint8_t)(s & 1 ? f->mask - (s >> 1) : s >> 1);
    }
    /* Buckets of 1, 2, 4 ... contexts; a bucket whose end plus its own size would pass the last
     * context absorbs the rest (8 buckets for 8 bpc, 5 for 5 bpc). */
    unsigned start = 0, size = 1, bucket = 0;
    for (;;) {
        unsigned end = start + size - 1;
        if (end + size > f->mask) {
            end = f->mask;
        }
        for (unsigned c = start; c <= end; c++) {
            f->bucket_of[c] = (uint8_t)bucket;
        }
        bucket++;
        if (end == f->mask) {
            break;
        }
        start = end + 1;
        size *= 2;
    }
    f->num_buckets = bucket;
}

void quic_state_reset(QuicState *s)
{
    memset(s, 0, sizeof(*s));
    s->tabrand_seed = 0xFF;
    s->wmidx = 0;
    s->wmileft = QUIC_WM_NEXT;
    s->wm_trigger = wm_trigger_by_index[0];
    s->melcstate = 0;
    s->melclen = quic_melc_len[0];
    s->melcorder = 1u << s->melclen;
}

void quic_state_next_wm(QuicState *s)
{
    s->wmidx++;
    s->wm_trigger = wm_trigger_by_index[s->wmidx];
    s->wmileft = QUIC_WM_NEXT;
}

CodecStatus quic_coder_init(QuicCoder *c, QuicImageType type, uint32_t width)
{
    memset(c, 0, sizeof(*c));
    unsigned num_planes = type == QUIC_IMAGE_TYPE_GRAY ? 1 : type == QUIC_IMAGE_TYPE_RGBA ? 4 : 3;
    quic_family_init(&c->family, type == QUIC_IMAGE_TYPE_RGB16 ? 5 : 8);
    c->width = width;
    c->num_groups = type == QUIC_IMAGE_TYPE_RGBA ? 2 : 1;

    /* One block: per plane corr (w + 1), cur (w), prev (w); per group two key rows. */
    size_t w = width;
    size_t plane_bytes = 3 * w + 1;
    size_t keys_offset = (num_planes * plane_bytes + 7) & ~(size_t)7;
    uint8_t *mem = calloc(1, keys_offset + c->num_groups * 2 * w * sizeof(uint32_t));
    if (mem == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    c->rows_mem = mem;
    for (unsigned p = 0; p < num_planes; p++) {
        QuicPlane *plane = &c->planes[p];
        plane->corr = mem + p * plane_bytes;
        plane->cur = plane->corr + w + 1;
        plane->prev = plane->cur + w;
        for (unsigned b = 0; b < QUIC_MAX_CODES; b++) {
            plane->buckets[b].bestcode = c->family.bpc - 1;
        }
    }
    uint32_t *keys = (uint32_t *)(void *)(mem + keys_offset);
    for (unsigned g = 0; g < c->num_groups; g++) {
        QuicGroup *group = &c->groups[g];
        quic_state_reset(&group->state);
        group->cur_key = keys + (2 * g) * w;
        group->prev_key = keys + (2 * g + 1) * w;
    }
    if (type == QUIC_IMAGE_TYPE_GRAY) {
        c->groups[0].num_planes = 1;
        c->groups[0].planes[0] = &c->planes[0];
    } else {
        c->groups[0].num_planes = 3;
        for (unsigned p = 0; p < 3; p++) {
            c->groups[0].planes[p] = &c->planes[p];
        }
        if (type == QUIC_IMAGE_TYPE_RGBA) {
            c->groups[1].num_planes = 1;
            c->groups[1].planes[0] = &c->planes[3];
        }
    }
    return CODEC_OK;
}

void quic_coder_finish(QuicCoder *c)
{
    free(c->rows_mem);
    c->rows_mem = NULL;
}

void quic_coder_start_row(QuicCoder *c, uint32_t y)
{
    for (unsigned g = 0; g < c->num_groups; g++) {
        QuicGroup *group = &c->groups[g];
        uint32_t *k = group->cur_key;
        group->cur_key = group->prev_key;
        group->prev_key = k;
        for (unsigned p = 0; p < group->num_planes; p++) {
            QuicPlane *plane = group->planes[p];
            uint8_t *row = plane->cur;
            plane->cur = plane->prev;
            plane->prev = row;
            plane->corr[0] = y == 0 ? 0 : plane->corr[1];
        }
    }
}
