/* parse-cursor: a guest QXLCursorCmd (QXL_CMD_CURSOR) -> QxlCursorCommand with the shape copied. */
#include "qxl/parse-guest.h"

#include <stddef.h>
#include <string.h>

#include <glib.h>

void qxl_cursor_command_clear(QxlCursorCommand *cmd)
{
    if (!cmd) {
        return;
    }
    g_free(cmd->shape.data);
    memset(cmd, 0, sizeof(*cmd));
}

static QxlStatus parse_shape(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                             const QxlParseLimits *limits, QxlCursorShape *out)
{
    if (addr == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    QXLCursor qxl;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(qxl), &qxl, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    const QXLCursorHeader *h = &qxl.header;
    out->unique = h->unique;
    out->type = h->type;
    out->width = h->width;
    out->height = h->height;
    out->hot_spot_x = h->hot_spot_x;
    out->hot_spot_y = h->hot_spot_y;
    if (h->type >= SPICE_CURSOR_TYPE_ENUM_END) {
        return QXL_STATUS_BAD_TYPE;
    }
    if (h->width > limits->max_cursor_dim || h->height > limits->max_cursor_dim) {
        return QXL_STATUS_TOO_LARGE;
    }
    uint64_t needed = qxl_cursor_data_size(h->type, h->width, h->height);
    if (qxl.data_size < needed) {
        return QXL_STATUS_DATA_SIZE_MISMATCH;
    }
    /* Some slack past what the type needs, but never more than the largest shape could use. */
    uint16_t dim = limits->max_cursor_dim > UINT16_MAX ? UINT16_MAX : (uint16_t)limits->max_cursor_dim;
    uint64_t cap = qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR8, dim, dim) +
                   qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR32, dim, dim);
    if (qxl.data_size > cap) {
        return QXL_STATUS_TOO_LARGE;
    }
    uint8_t *data = NULL;
    if (qxl.data_size > 0) {
        data = g_try_malloc(qxl.data_size);
        if (!data) {
            return QXL_STATUS_NO_MEMORY;
        }
    }
    st = qxl_guest_gather_chunks(m, group_id, addr, offsetof(QXLCursor, chunk), qxl.data_size,
                                 limits, data);
    if (st != QXL_STATUS_OK) {
        g_free(data);
        return st;
    }
    out->data = data;
    out->data_size = qxl.data_size;
    return QXL_STATUS_OK;
}

QxlStatus qxl_parse_cursor(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                           uint32_t cmd_flags, const QxlParseLimits *limits, QxlCursorCommand *out)
{
    memset(out, 0, sizeof(*out));
    QxlStatus st = qxl_parse_release_info(m, group_id, addr, &out->release_info);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    /* device_data[] at the end is the guest driver's; we neither need it nor require it mapped. */
    QXLCursorCmd qxl;
    st = qxl_guest_read(m, group_id, addr, offsetof(QXLCursorCmd, device_data), &qxl, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    out->type = qxl.type;
    switch (qxl.type) {
    case QXL_CURSOR_SET:
        out->x = qxl.u.set.position.x;
        out->y = qxl.u.set.position.y;
        out->visible = qxl.u.set.visible != 0;
        st = parse_shape(m, group_id, qxl.u.set.shape, limits, &out->shape);
        break;
    case QXL_CURSOR_MOVE:
        out->x = qxl.u.position.x;
        out->y = qxl.u.position.y;
        break;
    case QXL_CURSOR_HIDE:
        break;
    case QXL_CURSOR_TRAIL:
        out->trail_length = qxl.u.trail.length;
        out->trail_frequency = qxl.u.trail.frequency;
        break;
    default:
        st = QXL_STATUS_BAD_TYPE;
        break;
    }
    if (st != QXL_STATUS_OK) {
        QXLReleaseInfo *release_info = out->release_info;
        uint8_t type = out->type;
        qxl_cursor_command_clear(out);
        out->release_info = release_info;
        out->type = type;
    }
    return st;
}
