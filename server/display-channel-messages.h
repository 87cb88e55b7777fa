/* display-channel-messages: builds the bodies of the display channel's server messages (spice.proto DisplayChannel). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>
#include <spice/enums.h>

#include "codecs/glz.h"
#include "image-encoder.h"
#include "protocol/wire.h"

/*
 * Pure functions: each appends one message body to a WireWriter (the caller sends it with the
 * message type). Rects are pixman boxes (x1 = left, y1 = top, x2 = right, y2 = bottom) and are
 * written in the wire's order top, left, bottom, right. Pointers inside a body are u32 offsets
 * from the start of the body, so every builder expects an empty writer.
 */

/* DisplayBase: the target surface, the bounding box and the clip (NULL rects = clip NONE). */
typedef struct DisplayDrawBase {
    uint32_t surface_id;
    pixman_box32_t box;
    const pixman_box32_t *clip_rects;   /* borrowed; NULL or num_clip_rects rects */
    uint32_t num_clip_rects;
} DisplayDrawBase;

/* An uncompressed top-down BITMAP image (SPICE_BITMAP_FMT_32BIT or _RGBA). */
typedef struct DisplayBitmap {
    uint64_t image_id;
    uint8_t format;             /* SPICE_BITMAP_FMT_32BIT or SPICE_BITMAP_FMT_RGBA */
    uint32_t width;
    uint32_t height;
    uint32_t stride;            /* bytes between rows of @pixels (>= width * 4) */
    const uint8_t *pixels;      /* borrowed; the top-left pixel; width * 4 bytes per row are read */
    /* Borrowed, may be NULL: the counted buffer holding @pixels (ImageEncoderSource's
     * pixels_owner: a GLZ dictionary then keeps a reference instead of a copy). */
    GlzSharedPixels *pixels_owner;
    /* How display_msg_write_draw_copy and _image_draw send it (server/image-encoder.h: BITMAP,
     * LZ_RGB or QUIC); 0 (INVALID) means OFF. The _reserve variant always sends BITMAP. */
    SpiceImageCompression compression;
    /* Borrowed; the dictionary of the one client this message goes to, or NULL (GLZ policies
     * then send LZ_RGB). See ImageEncoderSource.glz for the rule it carries. */
    GlzDictionary *glz;
    /* srvcomp: what the one client this message goes to takes (LZ4, JPEG, zlib over GLZ) and
     * whether this draw may be lossy; zero = lossless LZ/GLZ/QUIC only. */
    ImageEncoderPeer peer;
    bool lossy_ok;
    /* pixcache: the pixmap cache's part (server/pixmap-cache.h); all zero = not cached. */
    bool cacheable;             /* the guest marked it QXL_IMAGE_CACHE (read by display-channel.c) */
    uint8_t from_cache_type;    /* SPICE_IMAGE_TYPE_FROM_CACHE(_LOSSLESS): descriptor only; 0: encode */
    uint8_t descriptor_flags;   /* SPICE_IMAGE_FLAGS_* put in the encoded image's descriptor */
    uint8_t *out_image_type;    /* optional, borrowed: receives the SPICE_IMAGE_TYPE_* written */
} DisplayBitmap;

/* One head of MONITORS_CONFIG. */
typedef struct DisplayHead {
    uint32_t monitor_id;
    uint32_t surface_id;
    uint32_t width;
    uint32_t height;
    uint32_t x;
    uint32_t y;
    uint32_t flags;
} DisplayHead;

/* Fixed sizes used to keep messages under a budget (header of a DRAW_COPY with one bitmap). */
#define DISPLAY_DRAW_COPY_OVERHEAD(num_clip_rects) (21u + 4u + 16u * (num_clip_rects) + 36u + 18u + 18u)

void display_msg_write_surface_create(WireWriter *w, uint32_t surface_id, uint32_t width,
                                      uint32_t height, uint32_t format, uint32_t flags);
void display_msg_write_surface_destroy(WireWriter *w, uint32_t surface_id);
/* DRAW_FILL with a SOLID brush, no mask, any rop descriptor. */
void display_msg_write_draw_fill(WireWriter *w, const DisplayDrawBase *base, uint32_t color,
                                 uint16_t rop_descriptor);
/*
 * DRAW_COPY (and DRAW_BLEND, the same body) of an inline image, no mask, any rop descriptor,
 * encoded as @bitmap->compression says. @src_area is in bitmap coordinates. BITMAP rows are
 * packed on the wire (stride width * 4), so @bitmap may point into a larger image.
 */
void display_msg_write_draw_copy(WireWriter *w, const DisplayDrawBase *base,
                                 const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                                 uint16_t rop_descriptor, uint8_t scale_mode);
/*
 * Same as display_msg_write_draw_copy, but leaves the pixels to the caller: reserves
 * @bitmap->height rows of width * 4 bytes (packed) and returns where they go, valid until the next
 * write to @w. @bitmap->pixels and ->stride are not used.
 */
uint8_t *display_msg_write_draw_copy_reserve(WireWriter *w, const DisplayDrawBase *base,
                                             const DisplayBitmap *bitmap,
                                             const pixman_box32_t *src_area,
                                             uint16_t rop_descriptor, uint8_t scale_mode);
/*
 * The draws whose source is one inline bitmap (no mask; brush NONE or SOLID): OPAQUE, ROP3,
 * TRANSPARENT and ALPHA_BLEND. @msg_type picks the body layout; the fields it does not use are
 * ignored. The bitmap follows the body, pointed to by src_bitmap.
 */
typedef struct DisplayImageDraw {
    uint16_t msg_type;          /* SPICE_MSG_DISPLAY_DRAW_OPAQUE, _ROP3, _TRANSPARENT, _ALPHA_BLEND */
    pixman_box32_t src_area;    /* in bitmap coordinates */
    uint8_t brush_type;         /* OPAQUE, ROP3: SPICE_BRUSH_TYPE_NONE or _SOLID */
    uint32_t brush_color;
    uint16_t rop_descriptor;    /* OPAQUE */
    uint8_t rop3;               /* ROP3 */
    uint8_t scale_mode;         /* OPAQUE, ROP3 */
    uint32_t src_color;         /* TRANSPARENT */
    uint32_t true_color;        /* TRANSPARENT */
    uint8_t alpha_flags;        /* ALPHA_BLEND */
    uint8_t alpha;              /* ALPHA_BLEND */
} DisplayImageDraw;

void display_msg_write_image_draw(WireWriter *w, const DisplayDrawBase *base,
                                  const DisplayImageDraw *draw, const DisplayBitmap *bitmap);

/* DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS: the base and an empty QMask. */
void display_msg_write_draw_mask_only(WireWriter *w, const DisplayDrawBase *base);
void display_msg_write_copy_bits(WireWriter *w, const DisplayDrawBase *base, int32_t src_x,
                                 int32_t src_y);
/* INVAL_LIST of @count pixmap ids (SPICE_RES_TYPE_PIXMAP). */
void display_msg_write_inval_list(WireWriter *w, const uint64_t *ids, uint16_t count);
void display_msg_write_monitors_config(WireWriter *w, const DisplayHead *heads, uint16_t count,
                                       uint16_t max_allowed);
