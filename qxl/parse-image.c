/* parse-image: a guest QXLImage (BITMAP) -> QxlImage with palette and top-down pixels in our buffer. */
#include "qxl/parse-guest.h"

#include <string.h>

#include <glib.h>

void qxl_image_clear(QxlImage *image)
{
    if (!image) {
        return;
    }
    g_free(image->data);
    memset(image, 0, sizeof(*image));
}

static QxlStatus read_palette(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                              QxlPalette *out)
{
    QXLPalette header;
    if (addr == 0) {
        return QXL_STATUS_MISSING_PALETTE;
    }
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(header), &header, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    if (header.num_ents > QXL_PALETTE_MAX_ENTRIES) {
        return QXL_STATUS_TOO_LARGE;
    }
    /* The entries follow the header; read header + entries as one range, keep the entries. */
    uint8_t raw[sizeof(QXLPalette) + QXL_PALETTE_MAX_ENTRIES * sizeof(uint32_t)];
    uint64_t size = sizeof(QXLPalette) + (uint64_t)header.num_ents * sizeof(uint32_t);
    st = qxl_guest_read(m, group_id, addr, size, raw, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    memset(out, 0, sizeof(*out));
    out->unique = header.unique;
    out->num_ents = header.num_ents;
    memcpy(out->ents, raw + sizeof(QXLPalette), (size_t)header.num_ents * sizeof(uint32_t));
    return QXL_STATUS_OK;
}

/*
 * Turns the guest layout (guest_stride per row, bottom-up unless TOP_DOWN) into tight top-down
 * rows, in place: first squeeze the rows together (destinations never pass their sources),
 * then, for bottom-up images, swap rows end for end.
 */
static QxlStatus normalize_rows(uint8_t *buf, uint64_t guest_stride, uint64_t row_bytes,
                                uint32_t height, bool top_down)
{
    if (guest_stride != row_bytes) {
        for (uint32_t y = 1; y < height; y++) {
            memmove(buf + y * row_bytes, buf + y * guest_stride, row_bytes);
        }
    }
    if (!top_down && height > 1) {
        uint8_t *tmp = g_try_malloc(row_bytes);
        if (!tmp) {
            return QXL_STATUS_NO_MEMORY;
        }
        for (uint32_t top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
            memcpy(tmp, buf + top * row_bytes, row_bytes);
            memcpy(buf + top * row_bytes, buf + bottom * row_bytes, row_bytes);
            memcpy(buf + bottom * row_bytes, tmp, row_bytes);
        }
        g_free(tmp);
    }
    return QXL_STATUS_OK;
}

static QxlStatus parse_bitmap(const QxlMemslots *m, uint32_t group_id, const QXLImage *qxl,
                              const QxlParseLimits *limits, QxlImage *out)
{
    const QXLBitmap *bm = &qxl->bitmap;
    uint32_t bpp = qxl_bitmap_format_bpp(bm->format);
    if (bpp == 0) {
        return QXL_STATUS_BAD_FORMAT;
    }
    if (qxl->descriptor.width == 0 || qxl->descriptor.height == 0 ||
        bm->x != qxl->descriptor.width || bm->y != qxl->descriptor.height) {
        return QXL_STATUS_BAD_SIZE;
    }
    if (bm->x > limits->max_image_dim || bm->y > limits->max_image_dim) {
        return QXL_STATUS_TOO_LARGE;
    }
    /* All 64-bit: u32 * u32 products fit, and row bytes are at most 4 * 2^32. */
    uint64_t row_bytes = ((uint64_t)bm->x * bpp + 7) / 8;
    if (bm->stride < row_bytes) {
        return QXL_STATUS_BAD_SIZE;
    }
    uint64_t guest_size = (uint64_t)bm->stride * bm->y;
    if (guest_size > limits->max_image_bytes || guest_size > SIZE_MAX) {
        return QXL_STATUS_TOO_LARGE;
    }

    out->format = bm->format;
    out->bitmap_flags = bm->flags;
    out->width = bm->x;
    out->height = bm->y;
    if (qxl_bitmap_format_has_palette(bm->format)) {
        QxlStatus st = read_palette(m, group_id, bm->palette, &out->palette);
        if (st != QXL_STATUS_OK) {
            return st;
        }
        out->has_palette = true;
    }

    if (bm->data == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    uint8_t *buf = g_try_malloc(guest_size);
    if (!buf) {
        return QXL_STATUS_NO_MEMORY;
    }
    QxlStatus st;
    if (bm->flags & QXL_BITMAP_DIRECT) {
        st = qxl_guest_read(m, group_id, bm->data, guest_size, buf, NULL);
    } else {
        st = qxl_guest_gather_chunks(m, group_id, bm->data, 0, guest_size, limits, buf);
    }
    if (st == QXL_STATUS_OK) {
        st = normalize_rows(buf, bm->stride, row_bytes, bm->y, bm->flags & QXL_BITMAP_TOP_DOWN);
    }
    if (st != QXL_STATUS_OK) {
        g_free(buf);
        return st;
    }
    uint64_t tight_size = row_bytes * bm->y;
    if (tight_size < guest_size) {
        uint8_t *smaller = g_try_realloc(buf, tight_size);
        if (smaller) {
            buf = smaller;
        }
    }
    out->data = buf;
    out->data_size = tight_size;
    out->stride = (uint32_t)row_bytes;
    return QXL_STATUS_OK;
}

/* A reference to another surface: only its id, read with the descriptor in one copy. */
static QxlStatus parse_surface_image(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                     const QxlParseLimits *limits, QxlImage *out)
{
    uint8_t bytes[sizeof(QXLImageDescriptor) + sizeof(QXLSurfaceId)];
    struct {
        QXLImageDescriptor descriptor;
        QXLSurfaceId surface;
    } raw;
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(bytes), bytes, NULL);
    memcpy(&raw.descriptor, bytes, sizeof(raw.descriptor));
    memcpy(&raw.surface, bytes + sizeof(raw.descriptor), sizeof(raw.surface));
    if (st == QXL_STATUS_OK && raw.descriptor.type != SPICE_IMAGE_TYPE_SURFACE) {
        st = QXL_STATUS_BAD_TYPE;  /* the guest changed it between the two reads */
    }
    if (st == QXL_STATUS_OK && raw.surface.surface_id >= limits->n_surfaces) {
        st = QXL_STATUS_BAD_SURFACE_ID;
    }
    if (st != QXL_STATUS_OK) {
        qxl_image_clear(out);
        out->type = SPICE_IMAGE_TYPE_SURFACE;
        return st;
    }
    out->id = raw.descriptor.id;
    out->flags = raw.descriptor.flags;
    out->width = raw.descriptor.width;
    out->height = raw.descriptor.height;
    out->surface_id = raw.surface.surface_id;
    return QXL_STATUS_OK;
}

QxlStatus qxl_parse_image(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlImage *out)
{
    QXLImage qxl;
    memset(out, 0, sizeof(*out));
    if (addr == 0) {
        return QXL_STATUS_NULL_POINTER;
    }
    /* The descriptor first: the size of the rest depends on the type. */
    QxlStatus st = qxl_guest_read(m, group_id, addr, sizeof(qxl.descriptor), &qxl.descriptor, NULL);
    if (st != QXL_STATUS_OK) {
        return st;
    }
    out->id = qxl.descriptor.id;
    out->type = qxl.descriptor.type;
    out->flags = qxl.descriptor.flags;
    switch (qxl.descriptor.type) {
    case SPICE_IMAGE_TYPE_BITMAP:
        break;
    case SPICE_IMAGE_TYPE_SURFACE:
        return parse_surface_image(m, group_id, addr, limits, out);
    case SPICE_IMAGE_TYPE_QUIC:
        return QXL_STATUS_UNSUPPORTED;
    default:
        return QXL_STATUS_BAD_TYPE;
    }
    /* Read the whole struct again as one copy; from here on only `qxl` is used. */
    st = qxl_guest_read(m, group_id, addr, sizeof(QXLImageDescriptor) + sizeof(QXLBitmap), &qxl,
                        NULL);
    if (st == QXL_STATUS_OK && qxl.descriptor.type != SPICE_IMAGE_TYPE_BITMAP) {
        st = QXL_STATUS_BAD_TYPE;  /* the guest changed it between the two reads */
    }
    if (st == QXL_STATUS_OK) {
        out->id = qxl.descriptor.id;
        out->flags = qxl.descriptor.flags;
        st = parse_bitmap(m, group_id, &qxl, limits, out);
    }
    if (st != QXL_STATUS_OK) {
        uint8_t type = out->type;
        qxl_image_clear(out);
        out->type = type;
    }
    return st;
}
