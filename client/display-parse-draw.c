/* display-parse-draw: bounds-checked parsers of the brush, path, glyph-string and composite draw messages. */
#include "client/display-parse-draw.h"

#include <glib.h>
#include <spice/enums.h>

#include "protocol/wire.h"

/* Brush: type u8, then SOLID color u32 or PATTERN (image offset u32, x i32, y i32). */
static bool read_brush(WireReader *r, size_t size, DisplayBrush *out)
{
    *out = (DisplayBrush) { .type = wire_read_u8(r) };
    switch (out->type) {
    case SPICE_BRUSH_TYPE_NONE:
        break;
    case SPICE_BRUSH_TYPE_SOLID:
        out->color = wire_read_u32(r);
        break;
    case SPICE_BRUSH_TYPE_PATTERN:
        if (!display_read_offset(r, size, false, &out->pattern_offset)) {
            return false;
        }
        out->pattern_x = wire_read_i32(r);
        out->pattern_y = wire_read_i32(r);
        break;
    default:
        return false;
    }
    return wire_reader_ok(r);
}

bool display_parse_copy_draw(uint16_t type, const uint8_t *body, size_t size, DisplayCopyDraw *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->brush = (DisplayBrush) { .type = SPICE_BRUSH_TYPE_NONE };
    out->rop_descriptor = 0;
    out->rop3 = 0;
    if (!display_read_base(&r, &out->base) ||
        !display_read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    display_read_rect(&r, &out->src_area);
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
        out->rop_descriptor = wire_read_u16(&r);
        break;
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
        if (!read_brush(&r, size, &out->brush)) {
            return false;
        }
        out->rop_descriptor = wire_read_u16(&r);
        break;
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        if (!read_brush(&r, size, &out->brush)) {
            return false;
        }
        out->rop3 = wire_read_u8(&r);
        break;
    default:
        return false;
    }
    out->scale_mode = wire_read_u8(&r);
    return display_read_mask(&r, size, &out->mask) && wire_reader_ok(&r) &&
           display_rect_is_sane(&out->src_area);
}

/* ---- STROKE ---- */

void display_stroke_clear(DisplayStroke *stroke)
{
    display_clip_clear(&stroke->base.clip);
    g_free((void *)stroke->stroke.segments);
    g_free((void *)stroke->stroke.points);
    g_free((void *)stroke->stroke.style);
    stroke->stroke.segments = NULL;
    stroke->stroke.points = NULL;
    stroke->stroke.style = NULL;
    stroke->stroke.num_segments = stroke->stroke.num_points = 0;
    stroke->stroke.style_nseg = 0;
}

/*
 * Path at @offset: num_segments u32, then each segment inline: flags u8, count u32, count points
 * (x, y fixed 28.4). Two passes: count (checking every length against what is left), then copy.
 */
static bool read_path(const uint8_t *body, size_t size, uint32_t offset, CanvasStroke *out)
{
    WireReader r;
    wire_reader_init(&r, body + offset, size - offset);
    uint32_t nseg = wire_read_u32(&r);
    /* Each segment takes at least 5 bytes: a count over what is left is a lie. */
    if (!wire_reader_ok(&r) || (uint64_t)nseg * 5 > wire_reader_remaining(&r)) {
        return false;
    }
    uint64_t total = 0;
    size_t start = wire_reader_offset(&r);
    for (uint32_t i = 0; i < nseg; i++) {
        (void)wire_read_u8(&r);
        uint32_t count = wire_read_u32(&r);
        if (!wire_reader_ok(&r) || (uint64_t)count * 8 > wire_reader_remaining(&r)) {
            return false;
        }
        wire_reader_skip(&r, (size_t)count * 8);
        total += count;
    }
    if (total > DISPLAY_MAX_PATH_POINTS) {
        return false;
    }
    CanvasPathSegment *segments = g_new(CanvasPathSegment, MAX(nseg, 1u));
    CanvasPointFix *points = g_new(CanvasPointFix, MAX(total, 1u));
    out->segments = segments;
    out->points = points;
    out->num_segments = nseg;
    out->num_points = (uint32_t)total;
    wire_reader_seek(&r, start);
    uint32_t next = 0;
    for (uint32_t i = 0; i < nseg; i++) {
        segments[i].flags = wire_read_u8(&r);
        segments[i].count = wire_read_u32(&r);
        segments[i].first_point = next;
        for (uint32_t k = 0; k < segments[i].count; k++) {
            points[next].x = wire_read_i32(&r);
            points[next].y = wire_read_i32(&r);
            next++;
        }
    }
    return wire_reader_ok(&r);
}

bool display_parse_stroke(const uint8_t *body, size_t size, DisplayStroke *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->stroke = (CanvasStroke) { 0 };
    out->brush = (DisplayBrush) { .type = SPICE_BRUSH_TYPE_NONE };
    if (!display_read_base(&r, &out->base)) {
        return false;
    }
    uint32_t path_offset;
    if (!display_read_offset(&r, size, false, &path_offset) ||
        !read_path(body, size, path_offset, &out->stroke)) {
        return false;
    }
    out->stroke.attr_flags = wire_read_u8(&r);
    if (out->stroke.attr_flags & SPICE_LINE_FLAGS_STYLED) {
        uint8_t nseg = wire_read_u8(&r);
        uint32_t style_offset;
        if (!display_read_offset(&r, size, false, &style_offset) || nseg == 0 ||
            (size_t)nseg * 4 > size - style_offset) {
            return false;
        }
        WireReader s;
        wire_reader_init(&s, body + style_offset, size - style_offset);
        int32_t *style = g_new(int32_t, nseg);
        for (uint8_t i = 0; i < nseg; i++) {
            style[i] = wire_read_i32(&s);
        }
        out->stroke.style = style;
        out->stroke.style_nseg = nseg;
    }
    if (!read_brush(&r, size, &out->brush)) {
        return false;
    }
    out->stroke.fore_mode = wire_read_u16(&r);
    out->back_mode = wire_read_u16(&r);
    return wire_reader_ok(&r);
}

/* ---- TEXT ---- */

void display_text_clear(DisplayText *text)
{
    display_clip_clear(&text->base.clip);
    g_free((void *)text->text.glyphs);
    text->text.glyphs = NULL;
    text->text.num_glyphs = 0;
}

/*
 * String at @offset: length u16, flags u8, then @length raster glyphs inline: render_pos and
 * glyph_origin (i32 pairs), width u16, height u16, then ((width * bpp + 7) / 8) * height bytes.
 */
static bool read_string(const uint8_t *body, size_t size, uint32_t offset, DisplayText *out)
{
    WireReader r;
    wire_reader_init(&r, body + offset, size - offset);
    uint16_t length = wire_read_u16(&r);
    out->string_flags = wire_read_u8(&r);
    uint8_t raster = out->string_flags & (SPICE_STRING_FLAGS_RASTER_A1 |
                                          SPICE_STRING_FLAGS_RASTER_A4 |
                                          SPICE_STRING_FLAGS_RASTER_A8);
    uint32_t bpp = raster == SPICE_STRING_FLAGS_RASTER_A1 ? 1 :
                   raster == SPICE_STRING_FLAGS_RASTER_A4 ? 4 :
                   raster == SPICE_STRING_FLAGS_RASTER_A8 ? 8 : 0;
    /* Exactly one raster kind; each glyph header takes 20 bytes. */
    if (!wire_reader_ok(&r) || bpp == 0 || (size_t)length * 20 > wire_reader_remaining(&r)) {
        return false;
    }
    CanvasGlyph *glyphs = g_new0(CanvasGlyph, MAX(length, 1));
    out->text.glyphs = glyphs;
    out->text.num_glyphs = length;
    out->text.bpp = bpp;
    for (uint16_t i = 0; i < length; i++) {
        CanvasGlyph *g = &glyphs[i];
        g->render_x = wire_read_i32(&r);
        g->render_y = wire_read_i32(&r);
        g->origin_x = wire_read_i32(&r);
        g->origin_y = wire_read_i32(&r);
        g->width = wire_read_u16(&r);
        g->height = wire_read_u16(&r);
        g->stride = ((uint32_t)g->width * bpp + 7) / 8;
        g->bits = wire_read_span(&r, (size_t)g->stride * g->height);
        if (!wire_reader_ok(&r) || (g->bits == NULL && g->stride * g->height != 0)) {
            return false;
        }
    }
    return true;
}

bool display_parse_text(const uint8_t *body, size_t size, DisplayText *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->text = (CanvasText) { 0 };
    out->fore_brush = out->back_brush = (DisplayBrush) { .type = SPICE_BRUSH_TYPE_NONE };
    if (!display_read_base(&r, &out->base)) {
        return false;
    }
    uint32_t str_offset;
    if (!display_read_offset(&r, size, false, &str_offset) ||
        !read_string(body, size, str_offset, out)) {
        return false;
    }
    DisplayRect back;
    display_read_rect(&r, &back);
    if (!wire_reader_ok(&r) || !display_rect_is_sane(&back)) {
        return false;
    }
    out->text.back_area = (pixman_box32_t) { back.left, back.top, back.right, back.bottom };
    if (!read_brush(&r, size, &out->fore_brush) || !read_brush(&r, size, &out->back_brush)) {
        return false;
    }
    out->text.fore_mode = wire_read_u16(&r);
    out->text.back_mode = wire_read_u16(&r);
    return wire_reader_ok(&r);
}

/* ---- COMPOSITE ---- */

static void read_transform(WireReader *r, uint32_t t[6])
{
    for (int i = 0; i < 6; i++) {
        t[i] = wire_read_u32(r);
    }
}

bool display_parse_composite(const uint8_t *body, size_t size, DisplayComposite *out)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    out->composite = (CanvasComposite) { 0 };
    out->mask_bitmap_offset = 0;
    if (!display_read_base(&r, &out->base)) {
        return false;
    }
    uint32_t flags = wire_read_u32(&r);
    out->composite.flags = flags;
    if (!wire_reader_ok(&r) || !canvas_composite_flags_valid(flags) ||
        !display_read_offset(&r, size, false, &out->src_bitmap_offset)) {
        return false;
    }
    if ((flags & SPICE_COMPOSITE_HAS_MASK) &&
        !display_read_offset(&r, size, false, &out->mask_bitmap_offset)) {
        return false;
    }
    if (flags & SPICE_COMPOSITE_HAS_SRC_TRANSFORM) {
        out->composite.has_src_transform = true;
        read_transform(&r, out->composite.src_transform);
    }
    if (flags & SPICE_COMPOSITE_HAS_MASK_TRANSFORM) {
        out->composite.has_mask_transform = true;
        read_transform(&r, out->composite.mask_transform);
    }
    out->composite.src_x = wire_read_i16(&r);
    out->composite.src_y = wire_read_i16(&r);
    out->composite.mask_x = wire_read_i16(&r);
    out->composite.mask_y = wire_read_i16(&r);
    return wire_reader_ok(&r);
}

/* ---- QMask bitmaps ---- */

bool display_parse_mask_bits(const uint8_t *body, size_t size, uint32_t offset, DisplayMaskBits *out)
{
    if (offset == 0 || offset >= size) {
        return false;
    }
    WireReader r;
    wire_reader_init(&r, body + offset, size - offset);
    (void)wire_read_u64(&r);            /* id */
    uint8_t type = wire_read_u8(&r);
    (void)wire_read_u8(&r);             /* image flags (caching is image-decode's business) */
    uint32_t width = wire_read_u32(&r);
    uint32_t height = wire_read_u32(&r);
    if (!wire_reader_ok(&r) || type != SPICE_IMAGE_TYPE_BITMAP) {
        return false;
    }
    uint8_t format = wire_read_u8(&r);
    uint8_t flags = wire_read_u8(&r);
    uint32_t x = wire_read_u32(&r);
    uint32_t y = wire_read_u32(&r);
    uint32_t stride = wire_read_u32(&r);
    if (!wire_reader_ok(&r) || (format != SPICE_BITMAP_FMT_1BIT_LE &&
                                format != SPICE_BITMAP_FMT_1BIT_BE) ||
        x != width || y != height || width == 0 || height == 0 || width > 0x7fff ||
        height > 0x7fff || stride < (width + 7) / 8) {
        return false;
    }
    /* The palette reference: a cache id, or an offset (the palette means nothing to a mask). */
    wire_reader_skip(&r, (flags & SPICE_BITMAP_FLAGS_PAL_FROM_CACHE) ? 8 : 4);
    const uint8_t *bits = wire_read_span(&r, (size_t)stride * height);
    if (bits == NULL) {
        return false;
    }
    *out = (DisplayMaskBits) {
        .bits = bits, .width = width, .height = height, .stride = stride,
        .msb_first = format == SPICE_BITMAP_FMT_1BIT_BE,
        .top_down = flags & SPICE_BITMAP_FLAGS_TOP_DOWN,
    };
    return true;
}
