/* qxl-worker-draw: one parsed QXL draw command: find its surface, resolve its images, render it into the canvas, tell the display channel. */
#include "qxl-worker-private.h"

#include <string.h>
#include <spice/enums.h>

#include "canvas-draw.h"
#include "qxl-worker-bitmap.h"

/* Keep the guest-dirty region (reported by update_area) small. */
#define GUEST_DIRTY_MAX_RECTS 32

static pixman_box32_t box_from_rect(const QxlRect *r)
{
    return (pixman_box32_t){ .x1 = r->left, .y1 = r->top, .x2 = r->right, .y2 = r->bottom };
}

static void mark_guest_dirty(QxlWorker *worker, const pixman_region32_t *changed)
{
    pixman_region32_union(&worker->guest_dirty, &worker->guest_dirty, (pixman_region32_t *)changed);
    if (pixman_region32_n_rects(&worker->guest_dirty) > GUEST_DIRTY_MAX_RECTS) {
        pixman_box32_t extents = *pixman_region32_extents(&worker->guest_dirty);
        pixman_region32_fini(&worker->guest_dirty);
        pixman_region32_init_rects(&worker->guest_dirty, &extents, 1);
    }
}

Surface *qxl_worker_get_surface(QxlWorker *worker, uint32_t surface_id)
{
    if (surface_id == 0) {
        return worker->primary;
    }
    return surface_id < worker->n_surfaces ? worker->surfaces[surface_id].surface : NULL;
}

/* ---- images ---- */

static void free_pixels(pixman_image_t *image, void *data)
{
    g_free(data);
}

/* 8BIT_A (composite masks): a8 with the 4-byte aligned stride pixman needs. */
static pixman_image_t *alpha8_to_pixman(const QxlImage *image)
{
    uint32_t w = image->width, h = image->height, stride = (w + 3) & ~3u;
    uint8_t *bits = g_try_malloc0((size_t)stride * h);
    if (!bits) {
        return NULL;
    }
    for (uint32_t y = 0; y < h; y++) {
        memcpy(bits + (size_t)y * stride, image->data + (size_t)y * image->stride, w);
    }
    pixman_image_t *result = pixman_image_create_bits(PIXMAN_a8, (int)w, (int)h,
                                                      (uint32_t *)(void *)bits, (int)stride);
    if (!result) {
        g_free(bits);
        return NULL;
    }
    pixman_image_set_destroy_function(result, free_pixels, bits);
    return result;
}

/*
 * A new pixman image for a parsed guest image (the caller unrefs it): bitmaps converted, SURFACE
 * images wrapped (a fresh wrapper, so transforms set on it never touch the surface's own image).
 * @alpha says how a 32-bit surface is read: with its alpha (ARGB semantics) or opaque. NULL with
 * one drop line when the image cannot be used (e.g. its surface does not exist). @owner (may be
 * NULL) receives the counted buffer of a converted bitmap's pixels, else NULL (see
 * qxl_bitmap_to_pixman_shared).
 */
static pixman_image_t *resolve_image(QxlWorker *worker, const QxlImage *image, const char *what,
                                     int alpha, GlzSharedPixels **owner)
{
    if (owner) {
        *owner = NULL;
    }
    if (image->type == SPICE_IMAGE_TYPE_SURFACE) {
        Surface *s = qxl_worker_get_surface(worker, image->surface_id);
        if (!s) {
            char detail[64];
            g_snprintf(detail, sizeof(detail), "its image is surface %u, which does not exist",
                       image->surface_id);
            qxl_worker_log_drop(worker, what, QXL_STATUS_BAD_SURFACE_ID, detail);
            return NULL;
        }
        pixman_image_t *own = surface_get_image(s);
        pixman_format_code_t format = pixman_image_get_format(own);
        if (PIXMAN_FORMAT_BPP(format) == 32 && alpha >= 0) {
            format = alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
        }
        return pixman_image_create_bits(format, (int)surface_get_width(s),
                                        (int)surface_get_height(s), pixman_image_get_data(own),
                                        pixman_image_get_stride(own));
    }
    if (image->format == SPICE_BITMAP_FMT_8BIT_A) {
        return alpha8_to_pixman(image);
    }
    uint8_t wire_format;
    pixman_image_t *result = qxl_bitmap_to_pixman_shared(image, &wire_format, owner);
    if (!result) {
        qxl_worker_log_drop(worker, what, QXL_STATUS_UNSUPPORTED,
                            "bitmap format not drawable (or no memory)");
    }
    return result;
}

typedef struct ResolvedBrush {
    CanvasBrush brush;
    bool ok;
} ResolvedBrush;

static ResolvedBrush resolve_brush(QxlWorker *worker, const QxlBrush *brush, const char *what)
{
    ResolvedBrush r = { .brush = { .type = brush->type, .color = brush->color,
                                   .pattern_x = brush->pattern_x, .pattern_y = brush->pattern_y },
                        .ok = true };
    if (brush->type == SPICE_BRUSH_TYPE_PATTERN) {
        r.brush.pattern = resolve_image(worker, brush->pattern, what, -1, NULL);
        r.ok = r.brush.pattern != NULL;
    }
    return r;
}

static void resolved_brush_fini(ResolvedBrush *r)
{
    if (r->brush.pattern) {
        pixman_image_unref(r->brush.pattern);
    }
}

/* ---- the draw ---- */

typedef struct DrawTarget {
    Surface *surface;
    bool is_primary;
    pixman_box32_t bbox;
    pixman_region32_t area;        /* bbox ∩ clip ∩ mask: what the draw may change */
    bool has_clip;                 /* clip RECTS: area is the clip (sent as clip rects) */
} DrawTarget;

static const char *draw_name(uint8_t type)
{
    static const char *const names[] = {
        [QXL_DRAW_FILL] = "draw FILL", [QXL_DRAW_OPAQUE] = "draw OPAQUE",
        [QXL_DRAW_COPY] = "draw COPY", [QXL_COPY_BITS] = "draw COPY_BITS",
        [QXL_DRAW_BLEND] = "draw BLEND", [QXL_DRAW_BLACKNESS] = "draw BLACKNESS",
        [QXL_DRAW_WHITENESS] = "draw WHITENESS", [QXL_DRAW_INVERS] = "draw INVERS",
        [QXL_DRAW_ROP3] = "draw ROP3", [QXL_DRAW_STROKE] = "draw STROKE",
        [QXL_DRAW_TEXT] = "draw TEXT", [QXL_DRAW_TRANSPARENT] = "draw TRANSPARENT",
        [QXL_DRAW_ALPHA_BLEND] = "draw ALPHA_BLEND", [QXL_DRAW_COMPOSITE] = "draw COMPOSITE",
    };
    return type < G_N_ELEMENTS(names) && names[type] ? names[type] : "draw";
}

/* After a generic render: the guest sees it in update_area, clients get it from the canvas. */
static void changed_from_canvas(QxlWorker *worker, DrawTarget *t)
{
    if (t->is_primary) {
        mark_guest_dirty(worker, &t->area);
        display_channel_invalidate(worker->display, &t->area);
    }
}

static void render_fill(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                        const DisplayDrawBase *base)
{
    const QxlFill *fill = &cmd->u.fill;
    /* A solid brush without a mask has a native message for any rop. */
    if (fill->brush.type == SPICE_BRUSH_TYPE_SOLID && !fill->mask.bitmap) {
        if (fill->rop_descriptor == SPICE_ROPD_OP_PUT) {
            surface_fill(t->surface, &t->bbox, &t->area, fill->brush.color);
        } else {
            CanvasBrush brush = { .type = SPICE_BRUSH_TYPE_SOLID, .color = fill->brush.color };
            canvas_draw_fill(t->surface, &t->area, &brush, fill->rop_descriptor);
        }
        if (t->is_primary) {
            mark_guest_dirty(worker, &t->area);
            display_channel_draw_fill(worker->display, base, fill->brush.color,
                                      fill->rop_descriptor, &t->area);
        }
        return;
    }
    ResolvedBrush brush = resolve_brush(worker, &fill->brush, "draw FILL");
    if (brush.ok) {
        canvas_draw_fill(t->surface, &t->area, &brush.brush, fill->rop_descriptor);
        changed_from_canvas(worker, t);
    }
    resolved_brush_fini(&brush);
}

/*
 * pixcache: the bitmap a draw of @area of the converted (32-bit, tight) @converted sends, and
 * the area within it (*@wire_area). An image the guest marked QXL_IMAGE_CACHE goes whole when
 * it fits one message, so the client can cache it and later draws of any part of it come from
 * the cache; otherwise only the @area part goes, uncached.
 */
static void wire_bitmap_part(const QxlImage *image, pixman_image_t *converted,
                             GlzSharedPixels *owner, const pixman_box32_t *area, uint8_t format,
                             DisplayBitmap *bitmap, pixman_box32_t *wire_area)
{
    const uint8_t *pixels = (const uint8_t *)pixman_image_get_data(converted);
    uint32_t stride = (uint32_t)pixman_image_get_stride(converted);
    uint32_t w = (uint32_t)pixman_image_get_width(converted);
    uint32_t h = (uint32_t)pixman_image_get_height(converted);
    bool whole = (image->flags & QXL_IMAGE_CACHE) &&
                 (uint64_t)w * h * 4 <= DISPLAY_CHANNEL_MAX_PIXEL_MESSAGE;
    *bitmap = (DisplayBitmap){
        .image_id = image->id,
        .format = format,
        .width = whole ? w : (uint32_t)(area->x2 - area->x1),
        .height = whole ? h : (uint32_t)(area->y2 - area->y1),
        .stride = stride,
        .pixels = whole ? pixels : pixels + (size_t)area->y1 * stride + (size_t)area->x1 * 4,
        .pixels_owner = owner,
        .cacheable = whole,
    };
    *wire_area = whole ? *area :
                 (pixman_box32_t){ 0, 0, (int32_t)bitmap->width, (int32_t)bitmap->height };
}

/*
 * Sends a draw whose source is a converted guest bitmap as its own message (the src_area part
 * of the bitmap inline); anything else (surface images, 8-bit alpha) goes from the canvas.
 */
static void send_image_draw(QxlWorker *worker, DrawTarget *t, const DisplayDrawBase *base,
                            DisplayImageDraw *draw, const QxlImage *image,
                            pixman_image_t *converted, GlzSharedPixels *owner,
                            const pixman_box32_t *area)
{
    if (!t->is_primary) {
        return;
    }
    pixman_format_code_t format = pixman_image_get_format(converted);
    if (image->type != SPICE_IMAGE_TYPE_BITMAP ||
        (format != PIXMAN_x8r8g8b8 && format != PIXMAN_a8r8g8b8) ||
        area->x1 >= area->x2 || area->y1 >= area->y2) {
        changed_from_canvas(worker, t);
        return;
    }
    DisplayBitmap bitmap;
    wire_bitmap_part(image, converted, owner, area,
                     format == PIXMAN_a8r8g8b8 ? SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT,
                     &bitmap, &draw->src_area);
    mark_guest_dirty(worker, &t->area);
    display_channel_draw_image(worker->display, base, draw, &bitmap, &t->area);
}

static void render_mask_only(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                             const DisplayDrawBase *base)
{
    uint16_t ropd = cmd->type == QXL_DRAW_BLACKNESS ? SPICE_ROPD_OP_BLACKNESS :
                    cmd->type == QXL_DRAW_WHITENESS ? SPICE_ROPD_OP_WHITENESS :
                    SPICE_ROPD_OP_INVERS;
    CanvasBrush none = { .type = SPICE_BRUSH_TYPE_NONE };
    canvas_draw_fill(t->surface, &t->area, &none, ropd);
    if (!t->is_primary) {
        return;
    }
    if (cmd->u.mask_only.mask.bitmap) {
        changed_from_canvas(worker, t);
        return;
    }
    mark_guest_dirty(worker, &t->area);
    uint16_t msg = cmd->type == QXL_DRAW_BLACKNESS ? SPICE_MSG_DISPLAY_DRAW_BLACKNESS :
                   cmd->type == QXL_DRAW_WHITENESS ? SPICE_MSG_DISPLAY_DRAW_WHITENESS :
                   SPICE_MSG_DISPLAY_DRAW_INVERS;
    display_channel_draw_mask_only(worker->display, msg, base, &t->area);
}

/* COPY or BLEND of a bitmap without a mask: rendered, and sent as itself with its rop. */
static void render_copy_plain(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                              const DisplayDrawBase *base)
{
    const QxlCopy *copy = &cmd->u.copy;
    uint8_t wire_format;
    GlzSharedPixels *owner;
    pixman_image_t *src = qxl_bitmap_to_pixman_shared(copy->src, &wire_format, &owner);
    if (!src) {
        qxl_worker_log_drop(worker, draw_name(cmd->type), QXL_STATUS_UNSUPPORTED,
                            "bitmap format not drawable (or no memory)");
        return;
    }
    pixman_box32_t src_area = box_from_rect(&copy->src_area);
    if (src_area.x1 == src_area.x2 || src_area.y1 == src_area.y2) {
        pixman_image_unref(src);
        return;
    }
    bool smooth = copy->scale_mode == SPICE_IMAGE_SCALE_MODE_INTERPOLATE;
    if (copy->rop_descriptor == SPICE_ROPD_OP_PUT) {
        surface_copy_image(t->surface, &t->bbox, src, &src_area, &t->area, smooth);
    } else {
        CanvasSource source = { .image = src, .area = src_area, .smooth = smooth };
        canvas_draw_copy(t->surface, &t->area, &t->bbox, &source, copy->rop_descriptor);
    }
    if (t->is_primary) {
        mark_guest_dirty(worker, &t->area);
        /* The client gets the src_area part of the converted 32-bit image (or all of it, to
         * cache). */
        DisplayBitmap bitmap;
        pixman_box32_t wire_src_area;
        wire_bitmap_part(copy->src, src, owner, &src_area, wire_format, &bitmap,
                         &wire_src_area);
        if (cmd->type == QXL_DRAW_BLEND) {
            display_channel_draw_blend(worker->display, base, &bitmap, &wire_src_area,
                                       copy->rop_descriptor, copy->scale_mode, &t->area);
        } else {
            display_channel_draw_copy(worker->display, base, &bitmap, &wire_src_area,
                                      copy->rop_descriptor, copy->scale_mode, &t->area);
        }
    }
    pixman_image_unref(src);
}

/* COPY, OPAQUE, BLEND, ROP3. */
static void render_copy(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                        const DisplayDrawBase *base)
{
    const QxlCopy *copy = &cmd->u.copy;
    const char *what = draw_name(cmd->type);
    if ((cmd->type == QXL_DRAW_COPY || cmd->type == QXL_DRAW_BLEND) && !copy->mask.bitmap &&
        copy->src->type == SPICE_IMAGE_TYPE_BITMAP) {
        render_copy_plain(worker, cmd, t, base);
        return;
    }
    GlzSharedPixels *owner;
    CanvasSource src = {
        .image = resolve_image(worker, copy->src, what, 0, &owner),
        .area = box_from_rect(&copy->src_area),
        .smooth = copy->scale_mode == SPICE_IMAGE_SCALE_MODE_INTERPOLATE,
    };
    if (!src.image) {
        return;
    }
    ResolvedBrush brush = resolve_brush(worker, &copy->brush, what);
    if (brush.ok) {
        DisplayImageDraw draw = { .brush_type = (uint8_t)copy->brush.type,
                                  .brush_color = copy->brush.color,
                                  .rop_descriptor = copy->rop_descriptor, .rop3 = copy->rop3,
                                  .scale_mode = copy->scale_mode };
        switch (cmd->type) {
        case QXL_DRAW_OPAQUE:
            canvas_draw_opaque(t->surface, &t->area, &t->bbox, &src, &brush.brush,
                               copy->rop_descriptor);
            draw.msg_type = SPICE_MSG_DISPLAY_DRAW_OPAQUE;
            break;
        case QXL_DRAW_ROP3:
            canvas_draw_rop3(t->surface, &t->area, &t->bbox, &src, &brush.brush, copy->rop3);
            draw.msg_type = SPICE_MSG_DISPLAY_DRAW_ROP3;
            break;
        default:
            canvas_draw_copy(t->surface, &t->area, &t->bbox, &src, copy->rop_descriptor);
            break;
        }
        /* Native messages carry no pattern and no mask here: those go from the canvas. */
        if (draw.msg_type && copy->brush.type != SPICE_BRUSH_TYPE_PATTERN && !copy->mask.bitmap) {
            send_image_draw(worker, t, base, &draw, copy->src, src.image, owner, &src.area);
        } else {
            changed_from_canvas(worker, t);
        }
    }
    resolved_brush_fini(&brush);
    pixman_image_unref(src.image);
}

static void render_copy_bits(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                             const DisplayDrawBase *base)
{
    const QxlCopyBits *bits = &cmd->u.copy_bits;
    surface_copy_bits(t->surface, &t->bbox, bits->src_x, bits->src_y, &t->area);
    if (t->is_primary) {
        mark_guest_dirty(worker, &t->area);
        display_channel_copy_bits(worker->display, base, bits->src_x, bits->src_y, &t->area);
    }
}

static void render_transparent(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                               const DisplayDrawBase *base)
{
    const QxlTransparent *tr = &cmd->u.transparent;
    GlzSharedPixels *owner;
    CanvasSource src = { .image = resolve_image(worker, tr->src, "draw TRANSPARENT", 0, &owner),
                         .area = box_from_rect(&tr->src_area) };
    if (src.image) {
        canvas_draw_transparent(t->surface, &t->area, &t->bbox, &src, tr->true_color);
        DisplayImageDraw draw = { .msg_type = SPICE_MSG_DISPLAY_DRAW_TRANSPARENT,
                                  .src_color = tr->src_color, .true_color = tr->true_color };
        send_image_draw(worker, t, base, &draw, tr->src, src.image, owner, &src.area);
        pixman_image_unref(src.image);
    }
}

static void render_alpha_blend(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                               const DisplayDrawBase *base)
{
    const QxlAlphaBlend *ab = &cmd->u.alpha_blend;
    int alpha = (ab->alpha_flags & SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA) ? 1 : 0;
    GlzSharedPixels *owner;
    CanvasSource src = { .image = resolve_image(worker, ab->src, "draw ALPHA_BLEND", alpha,
                                                &owner),
                         .area = box_from_rect(&ab->src_area) };
    if (src.image) {
        canvas_draw_alpha_blend(t->surface, &t->area, &t->bbox, &src, ab->alpha);
        DisplayImageDraw draw = { .msg_type = SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND,
                                  .alpha_flags = (uint8_t)ab->alpha_flags, .alpha = ab->alpha };
        send_image_draw(worker, t, base, &draw, ab->src, src.image, owner, &src.area);
        pixman_image_unref(src.image);
    }
}

static void render_stroke(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t)
{
    ResolvedBrush brush = resolve_brush(worker, &cmd->u.stroke.brush, "draw STROKE");
    if (brush.ok) {
        canvas_draw_stroke(t->surface, &t->area, &cmd->u.stroke, &brush.brush);
        changed_from_canvas(worker, t);
    }
    resolved_brush_fini(&brush);
}

static void render_text(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t)
{
    ResolvedBrush fore = resolve_brush(worker, &cmd->u.text.fore_brush, "draw TEXT");
    ResolvedBrush back = resolve_brush(worker, &cmd->u.text.back_brush, "draw TEXT");
    if (fore.ok && back.ok) {
        canvas_draw_text(t->surface, &t->area, &cmd->u.text, &fore.brush, &back.brush);
        changed_from_canvas(worker, t);
    }
    resolved_brush_fini(&fore);
    resolved_brush_fini(&back);
}

static void render_composite(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t)
{
    const QxlComposite *c = &cmd->u.composite;
    pixman_image_t *src = resolve_image(worker, c->src, "draw COMPOSITE",
                                        (c->flags & SPICE_COMPOSITE_SOURCE_OPAQUE) ? 0 : -1, NULL);
    pixman_image_t *mask = NULL;
    if (src && c->mask) {
        mask = resolve_image(worker, c->mask, "draw COMPOSITE",
                             (c->flags & SPICE_COMPOSITE_MASK_OPAQUE) ? 0 : -1, NULL);
        if (!mask) {
            pixman_image_unref(src);
            return;
        }
    }
    if (src) {
        canvas_draw_composite(t->surface, &t->area, &t->bbox, c, src, mask);
        changed_from_canvas(worker, t);
        pixman_image_unref(src);
    }
    if (mask) {
        pixman_image_unref(mask);
    }
}

/* The QMask of the draws that have one. */
static const QxlMask *draw_mask(const QxlDrawCommand *cmd)
{
    switch (cmd->type) {
    case QXL_DRAW_FILL:
        return &cmd->u.fill.mask;
    case QXL_DRAW_COPY:
    case QXL_DRAW_OPAQUE:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_ROP3:
        return &cmd->u.copy.mask;
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        return &cmd->u.mask_only.mask;
    default:
        return NULL;
    }
}

static bool target_init(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t)
{
    memset(t, 0, sizeof(*t));
    pixman_region32_init(&t->area);
    t->surface = qxl_worker_get_surface(worker, cmd->surface_id);
    t->is_primary = cmd->surface_id == 0;
    if (!t->surface) {
        char detail[64];
        g_snprintf(detail, sizeof(detail), "surface %u does not exist", cmd->surface_id);
        qxl_worker_log_drop(worker, draw_name(cmd->type), QXL_STATUS_BAD_SURFACE_ID, detail);
        return false;
    }
    uint32_t w = surface_get_width(t->surface), h = surface_get_height(t->surface);
    if (!qxl_rect_is_within(&cmd->bbox, w, h)) {
        char detail[112];
        g_snprintf(detail, sizeof(detail), "bbox (%d,%d)-(%d,%d) outside the %ux%u surface %u",
                   cmd->bbox.left, cmd->bbox.top, cmd->bbox.right, cmd->bbox.bottom, w, h,
                   cmd->surface_id);
        qxl_worker_log_drop(worker, draw_name(cmd->type), QXL_STATUS_BAD_RECT, detail);
        return false;
    }
    if (qxl_rect_is_empty(&cmd->bbox)) {
        return false;
    }
    t->bbox = box_from_rect(&cmd->bbox);
    pixman_region32_fini(&t->area);
    pixman_region32_init_rects(&t->area, &t->bbox, 1);
    if (cmd->clip.type == SPICE_CLIP_TYPE_RECTS) {
        /* One normalising pass over all rects (a union per rect would be quadratic). */
        pixman_box32_t *boxes = g_new(pixman_box32_t, MAX(cmd->clip.num_rects, 1));
        for (uint32_t i = 0; i < cmd->clip.num_rects; i++) {
            boxes[i] = box_from_rect(&cmd->clip.rects[i]);
        }
        pixman_region32_t clip;
        if (!pixman_region32_init_rects(&clip, boxes, (int)cmd->clip.num_rects)) {
            pixman_region32_init(&clip);
        }
        g_free(boxes);
        pixman_region32_intersect(&t->area, &t->area, &clip);
        pixman_region32_fini(&clip);
        t->has_clip = true;
    }
    const QxlMask *mask = draw_mask(cmd);
    if (mask && mask->bitmap) {
        if (mask->bitmap->type != SPICE_IMAGE_TYPE_BITMAP) {
            qxl_worker_log_drop(worker, draw_name(cmd->type), QXL_STATUS_UNSUPPORTED,
                                "masks from surfaces are not rendered");
            return false;
        }
        if (!canvas_region_apply_mask(&t->area, mask, t->bbox.x1, t->bbox.y1)) {
            qxl_worker_log_drop(worker, draw_name(cmd->type), QXL_STATUS_NO_MEMORY, "mask");
            return false;
        }
        t->has_clip = true;
    }
    return pixman_region32_not_empty(&t->area);
}

void qxl_worker_render_draw(QxlWorker *worker, const QxlDrawCommand *cmd)
{
    DrawTarget t;
    if (target_init(worker, cmd, &t)) {
        int n = 0;
        const pixman_box32_t *clip_rects = pixman_region32_rectangles(&t.area, &n);
        DisplayDrawBase base = {
            .surface_id = 0,
            .box = t.bbox,
            .clip_rects = t.has_clip ? clip_rects : NULL,
            .num_clip_rects = t.has_clip ? (uint32_t)n : 0,
        };
        switch (cmd->type) {
        case QXL_DRAW_FILL:
            render_fill(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_COPY:
        case QXL_DRAW_OPAQUE:
        case QXL_DRAW_BLEND:
        case QXL_DRAW_ROP3:
            render_copy(worker, cmd, &t, &base);
            break;
        case QXL_COPY_BITS:
            render_copy_bits(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_BLACKNESS:
        case QXL_DRAW_WHITENESS:
        case QXL_DRAW_INVERS:
            render_mask_only(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_TRANSPARENT:
            render_transparent(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_ALPHA_BLEND:
            render_alpha_blend(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_STROKE:
            render_stroke(worker, cmd, &t);
            break;
        case QXL_DRAW_TEXT:
            render_text(worker, cmd, &t);
            break;
        case QXL_DRAW_COMPOSITE:
            render_composite(worker, cmd, &t);
            break;
        default:
            qxl_worker_log_drop(worker, "draw", QXL_STATUS_UNSUPPORTED, "draw type not rendered");
            break;
        }
    }
    pixman_region32_fini(&t.area);
}
