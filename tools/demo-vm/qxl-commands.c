/* qxl-commands: builds QXL commands (drawables, cursor commands) in guest RAM as a guest driver does. */
#include "qxl-commands.h"

#include <glib.h>
#include <string.h>

#include <spice/enums.h>

typedef struct Piece {
    size_t offset;
    size_t size;
} Piece;

struct QxlResource {
    GuestRam *ram;
    GArray *pieces; /* Piece: every allocation, the command first */
    QXLPHYSICAL command;
    uint32_t command_type;
    QXLReleaseInfo *release_info;
    uint64_t release_id;
};

QxlResource *qxl_resource_new(GuestRam *ram)
{
    QxlResource *res = g_new0(QxlResource, 1);
    res->ram = ram;
    res->pieces = g_array_new(FALSE, FALSE, sizeof(Piece));
    return res;
}

void qxl_resource_free(QxlResource *res)
{
    if (res == NULL) {
        return;
    }
    for (guint i = 0; i < res->pieces->len; i++) {
        Piece *piece = &g_array_index(res->pieces, Piece, i);
        guest_ram_free(res->ram, piece->offset, piece->size);
    }
    g_array_free(res->pieces, TRUE);
    g_free(res);
}

QXLPHYSICAL qxl_resource_command(const QxlResource *res)
{
    return res->command;
}

uint32_t qxl_resource_command_type(const QxlResource *res)
{
    return res->command_type;
}

const QXLReleaseInfo *qxl_resource_release_info(const QxlResource *res)
{
    return res->release_info;
}

uint64_t qxl_resource_release_id(const QxlResource *res)
{
    return res->release_id;
}

/* One more piece of guest RAM for @res; NULL when the RAM is full. */
static void *resource_alloc(QxlResource *res, size_t size, QXLPHYSICAL *phys)
{
    Piece piece = { 0, size };
    void *ptr = guest_ram_alloc(res->ram, size, &piece.offset);
    if (ptr == NULL) {
        return NULL;
    }
    g_array_append_val(res->pieces, piece);
    *phys = guest_ram_phys(res->ram, piece.offset);
    return ptr;
}

/* A drawable with the fields every command of the demo shares (as the Linux driver fills them). */
static QXLDrawable *drawable_new(QxlResource *res, uint64_t release_id, uint8_t type, const QXLRect *rect)
{
    QXLPHYSICAL phys;
    QXLDrawable *drawable = resource_alloc(res, sizeof(*drawable), &phys);
    if (drawable == NULL) {
        return NULL;
    }
    drawable->release_info.id = release_id;
    drawable->surface_id = 0;
    drawable->effect = QXL_EFFECT_OPAQUE;
    drawable->type = type;
    drawable->self_bitmap = 0;
    drawable->bbox = *rect;
    drawable->clip.type = SPICE_CLIP_TYPE_NONE;
    drawable->clip.data = 0;
    drawable->mm_time = 0;
    for (int i = 0; i < 3; i++) {
        drawable->surfaces_dest[i] = -1;
    }
    res->command = phys;
    res->command_type = QXL_CMD_DRAW;
    res->release_info = &drawable->release_info;
    res->release_id = release_id;
    return drawable;
}

QxlResource *qxl_build_fill(GuestRam *ram, uint64_t release_id, const QXLRect *rect, uint32_t color)
{
    return qxl_build_fill_rop(ram, release_id, rect, color, SPICE_ROPD_OP_PUT);
}

QxlResource *qxl_build_fill_rop(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                uint32_t color, uint16_t rop_descriptor)
{
    QxlResource *res = qxl_resource_new(ram);
    QXLDrawable *drawable = drawable_new(res, release_id, QXL_DRAW_FILL, rect);
    if (drawable == NULL) {
        qxl_resource_free(res);
        return NULL;
    }
    drawable->u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    drawable->u.fill.brush.u.color = color;
    drawable->u.fill.rop_descriptor = rop_descriptor;
    drawable->u.fill.mask.flags = 0;
    drawable->u.fill.mask.bitmap = 0;
    return res;
}

/* The image's rows split into QXLDataChunks of whole rows, linked both ways; returns the first. */
static bool image_chunks_new(QxlResource *res, const uint32_t *pixels, uint32_t stride_pixels,
                             uint32_t width, uint32_t height, uint32_t max_chunk_bytes,
                             QXLPHYSICAL *first)
{
    const size_t row_bytes = (size_t)width * 4;
    uint32_t rows_per_chunk = max_chunk_bytes / row_bytes;
    if (rows_per_chunk == 0) {
        rows_per_chunk = 1;
    }
    QXLDataChunk *prev = NULL;
    QXLPHYSICAL prev_phys = 0;
    *first = 0;
    for (uint32_t y = 0; y < height; y += rows_per_chunk) {
        uint32_t rows = MIN(rows_per_chunk, height - y);
        size_t data_size = row_bytes * rows;
        QXLPHYSICAL phys;
        QXLDataChunk *chunk = resource_alloc(res, sizeof(*chunk) + data_size, &phys);
        if (chunk == NULL) {
            return false;
        }
        chunk->data_size = data_size;
        chunk->prev_chunk = prev_phys;
        chunk->next_chunk = 0;
        for (uint32_t row = 0; row < rows; row++) {
            memcpy(chunk->data + row * row_bytes, pixels + (size_t)(y + row) * stride_pixels, row_bytes);
        }
        if (prev != NULL) {
            prev->next_chunk = phys;
        } else {
            *first = phys;
        }
        prev = chunk;
        prev_phys = phys;
    }
    return true;
}

QxlResource *qxl_build_copy(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                            const uint32_t *pixels, uint32_t stride_pixels, uint32_t max_chunk_bytes)
{
    /* id 0 without QXL_IMAGE_CACHE: the Linux driver does not ask the server to cache. */
    return qxl_build_copy_cached(ram, release_id, rect, pixels, stride_pixels, max_chunk_bytes, 0);
}

QxlResource *qxl_build_copy_cached(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                   const uint32_t *pixels, uint32_t stride_pixels,
                                   uint32_t max_chunk_bytes, uint64_t image_id)
{
    const uint32_t width = rect->right - rect->left;
    const uint32_t height = rect->bottom - rect->top;
    QxlResource *res = qxl_resource_new(ram);
    QXLDrawable *drawable = drawable_new(res, release_id, QXL_DRAW_COPY, rect);
    QXLPHYSICAL image_phys = 0;
    QXLImage *image = drawable != NULL ? resource_alloc(res, sizeof(*image), &image_phys) : NULL;
    QXLPHYSICAL data_phys = 0;
    if (image == NULL ||
        !image_chunks_new(res, pixels, stride_pixels, width, height, max_chunk_bytes, &data_phys)) {
        qxl_resource_free(res);
        return NULL;
    }
    image->descriptor.id = image_id;
    image->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    image->descriptor.flags = image_id != 0 ? QXL_IMAGE_CACHE : 0;
    image->descriptor.width = width;
    image->descriptor.height = height;
    image->bitmap.format = SPICE_BITMAP_FMT_32BIT;
    image->bitmap.flags = QXL_BITMAP_TOP_DOWN;
    image->bitmap.x = width;
    image->bitmap.y = height;
    image->bitmap.stride = width * 4;
    image->bitmap.palette = 0;
    image->bitmap.data = data_phys;

    drawable->u.copy.src_bitmap = image_phys;
    drawable->u.copy.src_area = (QXLRect){ .top = 0, .left = 0, .bottom = height, .right = width };
    drawable->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    drawable->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    drawable->u.copy.mask.flags = 0;
    drawable->u.copy.mask.bitmap = 0;
    return res;
}

QxlResource *qxl_build_copy_bits(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                 int32_t src_x, int32_t src_y)
{
    QxlResource *res = qxl_resource_new(ram);
    QXLDrawable *drawable = drawable_new(res, release_id, QXL_COPY_BITS, rect);
    if (drawable == NULL) {
        qxl_resource_free(res);
        return NULL;
    }
    drawable->u.copy_bits.src_pos = (QXLPoint){ .x = src_x, .y = src_y };
    return res;
}

static QXLCursorCmd *cursor_cmd_new(QxlResource *res, uint64_t release_id, uint8_t type)
{
    QXLPHYSICAL phys;
    QXLCursorCmd *cmd = resource_alloc(res, sizeof(*cmd), &phys);
    if (cmd == NULL) {
        return NULL;
    }
    cmd->release_info.id = release_id;
    cmd->type = type;
    res->command = phys;
    res->command_type = QXL_CMD_CURSOR;
    res->release_info = &cmd->release_info;
    res->release_id = release_id;
    return cmd;
}

QxlResource *qxl_build_cursor_set(GuestRam *ram, uint64_t release_id, int16_t x, int16_t y,
                                  uint16_t width, uint16_t height, uint16_t hot_x, uint16_t hot_y,
                                  const uint32_t *argb)
{
    const size_t data_size = (size_t)width * height * 4;
    QxlResource *res = qxl_resource_new(ram);
    QXLCursorCmd *cmd = cursor_cmd_new(res, release_id, QXL_CURSOR_SET);
    QXLPHYSICAL shape_phys = 0;
    /* The shape data follows the QXLCursor in one chunk, as QEMU and the Linux driver lay it out. */
    QXLCursor *shape = cmd != NULL ? resource_alloc(res, sizeof(*shape) + data_size, &shape_phys) : NULL;
    if (shape == NULL) {
        qxl_resource_free(res);
        return NULL;
    }
    shape->header.unique = 0;
    shape->header.type = SPICE_CURSOR_TYPE_ALPHA;
    shape->header.width = width;
    shape->header.height = height;
    shape->header.hot_spot_x = hot_x;
    shape->header.hot_spot_y = hot_y;
    shape->data_size = data_size;
    shape->chunk.data_size = data_size;
    shape->chunk.prev_chunk = 0;
    shape->chunk.next_chunk = 0;
    memcpy(shape->chunk.data, argb, data_size);

    cmd->u.set.position = (QXLPoint16){ .x = x, .y = y };
    cmd->u.set.visible = 1;
    cmd->u.set.shape = shape_phys;
    return res;
}

QxlResource *qxl_build_cursor_move(GuestRam *ram, uint64_t release_id, int16_t x, int16_t y)
{
    QxlResource *res = qxl_resource_new(ram);
    QXLCursorCmd *cmd = cursor_cmd_new(res, release_id, QXL_CURSOR_MOVE);
    if (cmd == NULL) {
        qxl_resource_free(res);
        return NULL;
    }
    cmd->u.position = (QXLPoint16){ .x = x, .y = y };
    return res;
}
