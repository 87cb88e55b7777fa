/* display-parse: bounds-checked parsing of display-channel message bodies into structs. */
#include "client/display-parse.h"

#include <glib.h>

#include "protocol/wire.h"

#define DISPLAY_RECT_SIZE 16u

bool display_rect_is_sane(const DisplayRect *r)
{
    return r->left <= r->right && r->top <= r->bottom;
}

void display_clip_clear(DisplayClip *clip)
{
    g_free(clip->rects);
    clip->rects = NULL;
    clip->num_rects = 0;
    clip->type = SPICE_CLIP_TYPE_NONE;
}

static void read_rect(WireReader *r, DisplayRect *out)
{
    out->top = wire_read_i32(r);
    out->left = wire_read_i32(r);
    out->bottom = wire_read_i32(r);
    out->right = wire_read_i32(r);
}

/* A pointer field: a u32 offset from the body start that must lie inside the body. */
static bool read_offset(WireReader *r, size_t size, bool allow_null, uint32_t *out)
{
    uint32_t off = wire_read_u32(r);
    *out = 0;
    if (!wire_reader_ok(r)) {
        return false;
    }
    if (off == 0) {
        return allow_null;
    }
    if (off >= size) {
        return false;
    }
    *out = off;
    return true;
}

/* A Clip (type u8, then for RECTS a count and the rects inline); @clip is empty on entry. */
static bool read_clip(WireReader *r, DisplayClip *clip)
{
    clip->rects = NULL;
    clip->num_rects = 0;
    clip->type = wire_read_u8(r);
    if (!wire_reader_ok(r)) {
        return false;
    }
    if (clip->type == SPICE_CLIP_TYPE_NONE) {
        return true;
    }
    if (clip->type != SPICE_CLIP_TYPE_RECTS) {
        return false;
    }
    uint32_t n = wire_read_u32(r);
    if (!wire_reader_ok(r) || n > DISPLAY_MAX_CLIP_RECTS
        || (size_t)n * DISPLAY_RECT_SIZE > wire_reader_remaining(r)) {
        return false;
    }
    clip->num_rects = n;
    clip->rects = n ? g_new0(DisplayRect, n) : NULL;
    for (uint32_t i = 0; i < n; i++) {
        read_rect(r, &clip->rects[i]);
        if (!display_rect_is_sane(&clip->rects[i])) {
            return false;
        }
    }
    return wire_reader_ok(r);
}

static bool read_base(WireReader *r, DisplayBase *base)
{
    base->clip.rects = NULL;
    base->clip.num_rects = 0;
    base->surface_id = wire_read_u32(r);
    read_rect(r, &base->box);
    if (!wire_reader_ok(r) || !display_rect_is_sane(&base->box)) {
        return false;
    }
    return read_clip(r, &base->clip);
}

static bool read_mask(WireReader *r, size_t size, DisplayMask *mask)
{
    mask->flags = wire_read_u8(r);
    mask->x = wire_read_i32(r);
    mask->y = wire_read_i32(r);
    return read_offset(r, size, true, &mask->bitmap_offset);
}

bool display_parse_surface_create(const uint8_t *body, size_t size, DisplaySurfaceCreate *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->surface_id = wire_read_u32(&r);
    out->width = wire_read_u32(&r);
    out->height = wire_read_u32(&r);
    out->format = wire_read_u32(&r);
    out->flags = wire_read_u32(&r);
    return wire_reader_ok(&r);
}

bool display_parse_surface_destroy(const uint8_t *body, size_t size, uint32_t *surface_id)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *surface_id = wire_read_u32(&r);
    return wire_reader_ok(&r);
}

bool display_parse_draw_copy(const uint8_t *body, size_t size, DisplayCopy *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base)) {
        return false;
    }
    if (!read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    read_rect(&r, &out->src_area);
    out->rop_descriptor = wire_read_u16(&r);
    out->scale_mode = wire_read_u8(&r);
    if (!read_mask(&r, size, &out->mask)) {
        return false;
    }
    return wire_reader_ok(&r) && display_rect_is_sane(&out->src_area);
}

bool display_parse_draw_fill(const uint8_t *body, size_t size, DisplayFill *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base)) {
        return false;
    }
    out->brush_color = 0;
    out->brush_pattern_offset = 0;
    out->pattern_x = out->pattern_y = 0;
    out->brush_type = wire_read_u8(&r);
    if (out->brush_type == SPICE_BRUSH_TYPE_SOLID) {
        out->brush_color = wire_read_u32(&r);
    } else if (out->brush_type == SPICE_BRUSH_TYPE_PATTERN) {
        if (!read_offset(&r, size, false, &out->brush_pattern_offset)) {
            return false;
        }
        out->pattern_x = wire_read_i32(&r);
        out->pattern_y = wire_read_i32(&r);
    } else if (out->brush_type != SPICE_BRUSH_TYPE_NONE) {
        return false;
    }
    out->rop_descriptor = wire_read_u16(&r);
    return read_mask(&r, size, &out->mask) && wire_reader_ok(&r);
}

bool display_parse_copy_bits(const uint8_t *body, size_t size, DisplayCopyBits *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base)) {
        return false;
    }
    out->src_x = wire_read_i32(&r);
    out->src_y = wire_read_i32(&r);
    return wire_reader_ok(&r);
}

bool display_parse_draw_opaque(const uint8_t *body, size_t size, DisplayCopy *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base) || !read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    read_rect(&r, &out->src_area);
    uint8_t brush = wire_read_u8(&r);
    if (brush == SPICE_BRUSH_TYPE_SOLID) {
        (void)wire_read_u32(&r);
    } else if (brush == SPICE_BRUSH_TYPE_PATTERN) {
        uint32_t pattern;
        if (!read_offset(&r, size, false, &pattern)) {
            return false;
        }
        wire_reader_skip(&r, 8);
    } else if (brush != SPICE_BRUSH_TYPE_NONE) {
        return false;
    }
    out->rop_descriptor = wire_read_u16(&r);
    out->scale_mode = wire_read_u8(&r);
    return read_mask(&r, size, &out->mask) && wire_reader_ok(&r)
           && display_rect_is_sane(&out->src_area);
}

bool display_parse_alpha_blend(const uint8_t *body, size_t size, DisplayAlphaBlend *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base)) {
        return false;
    }
    out->alpha_flags = wire_read_u8(&r);
    out->alpha = wire_read_u8(&r);
    if (!read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    read_rect(&r, &out->src_area);
    return wire_reader_ok(&r) && display_rect_is_sane(&out->src_area);
}

bool display_parse_transparent(const uint8_t *body, size_t size, DisplayTransparent *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base) || !read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    read_rect(&r, &out->src_area);
    out->src_color = wire_read_u32(&r);
    out->true_color = wire_read_u32(&r);
    return wire_reader_ok(&r) && display_rect_is_sane(&out->src_area);
}

bool display_parse_flat(const uint8_t *body, size_t size, DisplayFlat *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    if (!read_base(&r, &out->base)) {
        return false;
    }
    return read_mask(&r, size, &out->mask) && wire_reader_ok(&r);
}

bool display_parse_inval_list(const uint8_t *body, size_t size,
                              void (*each)(uint8_t type, uint64_t id, void *user), void *user)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    uint16_t count = wire_read_u16(&r);
    if (!wire_reader_ok(&r) || (size_t)count * 9u > wire_reader_remaining(&r)) {
        return false;
    }
    for (uint16_t i = 0; i < count; i++) {
        uint8_t type = wire_read_u8(&r);
        uint64_t id = wire_read_u64(&r);
        each(type, id, user);
    }
    return wire_reader_ok(&r);
}

bool display_parse_inval_palette(const uint8_t *body, size_t size, uint64_t *id)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *id = wire_read_u64(&r);
    return wire_reader_ok(&r);
}

bool display_parse_monitors_config(const uint8_t *body, size_t size, DisplayMonitors *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->count = wire_read_u16(&r);
    out->max_allowed = wire_read_u16(&r);
    out->first_surface_id = out->first_width = out->first_height = 0;
    if (!wire_reader_ok(&r) || (size_t)out->count * 28u > wire_reader_remaining(&r)) {
        return false;
    }
    if (out->count > 0) {
        (void)wire_read_u32(&r);   /* monitor id */
        out->first_surface_id = wire_read_u32(&r);
        out->first_width = wire_read_u32(&r);
        out->first_height = wire_read_u32(&r);
    }
    return wire_reader_ok(&r);
}

bool display_parse_sub_list(const uint8_t *body, size_t size,
                            void (*each)(uint16_t type, const uint8_t *sub, size_t sub_size,
                                         void *user),
                            void *user)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    uint16_t count = wire_read_u16(&r);
    if (!wire_reader_ok(&r) || (size_t)count * 4u > wire_reader_remaining(&r)) {
        return false;
    }
    /* Check every sub-message before running any: a half-applied list is worse than none. */
    for (int pass = 0; pass < 2; pass++) {
        wire_reader_seek(&r, 2);
        for (uint16_t i = 0; i < count; i++) {
            uint32_t off = wire_read_u32(&r);
            WireReader s;
            if (!wire_reader_ok(&r) || off > size) {
                return false;
            }
            wire_reader_init(&s, body + off, size - off);
            uint16_t type = wire_read_u16(&s);
            uint32_t sub_size = wire_read_u32(&s);
            const uint8_t *sub = wire_read_span(&s, sub_size);
            if (sub == NULL) {
                return false;
            }
            if (pass == 1) {
                each(type, sub, sub_size, user);
            }
        }
    }
    return true;
}

/* ---- video streams (clstream) ---- */

bool display_parse_stream_create(const uint8_t *body, size_t size, DisplayStreamCreate *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->clip.rects = NULL;
    out->clip.num_rects = 0;
    out->surface_id = wire_read_u32(&r);
    out->id = wire_read_u32(&r);
    out->flags = wire_read_u8(&r);
    out->codec_type = wire_read_u8(&r);
    (void)wire_read_u64(&r);   /* stamp: unused by clients */
    out->stream_width = wire_read_u32(&r);
    out->stream_height = wire_read_u32(&r);
    out->src_width = wire_read_u32(&r);
    out->src_height = wire_read_u32(&r);
    read_rect(&r, &out->dest);
    if (!wire_reader_ok(&r) || !display_rect_is_sane(&out->dest)) {
        return false;
    }
    return read_clip(&r, &out->clip);
}

/* The frame bytes: data_size u32 then that many bytes. */
static bool read_frame(WireReader *r, DisplayStreamData *out)
{
    uint32_t n = wire_read_u32(r);
    out->data_size = n;
    out->data = wire_read_span(r, n);
    return out->data != NULL && wire_reader_ok(r);
}

bool display_parse_stream_data(const uint8_t *body, size_t size, bool sized, DisplayStreamData *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->id = wire_read_u32(&r);
    out->mm_time = wire_read_u32(&r);
    out->sized = sized;
    out->width = out->height = 0;
    out->dest = (DisplayRect){ 0, 0, 0, 0 };
    if (sized) {
        out->width = wire_read_u32(&r);
        out->height = wire_read_u32(&r);
        read_rect(&r, &out->dest);
        if (!wire_reader_ok(&r) || !display_rect_is_sane(&out->dest)) {
            return false;
        }
    }
    return read_frame(&r, out);
}

bool display_parse_stream_clip(const uint8_t *body, size_t size, uint32_t *id, DisplayClip *clip)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    clip->rects = NULL;
    clip->num_rects = 0;
    *id = wire_read_u32(&r);
    return wire_reader_ok(&r) && read_clip(&r, clip);
}

bool display_parse_stream_destroy(const uint8_t *body, size_t size, uint32_t *id)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *id = wire_read_u32(&r);
    return wire_reader_ok(&r);
}

bool display_parse_stream_activate_report(const uint8_t *body, size_t size,
                                          DisplayStreamActivateReport *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->stream_id = wire_read_u32(&r);
    out->unique_id = wire_read_u32(&r);
    out->max_window_size = wire_read_u32(&r);
    out->timeout_ms = wire_read_u32(&r);
    return wire_reader_ok(&r);
}

bool display_parse_wait_for_channels(const uint8_t *body, size_t size,
                                     void (*each)(uint8_t type, uint8_t id, uint64_t serial,
                                                  void *user),
                                     void *user)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    uint8_t count = wire_read_u8(&r);
    if (!wire_reader_ok(&r) || (size_t)count * 10u > wire_reader_remaining(&r)) {
        return false;
    }
    for (uint8_t i = 0; i < count; i++) {
        uint8_t type = wire_read_u8(&r);
        uint8_t id = wire_read_u8(&r);
        uint64_t serial = wire_read_u64(&r);
        each(type, id, serial, user);
    }
    return wire_reader_ok(&r);
}

/* ---- building blocks for display-parse-draw.c (clcanvas) ---- */

bool display_read_base(WireReader *r, DisplayBase *base)
{
    return read_base(r, base);
}

bool display_read_offset(WireReader *r, size_t size, bool allow_null, uint32_t *out)
{
    return read_offset(r, size, allow_null, out);
}

bool display_read_mask(WireReader *r, size_t size, DisplayMask *mask)
{
    return read_mask(r, size, mask);
}

void display_read_rect(WireReader *r, DisplayRect *out)
{
    read_rect(r, out);
}
