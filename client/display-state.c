/* display-state: per-surface pixman canvases; applies surface, draw, cache and mark messages. */
#include "client/display-state.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-parse.h"

struct DisplayState {
    unsigned channel_id;
    ImageCaches *caches;        /* borrowed */
    GHashTable *surfaces;       /* uint32 id -> pixman_image_t* (one reference) */
    bool has_primary;
    uint32_t primary_id;
    bool marked;
    char *problem;              /* the first problem, g_malloc'd */
    GHashTable *logged;         /* "kinds" already logged once (strings) */
};

static void unref_image(gpointer p)
{
    pixman_image_unref(p);
}

DisplayState *display_state_new(unsigned channel_id, ImageCaches *caches)
{
    DisplayState *ds = g_new0(DisplayState, 1);
    ds->channel_id = channel_id;
    ds->caches = caches;
    ds->surfaces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, unref_image);
    ds->logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return ds;
}

void display_state_free(DisplayState *ds)
{
    if (ds == NULL) {
        return;
    }
    g_hash_table_destroy(ds->surfaces);
    g_hash_table_destroy(ds->logged);
    g_free(ds->problem);
    g_free(ds);
}

/* Logs @message once per @kind and keeps the first problem of all. */
static void problem(DisplayState *ds, const char *kind, const char *message)
{
    if (ds->problem == NULL) {
        ds->problem = g_strdup(message);
    }
    if (!g_hash_table_contains(ds->logged, kind)) {
        g_hash_table_add(ds->logged, g_strdup(kind));
        g_warning("display %u: %s (logged once per kind)", ds->channel_id, message);
    }
}

static void malformed(DisplayState *ds, const char *what, size_t size)
{
    char *msg = g_strdup_printf("dropped a malformed %s message of %zu bytes", what, size);
    /* Malformed messages are logged every time, but kept as a problem only once. */
    g_warning("display %u: %s", ds->channel_id, msg);
    if (ds->problem == NULL) {
        ds->problem = msg;
    } else {
        g_free(msg);
    }
}

pixman_image_t *display_state_surface(DisplayState *ds, uint32_t id)
{
    return g_hash_table_lookup(ds->surfaces, GUINT_TO_POINTER(id));
}

pixman_image_t *display_state_primary(DisplayState *ds)
{
    return ds->has_primary ? display_state_surface(ds, ds->primary_id) : NULL;
}

bool display_state_marked(const DisplayState *ds)
{
    return ds->marked;
}

const char *display_state_problem(const DisplayState *ds)
{
    return ds->problem;
}

static pixman_image_t *lookup_surface(uint32_t id, void *user)
{
    return display_state_surface(user, id);
}

static pixman_format_code_t surface_format(uint32_t fmt)
{
    switch (fmt) {
    case SPICE_SURFACE_FMT_32_xRGB: return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_32_ARGB: return PIXMAN_a8r8g8b8;
    case SPICE_SURFACE_FMT_16_555: return PIXMAN_x1r5g5b5;
    case SPICE_SURFACE_FMT_16_565: return PIXMAN_r5g6b5;
    case SPICE_SURFACE_FMT_8_A: return PIXMAN_a8;
    case SPICE_SURFACE_FMT_1_A: return PIXMAN_a1;
    default: return 0;
    }
}

static DisplayResult surface_create(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplaySurfaceCreate sc;
    if (!display_parse_surface_create(body, size, &sc)) {
        malformed(ds, "SURFACE_CREATE", size);
        return DISPLAY_RESULT_DROPPED;
    }
    pixman_format_code_t fmt = surface_format(sc.format);
    if (fmt == 0 || sc.surface_id >= DISPLAY_MAX_SURFACES || sc.width == 0 || sc.height == 0
        || (uint64_t)sc.width * sc.height > IMAGE_MAX_PIXELS) {
        char *msg = g_strdup_printf("refused SURFACE_CREATE %u: %ux%u format %u (ids < %u, known "
                                    "formats, at most %u pixels)", sc.surface_id, sc.width,
                                    sc.height, sc.format, DISPLAY_MAX_SURFACES, IMAGE_MAX_PIXELS);
        problem(ds, "surface-create", msg);
        g_free(msg);
        return DISPLAY_RESULT_DROPPED;
    }
    pixman_image_t *img = pixman_image_create_bits(fmt, (int)sc.width, (int)sc.height, NULL, 0);
    if (img == NULL) {
        problem(ds, "surface-oom", "out of memory for a surface");
        return DISPLAY_RESULT_DROPPED;
    }
    g_hash_table_replace(ds->surfaces, GUINT_TO_POINTER(sc.surface_id), img);
    if (sc.flags & SPICE_SURFACE_FLAGS_PRIMARY) {
        ds->has_primary = true;
        ds->primary_id = sc.surface_id;
    }
    return DISPLAY_RESULT_SURFACE;
}

static DisplayResult surface_destroy(DisplayState *ds, const uint8_t *body, size_t size)
{
    uint32_t id;
    if (!display_parse_surface_destroy(body, size, &id)) {
        malformed(ds, "SURFACE_DESTROY", size);
        return DISPLAY_RESULT_DROPPED;
    }
    g_hash_table_remove(ds->surfaces, GUINT_TO_POINTER(id));
    if (ds->has_primary && ds->primary_id == id) {
        ds->has_primary = false;
        ds->marked = false;
    }
    return DISPLAY_RESULT_SURFACE;
}

/* Sets the destination clip of @dst to box ∩ clip rects; false if the surface is missing. */
static pixman_image_t *target(DisplayState *ds, const DisplayBase *base, pixman_region32_t *region)
{
    pixman_image_t *dst = display_state_surface(ds, base->surface_id);
    if (dst == NULL) {
        char *msg = g_strdup_printf("a draw names surface %u, which does not exist", base->surface_id);
        problem(ds, "missing-surface", msg);
        g_free(msg);
        return NULL;
    }
    const DisplayRect *b = &base->box;
    pixman_region32_init_rect(region, b->left, b->top, (unsigned)((int64_t)b->right - b->left),
                              (unsigned)((int64_t)b->bottom - b->top));
    if (base->clip.type == SPICE_CLIP_TYPE_RECTS) {
        pixman_region32_t clip;
        pixman_region32_init(&clip);
        for (uint32_t i = 0; i < base->clip.num_rects; i++) {
            const DisplayRect *r = &base->clip.rects[i];
            pixman_region32_union_rect(&clip, &clip, r->left, r->top,
                                       (unsigned)((int64_t)r->right - r->left),
                                       (unsigned)((int64_t)r->bottom - r->top));
        }
        pixman_region32_intersect(region, region, &clip);
        pixman_region32_fini(&clip);
    }
    pixman_image_set_clip_region32(dst, region);
    return dst;
}

static void untarget(pixman_image_t *dst, pixman_region32_t *region)
{
    pixman_image_set_clip_region32(dst, NULL);
    pixman_region32_fini(region);
}

static bool decode(DisplayState *ds, const uint8_t *body, size_t size, uint32_t offset,
                   pixman_image_t **out)
{
    char *message = NULL;
    ImageStatus st = image_decode(body, size, offset, ds->caches, lookup_surface, ds, out, &message);
    if (st != IMAGE_OK) {
        /* One log line per status kind and image type keeps a GLZ stream from flooding. */
        char *kind = g_strdup_printf("image-%d-%.24s", st, message ? message : "");
        problem(ds, kind, message ? message : "image decoding failed");
        g_free(kind);
        g_free(message);
        return false;
    }
    if (message != NULL) {
        problem(ds, "cache-full", message);
        g_free(message);
    }
    return true;
}

static void note_unhandled_mask(DisplayState *ds, const DisplayMask *mask)
{
    if (mask->bitmap_offset != 0) {
        problem(ds, "mask", "draw masks are not rendered yet (drawn without the mask)");
    }
}

/*
 * Composites @src's @area onto @dst's @box with @op (and an optional @mask, sampled in box
 * coordinates), scaling when the sizes differ. @dst already has its clip set.
 */
static void composite_area(pixman_op_t op, pixman_image_t *src, pixman_image_t *mask,
                           pixman_image_t *dst, const DisplayRect *area, const DisplayRect *box,
                           uint8_t scale_mode)
{
    int64_t bw = (int64_t)box->right - box->left;
    int64_t bh = (int64_t)box->bottom - box->top;
    int64_t sw = (int64_t)area->right - area->left;
    int64_t sh = (int64_t)area->bottom - area->top;
    if (bw <= 0 || bh <= 0 || sw <= 0 || sh <= 0 || bw > INT32_MAX || bh > INT32_MAX
        || sw > 65535 || sh > 65535) {
        return;
    }
    if (sw == bw && sh == bh) {
        pixman_image_composite32(op, src, mask, dst, area->left, area->top, 0, 0, box->left,
                                 box->top, (int32_t)bw, (int32_t)bh);
        return;
    }
    /* Scaled: dest pixel p (relative to the box) samples src at area.origin + p * s. */
    pixman_transform_t t;
    pixman_transform_init_identity(&t);
    t.matrix[0][0] = (pixman_fixed_t)((sw << 16) / bw);
    t.matrix[1][1] = (pixman_fixed_t)((sh << 16) / bh);
    t.matrix[0][2] = pixman_int_to_fixed(area->left);
    t.matrix[1][2] = pixman_int_to_fixed(area->top);
    pixman_image_set_transform(src, &t);
    pixman_image_set_filter(src, scale_mode == SPICE_IMAGE_SCALE_MODE_NEAREST
                            ? PIXMAN_FILTER_NEAREST : PIXMAN_FILTER_BILINEAR, NULL, 0);
    pixman_image_composite32(op, src, mask, dst, 0, 0, 0, 0, box->left, box->top, (int32_t)bw,
                             (int32_t)bh);
    pixman_image_set_transform(src, NULL);
    pixman_image_set_filter(src, PIXMAN_FILTER_NEAREST, NULL, 0);
}

static DisplayResult draw_copy(DisplayState *ds, const uint8_t *body, size_t size, const char *what)
{
    DisplayCopy c;
    bool ok = strcmp(what, "DRAW_OPAQUE") == 0 ? display_parse_draw_opaque(body, size, &c)
                                               : display_parse_draw_copy(body, size, &c);
    if (!ok) {
        display_clip_clear(&c.base.clip);
        malformed(ds, what, size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    if ((c.rop_descriptor & SPICE_ROPD_MASK) != SPICE_ROPD_OP_PUT) {
        char *msg = g_strdup_printf("%s with rop descriptor 0x%x is not rendered yet", what,
                                    c.rop_descriptor);
        problem(ds, msg, msg);
        g_free(msg);
        display_clip_clear(&c.base.clip);
        return result;
    }
    pixman_image_t *src = NULL;
    pixman_region32_t region;
    pixman_image_t *dst;
    if (decode(ds, body, size, c.src_bitmap_offset, &src)
        && (dst = target(ds, &c.base, &region)) != NULL) {
        note_unhandled_mask(ds, &c.mask);
        composite_area(PIXMAN_OP_SRC, src, NULL, dst, &c.src_area, &c.base.box, c.scale_mode);
        untarget(dst, &region);
        result = DISPLAY_RESULT_DRAW;
    }
    if (src) {
        pixman_image_unref(src);
    }
    display_clip_clear(&c.base.clip);
    return result;
}

static DisplayResult draw_alpha_blend(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplayAlphaBlend a;
    if (!display_parse_alpha_blend(body, size, &a)) {
        display_clip_clear(&a.base.clip);
        malformed(ds, "DRAW_ALPHA_BLEND", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_image_t *src = NULL;
    pixman_region32_t region;
    pixman_image_t *dst;
    if (decode(ds, body, size, a.src_bitmap_offset, &src) && (dst = target(ds, &a.base, &region)) != NULL) {
        /* Without SRC_SURFACE_HAS_ALPHA the source's alpha bytes mean nothing: read it as xRGB. */
        pixman_image_t *use = src;
        if (!(a.alpha_flags & SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA)
            && pixman_image_get_format(src) == PIXMAN_a8r8g8b8) {
            use = pixman_image_create_bits(PIXMAN_x8r8g8b8, pixman_image_get_width(src),
                                           pixman_image_get_height(src), pixman_image_get_data(src),
                                           pixman_image_get_stride(src));
        }
        pixman_color_t alpha = { 0, 0, 0, (uint16_t)(a.alpha * 0x101) };
        pixman_image_t *mask = pixman_image_create_solid_fill(&alpha);
        if (use != NULL && mask != NULL) {
            composite_area(PIXMAN_OP_OVER, use, mask, dst, &a.src_area, &a.base.box,
                           SPICE_IMAGE_SCALE_MODE_INTERPOLATE);
            result = DISPLAY_RESULT_DRAW;
        }
        if (mask) {
            pixman_image_unref(mask);
        }
        if (use != NULL && use != src) {
            pixman_image_unref(use);
        }
        untarget(dst, &region);
    }
    if (src) {
        pixman_image_unref(src);
    }
    display_clip_clear(&a.base.clip);
    return result;
}

/* Reads pixel (x, y) of a 32-bit image as xRGB; 0 outside it. */
static uint32_t pixel32(pixman_image_t *img, int x, int y)
{
    if (x < 0 || y < 0 || x >= pixman_image_get_width(img) || y >= pixman_image_get_height(img)) {
        return 0;
    }
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    return ((const uint32_t *)(const void *)(d + (size_t)y * (size_t)pixman_image_get_stride(img)))[x];
}

static DisplayResult draw_transparent(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplayTransparent t;
    if (!display_parse_transparent(body, size, &t)) {
        display_clip_clear(&t.base.clip);
        malformed(ds, "DRAW_TRANSPARENT", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_image_t *src = NULL;
    pixman_region32_t region;
    pixman_image_t *dst;
    int64_t bw = (int64_t)t.base.box.right - t.base.box.left;
    int64_t bh = (int64_t)t.base.box.bottom - t.base.box.top;
    bool same_size = bw == (int64_t)t.src_area.right - t.src_area.left
                     && bh == (int64_t)t.src_area.bottom - t.src_area.top;
    if (!same_size) {
        problem(ds, "transparent-scaled", "scaled DRAW_TRANSPARENT is not rendered yet");
    } else if (decode(ds, body, size, t.src_bitmap_offset, &src)
               && (dst = target(ds, &t.base, &region)) != NULL) {
        if (PIXMAN_FORMAT_BPP(pixman_image_get_format(dst)) == 32
            && PIXMAN_FORMAT_BPP(pixman_image_get_format(src)) == 32) {
            pixman_box32_t surf = { 0, 0, pixman_image_get_width(dst), pixman_image_get_height(dst) };
            pixman_region32_t bounds;
            pixman_region32_init_rects(&bounds, &surf, 1);
            pixman_region32_intersect(&region, &region, &bounds);
            pixman_region32_fini(&bounds);
            int n = 0;
            pixman_box32_t *boxes = pixman_region32_rectangles(&region, &n);
            uint8_t *bits = (uint8_t *)pixman_image_get_data(dst);
            int stride = pixman_image_get_stride(dst);
            int64_t dx = (int64_t)t.src_area.left - t.base.box.left;
            int64_t dy = (int64_t)t.src_area.top - t.base.box.top;
            for (int i = 0; i < n; i++) {
                for (int y = boxes[i].y1; y < boxes[i].y2; y++) {
                    uint32_t *row = (uint32_t *)(void *)(bits + (size_t)y * (size_t)stride);
                    for (int x = boxes[i].x1; x < boxes[i].x2; x++) {
                        int64_t sx = x + dx, sy = y + dy;
                        if (sx < 0 || sy < 0 || sx > INT32_MAX || sy > INT32_MAX) {
                            continue;
                        }
                        uint32_t v = pixel32(src, (int)sx, (int)sy);
                        if ((v & 0xffffff) != (t.src_color & 0xffffff)) {
                            row[x] = v;
                        }
                    }
                }
            }
            result = DISPLAY_RESULT_DRAW;
        } else {
            problem(ds, "transparent-format", "DRAW_TRANSPARENT on a non-32-bit surface is not rendered yet");
        }
        untarget(dst, &region);
    }
    if (src) {
        pixman_image_unref(src);
    }
    display_clip_clear(&t.base.clip);
    return result;
}

static pixman_image_t *solid(uint32_t xrgb)
{
    pixman_color_t color = {
        .red = (uint16_t)(((xrgb >> 16) & 0xff) * 0x101),
        .green = (uint16_t)(((xrgb >> 8) & 0xff) * 0x101),
        .blue = (uint16_t)((xrgb & 0xff) * 0x101),
        .alpha = 0xffff,
    };
    return pixman_image_create_solid_fill(&color);
}

/* Fills the clipped box of @base with @src (solid or a repeating pattern anchored at @ox,@oy). */
static DisplayResult fill_with(DisplayState *ds, const DisplayBase *base, pixman_image_t *src,
                               int32_t ox, int32_t oy)
{
    pixman_region32_t region;
    pixman_image_t *dst = target(ds, base, &region);
    if (dst == NULL) {
        return DISPLAY_RESULT_DROPPED;
    }
    int64_t bw = (int64_t)base->box.right - base->box.left;
    int64_t bh = (int64_t)base->box.bottom - base->box.top;
    if (bw > 0 && bh > 0 && bw <= INT32_MAX && bh <= INT32_MAX) {
        pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, base->box.left - ox,
                                 base->box.top - oy, 0, 0, base->box.left, base->box.top,
                                 (int32_t)bw, (int32_t)bh);
    }
    untarget(dst, &region);
    return DISPLAY_RESULT_DRAW;
}

static DisplayResult draw_fill(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplayFill f;
    if (!display_parse_draw_fill(body, size, &f)) {
        display_clip_clear(&f.base.clip);
        malformed(ds, "DRAW_FILL", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    uint16_t rop = f.rop_descriptor & SPICE_ROPD_MASK;
    pixman_image_t *src = NULL;
    int32_t ox = 0, oy = 0;
    note_unhandled_mask(ds, &f.mask);
    if (rop == SPICE_ROPD_OP_BLACKNESS || rop == SPICE_ROPD_OP_WHITENESS) {
        src = solid(rop == SPICE_ROPD_OP_BLACKNESS ? 0 : 0xffffff);
    } else if (rop != SPICE_ROPD_OP_PUT) {
        char *msg = g_strdup_printf("DRAW_FILL with rop descriptor 0x%x is not rendered yet",
                                    f.rop_descriptor);
        problem(ds, msg, msg);
        g_free(msg);
    } else if (f.brush_type == SPICE_BRUSH_TYPE_SOLID) {
        src = solid(f.brush_color);
    } else if (f.brush_type == SPICE_BRUSH_TYPE_PATTERN) {
        if (decode(ds, body, size, f.brush_pattern_offset, &src)) {
            pixman_image_set_repeat(src, PIXMAN_REPEAT_NORMAL);
            ox = f.pattern_x;
            oy = f.pattern_y;
        }
    } else {
        result = DISPLAY_RESULT_NONE;   /* no brush: nothing to draw */
    }
    if (src) {
        result = fill_with(ds, &f.base, src, ox, oy);
        pixman_image_set_repeat(src, PIXMAN_REPEAT_NONE);
        pixman_image_unref(src);
    }
    display_clip_clear(&f.base.clip);
    return result;
}

/* BLACKNESS / WHITENESS / INVERS: DisplayBase + mask. */
static DisplayResult draw_flat(DisplayState *ds, uint16_t type, const uint8_t *body, size_t size)
{
    DisplayFlat cb;
    if (!display_parse_flat(body, size, &cb)) {
        display_clip_clear(&cb.base.clip);
        malformed(ds, "DRAW_BLACKNESS/WHITENESS/INVERS", size);
        return DISPLAY_RESULT_DROPPED;
    }
    note_unhandled_mask(ds, &cb.mask);
    DisplayResult result;
    if (type == SPICE_MSG_DISPLAY_DRAW_INVERS) {
        pixman_region32_t region;
        pixman_image_t *dst = target(ds, &cb.base, &region);
        result = DISPLAY_RESULT_DROPPED;
        if (dst != NULL) {
            pixman_format_code_t fmt = pixman_image_get_format(dst);
            if (PIXMAN_FORMAT_BPP(fmt) == 32) {
                pixman_box32_t surf = { 0, 0, pixman_image_get_width(dst), pixman_image_get_height(dst) };
                pixman_region32_t bounds;
                pixman_region32_init_rects(&bounds, &surf, 1);
                pixman_region32_intersect(&region, &region, &bounds);
                pixman_region32_fini(&bounds);
                int n = 0;
                pixman_box32_t *boxes = pixman_region32_rectangles(&region, &n);
                uint8_t *bits = (uint8_t *)pixman_image_get_data(dst);
                int stride = pixman_image_get_stride(dst);
                for (int i = 0; i < n; i++) {
                    for (int y = boxes[i].y1; y < boxes[i].y2; y++) {
                        uint32_t *row = (uint32_t *)(void *)(bits + (size_t)y * (size_t)stride);
                        for (int x = boxes[i].x1; x < boxes[i].x2; x++) {
                            row[x] ^= 0x00ffffff;
                        }
                    }
                }
                result = DISPLAY_RESULT_DRAW;
            } else {
                problem(ds, "invers-format", "DRAW_INVERS on a non-32-bit surface is not rendered yet");
            }
            untarget(dst, &region);
        }
    } else {
        pixman_image_t *src = solid(type == SPICE_MSG_DISPLAY_DRAW_BLACKNESS ? 0 : 0xffffff);
        result = fill_with(ds, &cb.base, src, 0, 0);
        pixman_image_unref(src);
    }
    display_clip_clear(&cb.base.clip);
    return result;
}

static DisplayResult copy_bits(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplayCopyBits cb;
    if (!display_parse_copy_bits(body, size, &cb)) {
        display_clip_clear(&cb.base.clip);
        malformed(ds, "COPY_BITS", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_image_t *surf = display_state_surface(ds, cb.base.surface_id);
    int64_t bw = (int64_t)cb.base.box.right - cb.base.box.left;
    int64_t bh = (int64_t)cb.base.box.bottom - cb.base.box.top;
    if (surf != NULL && bw > 0 && bh > 0 && (uint64_t)bw * (uint64_t)bh <= IMAGE_MAX_PIXELS) {
        /* Source and destination may overlap: copy the source out first. */
        pixman_image_t *tmp = pixman_image_create_bits(pixman_image_get_format(surf), (int)bw,
                                                       (int)bh, NULL, 0);
        if (tmp != NULL) {
            pixman_image_composite32(PIXMAN_OP_SRC, surf, NULL, tmp, cb.src_x, cb.src_y, 0, 0, 0, 0,
                                     (int32_t)bw, (int32_t)bh);
            pixman_region32_t region;
            pixman_image_t *dst = target(ds, &cb.base, &region);
            if (dst != NULL) {
                pixman_image_composite32(PIXMAN_OP_SRC, tmp, NULL, dst, 0, 0, 0, 0,
                                         cb.base.box.left, cb.base.box.top, (int32_t)bw, (int32_t)bh);
                untarget(dst, &region);
                result = DISPLAY_RESULT_DRAW;
            }
            pixman_image_unref(tmp);
        }
    } else if (surf == NULL) {
        problem(ds, "missing-surface", "COPY_BITS names a surface that does not exist");
    }
    display_clip_clear(&cb.base.clip);
    return result;
}

static void inval_one(uint8_t type, uint64_t id, void *user)
{
    image_caches_remove_pixmap(user, id);
}

static const char *draw_name(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_DRAW_ROP3: return "DRAW_ROP3";
    case SPICE_MSG_DISPLAY_DRAW_STROKE: return "DRAW_STROKE";
    case SPICE_MSG_DISPLAY_DRAW_TEXT: return "DRAW_TEXT";
    case SPICE_MSG_DISPLAY_DRAW_COMPOSITE: return "DRAW_COMPOSITE";
    case SPICE_MSG_DISPLAY_STREAM_CREATE: return "STREAM_CREATE (video streams)";
    case SPICE_MSG_DISPLAY_STREAM_DATA: return "STREAM_DATA";
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED: return "STREAM_DATA_SIZED";
    default: return NULL;
    }
}

DisplayResult display_state_handle(DisplayState *ds, uint16_t type, const uint8_t *body, size_t size)
{
    uint64_t id;
    DisplayMonitors mon;
    switch (type) {
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
        return surface_create(ds, body, size);
    case SPICE_MSG_DISPLAY_SURFACE_DESTROY:
        return surface_destroy(ds, body, size);
    case SPICE_MSG_DISPLAY_DRAW_COPY:
        return draw_copy(ds, body, size, "DRAW_COPY");
    case SPICE_MSG_DISPLAY_DRAW_BLEND:
        /* Same layout as DRAW_COPY; with a PUT rop it is a copy. */
        return draw_copy(ds, body, size, "DRAW_BLEND");
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
        /* With a PUT rop the brush does not show: it is a copy. */
        return draw_copy(ds, body, size, "DRAW_OPAQUE");
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
        return draw_alpha_blend(ds, body, size);
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
        return draw_transparent(ds, body, size);
    case SPICE_MSG_DISPLAY_DRAW_FILL:
        return draw_fill(ds, body, size);
    case SPICE_MSG_DISPLAY_DRAW_BLACKNESS:
    case SPICE_MSG_DISPLAY_DRAW_WHITENESS:
    case SPICE_MSG_DISPLAY_DRAW_INVERS:
        return draw_flat(ds, type, body, size);
    case SPICE_MSG_DISPLAY_COPY_BITS:
        return copy_bits(ds, body, size);
    case SPICE_MSG_DISPLAY_MARK:
        ds->marked = true;
        return DISPLAY_RESULT_MARK;
    case SPICE_MSG_DISPLAY_RESET:
        g_hash_table_remove_all(ds->surfaces);
        ds->has_primary = false;
        ds->marked = false;
        return DISPLAY_RESULT_SURFACE;
    case SPICE_MSG_DISPLAY_INVAL_LIST:
        if (!display_parse_inval_list(body, size, inval_one, ds->caches)) {
            malformed(ds, "INVAL_LIST", size);
            return DISPLAY_RESULT_DROPPED;
        }
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS:
        image_caches_clear_pixmaps(ds->caches);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_PALETTE:
        if (!display_parse_inval_palette(body, size, &id)) {
            malformed(ds, "INVAL_PALETTE", size);
            return DISPLAY_RESULT_DROPPED;
        }
        image_caches_remove_palette(ds->caches, id);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES:
        image_caches_clear_palettes(ds->caches);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_MONITORS_CONFIG:
        if (!display_parse_monitors_config(body, size, &mon)) {
            malformed(ds, "MONITORS_CONFIG", size);
            return DISPLAY_RESULT_DROPPED;
        }
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_STREAM_CLIP:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        return DISPLAY_RESULT_NONE;
    default: {
        const char *name = draw_name(type);
        char *msg = name ? g_strdup_printf("%s is not rendered yet (skipped)", name)
                         : g_strdup_printf("display message type %u is not handled (skipped)", type);
        problem(ds, msg, msg);
        g_free(msg);
        return DISPLAY_RESULT_DROPPED;
    }
    }
}
