/* canvas: the SPICE draw ops on a pixman image, computed per pixel in 32-bit temporaries and written back through the draw's region. */
#include "canvas/canvas.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>

/* ---- pixel operations ---- */

uint32_t canvas_ropd_apply(uint16_t ropd, bool invert_s, bool invert_d, uint32_t s, uint32_t d)
{
    /* Same precedence as upstream's descriptor decoding: PUT, OR, AND, XOR, then the constants. */
    uint32_t s1 = invert_s ? ~s : s, d1 = invert_d ? ~d : d, r;
    if (ropd & SPICE_ROPD_OP_PUT) {
        r = s1;
    } else if (ropd & SPICE_ROPD_OP_OR) {
        r = s1 | d1;
    } else if (ropd & SPICE_ROPD_OP_AND) {
        r = s1 & d1;
    } else if (ropd & SPICE_ROPD_OP_XOR) {
        r = s1 ^ d1;
    } else if (ropd & SPICE_ROPD_OP_BLACKNESS) {
        return 0;
    } else if (ropd & SPICE_ROPD_OP_WHITENESS) {
        return 0xffffffffu;
    } else if (ropd & SPICE_ROPD_OP_INVERS) {
        return ~d;
    } else {
        return s;    /* no operation bit: a plain copy, as upstream decodes it */
    }
    return (ropd & SPICE_ROPD_INVERS_RES) ? ~r : r;
}

uint32_t canvas_rop3_apply(uint8_t rop3, uint32_t p, uint32_t s, uint32_t d)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < 8; i++) {
        if (rop3 & (1u << i)) {
            r |= ((i & 4) ? p : ~p) & ((i & 2) ? s : ~s) & ((i & 1) ? d : ~d);
        }
    }
    return r;
}

/* A solid brush color in the destination's format, as a 32-bit xRGB value. */
static uint32_t color_to_32(pixman_format_code_t format, uint32_t color)
{
    uint32_t r, g, b;
    switch (format) {
    case PIXMAN_x1r5g5b5:
        r = (color >> 10) & 0x1f; g = (color >> 5) & 0x1f; b = color & 0x1f;
        return ((r << 3 | r >> 2) << 16) | ((g << 3 | g >> 2) << 8) | (b << 3 | b >> 2);
    case PIXMAN_r5g6b5:
        r = (color >> 11) & 0x1f; g = (color >> 5) & 0x3f; b = color & 0x1f;
        return ((r << 3 | r >> 2) << 16) | ((g << 2 | g >> 4) << 8) | (b << 3 | b >> 2);
    case PIXMAN_a8:
        return (color & 0xff) << 24;
    default:
        return color;
    }
}

/* ---- the work area: the region's extents as 32-bit pixels ---- */

typedef struct Work {
    pixman_image_t *dest;
    const pixman_region32_t *region;
    pixman_box32_t box;
    int w, h;
    pixman_format_code_t format;
    uint32_t *d;                 /* w * h destination pixels */
    pixman_image_t *d_image;     /* wraps d */
} Work;

static pixman_format_code_t work_format(pixman_image_t *dest, bool force_opaque)
{
    return pixman_image_get_format(dest) == PIXMAN_a8r8g8b8 && !force_opaque ?
           PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
}

/* Intersects @box with @dest's bounds; false when nothing is left. */
static bool clip_to_image(pixman_image_t *dest, pixman_box32_t *box)
{
    box->x1 = MAX(box->x1, 0);
    box->y1 = MAX(box->y1, 0);
    box->x2 = MIN(box->x2, pixman_image_get_width(dest));
    box->y2 = MIN(box->y2, pixman_image_get_height(dest));
    return box->x1 < box->x2 && box->y1 < box->y2;
}

void canvas_draw_region(pixman_image_t *dest, const pixman_box32_t *box,
                        const pixman_region32_t *clip, pixman_region32_t *out)
{
    pixman_box32_t b = *box;
    if (!clip_to_image(dest, &b)) {
        pixman_region32_init(out);
        return;
    }
    pixman_region32_init_rects(out, &b, 1);
    if (clip) {
        pixman_region32_intersect(out, out, (pixman_region32_t *)clip);
    }
}

static pixman_image_t *new_temp(pixman_format_code_t format, int w, int h, uint32_t **bits)
{
    *bits = g_try_malloc0((size_t)w * h * 4);
    if (!*bits) {
        return NULL;
    }
    pixman_image_t *image = pixman_image_create_bits(format, w, h, *bits, w * 4);
    if (!image) {
        g_free(*bits);
        *bits = NULL;
    }
    return image;
}

static void free_temp(pixman_image_t *image, uint32_t *bits)
{
    if (image) {
        pixman_image_unref(image);
    }
    g_free(bits);
}

static bool work_begin(Work *work, pixman_image_t *dest, const pixman_region32_t *region,
                       pixman_format_code_t format)
{
    memset(work, 0, sizeof(*work));
    if (!pixman_region32_not_empty((pixman_region32_t *)region)) {
        return false;
    }
    work->dest = dest;
    work->region = region;
    work->box = *pixman_region32_extents((pixman_region32_t *)region);
    if (!clip_to_image(dest, &work->box)) {
        return false;
    }
    work->w = work->box.x2 - work->box.x1;
    work->h = work->box.y2 - work->box.y1;
    work->format = format;
    work->d_image = new_temp(format, work->w, work->h, &work->d);
    if (!work->d_image) {
        g_message("canvas: no memory for a %dx%d draw; it is skipped", work->w, work->h);
        return false;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, dest, NULL, work->d_image,
                             work->box.x1, work->box.y1, 0, 0, 0, 0, work->w, work->h);
    return true;
}

/* Writes the work area back through the region, and frees it. */
static void work_end(Work *work)
{
    pixman_image_t *dest = work->dest;
    pixman_image_set_clip_region32(dest, (pixman_region32_t *)work->region);
    pixman_image_composite32(PIXMAN_OP_SRC, work->d_image, NULL, dest, 0, 0, 0, 0,
                             work->box.x1, work->box.y1, work->w, work->h);
    pixman_image_set_clip_region32(dest, NULL);
    free_temp(work->d_image, work->d);
}

static void work_abort(Work *work)
{
    free_temp(work->d_image, work->d);
}

static bool fits_i32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

/*
 * Composites (SRC) @src mapped onto @bbox into @target, for the surface pixels of @area, whose
 * top-left lands at (@tx, @ty) in @target: pixels of @area that the source does not cover
 * become 0. Scaled sources go through a pixman transform (bilinear when @src->smooth).
 */
static void composite_source(pixman_image_t *target, int tx, int ty, const pixman_box32_t *area,
                             const pixman_box32_t *bbox, const CanvasSource *src)
{
    int w = area->x2 - area->x1, h = area->y2 - area->y1;
    int64_t dest_w = (int64_t)bbox->x2 - bbox->x1, dest_h = (int64_t)bbox->y2 - bbox->y1;
    int64_t src_w = (int64_t)src->area.x2 - src->area.x1, src_h = (int64_t)src->area.y2 - src->area.y1;
    /* 64-bit: the canvas API takes any box; what does not fit pixman's ints maps nothing. */
    int64_t off_x = (int64_t)area->x1 - bbox->x1, off_y = (int64_t)area->y1 - bbox->y1;
    if (dest_w <= 0 || dest_h <= 0 || src_w <= 0 || src_h <= 0 || !fits_i32(off_x) ||
        !fits_i32(off_y) || !fits_i32(src->area.x1 + off_x) || !fits_i32(src->area.y1 + off_y)) {
        /* nothing maps */
        pixman_color_t zero = { 0, 0, 0, 0 };
        pixman_image_t *clear = pixman_image_create_solid_fill(&zero);
        if (clear) {
            pixman_image_composite32(PIXMAN_OP_SRC, clear, NULL, target, 0, 0, 0, 0, tx, ty, w, h);
            pixman_image_unref(clear);
        }
    } else if (src_w == dest_w && src_h == dest_h) {
        pixman_image_composite32(PIXMAN_OP_SRC, src->image, NULL, target, (int32_t)(src->area.x1 + off_x),
                                 (int32_t)(src->area.y1 + off_y), 0, 0, tx, ty, w, h);
    } else {
        pixman_transform_t transform;
        pixman_transform_init_identity(&transform);
        transform.matrix[0][0] = (pixman_fixed_t)((src_w << 16) / dest_w);
        transform.matrix[1][1] = (pixman_fixed_t)((src_h << 16) / dest_h);
        transform.matrix[0][2] = pixman_int_to_fixed(src->area.x1);
        transform.matrix[1][2] = pixman_int_to_fixed(src->area.y1);
        pixman_image_set_transform(src->image, &transform);
        pixman_image_set_filter(src->image, src->smooth ? PIXMAN_FILTER_BILINEAR :
                                PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(src->image, PIXMAN_REPEAT_PAD);
        pixman_image_composite32(PIXMAN_OP_SRC, src->image, NULL, target, (int32_t)off_x,
                                 (int32_t)off_y, 0, 0, tx, ty, w, h);
        pixman_image_set_transform(src->image, NULL);
        pixman_image_set_filter(src->image, PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(src->image, PIXMAN_REPEAT_NONE);
    }
}

/* The source mapped onto @bbox, for the pixels of the work area (w * h, a8r8g8b8). */
static uint32_t *render_source(const Work *work, const pixman_box32_t *bbox,
                               const CanvasSource *src, pixman_format_code_t format)
{
    uint32_t *bits;
    pixman_image_t *tmp = new_temp(format, work->w, work->h, &bits);
    if (!tmp) {
        return NULL;
    }
    composite_source(tmp, 0, 0, &work->box, bbox, src);
    pixman_image_unref(tmp);
    return bits;
}

/* The brush for the pixels of the work area (w * h). */
static uint32_t *render_brush(const Work *work, const CanvasBrush *brush)
{
    uint32_t *bits;
    pixman_image_t *tmp = new_temp(PIXMAN_a8r8g8b8, work->w, work->h, &bits);
    if (!tmp) {
        return NULL;
    }
    if (brush->type == SPICE_BRUSH_TYPE_SOLID) {
        uint32_t c = color_to_32(pixman_image_get_format(work->dest), brush->color);
        for (size_t i = 0; i < (size_t)work->w * work->h; i++) {
            bits[i] = c;
        }
    } else if (brush->type == SPICE_BRUSH_TYPE_PATTERN && brush->pattern) {
        pixman_image_set_repeat(brush->pattern, PIXMAN_REPEAT_NORMAL);
        /* 64-bit: a guest origin far away must not overflow; pixman wraps modulo the tile. */
        int64_t sx = (int64_t)work->box.x1 - brush->pattern_x;
        int64_t sy = (int64_t)work->box.y1 - brush->pattern_y;
        int pw = pixman_image_get_width(brush->pattern), ph = pixman_image_get_height(brush->pattern);
        if (pw > 0 && ph > 0) {
            sx %= pw;
            sy %= ph;
            pixman_image_composite32(PIXMAN_OP_SRC, brush->pattern, NULL, tmp, (int32_t)sx,
                                     (int32_t)sy, 0, 0, 0, 0, work->w, work->h);
        }
        pixman_image_set_repeat(brush->pattern, PIXMAN_REPEAT_NONE);
    }
    pixman_image_unref(tmp);
    return bits;
}

static void log_no_memory(const Work *work)
{
    g_message("canvas: no memory for a %dx%d draw; it is skipped", work->w, work->h);
}

/* ---- masks ---- */

bool canvas_mask_region(pixman_region32_t *region, const CanvasMask *mask, int32_t origin_x,
                        int32_t origin_y)
{
    if (!mask->bits || mask->width == 0 || mask->height == 0 || mask->width > 0x7fff ||
        mask->height > 0x7fff || mask->stride < (mask->width + 7) / 8) {
        return true;   /* no usable mask: callers pass only checked ones, keep the draw whole */
    }
    int w = (int)mask->width, h = (int)mask->height;
    int stride = ((w + 31) / 32) * 4;
    uint32_t *bits = g_try_malloc0((size_t)stride * h);
    if (!bits) {
        return false;
    }
    /* pixman's a1 has the first pixel in the least significant bit of each 32-bit word (LE). */
    uint8_t *out = (uint8_t *)bits;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = mask->bits + (size_t)y * mask->stride;
        for (int x = 0; x < w; x++) {
            int bit = mask->msb_first ? (row[x / 8] >> (7 - x % 8)) & 1 : (row[x / 8] >> (x % 8)) & 1;
            if (bit) {
                out[(size_t)y * stride + x / 8] |= (uint8_t)(1u << (x % 8));
            }
        }
    }
    pixman_image_t *image = pixman_image_create_bits(PIXMAN_a1, w, h, bits, stride);
    if (!image) {
        g_free(bits);
        return false;
    }
    pixman_region32_t mask_region;
    pixman_region32_init_from_image(&mask_region, image);
    pixman_image_unref(image);
    g_free(bits);
    if (mask->invert) {
        pixman_box32_t all = { 0, 0, w, h };
        pixman_region32_inverse(&mask_region, &mask_region, &all);
    }
    int64_t dx = (int64_t)origin_x - mask->x, dy = (int64_t)origin_y - mask->y;
    if (dx < -(1 << 28) || dx > (1 << 28) || dy < -(1 << 28) || dy > (1 << 28)) {
        pixman_region32_clear(region);   /* the mask lies nowhere near the destination */
    } else {
        pixman_region32_translate(&mask_region, (int)dx, (int)dy);
        pixman_region32_intersect(region, region, &mask_region);
    }
    pixman_region32_fini(&mask_region);
    return true;
}

/* ---- rop draws ---- */

void canvas_fill(pixman_image_t *dest, const pixman_region32_t *region, const CanvasBrush *brush,
                      uint16_t ropd)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint32_t *p = render_brush(&work, brush);
    if (!p) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    bool inv_s = ropd & SPICE_ROPD_INVERS_BRUSH, inv_d = ropd & SPICE_ROPD_INVERS_DEST;
    for (size_t i = 0; i < (size_t)work.w * work.h; i++) {
        work.d[i] = canvas_ropd_apply(ropd, inv_s, inv_d, p[i], work.d[i]);
    }
    g_free(p);
    work_end(&work);
}

void canvas_copy(pixman_image_t *dest, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, uint16_t ropd)
{
    /* A source over the destination's own pixels (a SURFACE image of the same surface) may
     * overlap it: only the work area, which reads all of it first, is safe then. */
    bool same_pixels = pixman_image_get_data(src->image) == pixman_image_get_data(dest);
    if (ropd == SPICE_ROPD_OP_PUT && !same_pixels) {
        /* The common case (every image a guest or server puts on screen): the source goes
         * straight into the destination through the region, with no work area and no
         * per-pixel rop: a third of the memory traffic, and pixman's blit fast paths. */
        pixman_box32_t area = *pixman_region32_extents((pixman_region32_t *)region);
        if (!pixman_region32_not_empty((pixman_region32_t *)region) || !clip_to_image(dest, &area)) {
            return;
        }
        pixman_image_set_clip_region32(dest, (pixman_region32_t *)region);
        composite_source(dest, area.x1, area.y1, &area, bbox, src);
        pixman_image_set_clip_region32(dest, NULL);
        return;
    }
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint32_t *s = render_source(&work, bbox, src, PIXMAN_a8r8g8b8);
    if (!s) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    bool inv_s = ropd & SPICE_ROPD_INVERS_SRC, inv_d = ropd & SPICE_ROPD_INVERS_DEST;
    for (size_t i = 0; i < (size_t)work.w * work.h; i++) {
        work.d[i] = canvas_ropd_apply(ropd, inv_s, inv_d, s[i], work.d[i]);
    }
    g_free(s);
    work_end(&work);
}

void canvas_opaque(pixman_image_t *dest, const pixman_region32_t *region,
                        const pixman_box32_t *bbox, const CanvasSource *src,
                        const CanvasBrush *brush, uint16_t ropd)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint32_t *s = render_source(&work, bbox, src, PIXMAN_a8r8g8b8);
    uint32_t *p = s ? render_brush(&work, brush) : NULL;
    if (!p) {
        g_free(s);
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    /* The source is drawn first; the brush is then combined with it (it is the "destination"). */
    bool inv_p = ropd & SPICE_ROPD_INVERS_BRUSH, inv_s = ropd & SPICE_ROPD_INVERS_SRC;
    for (size_t i = 0; i < (size_t)work.w * work.h; i++) {
        work.d[i] = canvas_ropd_apply(ropd, inv_p, inv_s, p[i], s[i]);
    }
    g_free(s);
    g_free(p);
    work_end(&work);
}

void canvas_rop3(pixman_image_t *dest, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, const CanvasBrush *brush, uint8_t rop3)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint32_t *s = render_source(&work, bbox, src, PIXMAN_a8r8g8b8);
    uint32_t *p = s ? render_brush(&work, brush) : NULL;
    if (!p) {
        g_free(s);
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    for (size_t i = 0; i < (size_t)work.w * work.h; i++) {
        work.d[i] = canvas_rop3_apply(rop3, p[i], s[i], work.d[i]);
    }
    g_free(s);
    g_free(p);
    work_end(&work);
}

void canvas_transparent(pixman_image_t *dest, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src,
                             uint32_t true_color)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint32_t *s = render_source(&work, bbox, src, PIXMAN_a8r8g8b8);
    if (!s) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    /* On 16-bit destinations the key is compared at their precision, as upstream does. */
    uint32_t significant;
    switch (pixman_image_get_format(dest)) {
    case PIXMAN_x1r5g5b5: significant = 0xf8f8f8; break;
    case PIXMAN_r5g6b5:   significant = 0xf8fcf8; break;
    default:                       significant = 0xffffff; break;
    }
    uint32_t key = true_color & significant;
    for (size_t i = 0; i < (size_t)work.w * work.h; i++) {
        if ((s[i] & significant) != key) {
            work.d[i] = s[i];
        }
    }
    g_free(s);
    work_end(&work);
}

void canvas_alpha_blend(pixman_image_t *dest, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src, uint8_t alpha)
{
    Work work;
    if (!work_begin(&work, dest, region, work_format(dest, false))) {
        return;
    }
    bool has_alpha = PIXMAN_FORMAT_A(pixman_image_get_format(src->image)) > 0;
    uint32_t *s = render_source(&work, bbox, src, has_alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8);
    if (!s) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    pixman_image_t *s_image = pixman_image_create_bits(has_alpha ? PIXMAN_a8r8g8b8 :
                                                       PIXMAN_x8r8g8b8, work.w, work.h, s,
                                                       work.w * 4);
    pixman_image_t *mask = NULL;
    if (alpha != 0xff) {
        pixman_color_t c = { 0, 0, 0, (uint16_t)(alpha << 8 | alpha) };
        mask = pixman_image_create_solid_fill(&c);
    }
    if (s_image) {
        pixman_image_composite32(PIXMAN_OP_OVER, s_image, mask, work.d_image, 0, 0, 0, 0, 0, 0,
                                 work.w, work.h);
        pixman_image_unref(s_image);
    }
    if (mask) {
        pixman_image_unref(mask);
    }
    g_free(s);
    work_end(&work);
}

/* ---- coverage-based draws (stroke, text) ---- */

/* Applies @ropd with @brush (as the "s" input) to the covered pixels of the work area. */
static void apply_coverage(Work *work, const uint8_t *coverage, const CanvasBrush *brush,
                           uint16_t ropd)
{
    uint32_t *p = render_brush(work, brush);
    if (!p) {
        log_no_memory(work);
        return;
    }
    bool inv_s = ropd & SPICE_ROPD_INVERS_BRUSH, inv_d = ropd & SPICE_ROPD_INVERS_DEST;
    for (size_t i = 0; i < (size_t)work->w * work->h; i++) {
        if (coverage[i]) {
            work->d[i] = canvas_ropd_apply(ropd, inv_s, inv_d, p[i], work->d[i]);
        }
    }
    g_free(p);
}

/* Blends @brush OVER the work area with @coverage as its alpha (anti-aliased A4/A8 glyphs). */
static void blend_coverage(Work *work, const uint8_t *coverage, const CanvasBrush *brush)
{
    uint32_t *p = render_brush(work, brush);
    if (!p) {
        log_no_memory(work);
        return;
    }
    for (size_t i = 0; i < (size_t)work->w * work->h; i++) {
        uint32_t a = coverage[i], d = work->d[i], r = 0;
        if (a == 0) {
            continue;
        }
        for (int shift = 0; shift < 24; shift += 8) {
            uint32_t sc = (p[i] >> shift) & 0xff, dc = (d >> shift) & 0xff;
            r |= ((sc * a + dc * (255 - a) + 127) / 255) << shift;
        }
        work->d[i] = r | (d & 0xff000000u);
    }
    g_free(p);
}

/*
 * Bounds on what one stroke may cost, whatever the guest sends: pixels walked along lines, and
 * points produced by flattening beziers. Past them the rest of the path is not drawn.
 */
#define STROKE_MAX_STEPS (1 << 24)
#define STROKE_MAX_POINTS (1 << 22)
#define BEZIER_MAX_DEPTH 24

typedef struct LineState {
    Work *work;
    uint8_t *coverage;
    const int32_t *dash;     /* NULL: solid */
    uint32_t ndash;
    uint32_t dash_index;
    int64_t dash_left;       /* pixels left in the current dash entry */
    int64_t steps_left;      /* STROKE_MAX_STEPS budget */
} LineState;

static void plot(LineState *ls, int64_t x, int64_t y)
{
    bool on = true;
    if (ls->dash) {
        while (ls->dash_left <= 0) {
            ls->dash_index = (ls->dash_index + 1) % ls->ndash;
            ls->dash_left = ls->dash[ls->dash_index];
        }
        on = ls->dash_index % 2 == 0;
        ls->dash_left--;
    }
    int64_t cx = x - ls->work->box.x1, cy = y - ls->work->box.y1;
    if (on && cx >= 0 && cy >= 0 && cx < ls->work->w && cy < ls->work->h) {
        ls->coverage[cy * ls->work->w + cx] = 1;
    }
}

/*
 * Octants whose Bresenham ties step along the minor axis one pixel later (X's default zero-line
 * bias, which upstream's canvas keeps): lines then light the same pixels in both directions.
 * Octant bits: 4 = x decreasing, 2 = y decreasing, 1 = y major.
 */
#define ZERO_LINE_BIAS ((1u << (2 | 1)) | (1u << (4 | 2 | 1)) | (1u << (4 | 2)) | (1u << 4))

/* A zero-width line from (x0, y0) to (x1, y1), the last point excluded (CapNotLast). */
static void draw_line(LineState *ls, int64_t x0, int64_t y0, int64_t x1, int64_t y1)
{
    int64_t adx = x1 > x0 ? x1 - x0 : x0 - x1, ady = y1 > y0 ? y1 - y0 : y0 - y1;
    int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    /* A solid line that misses the work area changes nothing: skip it without walking it. */
    if (!ls->dash && (MAX(x0, x1) < ls->work->box.x1 || MIN(x0, x1) >= ls->work->box.x2 ||
                      MAX(y0, y1) < ls->work->box.y1 || MIN(y0, y1) >= ls->work->box.y2)) {
        return;
    }
    bool y_major = ady > adx;
    int64_t major = y_major ? ady : adx, minor = y_major ? adx : ady;
    if (major > ls->steps_left) {
        ls->steps_left = 0;
        return;
    }
    ls->steps_left -= major;
    unsigned octant = (x1 < x0 ? 4u : 0u) | (y1 < y0 ? 2u : 0u) | (y_major ? 1u : 0u);
    /* e decides the minor step of the next pixel: 2 * minor * k - major, per pixel k. */
    int64_t e1 = 2 * minor, e2 = 2 * minor - 2 * major;
    int64_t e = e1 - major - (int64_t)((ZERO_LINE_BIAS >> octant) & 1);
    for (int64_t i = 0; i < major; i++) {
        plot(ls, x0, y0);
        bool minor_step = e >= 0;
        e += minor_step ? e2 : e1;
        if (y_major) {
            y0 += sy;
            x0 += minor_step ? sx : 0;
        } else {
            x0 += sx;
            y0 += minor_step ? sy : 0;
        }
    }
}

/* 28.4 fixed point to an integer as upstream's canvas rounds it: halves go down. */
static int64_t fix_to_int(int32_t v)
{
    return ((int64_t)v + 7) >> 4;
}

typedef struct PolyPoint {
    int64_t x;
    int64_t y;
} PolyPoint;

typedef struct Polyline {
    PolyPoint *points;
    size_t n;
    size_t size;
    size_t added;            /* points added over the whole stroke, against STROKE_MAX_POINTS */
} Polyline;

static void polyline_add(Polyline *pl, int64_t x, int64_t y)
{
    if (pl->added >= STROKE_MAX_POINTS) {
        return;
    }
    pl->added++;
    if (pl->n == pl->size) {
        pl->size = pl->size ? pl->size * 2 : 16;
        pl->points = g_renew(PolyPoint, pl->points, pl->size);
    }
    pl->points[pl->n] = (PolyPoint) { x, y };
    pl->n++;
}

/* (a . b) >> 4 of two 28.4 vectors, in 128 bits: guest coordinates span 2^32. */
static __int128 dot_fix(int64_t ax, int64_t ay, int64_t bx, int64_t by)
{
    return ((__int128)ax * bx + (__int128)ay * by) >> 4;
}

/*
 * Flattens a cubic bezier (28.4 points) the way upstream's canvas does, so both draw the same
 * pixels: a piece is straight enough when both control points lie within about half a pixel of
 * the chord (their squared distances, scaled by the chord's, below the chord's squared length);
 * otherwise it is halved at its midpoint (integer halving, as upstream) and each half flattened.
 */
static void flatten_bezier(Polyline *pl, const int64_t p[4][2], int depth)
{
    __int128 a2 = dot_fix(p[1][0] - p[0][0], p[1][1] - p[0][1], p[1][0] - p[0][0], p[1][1] - p[0][1]);
    __int128 b2 = dot_fix(p[3][0] - p[0][0], p[3][1] - p[0][1], p[3][0] - p[0][0], p[3][1] - p[0][1]);
    __int128 c2 = dot_fix(p[2][0] - p[3][0], p[2][1] - p[3][1], p[2][0] - p[3][0], p[2][1] - p[3][1]);
    __int128 ab = dot_fix(p[1][0] - p[0][0], p[1][1] - p[0][1], p[3][0] - p[0][0], p[3][1] - p[0][1]);
    __int128 cb = dot_fix(p[2][0] - p[3][0], p[2][1] - p[3][1], p[0][0] - p[3][0], p[0][1] - p[3][1]);
    /* Products of 2^66-sized values would overflow even 128 bits: such curves are split blindly. */
    const __int128 big = (__int128)1 << 60;
    bool sane = a2 < big && b2 < big && c2 < big && ab < big && ab > -big && cb < big && cb > -big;
    bool straight = sane && ((a2 * b2 - ab * ab) >> 3) < b2 && ((c2 * b2 - cb * cb) >> 3) < b2;
    if (straight || depth >= BEZIER_MAX_DEPTH || pl->added >= STROKE_MAX_POINTS) {
        polyline_add(pl, fix_to_int((int32_t)p[3][0]), fix_to_int((int32_t)p[3][1]));
        return;
    }
    int64_t a[4][2], b[4][2];
    for (int k = 0; k < 2; k++) {
        int64_t p01 = (p[0][k] + p[1][k]) / 2, p12 = (p[1][k] + p[2][k]) / 2;
        int64_t p23 = (p[2][k] + p[3][k]) / 2, p012 = (p01 + p12) / 2, p123 = (p12 + p23) / 2;
        int64_t mid = (p012 + p123) / 2;
        a[0][k] = p[0][k]; a[1][k] = p01; a[2][k] = p012; a[3][k] = mid;
        b[0][k] = mid; b[1][k] = p123; b[2][k] = p23; b[3][k] = p[3][k];
    }
    flatten_bezier(pl, (const int64_t (*)[2])a, depth + 1);
    flatten_bezier(pl, (const int64_t (*)[2])b, depth + 1);
}

static void polyline_draw(LineState *ls, Polyline *pl)
{
    for (size_t i = 0; i + 1 < pl->n; i++) {
        draw_line(ls, pl->points[i].x, pl->points[i].y, pl->points[i + 1].x, pl->points[i + 1].y);
    }
    pl->n = 0;
}

void canvas_stroke(pixman_image_t *dest, const pixman_region32_t *region,
                   const CanvasStroke *stroke, const CanvasBrush *brush)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint8_t *coverage = g_try_malloc0((size_t)work.w * work.h);
    int32_t *dash = NULL;
    if (!coverage) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    LineState ls = { .work = &work, .coverage = coverage, .steps_left = STROKE_MAX_STEPS };
    if ((stroke->attr_flags & SPICE_LINE_FLAGS_STYLED) && stroke->style_nseg > 0 && stroke->style) {
        uint32_t n = stroke->style_nseg;
        dash = g_new(int32_t, n);
        int64_t total = 0;
        for (uint32_t i = 0; i < n; i++) {
            /* START_WITH_GAP: the first length moves to the end, as upstream rotates it. */
            int32_t v = (stroke->attr_flags & SPICE_LINE_FLAGS_START_WITH_GAP) ?
                        stroke->style[(i + 1) % n] : stroke->style[i];
            dash[i] = (int32_t)CLAMP(fix_to_int(v), 0, 1 << 16);
            total += dash[i];
        }
        if (total > 0) {
            ls.dash = dash;
            ls.ndash = n;
            ls.dash_index = 0;
            ls.dash_left = dash[0];
            if (stroke->attr_flags & SPICE_LINE_FLAGS_START_WITH_GAP) {
                ls.dash_left = 0;   /* begin with the gap entry that follows */
                ls.dash_index = n - 1;
            }
        }
    }
    Polyline pl = { 0 };
    for (uint32_t si = 0; si < stroke->num_segments; si++) {
        const CanvasPathSegment *seg = &stroke->segments[si];
        /* A segment naming points past the array is dropped (parsers check this already). */
        if (seg->first_point > stroke->num_points ||
            seg->count > stroke->num_points - seg->first_point) {
            continue;
        }
        const CanvasPointFix *pt = &stroke->points[seg->first_point];
        const CanvasPointFix *end = pt + seg->count;
        if ((seg->flags & SPICE_PATH_BEGIN) && pt < end) {
            polyline_draw(&ls, &pl);
            polyline_add(&pl, fix_to_int(pt->x), fix_to_int(pt->y));
            pt++;
        }
        if (seg->flags & SPICE_PATH_BEZIER) {
            for (; pt + 2 < end && pl.n > 0; pt += 3) {
                int64_t b[4][2] = {
                    { pl.points[pl.n - 1].x * 16, pl.points[pl.n - 1].y * 16 },
                    { pt[0].x, pt[0].y }, { pt[1].x, pt[1].y }, { pt[2].x, pt[2].y },
                };
                flatten_bezier(&pl, (const int64_t (*)[2])b, 0);
            }
        } else {
            for (; pt < end; pt++) {
                polyline_add(&pl, fix_to_int(pt->x), fix_to_int(pt->y));
            }
        }
        if (seg->flags & SPICE_PATH_END) {
            if ((seg->flags & SPICE_PATH_CLOSE) && pl.n > 0) {
                polyline_add(&pl, pl.points[0].x, pl.points[0].y);
            }
            polyline_draw(&ls, &pl);
        }
    }
    polyline_draw(&ls, &pl);
    g_free(pl.points);
    g_free(dash);
    apply_coverage(&work, coverage, brush, stroke->fore_mode);
    g_free(coverage);
    work_end(&work);
}

void canvas_text(pixman_image_t *dest, const pixman_region32_t *region, const CanvasText *text,
                 const CanvasBrush *fore, const CanvasBrush *back)
{
    Work work;
    if (!work_begin(&work, dest, region, PIXMAN_a8r8g8b8)) {
        return;
    }
    uint8_t *coverage = g_try_malloc0((size_t)work.w * work.h);
    if (!coverage) {
        log_no_memory(&work);
        work_abort(&work);
        return;
    }
    const pixman_box32_t *ba = &text->back_area;
    if (ba->x1 < ba->x2 && ba->y1 < ba->y2 && back->type != SPICE_BRUSH_TYPE_NONE) {
        for (int y = 0; y < work.h; y++) {
            for (int x = 0; x < work.w; x++) {
                int64_t px = (int64_t)work.box.x1 + x, py = (int64_t)work.box.y1 + y;
                coverage[(size_t)y * work.w + x] = px >= ba->x1 && px < ba->x2 && py >= ba->y1 &&
                                                   py < ba->y2;
            }
        }
        apply_coverage(&work, coverage, back, text->back_mode);
        memset(coverage, 0, (size_t)work.w * work.h);
    }
    uint32_t bpp = text->bpp == 4 || text->bpp == 8 ? text->bpp : 1;
    for (uint32_t i = 0; i < text->num_glyphs; i++) {
        const CanvasGlyph *g = &text->glyphs[i];
        if (!g->bits || g->stride < ((uint32_t)g->width * bpp + 7) / 8) {
            continue;
        }
        int64_t gx = (int64_t)g->render_x + g->origin_x - work.box.x1;
        int64_t gy = (int64_t)g->render_y + g->origin_y - work.box.y1;
        for (int64_t y = MAX(0, -gy); y < g->height && gy + y < work.h; y++) {
            /* Rows are stored bottom row first; upstream's canvas reads them so whatever
             * RASTER_TOP_DOWN says, and pictures must match it. */
            int64_t stored = g->height - 1 - y;
            const uint8_t *row = g->bits + (size_t)stored * g->stride;
            for (int64_t x = MAX(0, -gx); x < g->width && gx + x < work.w; x++) {
                uint8_t *c = &coverage[(gy + y) * work.w + gx + x];
                uint8_t v;
                if (bpp == 1) {
                    v = (row[x / 8] & (0x80 >> (x % 8))) ? 0xff : 0;
                } else if (bpp == 4) {
                    v = (uint8_t)(((row[x / 2] >> (x % 2 ? 0 : 4)) & 0xf) * 0x11);
                } else {
                    v = row[x];
                }
                *c = MAX(*c, v);
            }
        }
    }
    if (bpp == 1) {
        apply_coverage(&work, coverage, fore, text->fore_mode);
    } else {
        blend_coverage(&work, coverage, fore);
    }
    g_free(coverage);
    work_end(&work);
}

/* ---- composite ---- */

static void to_pixman_transform(const uint32_t t[6], pixman_transform_t *out)
{
    pixman_transform_init_identity(out);
    out->matrix[0][0] = (pixman_fixed_t)t[0];
    out->matrix[0][1] = (pixman_fixed_t)t[1];
    out->matrix[0][2] = (pixman_fixed_t)t[2];
    out->matrix[1][0] = (pixman_fixed_t)t[3];
    out->matrix[1][1] = (pixman_fixed_t)t[4];
    out->matrix[1][2] = (pixman_fixed_t)t[5];
}

void canvas_composite(pixman_image_t *dest, const pixman_region32_t *region,
                      const pixman_box32_t *bbox, const CanvasComposite *composite,
                      pixman_image_t *src, pixman_image_t *mask)
{
    uint32_t flags = composite->flags;
    Work work;
    if (!work_begin(&work, dest, region,
                    work_format(dest, flags & SPICE_COMPOSITE_DEST_OPAQUE))) {
        return;
    }
    pixman_transform_t t;
    if (composite->has_src_transform) {
        to_pixman_transform(composite->src_transform, &t);
        pixman_image_set_transform(src, &t);
    }
    /* Filter and repeat values are pixman's own (checked by the parser). */
    pixman_image_set_filter(src, (pixman_filter_t)((flags >> 8) & 7), NULL, 0);
    pixman_image_set_repeat(src, (pixman_repeat_t)((flags >> 14) & 3));
    if (mask) {
        if (composite->has_mask_transform) {
            to_pixman_transform(composite->mask_transform, &t);
            pixman_image_set_transform(mask, &t);
        }
        pixman_image_set_filter(mask, (pixman_filter_t)((flags >> 11) & 7), NULL, 0);
        pixman_image_set_repeat(mask, (pixman_repeat_t)((flags >> 16) & 3));
        pixman_image_set_component_alpha(mask, (flags >> 18) & 1);
    }
    int64_t off_x = (int64_t)work.box.x1 - bbox->x1, off_y = (int64_t)work.box.y1 - bbox->y1;
    int64_t sx = composite->src_x + off_x, sy = composite->src_y + off_y;
    int64_t mx = composite->mask_x + off_x, my = composite->mask_y + off_y;
    if (fits_i32(sx) && fits_i32(sy) && fits_i32(mx) && fits_i32(my)) {
        pixman_image_composite32((pixman_op_t)(flags & 0xff), src, mask, work.d_image,
                                 (int32_t)sx, (int32_t)sy, (int32_t)mx, (int32_t)my, 0, 0,
                                 work.w, work.h);
    }
    work_end(&work);
}

bool canvas_composite_flags_valid(uint32_t flags)
{
    uint32_t op = flags & 0xff;
    uint32_t src_filter = (flags >> 8) & 7, mask_filter = (flags >> 11) & 7;
    bool op_ok = op <= PIXMAN_OP_SATURATE ||
                 (op >= PIXMAN_OP_MULTIPLY && op <= PIXMAN_OP_HSL_LUMINOSITY);
    /* Filters that need parameters (convolutions) are refused. Bits from 19 up are the
     * caller's: the wire's HAS_MASK / HAS_*_TRANSFORM / *_OPAQUE, unknown in QXL. */
    return op_ok && src_filter <= PIXMAN_FILTER_BILINEAR && mask_filter <= PIXMAN_FILTER_BILINEAR;
}
