/* parse-draw: a guest QXLDrawable (QXL_CMD_DRAW) -> QxlDrawCommand with owned clip rects and image. */
#include "qxl/parse-guest.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

void qxl_draw_command_clear(QxlDrawCommand *cmd)
{
    if (!cmd) {
        return;
    }
    g_free(cmd->clip.rects);
    if ((cmd->type == QXL_DRAW_COPY || cmd->type == QXL_DRAW_OPAQUE) && cmd->u.copy.src) {
        qxl_image_clear(cmd->u.copy.src);
        g_free(cmd->u.copy.src);
    }
    memset(cmd, 0, sizeof(*cmd));
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

static QxlStatus parse_brush(const QXLBrush *qxl, QxlBrush *out)
{
    switch (qxl->type) {
    case SPICE_BRUSH_TYPE_NONE:
        *out = (QxlBrush) { .type = SPICE_BRUSH_TYPE_NONE };
        return QXL_STATUS_OK;
    case SPICE_BRUSH_TYPE_SOLID:
        *out = (QxlBrush) { .type = SPICE_BRUSH_TYPE_SOLID, .color = qxl->u.color };
        return QXL_STATUS_OK;
    case SPICE_BRUSH_TYPE_PATTERN:
        return QXL_STATUS_UNSUPPORTED;
    default:
        return QXL_STATUS_BAD_TYPE;
    }
}

/* Masks (a 1-bit bitmap gating the operation) are not rendered yet. */
static QxlStatus check_no_mask(const QXLQMask *mask)
{
    return mask->bitmap ? QXL_STATUS_UNSUPPORTED : QXL_STATUS_OK;
}

static QxlStatus parse_copy(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL src_bitmap,
                            const QXLRect *src_area, uint8_t scale_mode, const QXLQMask *mask,
                            uint32_t cmd_flags, const QxlParseLimits *limits, QxlCopy *out)
{
    QxlStatus st = check_no_mask(mask);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (scale_mode >= SPICE_IMAGE_SCALE_MODE_ENUM_END) {
        return QXL_STATUS_BAD_TYPE;
    }
    out->scale_mode = scale_mode;
    out->src_area = qxl_rect_from_guest(src_area);
    if (!qxl_rect_is_valid(&out->src_area)) {
        return QXL_STATUS_BAD_RECT;
    }
    out->src = g_try_new0(QxlImage, 1);
    if (!out->src) {
        return QXL_STATUS_NO_MEMORY;
    }
    st = qxl_parse_image(m, group_id, src_bitmap, cmd_flags, limits, out->src);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (!qxl_rect_is_within(&out->src_area, out->src->width, out->src->height)) {
        return QXL_STATUS_BAD_RECT;
    }
    return QXL_STATUS_OK;
}

static QxlStatus parse_op(const QxlMemslots *m, uint32_t group_id, const QXLDrawable *qxl,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlDrawCommand *out)
{
    QxlStatus st;
    switch (qxl->type) {
    case QXL_DRAW_FILL:
        st = check_no_mask(&qxl->u.fill.mask);
        if (st == QXL_STATUS_OK) {
            st = parse_brush(&qxl->u.fill.brush, &out->u.fill.brush);
        }
        out->u.fill.rop_descriptor = qxl->u.fill.rop_descriptor;
        return st;
    case QXL_DRAW_COPY:
        out->u.copy.rop_descriptor = qxl->u.copy.rop_descriptor;
        out->u.copy.brush.type = SPICE_BRUSH_TYPE_NONE;
        return parse_copy(m, group_id, qxl->u.copy.src_bitmap, &qxl->u.copy.src_area,
                          qxl->u.copy.scale_mode, &qxl->u.copy.mask, cmd_flags, limits,
                          &out->u.copy);
    case QXL_DRAW_OPAQUE:
        out->u.copy.rop_descriptor = qxl->u.opaque.rop_descriptor;
        st = parse_brush(&qxl->u.opaque.brush, &out->u.copy.brush);
        if (st != QXL_STATUS_OK) {
            return st;
        }
        return parse_copy(m, group_id, qxl->u.opaque.src_bitmap, &qxl->u.opaque.src_area,
                          qxl->u.opaque.scale_mode, &qxl->u.opaque.mask, cmd_flags, limits,
                          &out->u.copy);
    case QXL_COPY_BITS:
        out->u.copy_bits.src_x = qxl->u.copy_bits.src_pos.x;
        out->u.copy_bits.src_y = qxl->u.copy_bits.src_pos.y;
        return QXL_STATUS_OK;
    case QXL_DRAW_NOP:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
    case QXL_DRAW_ROP3:
    case QXL_DRAW_STROKE:
    case QXL_DRAW_TEXT:
    case QXL_DRAW_TRANSPARENT:
    case QXL_DRAW_ALPHA_BLEND:
    case QXL_DRAW_COMPOSITE:
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
