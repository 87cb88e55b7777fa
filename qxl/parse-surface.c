/* parse-surface: guest QXLSurfaceCmd and primary-surface geometry -> validated QxlSurfaceMemory. */
#include "qxl/parse-guest.h"

#include <string.h>

static QxlStatus parse_surface_memory(const QxlMemslots *m, uint32_t group_id, uint32_t format,
                                      uint32_t width, uint32_t height, int32_t stride,
                                      QXLPHYSICAL mem, const QxlParseLimits *limits,
                                      QxlSurfaceMemory *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t bpp = qxl_surface_format_bpp(format);
    if (bpp == 0) {
        return QXL_STATUS_BAD_FORMAT;
    }
    if (width == 0 || height == 0 || stride == 0) {
        return QXL_STATUS_BAD_SIZE;
    }
    if (width > limits->max_image_dim || height > limits->max_image_dim) {
        return QXL_STATUS_TOO_LARGE;
    }
    /* 64-bit: |INT32_MIN| does not fit an int32_t. pixman needs 4-byte aligned rows. */
    uint64_t abs_stride = stride < 0 ? (uint64_t)(-(int64_t)stride) : (uint64_t)stride;
    uint64_t row_bytes = ((uint64_t)width * bpp + 7) / 8;
    if (abs_stride < row_bytes || abs_stride % 4 != 0) {
        return QXL_STATUS_BAD_SIZE;
    }
    uint64_t size = abs_stride * height;
    if (size > limits->max_image_bytes) {
        return QXL_STATUS_TOO_LARGE;
    }
    if (mem == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    const void *host;
    QxlStatus st = qxl_memslots_translate(m, group_id, mem, size, &host);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    /* Surfaces are guest memory that the server renders into: writable by design. */
    uint8_t *block = (uint8_t *)host;
    *out = (QxlSurfaceMemory) {
        .format = format,
        .width = width,
        .height = height,
        .stride = stride,
        .mem = block,
        .mem_size = size,
        .line0 = stride < 0 ? block + (uint64_t)(height - 1) * abs_stride : block,
    };
    return QXL_STATUS_OK;
}

QxlStatus qxl_parse_primary_surface(const QxlMemslots *m, uint32_t group_id, uint32_t format,
                                    uint32_t width, uint32_t height, int32_t stride,
                                    QXLPHYSICAL mem, const QxlParseLimits *limits,
                                    QxlSurfaceMemory *out)
{
    return parse_surface_memory(m, group_id, format, width, height, stride, mem, limits, out);
}

void qxl_surface_command_clear(QxlSurfaceCommand *cmd)
{
    if (cmd) {
        memset(cmd, 0, sizeof(*cmd));
    }
}

QxlStatus qxl_parse_surface(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                            uint32_t cmd_flags, const QxlParseLimits *limits, QxlSurfaceCommand *out)
{
    memset(out, 0, sizeof(*out));
    QxlStatus st = qxl_parse_release_info(m, group_id, addr, &out->release_info);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    QXLSurfaceCmd qxl;
    st = qxl_guest_read(m, group_id, addr, sizeof(qxl), &qxl, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    out->surface_id = qxl.surface_id;
    out->type = qxl.type;
    out->flags = qxl.flags;
    if (qxl.surface_id >= limits->n_surfaces) {
        return QXL_STATUS_BAD_SURFACE_ID;
    }
    switch (qxl.type) {
    case QXL_SURFACE_CMD_CREATE: {
        const QXLSurface *c = &qxl.u.surface_create;
        return parse_surface_memory(m, group_id, c->format, c->width, c->height, c->stride,
                                    c->data, limits, &out->create);
    }
    case QXL_SURFACE_CMD_DESTROY:
        return QXL_STATUS_OK;
    default:
        return QXL_STATUS_BAD_TYPE;
    }
}
