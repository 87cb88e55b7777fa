/* parse-draw: a guest QXLDrawable (QXL_CMD_DRAW) -> QxlDrawCommand with owned clip rects and image. */
#include "qxl/parse-guest.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

static void image_free(QxlImage *image)
{
    if (image) {
        qxl_image_clear(image);
        g_free(image);
    }
}

void qxl_brush_clear(QxlBrush *brush)
{
    image_free(brush->pattern);
    memset(brush, 0, sizeof(*brush));
}

void qxl_mask_clear(QxlMask *mask)
{
    image_free(mask->bitmap);
    memset(mask, 0, sizeof(*mask));
}

void qxl_draw_command_clear(QxlDrawCommand *cmd)
{
    if (!cmd) {
        return;
    }
    g_free(cmd->clip.rects);
    switch (cmd->type) {
    case QXL_DRAW_FILL:
        qxl_brush_clear(&cmd->u.fill.brush);
        qxl_mask_clear(&cmd->u.fill.mask);
        break;
    case QXL_DRAW_COPY:
    case QXL_DRAW_OPAQUE:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_ROP3:
        image_free(cmd->u.copy.src);
        qxl_brush_clear(&cmd->u.copy.brush);
        qxl_mask_clear(&cmd->u.copy.mask);
        break;
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        qxl_mask_clear(&cmd->u.mask_only.mask);
        break;
    case QXL_DRAW_TRANSPARENT:
        image_free(cmd->u.transparent.src);
        break;
    case QXL_DRAW_ALPHA_BLEND:
        image_free(cmd->u.alpha_blend.src);
        break;
    case QXL_DRAW_STROKE:
        qxl_path_clear(&cmd->u.stroke.path);
        g_free(cmd->u.stroke.style);
        qxl_brush_clear(&cmd->u.stroke.brush);
        break;
    case QXL_DRAW_TEXT:
        g_free(cmd->u.text.glyphs);
        g_free(cmd->u.text.glyph_data);
        qxl_brush_clear(&cmd->u.text.fore_brush);
        qxl_brush_clear(&cmd->u.text.back_brush);
        break;
    case QXL_DRAW_COMPOSITE:
        image_free(cmd->u.composite.src);
        image_free(cmd->u.composite.mask);
        break;
    default:
        break;
    }
    memset(cmd, 0, sizeof(*cmd));
}

QxlStatus qxl_parse_owned_image(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                uint32_t cmd_flags, const QxlParseLimits *limits, QxlImage **out)
{
    *out = g_try_new0(QxlImage, 1);
    if (!*out) {
        return QXL_STATUS_NO_MEMORY;
    }
    QxlStatus st = qxl_parse_image(m, group_id, addr, cmd_flags, limits, *out);
    if (st != QXL_STATUS_OK) {
        image_free(*out);
        *out = NULL;
    }
    return st;
}

static QxlStatus parse_clip(const QxlMemslots *m, uint32_t group_id, const QXLClip *qxl,
                            const QxlParseLimits *limits, QxlClip *out)
{
    out->type = qxl->type;
    switch (qxl->type) {
    case SPICE_CLIP_TYPE_NONE:
        return QXL_STATUS_OK;
    case SPICE_CLIP_TYPE_RECTS:
        break;
    default:
        return QXL_STATUS_BAD_TYPE;
    }
    if (qxl->data == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    QXLClipRects header;
    QxlStatus st = qxl_guest_read(m, group_id, qxl->data, sizeof(header), &header, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (header.num_rects > limits->max_clip_rects) {
        return QXL_STATUS_TOO_LARGE;
    }
    uint64_t size = (uint64_t)header.num_rects * sizeof(QXLRect);
    QXLRect *raw = NULL;
    if (size > 0) {
        raw = g_try_malloc(size);
        if (!raw) {
            return QXL_STATUS_NO_MEMORY;
        }
    }
    st = qxl_guest_gather_chunks(m, group_id, qxl->data, offsetof(QXLClipRects, chunk), size,
                                 limits, (uint8_t *)raw);
    if (st != QXL_STATUS_OK) {
        g_free(raw);
        return st;
    }
    QxlRect *rects = header.num_rects ? g_try_new(QxlRect, header.num_rects) : NULL;
    if (header.num_rects && !rects) {
        g_free(raw);
        return QXL_STATUS_NO_MEMORY;
    }
    for (uint32_t i = 0; i < header.num_rects; i++) {
        rects[i] = qxl_rect_from_guest(&raw[i]);
        if (!qxl_rect_is_valid(&rects[i])) {
            g_free(raw);
            g_free(rects);
            return QXL_STATUS_BAD_RECT;
        }
    }
    g_free(raw);
    out->num_rects = header.num_rects;
    out->rects = rects;
    return QXL_STATUS_OK;
}

QxlStatus qxl_parse_brush(const QxlMemslots *m, uint32_t group_id, const QXLBrush *qxl,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlBrush *out)
{
    memset(out, 0, sizeof(*out));
    out->type = qxl->type;
    switch (qxl->type) {
    case SPICE_BRUSH_TYPE_NONE:
        return QXL_STATUS_OK;
    case SPICE_BRUSH_TYPE_SOLID:
        out->color = qxl->u.color;
        return QXL_STATUS_OK;
    case SPICE_BRUSH_TYPE_PATTERN:
        out->pattern_x = qxl->u.pattern.pos.x;
        out->pattern_y = qxl->u.pattern.pos.y;
        return qxl_parse_owned_image(m, group_id, qxl->u.pattern.pat, cmd_flags, limits,
                                     &out->pattern);
    default:
        return QXL_STATUS_BAD_TYPE;
    }
}

QxlStatus qxl_parse_mask(const QxlMemslots *m, uint32_t group_id, const QXLQMask *qxl,
                         uint32_t cmd_flags, const QxlParseLimits *limits, QxlMask *out)
{
    memset(out, 0, sizeof(*out));
    out->flags = qxl->flags;
    out->x = qxl->pos.x;
    out->y = qxl->pos.y;
    if (qxl->bitmap == 0) {
        return QXL_STATUS_OK;
    }
    QxlStatus st = qxl_parse_owned_image(m, group_id, qxl->bitmap, cmd_flags, limits, &out->bitmap);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    /* A mask is a 1-bit bitmap (or a surface, the worker checks that one's format). */
    if (out->bitmap->type == SPICE_IMAGE_TYPE_BITMAP &&
        out->bitmap->format != SPICE_BITMAP_FMT_1BIT_LE &&
        out->bitmap->format != SPICE_BITMAP_FMT_1BIT_BE) {
        return QXL_STATUS_BAD_FORMAT;
    }
    return QXL_STATUS_OK;
}

/* The source image and its area, shared by COPY, OPAQUE, BLEND, ROP3, TRANSPARENT, ALPHA_BLEND. */
QxlStatus qxl_parse_source(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL src_bitmap,
                           const QXLRect *src_area, uint32_t cmd_flags,
                           const QxlParseLimits *limits, QxlImage **src, QxlRect *area)
{
    *area = qxl_rect_from_guest(src_area);
    if (!qxl_rect_is_valid(area)) {
        return QXL_STATUS_BAD_RECT;
    }
    QxlStatus st = qxl_parse_owned_image(m, group_id, src_bitmap, cmd_flags, limits, src);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (!qxl_rect_is_within(area, (*src)->width, (*src)->height)) {
        return QXL_STATUS_BAD_RECT;
    }
    return QXL_STATUS_OK;
}

static QxlStatus parse_copy(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL src_bitmap,
                            const QXLRect *src_area, uint8_t scale_mode, const QXLQMask *mask,
                            uint32_t cmd_flags, const QxlParseLimits *limits, QxlCopy *out)
{
    if (scale_mode >= SPICE_IMAGE_SCALE_MODE_ENUM_END) {
        return QXL_STATUS_BAD_TYPE;
    }
    out->scale_mode = scale_mode;
    QxlStatus st = qxl_parse_mask(m, group_id, mask, cmd_flags, limits, &out->mask);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    return qxl_parse_source(m, group_id, src_bitmap, src_area, cmd_flags, limits, &out->src,
                            &out->src_area);
}

static QxlStatus parse_op(const QxlMemslots *m, uint32_t group_id, const QXLDrawable *qxl,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlDrawCommand *out)
{
    QxlStatus st;
    switch (qxl->type) {
    case QXL_DRAW_FILL:
        out->u.fill.rop_descriptor = qxl->u.fill.rop_descriptor;
        st = qxl_parse_mask(m, group_id, &qxl->u.fill.mask, cmd_flags, limits, &out->u.fill.mask);
        if (st == QXL_STATUS_OK) {
            st = qxl_parse_brush(m, group_id, &qxl->u.fill.brush, cmd_flags, limits,
                                 &out->u.fill.brush);
        }
        return st;
    case QXL_DRAW_COPY:
    case QXL_DRAW_BLEND:   /* QXLBlend is QXLCopy */
        out->u.copy.rop_descriptor = qxl->u.copy.rop_descriptor;
        out->u.copy.brush.type = SPICE_BRUSH_TYPE_NONE;
        return parse_copy(m, group_id, qxl->u.copy.src_bitmap, &qxl->u.copy.src_area,
                          qxl->u.copy.scale_mode, &qxl->u.copy.mask, cmd_flags, limits,
                          &out->u.copy);
    case QXL_DRAW_OPAQUE:
        out->u.copy.rop_descriptor = qxl->u.opaque.rop_descriptor;
        st = qxl_parse_brush(m, group_id, &qxl->u.opaque.brush, cmd_flags, limits,
                             &out->u.copy.brush);
        if (st != QXL_STATUS_OK) {
            return st;
        }
        return parse_copy(m, group_id, qxl->u.opaque.src_bitmap, &qxl->u.opaque.src_area,
                          qxl->u.opaque.scale_mode, &qxl->u.opaque.mask, cmd_flags, limits,
                          &out->u.copy);
    case QXL_DRAW_ROP3:
        out->u.copy.rop3 = qxl->u.rop3.rop3;
        st = qxl_parse_brush(m, group_id, &qxl->u.rop3.brush, cmd_flags, limits,
                             &out->u.copy.brush);
        if (st != QXL_STATUS_OK) {
            return st;
        }
        return parse_copy(m, group_id, qxl->u.rop3.src_bitmap, &qxl->u.rop3.src_area,
                          qxl->u.rop3.scale_mode, &qxl->u.rop3.mask, cmd_flags, limits,
                          &out->u.copy);
    case QXL_COPY_BITS:
        out->u.copy_bits.src_x = qxl->u.copy_bits.src_pos.x;
        out->u.copy_bits.src_y = qxl->u.copy_bits.src_pos.y;
        return QXL_STATUS_OK;
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        return qxl_parse_mask(m, group_id, &qxl->u.blackness.mask, cmd_flags, limits,
                              &out->u.mask_only.mask);
    case QXL_DRAW_TRANSPARENT:
    case QXL_DRAW_ALPHA_BLEND:
    case QXL_DRAW_STROKE:
    case QXL_DRAW_TEXT:
    case QXL_DRAW_COMPOSITE:
        return qxl_parse_draw_op_more(m, group_id, qxl, cmd_flags, limits, out);
    case QXL_DRAW_NOP:
        return QXL_STATUS_UNSUPPORTED;
    default:
        return QXL_STATUS_BAD_TYPE;
    }
}

static bool surface_id_ok(uint32_t id, const QxlParseLimits *limits)
{
    return id < limits->n_surfaces;
}

static QxlStatus parse_drawable(const QxlMemslots *m, uint32_t group_id, const QXLDrawable *qxl,
                                uint32_t cmd_flags, const QxlParseLimits *limits,
                                QxlDrawCommand *out)
{
    out->type = qxl->type;
    out->surface_id = qxl->surface_id;
    out->effect = qxl->effect;
    out->mm_time = qxl->mm_time;
    if (!surface_id_ok(qxl->surface_id, limits)) {
        return QXL_STATUS_BAD_SURFACE_ID;
    }
    if (qxl->effect > QXL_EFFECT_OPAQUE_BRUSH) {
        return QXL_STATUS_BAD_TYPE;
    }
    out->bbox = qxl_rect_from_guest(&qxl->bbox);
    if (!qxl_rect_is_valid(&out->bbox)) {
        return QXL_STATUS_BAD_RECT;
    }
    out->self_bitmap = qxl->self_bitmap;
    out->self_bitmap_area = qxl_rect_from_guest(&qxl->self_bitmap_area);
    if (qxl->self_bitmap && !qxl_rect_is_valid(&out->self_bitmap_area)) {
        return QXL_STATUS_BAD_RECT;
    }
    for (int i = 0; i < 3; i++) {
        out->surfaces_dest[i] = qxl->surfaces_dest[i];
        out->surfaces_rects[i] = qxl_rect_from_guest(&qxl->surfaces_rects[i]);
        if (qxl->surfaces_dest[i] == -1) {
            continue;
        }
        if (qxl->surfaces_dest[i] < 0 || !surface_id_ok((uint32_t)qxl->surfaces_dest[i], limits)) {
            return QXL_STATUS_BAD_SURFACE_ID;
        }
        if (!qxl_rect_is_valid(&out->surfaces_rects[i])) {
            return QXL_STATUS_BAD_RECT;
        }
    }
    QxlStatus st = parse_clip(m, group_id, &qxl->clip, limits, &out->clip);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    return parse_op(m, group_id, qxl, cmd_flags, limits, out);
}

QxlStatus qxl_parse_draw(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                         uint32_t cmd_flags, const QxlParseLimits *limits, QxlDrawCommand *out)
{
    memset(out, 0, sizeof(*out));
    QxlStatus st = qxl_parse_release_info(m, group_id, addr, &out->release_info);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (cmd_flags & (QXL_COMMAND_FLAG_COMPAT | QXL_COMMAND_FLAG_COMPAT_16BPP)) {
        return QXL_STATUS_UNSUPPORTED;  /* QXLCompatDrawable layout: not parsed yet */
    }
    QXLDrawable qxl;
    st = qxl_guest_read(m, group_id, addr, sizeof(qxl), &qxl, NULL);
    if (st == QXL_STATUS_OK) {
        st = parse_drawable(m, group_id, &qxl, cmd_flags, limits, out);
    }
    if (st != QXL_STATUS_OK) {
        /* Keep what the worker needs for its log line and the release. */
        QXLReleaseInfo *release_info = out->release_info;
        uint8_t type = out->type;
        uint32_t surface_id = out->surface_id;
        qxl_draw_command_clear(out);
        out->release_info = release_info;
        out->type = type;
        out->surface_id = surface_id;
    }
    return st;
}
