/* display-parse: validated structs from the bodies of display-channel messages (client side). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/enums.h>

/*
 * Every parser takes (body, size) of one message as received from the server, never reads
 * outside it and returns false for a malformed body (outputs then unspecified but safe: no
 * pointer in them points outside @body). Pointers inside the structs point into @body (not
 * copies): they live as long as the caller's buffer. Offsets named *_offset are u32 offsets
 * from the start of @body, already checked to lie inside it (0 = NULL).
 */

#define DISPLAY_MAX_CLIP_RECTS 65536u

typedef struct DisplayRect {
    int32_t top, left, bottom, right;
} DisplayRect;

typedef struct DisplayClip {
    uint8_t type;                 /* SPICE_CLIP_TYPE_NONE or _RECTS */
    uint32_t num_rects;
    DisplayRect *rects;           /* g_malloc'd copy (NULL when 0): free with display_clip_clear */
} DisplayClip;

typedef struct DisplayBase {
    uint32_t surface_id;
    DisplayRect box;
    DisplayClip clip;
} DisplayBase;

typedef struct DisplaySurfaceCreate {
    uint32_t surface_id, width, height, format, flags;
} DisplaySurfaceCreate;

typedef struct DisplayMask {
    uint8_t flags;
    int32_t x, y;
    uint32_t bitmap_offset;
} DisplayMask;

typedef struct DisplayCopy {
    DisplayBase base;
    uint32_t src_bitmap_offset;   /* never 0 after a successful parse */
    DisplayRect src_area;
    uint16_t rop_descriptor;
    uint8_t scale_mode;
    DisplayMask mask;
} DisplayCopy;

typedef struct DisplayFill {
    DisplayBase base;
    uint8_t brush_type;           /* SPICE_BRUSH_TYPE_* */
    uint32_t brush_color;         /* SOLID */
    uint32_t brush_pattern_offset;/* PATTERN */
    int32_t pattern_x, pattern_y;
    uint16_t rop_descriptor;
    DisplayMask mask;
} DisplayFill;

typedef struct DisplayCopyBits {
    DisplayBase base;
    int32_t src_x, src_y;
} DisplayCopyBits;

/* A rect is "sane" when left <= right and top <= bottom. */
bool display_rect_is_sane(const DisplayRect *r);

void display_clip_clear(DisplayClip *clip);

bool display_parse_surface_create(const uint8_t *body, size_t size, DisplaySurfaceCreate *out);
bool display_parse_surface_destroy(const uint8_t *body, size_t size, uint32_t *surface_id);
/* DRAW_COPY; the caller frees out->base.clip with display_clip_clear (also after false). */
bool display_parse_draw_copy(const uint8_t *body, size_t size, DisplayCopy *out);
bool display_parse_draw_fill(const uint8_t *body, size_t size, DisplayFill *out);
bool display_parse_copy_bits(const uint8_t *body, size_t size, DisplayCopyBits *out);

/* DRAW_OPAQUE: a copy combined with a brush; parsed into the DRAW_COPY shape (the brush, only
 * used by non-PUT rops, is checked and skipped). */
bool display_parse_draw_opaque(const uint8_t *body, size_t size, DisplayCopy *out);

typedef struct DisplayAlphaBlend {
    DisplayBase base;
    uint8_t alpha_flags;          /* SPICE_ALPHA_FLAGS_* */
    uint8_t alpha;
    uint32_t src_bitmap_offset;   /* never 0 after a successful parse */
    DisplayRect src_area;
} DisplayAlphaBlend;
bool display_parse_alpha_blend(const uint8_t *body, size_t size, DisplayAlphaBlend *out);

typedef struct DisplayTransparent {
    DisplayBase base;
    uint32_t src_bitmap_offset;   /* never 0 after a successful parse */
    DisplayRect src_area;
    uint32_t src_color;           /* source pixels of this colour are not drawn */
    uint32_t true_color;
} DisplayTransparent;
bool display_parse_transparent(const uint8_t *body, size_t size, DisplayTransparent *out);

/* DRAW_BLACKNESS / DRAW_WHITENESS / DRAW_INVERS: DisplayBase + mask. */
typedef struct DisplayFlat {
    DisplayBase base;
    DisplayMask mask;
} DisplayFlat;
bool display_parse_flat(const uint8_t *body, size_t size, DisplayFlat *out);

/* INVAL_LIST: calls @each for every (type, id); false if malformed (some may have been called). */
bool display_parse_inval_list(const uint8_t *body, size_t size,
                              void (*each)(uint8_t type, uint64_t id, void *user), void *user);
/* INVAL_PALETTE: the palette id. */
bool display_parse_inval_palette(const uint8_t *body, size_t size, uint64_t *id);

/* MONITORS_CONFIG: the number of heads and the first head's surface and size. */
typedef struct DisplayMonitors {
    uint16_t count, max_allowed;
    uint32_t first_surface_id, first_width, first_height;
} DisplayMonitors;
bool display_parse_monitors_config(const uint8_t *body, size_t size, DisplayMonitors *out);

/*
 * A SPICE_MSG_LIST body: calls @each(type, sub_body, sub_size) for every sub-message, in order,
 * after checking all of them (a malformed list calls nothing and returns false).
 */
bool display_parse_sub_list(const uint8_t *body, size_t size,
                            void (*each)(uint16_t type, const uint8_t *sub, size_t sub_size,
                                         void *user),
                            void *user);

/* ---- video streams (clstream) ---- */

/* STREAM_CREATE. The caller frees out->clip with display_clip_clear (also after false). */
typedef struct DisplayStreamCreate {
    uint32_t surface_id, id;
    uint8_t flags;                /* SPICE_STREAM_FLAGS_TOP_DOWN */
    uint8_t codec_type;           /* SPICE_VIDEO_CODEC_TYPE_* */
    uint32_t stream_width, stream_height;   /* size of the coded frames */
    uint32_t src_width, src_height;         /* size of the source area they show */
    DisplayRect dest;             /* where on the surface (sane) */
    DisplayClip clip;
} DisplayStreamCreate;
bool display_parse_stream_create(const uint8_t *body, size_t size, DisplayStreamCreate *out);

/* STREAM_DATA, or with @sized STREAM_DATA_SIZED (adds the frame's size and its own dest). */
typedef struct DisplayStreamData {
    uint32_t id;
    uint32_t mm_time;             /* when to show it, on the server's multimedia clock (ms) */
    bool sized;
    uint32_t width, height;       /* sized only */
    DisplayRect dest;             /* sized only (sane) */
    const uint8_t *data;          /* points into the body */
    uint32_t data_size;
} DisplayStreamData;
bool display_parse_stream_data(const uint8_t *body, size_t size, bool sized, DisplayStreamData *out);

/* STREAM_CLIP; the caller frees @clip with display_clip_clear (also after false). */
bool display_parse_stream_clip(const uint8_t *body, size_t size, uint32_t *id, DisplayClip *clip);
bool display_parse_stream_destroy(const uint8_t *body, size_t size, uint32_t *id);

typedef struct DisplayStreamActivateReport {
    uint32_t stream_id, unique_id, max_window_size, timeout_ms;
} DisplayStreamActivateReport;
bool display_parse_stream_activate_report(const uint8_t *body, size_t size,
                                          DisplayStreamActivateReport *out);

/* WAIT_FOR_CHANNELS (any channel; also the body of INVAL_ALL_PIXMAPS): calls @each for every
 * (channel type, channel id, message serial); false if malformed (some may have been called). */
bool display_parse_wait_for_channels(const uint8_t *body, size_t size,
                                     void (*each)(uint8_t type, uint8_t id, uint64_t serial,
                                                  void *user),
                                     void *user);

/* ---- building blocks for the draw parsers of display-parse-draw.c (clcanvas) ---- */
#include "protocol/wire.h"
/* DisplayBase at @r (clip rects g_malloc'd: display_clip_clear, also after false). */
bool display_read_base(WireReader *r, DisplayBase *base);
/* A u32 offset from the body start that must lie inside it (0 = NULL, allowed if @allow_null). */
bool display_read_offset(WireReader *r, size_t size, bool allow_null, uint32_t *out);
bool display_read_mask(WireReader *r, size_t size, DisplayMask *mask);
void display_read_rect(WireReader *r, DisplayRect *out);
