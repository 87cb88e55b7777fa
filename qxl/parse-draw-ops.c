/* parse-draw-ops: the QXLDrawable ops with their own guest objects: TRANSPARENT, ALPHA_BLEND, STROKE (path, style), TEXT (raster glyph string), COMPOSITE (transforms). */
#include "qxl/parse-guest.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

void qxl_path_clear(QxlPath *path)
{
    g_free(path->segments);
    g_free(path->points);
    memset(path, 0, sizeof(*path));
}

/*
 * Copies an object made of a u32 data_size header field, some fixed fields, and an embedded
 * QXLDataChunk chain at @chunk_offset carrying data_size bytes, into a new buffer.
 */
static QxlStatus gather_sized(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                              uint32_t data_size, uint64_t chunk_offset, uint32_t max_bytes,
                              const QxlParseLimits *limits, uint8_t **out)
{
    *out = NULL;
    if (data_size > max_bytes) {
        return QXL_STATUS_TOO_LARGE;
    }
    uint8_t *buf = g_try_malloc(MAX(data_size, 1));
    if (!buf) {
        return QXL_STATUS_NO_MEMORY;
    }
    QxlStatus st = qxl_guest_gather_chunks(m, group_id, addr, chunk_offset, data_size, limits, buf);
    if (st != QXL_STATUS_OK) {
        g_free(buf);
        return st;
    }
    *out = buf;
    return QXL_STATUS_OK;
}

/* ---- STROKE ---- */

/*
 * The path's data is a run of QXLPathSeg {flags, count, QXLPointFix points[count]} filling
 * data_size exactly. A BEGIN segment starts with its first point; a BEZIER segment's other points
 * come in threes.
 */
static QxlStatus parse_path(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                            const QxlParseLimits *limits, QxlPath *out)
{
    if (addr == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    QXLPath header;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(header), &header, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    uint8_t *data;
    st = gather_sized(m, group_id, addr, header.data_size, offsetof(QXLPath, chunk),
                      limits->max_path_bytes, limits, &data);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    uint32_t size = header.data_size;
    /* Each segment takes at least 8 bytes and each point 8: these bound the arrays. */
    out->segments = g_try_new(QxlPathSegment, size / sizeof(QXLPathSeg) + 1);
    out->points = g_try_new(QxlPointFix, size / sizeof(QXLPointFix) + 1);
    if (!out->segments || !out->points) {
        g_free(data);
        return QXL_STATUS_NO_MEMORY;
    }
    uint32_t pos = 0;
    while (pos < size) {
        QXLPathSeg seg;
        if (size - pos < sizeof(seg)) {
            st = QXL_STATUS_DATA_SIZE_MISMATCH;
            break;
        }
        memcpy(&seg, data + pos, sizeof(seg));
        pos += sizeof(seg);
        if (seg.count > (size - pos) / sizeof(QXLPointFix)) {
            st = QXL_STATUS_DATA_SIZE_MISMATCH;
            break;
        }
        if (seg.flags & ~(uint32_t)SPICE_PATH_FLAGS_MASK) {
            st = QXL_STATUS_BAD_TYPE;
            break;
        }
        uint32_t begin = (seg.flags & SPICE_PATH_BEGIN) ? 1 : 0;
        if (seg.count < begin || ((seg.flags & SPICE_PATH_BEZIER) && (seg.count - begin) % 3)) {
            st = QXL_STATUS_BAD_SIZE;
            break;
        }
        QxlPathSegment *s = &out->segments[out->num_segments++];
        s->flags = seg.flags;
        s->first_point = out->num_points;
        s->count = seg.count;
        for (uint32_t i = 0; i < seg.count; i++) {
            QXLPointFix p;
            memcpy(&p, data + pos, sizeof(p));
            pos += sizeof(p);
            out->points[out->num_points++] = (QxlPointFix) { .x = p.x, .y = p.y };
        }
    }
    g_free(data);
    return st;
}

static QxlStatus parse_stroke(const QxlMemslots *m, uint32_t group_id, const QXLStroke *qxl,
                              uint32_t cmd_flags, const QxlParseLimits *limits, QxlStroke *out)
{
    out->fore_mode = qxl->fore_mode;
    out->back_mode = qxl->back_mode;
    out->attr_flags = qxl->attr.flags;
    QxlStatus st = qxl_parse_brush(m, group_id, &qxl->brush, cmd_flags, limits, &out->brush);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (qxl->attr.flags & SPICE_LINE_FLAGS_STYLED) {
        if (qxl->attr.style_nseg == 0) {
            return QXL_STATUS_BAD_SIZE;
        }
        if (qxl->attr.style == 0) {
            return QXL_STATUS_NULL_POINTER;
        }
        out->style = g_try_new(int32_t, qxl->attr.style_nseg);
        if (!out->style) {
            return QXL_STATUS_NO_MEMORY;
        }
        st = qxl_guest_read(m, group_id, qxl->attr.style,
                            (uint64_t)qxl->attr.style_nseg * sizeof(QXLFIXED), out->style, NULL);
        if (st != QXL_STATUS_OK) {
            return st;
        }
        out->style_nseg = qxl->attr.style_nseg;
    }
    return parse_path(m, group_id, qxl->path, limits, &out->path);
}

/* ---- TEXT ---- */

static uint32_t glyph_bpp(uint16_t string_flags)
{
    switch (string_flags & (SPICE_STRING_FLAGS_RASTER_A1 | SPICE_STRING_FLAGS_RASTER_A4 |
                            SPICE_STRING_FLAGS_RASTER_A8)) {
    case SPICE_STRING_FLAGS_RASTER_A1: return 1;
    case SPICE_STRING_FLAGS_RASTER_A4: return 4;
    case SPICE_STRING_FLAGS_RASTER_A8: return 8;
    default:                           return 0;
    }
}

/* The string's data holds `length` QXLRasterGlyph headers, each followed by its rows. */
static QxlStatus parse_string(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                              const QxlParseLimits *limits, QxlText *out)
{
    if (addr == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    QXLString header;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(header), &header, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    out->string_flags = header.flags;
    uint32_t bpp = glyph_bpp(header.flags);
    if (bpp == 0 || (header.flags & ~(uint32_t)SPICE_STRING_FLAGS_MASK)) {
        return QXL_STATUS_BAD_FORMAT;
    }
    if (bpp != 1) {
        return QXL_STATUS_UNSUPPORTED;   /* anti-aliased glyphs: no driver we know sends them */
    }
    st = gather_sized(m, group_id, addr, header.data_size, offsetof(QXLString, chunk),
                      limits->max_string_bytes, limits, &out->glyph_data);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    out->glyph_data_size = header.data_size;
    if (header.length > header.data_size / sizeof(QXLRasterGlyph)) {
        return QXL_STATUS_DATA_SIZE_MISMATCH;
    }
    out->glyphs = g_try_new(QxlGlyph, MAX(header.length, 1));
    if (!out->glyphs) {
        return QXL_STATUS_NO_MEMORY;
    }
    uint64_t pos = 0;
    for (uint32_t i = 0; i < header.length; i++) {
        QXLRasterGlyph g;
        if (header.data_size - pos < sizeof(g)) {
            return QXL_STATUS_DATA_SIZE_MISMATCH;
        }
        memcpy(&g, out->glyph_data + pos, sizeof(g));
        pos += sizeof(g);
        uint64_t stride = ((uint64_t)g.width * bpp + 7) / 8;
        uint64_t bytes = stride * g.height;
        if (bytes > header.data_size - pos) {
            return QXL_STATUS_DATA_SIZE_MISMATCH;
        }
        out->glyphs[i] = (QxlGlyph) {
            .render_x = g.render_pos.x, .render_y = g.render_pos.y,
            .origin_x = g.glyph_origin.x, .origin_y = g.glyph_origin.y,
            .width = g.width, .height = g.height,
            .stride = (uint32_t)stride, .data_offset = (uint32_t)pos,
        };
        pos += bytes;
    }
    out->num_glyphs = header.length;
    return QXL_STATUS_OK;
}

static QxlStatus parse_text(const QxlMemslots *m, uint32_t group_id, const QXLText *qxl,
                            uint32_t cmd_flags, const QxlParseLimits *limits, QxlText *out)
{
    out->fore_mode = qxl->fore_mode;
    out->back_mode = qxl->back_mode;
    out->back_area = qxl_rect_from_guest(&qxl->back_area);
    if (!qxl_rect_is_valid(&out->back_area)) {
        return QXL_STATUS_BAD_RECT;
    }
    QxlStatus st = qxl_parse_brush(m, group_id, &qxl->fore_brush, cmd_flags, limits,
                                   &out->fore_brush);
    if (st == QXL_STATUS_OK) {
        st = qxl_parse_brush(m, group_id, &qxl->back_brush, cmd_flags, limits, &out->back_brush);
    }
    if (st == QXL_STATUS_OK) {
        st = parse_string(m, group_id, qxl->str, limits, out);
    }
    return st;
}

/* ---- COMPOSITE ---- */

static QxlStatus read_transform(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                uint32_t out[6])
{
    QXLTransform t;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(t), &t, NULL);
    if (st == QXL_STATUS_OK) {
        uint32_t v[6] = { t.t00, t.t01, t.t02, t.t10, t.t11, t.t12 };
        memcpy(out, v, sizeof(v));
    }
    return st;
}

/* Operators are pixman's (0x00-0x0d, 0x30-0x3e); filters and repeats pixman's too (see qxl_dev.h). */
static bool composite_flags_ok(uint32_t flags)
{
    uint32_t op = flags & 0xff;
    uint32_t src_filter = (flags >> 8) & 7, mask_filter = (flags >> 11) & 7;
    if (!(op <= QXL_OP_SATURATE || (op >= QXL_OP_MULTIPLY && op <= QXL_OP_HSL_LUMINOSITY))) {
        return false;
    }
    /* Filters that need parameters (convolutions) are refused. */
    return src_filter <= 4 && mask_filter <= 4 && (flags >> 19) == 0;
}

static QxlStatus parse_composite(const QxlMemslots *m, uint32_t group_id, const QXLComposite *qxl,
                                 uint32_t cmd_flags, const QxlParseLimits *limits,
                                 QxlComposite *out)
{
    out->flags = qxl->flags;
    out->src_x = qxl->src_origin.x;
    out->src_y = qxl->src_origin.y;
    out->mask_x = qxl->mask_origin.x;
    out->mask_y = qxl->mask_origin.y;
    if (!composite_flags_ok(qxl->flags)) {
        return QXL_STATUS_BAD_TYPE;
    }
    QxlStatus st = qxl_parse_owned_image(m, group_id, qxl->src, cmd_flags, limits, &out->src);
    if (st == QXL_STATUS_OK && qxl->src_transform) {
        out->has_src_transform = true;
        st = read_transform(m, group_id, qxl->src_transform, out->src_transform);
    }
    if (st == QXL_STATUS_OK && qxl->mask) {
        st = qxl_parse_owned_image(m, group_id, qxl->mask, cmd_flags, limits, &out->mask);
        if (st == QXL_STATUS_OK && qxl->mask_transform) {
            out->has_mask_transform = true;
            st = read_transform(m, group_id, qxl->mask_transform, out->mask_transform);
        }
    }
    return st;
}

QxlStatus qxl_parse_draw_op_more(const QxlMemslots *m, uint32_t group_id, const QXLDrawable *qxl,
                                 uint32_t cmd_flags, const QxlParseLimits *limits,
                                 QxlDrawCommand *out)
{
    switch (qxl->type) {
    case QXL_DRAW_TRANSPARENT: {
        QxlTransparent *t = &out->u.transparent;
        t->src_color = qxl->u.transparent.src_color;
        t->true_color = qxl->u.transparent.true_color;
        return qxl_parse_source(m, group_id, qxl->u.transparent.src_bitmap,
                                &qxl->u.transparent.src_area, cmd_flags, limits, &t->src,
                                &t->src_area);
    }
    case QXL_DRAW_ALPHA_BLEND: {
        QxlAlphaBlend *a = &out->u.alpha_blend;
        a->alpha_flags = qxl->u.alpha_blend.alpha_flags;
        a->alpha = qxl->u.alpha_blend.alpha;
        return qxl_parse_source(m, group_id, qxl->u.alpha_blend.src_bitmap,
                                &qxl->u.alpha_blend.src_area, cmd_flags, limits, &a->src,
                                &a->src_area);
    }
    case QXL_DRAW_STROKE:
        return parse_stroke(m, group_id, &qxl->u.stroke, cmd_flags, limits, &out->u.stroke);
    case QXL_DRAW_TEXT:
        return parse_text(m, group_id, &qxl->u.text, cmd_flags, limits, &out->u.text);
    case QXL_DRAW_COMPOSITE:
        return parse_composite(m, group_id, &qxl->u.composite, cmd_flags, limits,
                               &out->u.composite);
    default:
        return QXL_STATUS_BAD_TYPE;
    }
}
