/* display-channel-messages: message body builders for the display channel, in spice.proto field order. */
#include "display-channel-messages.h"

#include <spice/enums.h>
#include <spice/protocol.h>

#include "image-encoder.h"

static void write_inline_bitmap(WireWriter *w, size_t ptr_offset, const DisplayBitmap *bitmap);

static void write_rect(WireWriter *w, const pixman_box32_t *box)
{
    wire_write_i32(w, box->y1);   /* top */
    wire_write_i32(w, box->x1);   /* left */
    wire_write_i32(w, box->y2);   /* bottom */
    wire_write_i32(w, box->x2);   /* right */
}

static void write_display_base(WireWriter *w, const DisplayDrawBase *base)
{
    wire_write_u32(w, base->surface_id);
    write_rect(w, &base->box);
    if (base->clip_rects == NULL) {
        wire_write_u8(w, SPICE_CLIP_TYPE_NONE);
        return;
    }
    /* Clip rects are inline (the @to_ptr attribute only affects the C structs). */
    wire_write_u8(w, SPICE_CLIP_TYPE_RECTS);
    wire_write_u32(w, base->num_clip_rects);
    for (uint32_t i = 0; i < base->num_clip_rects; i++) {
        write_rect(w, &base->clip_rects[i]);
    }
}

/* QMask with no bitmap: flags 0, pos (0,0), NULL image. */
static void write_empty_mask(WireWriter *w)
{
    wire_write_u8(w, 0);
    wire_write_i32(w, 0);
    wire_write_i32(w, 0);
    wire_write_u32(w, 0);
}

void display_msg_write_surface_create(WireWriter *w, uint32_t surface_id, uint32_t width,
                                      uint32_t height, uint32_t format, uint32_t flags)
{
    wire_write_u32(w, surface_id);
    wire_write_u32(w, width);
    wire_write_u32(w, height);
    wire_write_u32(w, format);
    wire_write_u32(w, flags);
}

void display_msg_write_surface_destroy(WireWriter *w, uint32_t surface_id)
{
    wire_write_u32(w, surface_id);
}

void display_msg_write_draw_fill(WireWriter *w, const DisplayDrawBase *base, uint32_t color,
                                 uint16_t rop_descriptor)
{
    write_display_base(w, base);
    wire_write_u8(w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(w, color);
    wire_write_u16(w, rop_descriptor);
    write_empty_mask(w);
}

uint8_t *display_msg_write_draw_copy_reserve(WireWriter *w, const DisplayDrawBase *base,
                                             const DisplayBitmap *bitmap,
                                             const pixman_box32_t *src_area,
                                             uint16_t rop_descriptor, uint8_t scale_mode)
{
    write_display_base(w, base);
    size_t image_ptr_offset = wire_writer_size(w);
    wire_write_u32(w, 0);                      /* src_bitmap, patched below */
    write_rect(w, src_area);
    wire_write_u16(w, rop_descriptor);
    wire_write_u8(w, scale_mode);
    write_empty_mask(w);

    wire_writer_patch_u32(w, image_ptr_offset, (uint32_t)wire_writer_size(w));
    /* ImageDescriptor */
    wire_write_u64(w, bitmap->image_id);
    wire_write_u8(w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(w, 0);                       /* not cached: we keep no client cache yet */
    wire_write_u32(w, bitmap->width);
    wire_write_u32(w, bitmap->height);
    /* BitmapData: the pixels follow inline; no palette for 32-bit formats. */
    uint32_t row_bytes = bitmap->width * 4;
    wire_write_u8(w, bitmap->format);
    wire_write_u8(w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(w, bitmap->width);
    wire_write_u32(w, bitmap->height);
    wire_write_u32(w, row_bytes);
    wire_write_u32(w, 0);                      /* palette: NULL */
    return wire_writer_reserve(w, (size_t)row_bytes * bitmap->height);
}

void display_msg_write_draw_copy(WireWriter *w, const DisplayDrawBase *base,
                                 const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                                 uint16_t rop_descriptor, uint8_t scale_mode)
{
    write_display_base(w, base);
    size_t ptr_offset = wire_writer_size(w);
    wire_write_u32(w, 0);                      /* src_bitmap, patched by write_inline_bitmap */
    write_rect(w, src_area);
    wire_write_u16(w, rop_descriptor);
    wire_write_u8(w, scale_mode);
    write_empty_mask(w);
    write_inline_bitmap(w, ptr_offset, bitmap);
}

/* The image of @bitmap (descriptor and body, as its compression policy picks) at the end of the
 * body; patches the pointer. */
static void write_inline_bitmap(WireWriter *w, size_t ptr_offset, const DisplayBitmap *bitmap)
{
    size_t descriptor = wire_writer_size(w);
    wire_writer_patch_u32(w, ptr_offset, (uint32_t)descriptor);
    uint8_t type = bitmap->from_cache_type;
    if (type != 0) {
        /* The client holds the pixels: the descriptor alone names them. */
        wire_write_u64(w, bitmap->image_id);
        wire_write_u8(w, type);
        wire_write_u8(w, 0);
        wire_write_u32(w, bitmap->width);
        wire_write_u32(w, bitmap->height);
        if (bitmap->out_image_type) {
            *bitmap->out_image_type = type;
        }
        return;
    }
    ImageEncoderSource src = {
        .image_id = bitmap->image_id,
        .format = bitmap->format,
        .width = bitmap->width,
        .height = bitmap->height,
        .stride = bitmap->stride,
        .pixels = bitmap->pixels,
        .pixels_owner = bitmap->pixels_owner,
        .glz = bitmap->glz,
        .peer = bitmap->peer,
        .lossy_ok = bitmap->lossy_ok,
    };
    type = image_encoder_write(w, &src, bitmap->compression);
    if (bitmap->descriptor_flags) {
        /* The descriptor's type and flags bytes follow its u64 id. */
        wire_writer_patch_u16(w, descriptor + 8, (uint16_t)(type | bitmap->descriptor_flags << 8));
    }
    if (bitmap->out_image_type) {
        *bitmap->out_image_type = type;
    }
}

static void write_brush(WireWriter *w, uint8_t type, uint32_t color)
{
    wire_write_u8(w, type);
    if (type == SPICE_BRUSH_TYPE_SOLID) {
        wire_write_u32(w, color);
    }
}

void display_msg_write_image_draw(WireWriter *w, const DisplayDrawBase *base,
                                  const DisplayImageDraw *draw, const DisplayBitmap *bitmap)
{
    write_display_base(w, base);
    size_t ptr_offset;
    switch (draw->msg_type) {
    case SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND:
        wire_write_u8(w, draw->alpha_flags);
        wire_write_u8(w, draw->alpha);
        ptr_offset = wire_writer_size(w);
        wire_write_u32(w, 0);
        write_rect(w, &draw->src_area);
        break;
    case SPICE_MSG_DISPLAY_DRAW_TRANSPARENT:
        ptr_offset = wire_writer_size(w);
        wire_write_u32(w, 0);
        write_rect(w, &draw->src_area);
        wire_write_u32(w, draw->src_color);
        wire_write_u32(w, draw->true_color);
        break;
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        ptr_offset = wire_writer_size(w);
        wire_write_u32(w, 0);
        write_rect(w, &draw->src_area);
        write_brush(w, draw->brush_type, draw->brush_color);
        wire_write_u8(w, draw->rop3);
        wire_write_u8(w, draw->scale_mode);
        write_empty_mask(w);
        break;
    default:   /* SPICE_MSG_DISPLAY_DRAW_OPAQUE */
        ptr_offset = wire_writer_size(w);
        wire_write_u32(w, 0);
        write_rect(w, &draw->src_area);
        write_brush(w, draw->brush_type, draw->brush_color);
        wire_write_u16(w, draw->rop_descriptor);
        wire_write_u8(w, draw->scale_mode);
        write_empty_mask(w);
        break;
    }
    write_inline_bitmap(w, ptr_offset, bitmap);
}

void display_msg_write_draw_mask_only(WireWriter *w, const DisplayDrawBase *base)
{
    write_display_base(w, base);
    write_empty_mask(w);
}

void display_msg_write_copy_bits(WireWriter *w, const DisplayDrawBase *base, int32_t src_x,
                                 int32_t src_y)
{
    write_display_base(w, base);
    wire_write_i32(w, src_x);
    wire_write_i32(w, src_y);
}

void display_msg_write_monitors_config(WireWriter *w, const DisplayHead *heads, uint16_t count,
                                       uint16_t max_allowed)
{
    wire_write_u16(w, count);
    wire_write_u16(w, max_allowed);
    for (uint16_t i = 0; i < count; i++) {
        wire_write_u32(w, heads[i].monitor_id);
        wire_write_u32(w, heads[i].surface_id);
        wire_write_u32(w, heads[i].width);
        wire_write_u32(w, heads[i].height);
        wire_write_u32(w, heads[i].x);
        wire_write_u32(w, heads[i].y);
        wire_write_u32(w, heads[i].flags);
    }
}

void display_msg_write_inval_list(WireWriter *w, const uint64_t *ids, uint16_t count)
{
    wire_write_u16(w, count);
    for (uint16_t i = 0; i < count; i++) {
        wire_write_u8(w, SPICE_RES_TYPE_PIXMAP);
        wire_write_u64(w, ids[i]);
    }
}
