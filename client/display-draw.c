/* display-draw: draw messages -> parsed structs -> images decoded, region and mask computed -> the shared canvas renders. */
#include "client/display-draw.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "canvas/canvas.h"
#include "client/display-parse-draw.h"

static void report_malformed(const DisplayDrawEnv *env, const char *what, size_t size)
{
    env->malformed(what, size, env->user);
}

static pixman_image_t *lookup_surface(uint32_t id, void *user)
{
    const DisplayDrawEnv *env = user;
    return env->surface(id, env->user);
}

/*
 * A fresh image over the pixels of @img (which it keeps alive): the canvas sets transforms,
 * filters and repeats on the images it is given, and cached pixmaps or surfaces must never keep
 * them. @alpha: 1 reads 32-bit pixels with alpha, 0 as opaque, -1 in @img's own format.
 */
static void unref_parent(pixman_image_t *image, void *parent)
{
    (void)image;
    pixman_image_unref(parent);
}

static pixman_image_t *fresh_view(pixman_image_t *img, int alpha)
{
    pixman_format_code_t format = pixman_image_get_format(img);
    if (PIXMAN_FORMAT_BPP(format) == 32 && alpha >= 0) {
        format = alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
    }
    pixman_image_t *view = pixman_image_create_bits(format, pixman_image_get_width(img),
                                                    pixman_image_get_height(img),
                                                    pixman_image_get_data(img),
                                                    pixman_image_get_stride(img));
    if (view) {
        pixman_image_set_destroy_function(view, unref_parent, pixman_image_ref(img));
    }
    return view;
}

/* Decodes the image at @offset into a fresh view (caller unrefs); NULL after reporting why. */
static pixman_image_t *decode(const DisplayDrawEnv *env, const uint8_t *body, size_t size,
                              uint32_t offset, int alpha)
{
    char *message = NULL;
    pixman_image_t *img = NULL;
    ImageStatus st = image_decode(body, size, offset, env->caches, lookup_surface, (void *)env,
                                  &img, &message);
    if (st != IMAGE_OK) {
        /* One log line per status kind and message start keeps a GLZ stream from flooding. */
        char *kind = g_strdup_printf("image-%d-%.24s", st, message ? message : "");
        env->problem(kind, message ? message : "image decoding failed", env->user);
        g_free(kind);
        g_free(message);
        return NULL;
    }
    if (message != NULL) {
        env->problem("cache-full", message, env->user);
        g_free(message);
    }
    pixman_image_t *view = fresh_view(img, alpha);
    pixman_image_unref(img);
    if (view == NULL) {
        env->problem("draw-oom", "out of memory for an image view", env->user);
    }
    return view;
}

static pixman_box32_t box_of(const DisplayRect *r)
{
    return (pixman_box32_t) { r->left, r->top, r->right, r->bottom };
}

/* The region of @dst a draw of @base may touch: its box, clip rects and the surface bounds. */
static void base_region(pixman_image_t *dst, const DisplayBase *base, pixman_region32_t *region)
{
    pixman_box32_t box = box_of(&base->box);
    if (base->clip.type == SPICE_CLIP_TYPE_RECTS) {
        pixman_region32_t clip;
        pixman_region32_init(&clip);
        for (uint32_t i = 0; i < base->clip.num_rects; i++) {
            pixman_box32_t r = box_of(&base->clip.rects[i]);
            pixman_region32_t one;
            pixman_region32_init_rects(&one, &r, 1);
            pixman_region32_union(&clip, &clip, &one);
            pixman_region32_fini(&one);
        }
        canvas_draw_region(dst, &box, &clip, region);
        pixman_region32_fini(&clip);
    } else {
        canvas_draw_region(dst, &box, NULL, region);
    }
}

/*
 * The destination surface of @base and the region the draw may touch (box, clip rects, surface
 * bounds); NULL after reporting a missing surface. The caller finis @region when non-NULL.
 */
static pixman_image_t *target(const DisplayDrawEnv *env, const DisplayBase *base,
                              pixman_region32_t *region)
{
    pixman_image_t *dst = env->surface(base->surface_id, env->user);
    if (dst == NULL) {
        char *msg = g_strdup_printf("a draw names surface %u, which does not exist",
                                    base->surface_id);
        env->problem("missing-surface", msg, env->user);
        g_free(msg);
        return NULL;
    }
    base_region(dst, base, region);
    return dst;
}

/* Mask bits from a decoded image: a pixel with any colour bit set keeps the draw. */
static uint8_t *mask_bits_from_image(pixman_image_t *img, uint32_t *stride_out)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    uint32_t stride = ((uint32_t)w + 7) / 8;
    uint8_t *bits = g_malloc0((size_t)stride * (size_t)h);
    pixman_image_t *rgb = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
    if (rgb) {
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, rgb, 0, 0, 0, 0, 0, 0, w, h);
        const uint8_t *data = (const uint8_t *)pixman_image_get_data(rgb);
        int rs = pixman_image_get_stride(rgb);
        for (int y = 0; y < h; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(data + (size_t)y * rs);
            for (int x = 0; x < w; x++) {
                if (row[x] & 0xffffff) {
                    bits[(size_t)y * stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
                }
            }
        }
        pixman_image_unref(rgb);
    }
    *stride_out = stride;
    return bits;
}

/*
 * Applies a QMask to @region (its pixel (mask.x, mask.y) on the bbox's top-left). A 1-bit BITMAP
 * is read raw (its palette ignored, as upstream's canvas does, so it needs none); any other
 * image (e.g. a cached one) is decoded and its lit pixels kept. Raw masks are not cached: a
 * later FROM_CACHE of one misses, is reported, and the draw goes without the mask.
 */
static void apply_mask(const DisplayDrawEnv *env, const uint8_t *body, size_t size,
                       const DisplayMask *mask, const DisplayRect *bbox, pixman_region32_t *region)
{
    if (mask->bitmap_offset == 0) {
        return;
    }
    DisplayMaskBits raw;
    bool raw_ok = display_parse_mask_bits(body, size, mask->bitmap_offset, &raw);
    pixman_image_t *decoded = raw_ok ? NULL : decode(env, body, size, mask->bitmap_offset, -1);
    uint8_t *owned = NULL;
    CanvasMask m = { .invert = mask->flags & SPICE_MASK_FLAGS_INVERS, .x = mask->x, .y = mask->y };
    if (raw_ok) {
        m.width = raw.width;
        m.height = raw.height;
        m.stride = raw.stride;
        m.msb_first = raw.msb_first;
        if (raw.top_down) {
            m.bits = raw.bits;
        } else {
            /* Bottom-up rows: the canvas wants the top row first. */
            owned = g_malloc((size_t)raw.stride * raw.height);
            for (uint32_t y = 0; y < raw.height; y++) {
                memcpy(owned + (size_t)y * raw.stride,
                       raw.bits + (size_t)(raw.height - 1 - y) * raw.stride, raw.stride);
            }
            m.bits = owned;
        }
    } else if (decoded) {
        uint32_t stride;
        owned = mask_bits_from_image(decoded, &stride);
        m.bits = owned;
        m.width = (uint32_t)pixman_image_get_width(decoded);
        m.height = (uint32_t)pixman_image_get_height(decoded);
        m.stride = stride;
        m.msb_first = true;
    }
    if (m.bits && !canvas_mask_region(region, &m, bbox->left, bbox->top)) {
        env->problem("mask-oom", "out of memory for a draw mask (drawn without it)", env->user);
    }
    g_free(owned);
    if (decoded) {
        pixman_image_unref(decoded);
    }
}

/* A canvas brush for @b; a PATTERN tile decoded into *tile (caller unrefs). False if it fails. */
static bool resolve_brush(const DisplayDrawEnv *env, const uint8_t *body, size_t size,
                          const DisplayBrush *b, CanvasBrush *out, pixman_image_t **tile)
{
    *tile = NULL;
    *out = (CanvasBrush) { .type = b->type, .color = b->color, .pattern_x = b->pattern_x,
                           .pattern_y = b->pattern_y };
    if (b->type == SPICE_BRUSH_TYPE_PATTERN) {
        *tile = decode(env, body, size, b->pattern_offset, -1);
        out->pattern = *tile;
        return *tile != NULL;
    }
    return true;
}

/* ---- the draws ---- */

static const char *copy_name(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY: return "DRAW_COPY";
    case SPICE_MSG_DISPLAY_DRAW_BLEND: return "DRAW_BLEND";
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE: return "DRAW_OPAQUE";
    default: return "DRAW_ROP3";
    }
}

/*
 * A plain COPY (rop PUT, no mask) of a whole image onto a bbox of its size that the surface and
 * the clip leave entirely visible is the image's pixels written there: image_decode_into then
 * decodes straight into the surface when the image allows it. True when it did (*result says
 * how it went); false leaves everything to the general path.
 */
static bool copy_in_place(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                          size_t size, const DisplayCopyDraw *c, DisplayResult *result)
{
    const DisplayRect *b = &c->base.box, *a = &c->src_area;
    if (type != SPICE_MSG_DISPLAY_DRAW_COPY || c->rop_descriptor != SPICE_ROPD_OP_PUT
        || c->mask.bitmap_offset != 0 || a->left != 0 || a->top != 0
        || (int64_t)a->right - a->left != (int64_t)b->right - b->left
        || (int64_t)a->bottom - a->top != (int64_t)b->bottom - b->top) {
        return false;
    }
    pixman_image_t *dst = env->surface(c->base.surface_id, env->user);
    if (dst == NULL) {
        return false;
    }
    pixman_region32_t region;
    base_region(dst, &c->base, &region);
    pixman_box32_t box = box_of(b);
    const pixman_box32_t *seen = pixman_region32_extents(&region);
    bool whole = pixman_region32_n_rects(&region) == 1 && seen->x1 == box.x1 && seen->y1 == box.y1
                 && seen->x2 == box.x2 && seen->y2 == box.y2;
    pixman_region32_fini(&region);
    if (!whole) {
        return false;
    }
    bool placed = false;
    char *message = NULL;
    ImageStatus st = image_decode_into(body, size, c->src_bitmap_offset, dst, box.x1, box.y1,
                                       (uint32_t)(box.x2 - box.x1), (uint32_t)(box.y2 - box.y1),
                                       &placed, &message);
    if (placed && st != IMAGE_OK) {
        char *kind = g_strdup_printf("image-%d-%.24s", st, message ? message : "");
        env->problem(kind, message ? message : "image decoding failed", env->user);
        g_free(kind);
    }
    g_free(message);
    if (placed) {
        /* A failed decode may have written its first rows: the surface changed either way. */
        *result = DISPLAY_RESULT_DRAW;
    }
    return placed;
}

static DisplayResult draw_copy(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                               size_t size)
{
    DisplayCopyDraw c;
    if (!display_parse_copy_draw(type, body, size, &c)) {
        display_clip_clear(&c.base.clip);
        report_malformed(env, copy_name(type), size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    if (copy_in_place(env, type, body, size, &c, &result)) {
        display_clip_clear(&c.base.clip);
        return result;
    }
    /* Images first, whatever the target: CACHE_ME and the GLZ window must see every image in
     * order, or later FROM_CACHE / GLZ references to it would miss. */
    CanvasSource src = { .image = decode(env, body, size, c.src_bitmap_offset, -1),
                         .area = box_of(&c.src_area),
                         .smooth = c.scale_mode == SPICE_IMAGE_SCALE_MODE_INTERPOLATE };
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &c.base, &region);
    if (dst == NULL) {
        if (src.image) {
            pixman_image_unref(src.image);
        }
        display_clip_clear(&c.base.clip);
        return result;
    }
    CanvasBrush brush;
    pixman_image_t *tile = NULL;
    if (src.image && resolve_brush(env, body, size, &c.brush, &brush, &tile)) {
        apply_mask(env, body, size, &c.mask, &c.base.box, &region);
        pixman_box32_t bbox = box_of(&c.base.box);
        if (type == SPICE_MSG_DISPLAY_DRAW_ROP3) {
            canvas_rop3(dst, &region, &bbox, &src, &brush, c.rop3);
        } else if (type == SPICE_MSG_DISPLAY_DRAW_OPAQUE) {
            canvas_opaque(dst, &region, &bbox, &src, &brush, c.rop_descriptor);
        } else {
            canvas_copy(dst, &region, &bbox, &src, c.rop_descriptor);
        }
        result = DISPLAY_RESULT_DRAW;
    }
    if (tile) {
        pixman_image_unref(tile);
    }
    if (src.image) {
        pixman_image_unref(src.image);
    }
    pixman_region32_fini(&region);
    display_clip_clear(&c.base.clip);
    return result;
}

static DisplayResult draw_fill(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayFill f;
    if (!display_parse_draw_fill(body, size, &f)) {
        display_clip_clear(&f.base.clip);
        report_malformed(env, "DRAW_FILL", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &f.base, &region);
    if (dst == NULL) {
        display_clip_clear(&f.base.clip);
        return result;
    }
    DisplayBrush b = { .type = f.brush_type, .color = f.brush_color,
                       .pattern_offset = f.brush_pattern_offset, .pattern_x = f.pattern_x,
                       .pattern_y = f.pattern_y };
    CanvasBrush brush;
    pixman_image_t *tile = NULL;
    if (resolve_brush(env, body, size, &b, &brush, &tile)) {
        apply_mask(env, body, size, &f.mask, &f.base.box, &region);
        canvas_fill(dst, &region, &brush, f.rop_descriptor);
        result = DISPLAY_RESULT_DRAW;
    }
    if (tile) {
        pixman_image_unref(tile);
    }
    pixman_region32_fini(&region);
    display_clip_clear(&f.base.clip);
    return result;
}

/* BLACKNESS / WHITENESS / INVERS: a fill with no brush and the matching rop. */
static DisplayResult draw_flat(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                               size_t size)
{
    DisplayFlat fl;
    if (!display_parse_flat(body, size, &fl)) {
        display_clip_clear(&fl.base.clip);
        report_malformed(env, "DRAW_BLACKNESS/WHITENESS/INVERS", size);
        return DISPLAY_RESULT_DROPPED;
    }
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &fl.base, &region);
    if (dst == NULL) {
        display_clip_clear(&fl.base.clip);
        return DISPLAY_RESULT_DROPPED;
    }
    uint16_t ropd = type == SPICE_MSG_DISPLAY_DRAW_BLACKNESS ? SPICE_ROPD_OP_BLACKNESS :
                    type == SPICE_MSG_DISPLAY_DRAW_WHITENESS ? SPICE_ROPD_OP_WHITENESS :
                    SPICE_ROPD_OP_INVERS;
    CanvasBrush none = { .type = SPICE_BRUSH_TYPE_NONE };
    apply_mask(env, body, size, &fl.mask, &fl.base.box, &region);
    canvas_fill(dst, &region, &none, ropd);
    pixman_region32_fini(&region);
    display_clip_clear(&fl.base.clip);
    return DISPLAY_RESULT_DRAW;
}

static DisplayResult draw_transparent(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayTransparent t;
    if (!display_parse_transparent(body, size, &t)) {
        display_clip_clear(&t.base.clip);
        report_malformed(env, "DRAW_TRANSPARENT", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    CanvasSource src = { .image = decode(env, body, size, t.src_bitmap_offset, -1),
                         .area = box_of(&t.src_area) };   /* first: see draw_copy */
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &t.base, &region);
    if (dst != NULL) {
        if (src.image) {
            pixman_box32_t bbox = box_of(&t.base.box);
            canvas_transparent(dst, &region, &bbox, &src, t.true_color);
            result = DISPLAY_RESULT_DRAW;
        }
        pixman_region32_fini(&region);
    }
    if (src.image) {
        pixman_image_unref(src.image);
    }
    display_clip_clear(&t.base.clip);
    return result;
}

static DisplayResult draw_alpha_blend(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayAlphaBlend a;
    if (!display_parse_alpha_blend(body, size, &a)) {
        display_clip_clear(&a.base.clip);
        report_malformed(env, "DRAW_ALPHA_BLEND", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    /* Without SRC_SURFACE_HAS_ALPHA the source's alpha bytes mean nothing: read it as xRGB.
     * Decoded first: see draw_copy. Scaled: nearest, as upstream. */
    int alpha = (a.alpha_flags & SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA) ? 1 : 0;
    CanvasSource src = { .image = decode(env, body, size, a.src_bitmap_offset, alpha),
                         .area = box_of(&a.src_area) };
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &a.base, &region);
    if (dst != NULL) {
        if (src.image) {
            pixman_box32_t bbox = box_of(&a.base.box);
            canvas_alpha_blend(dst, &region, &bbox, &src, a.alpha);
            result = DISPLAY_RESULT_DRAW;
        }
        pixman_region32_fini(&region);
    }
    if (src.image) {
        pixman_image_unref(src.image);
    }
    display_clip_clear(&a.base.clip);
    return result;
}

static DisplayResult draw_stroke(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayStroke s;
    if (!display_parse_stroke(body, size, &s)) {
        display_stroke_clear(&s);
        report_malformed(env, "DRAW_STROKE", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &s.base, &region);
    if (dst != NULL) {
        CanvasBrush brush;
        pixman_image_t *tile = NULL;
        if (resolve_brush(env, body, size, &s.brush, &brush, &tile)) {
            canvas_stroke(dst, &region, &s.stroke, &brush);
            result = DISPLAY_RESULT_DRAW;
        }
        if (tile) {
            pixman_image_unref(tile);
        }
        pixman_region32_fini(&region);
    }
    display_stroke_clear(&s);
    return result;
}

static DisplayResult draw_text(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayText t;
    if (!display_parse_text(body, size, &t)) {
        display_text_clear(&t);
        report_malformed(env, "DRAW_TEXT", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &t.base, &region);
    if (dst != NULL) {
        CanvasBrush fore, back;
        pixman_image_t *fore_tile = NULL, *back_tile = NULL;
        if (resolve_brush(env, body, size, &t.fore_brush, &fore, &fore_tile) &&
            resolve_brush(env, body, size, &t.back_brush, &back, &back_tile)) {
            canvas_text(dst, &region, &t.text, &fore, &back);
            result = DISPLAY_RESULT_DRAW;
        }
        if (fore_tile) {
            pixman_image_unref(fore_tile);
        }
        if (back_tile) {
            pixman_image_unref(back_tile);
        }
        pixman_region32_fini(&region);
    }
    display_text_clear(&t);
    return result;
}

static DisplayResult draw_composite(const DisplayDrawEnv *env, const uint8_t *body, size_t size)
{
    DisplayComposite c;
    if (!display_parse_composite(body, size, &c)) {
        display_clip_clear(&c.base.clip);
        report_malformed(env, "DRAW_COMPOSITE", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    /* Images first, in message order: see draw_copy. */
    uint32_t flags = c.composite.flags;
    pixman_image_t *src = decode(env, body, size, c.src_bitmap_offset,
                                 (flags & SPICE_COMPOSITE_SOURCE_OPAQUE) ? 0 : -1);
    pixman_image_t *mask = NULL;
    bool ok = src != NULL;
    if (ok && c.mask_bitmap_offset != 0) {
        mask = decode(env, body, size, c.mask_bitmap_offset,
                      (flags & SPICE_COMPOSITE_MASK_OPAQUE) ? 0 : -1);
        ok = mask != NULL;
    }
    pixman_region32_t region;
    pixman_image_t *dst = target(env, &c.base, &region);
    if (dst != NULL) {
        if (ok) {
            pixman_box32_t bbox = box_of(&c.base.box);
            canvas_composite(dst, &region, &bbox, &c.composite, src, mask);
            result = DISPLAY_RESULT_DRAW;
        }
        pixman_region32_fini(&region);
    }
    if (src) {
        pixman_image_unref(src);
    }
    if (mask) {
        pixman_image_unref(mask);
    }
    display_clip_clear(&c.base.clip);
    return result;
}

bool display_draw_handles(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
    case SPICE_MSG_DISPLAY_DRAW_FILL:
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS:
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
    case SPICE_MSG_DISPLAY_DRAW_STROKE:
    case SPICE_MSG_DISPLAY_DRAW_TEXT:
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE:
        return true;
    default:
        return false;
    }
}

static const char *draw_type_name(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_FILL: return "DRAW_FILL";
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS: return "DRAW_BLACKNESS";
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS: return "DRAW_WHITENESS";
    case SPICE_MSG_DISPLAY_DRAW_INVERS: return "DRAW_INVERS";
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT: return "DRAW_TRANSPARENT";
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND: return "DRAW_ALPHA_BLEND";
    case SPICE_MSG_DISPLAY_DRAW_STROKE: return "DRAW_STROKE";
    case SPICE_MSG_DISPLAY_DRAW_TEXT: return "DRAW_TEXT";
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE: return "DRAW_COMPOSITE";
    default: return copy_name(type);
    }
}

static DisplayResult dispatch(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                              size_t size)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_COPY:
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        return draw_copy(env, type, body, size);
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        return draw_fill(env, body, size);
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS:
        return draw_flat(env, type, body, size);
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
        return draw_transparent(env, body, size);
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
        return draw_alpha_blend(env, body, size);
    case SPICE_MSG_DISPLAY_DRAW_STROKE:
        return draw_stroke(env, body, size);
    case SPICE_MSG_DISPLAY_DRAW_TEXT:
        return draw_text(env, body, size);
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE:
        return draw_composite(env, body, size);
    default:
        return DISPLAY_RESULT_DROPPED;
    }
}

DisplayResult display_draw(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                           size_t size)
{
    DisplayResult result = dispatch(env, type, body, size);
    if (result == DISPLAY_RESULT_DRAW) {
        /* G_MESSAGES_DEBUG=all shows which draw types a server really sends (interop checks). */
        g_debug("rendered %s", draw_type_name(type));
    }
    return result;
}
