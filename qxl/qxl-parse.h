/* qxl-parse: QXL commands in guest memory -> validated structs owned by the server. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <spice/enums.h>
#include <spice/qxl_dev.h>

#include "qxl/memslot.h"
#include "qxl/qxl-status.h"

/*
 * This is the only layer that reads guest memory. Each parser copies what it needs out of guest
 * memory ONCE into our own structs and validates the copy (a guest may rewrite its memory while we
 * read). Past this layer nothing touches guest memory, except:
 *   - the `release_info` pointers (handed back to the host in QXLReleaseInfoExt.info), and
 *   - QxlSurfaceMemory.mem / line0: guest memory that the server renders into (QXL off-screen and
 *     primary surfaces live in guest RAM), validated for height * |stride| bytes.
 *
 * Every parse function:
 *   - first zeroes @out, so *_clear(out) is always safe, whatever the result;
 *   - translates the command address for its fixed-size struct; if that works, out->release_info is
 *     set, EVEN IF the rest of the parse fails (the worker must still release dropped commands whose
 *     address translated: call release_resource({out->release_info, group_id}) when non-NULL);
 *   - returns QXL_STATUS_OK with every field validated, or the first problem found;
 *   - never logs: the caller logs one line per dropped command.
 * Owned buffers (image pixels, clip rects, cursor data, monitor heads) are freed by *_clear().
 * Threads: called from the QXL worker thread only (same thread as the QxlMemslots table).
 *
 * QXL_COMMAND_FLAG_COMPAT (QXLCommandExt.flags): the old QXLCompatDrawable layout used by QXL
 * "compat" mode (after QXL_IO_SET_MODE) is not parsed yet: qxl_parse_draw returns
 * QXL_STATUS_UNSUPPORTED for it (COMPAT_16BPP colours likewise). Surface and cursor commands have
 * the same layout in compat mode and ignore the flags.
 */

/* Caps on what a guest may make us allocate or walk. */
typedef struct QxlParseLimits {
    uint32_t n_surfaces;       /* surface ids must be < n_surfaces (QXLDevInitInfo.n_surfaces) */
    uint32_t max_chunks;       /* links per QXLDataChunk chain */
    uint32_t max_image_dim;    /* image / surface width and height */
    uint64_t max_image_bytes;  /* guest stride * height of one bitmap or surface */
    uint32_t max_clip_rects;   /* rects in one clip list */
    uint32_t max_cursor_dim;   /* cursor width and height */
    uint32_t max_monitors;     /* heads in one QXLMonitorsConfig */
    uint32_t max_path_bytes;   /* QXLPath.data_size (segments and points) */
    uint32_t max_string_bytes; /* QXLString.data_size (raster glyphs) */
} QxlParseLimits;

/* Defaults: 65536 chunks, 16384 px, 256 MiB, 65536 clip rects, 1024 px cursors, 64 monitors,
 * 4 MiB paths and strings. */
void qxl_parse_limits_init(QxlParseLimits *limits, uint32_t n_surfaces);

/* Our own rect: validated so that left <= right and top <= bottom. Same field order as QXLRect. */
typedef struct QxlRect {
    int32_t top;
    int32_t left;
    int32_t bottom;
    int32_t right;
} QxlRect;

/* left <= right && top <= bottom. */
bool qxl_rect_is_valid(const QxlRect *r);
/* Valid, and inside [0, width] x [0, height] (e.g. a src_area inside its image, a bbox inside its surface). */
bool qxl_rect_is_within(const QxlRect *r, uint32_t width, uint32_t height);
/* right == left || bottom == top. */
bool qxl_rect_is_empty(const QxlRect *r);

/* Bits per pixel of a SPICE_BITMAP_FMT_* value (1, 4, 8, 16, 24 or 32); 0 for unknown formats. */
uint32_t qxl_bitmap_format_bpp(uint32_t format);
/* True for the palette formats (1BIT_LE/BE, 4BIT_LE/BE, 8BIT). */
bool qxl_bitmap_format_has_palette(uint32_t format);
/* Bits per pixel of a SPICE_SURFACE_FMT_* value we can render into (1, 8, 16, 32); 0 otherwise. */
uint32_t qxl_surface_format_bpp(uint32_t format);

/* ---- images ------------------------------------------------------------------------------- */

#define QXL_PALETTE_MAX_ENTRIES 256u

typedef struct QxlPalette {
    uint64_t unique;                          /* the guest's palette id (for caching) */
    uint16_t num_ents;                        /* entries the guest gave, <= 256 */
    uint32_t ents[QXL_PALETTE_MAX_ENTRIES];   /* [num_ents..255] are zero, so any 8-bit index is safe */
} QxlPalette;

/*
 * A SPICE_IMAGE_TYPE_BITMAP image, pixels copied into our buffer, or a SPICE_IMAGE_TYPE_SURFACE
 * image: a reference to surface `surface_id` (< limits->n_surfaces; whether it exists is the
 * worker's business), with no pixels (data NULL, width/height as the descriptor says).
 */
typedef struct QxlImage {
    uint64_t id;               /* QXLImageDescriptor.id (group in low 32 bits, unique in high 32) */
    uint8_t type;              /* SPICE_IMAGE_TYPE_BITMAP or SPICE_IMAGE_TYPE_SURFACE */
    uint32_t surface_id;       /* SURFACE only */
    uint8_t flags;             /* QXL_IMAGE_CACHE | QXL_IMAGE_HIGH_BITS_SET as the guest sent them */
    uint32_t width;            /* >= 1, <= limits->max_image_dim */
    uint32_t height;           /* >= 1, <= limits->max_image_dim */
    uint8_t format;            /* SPICE_BITMAP_FMT_* (never INVALID) */
    uint8_t bitmap_flags;      /* QXL_BITMAP_* as the guest sent them; data below is ALWAYS top-down */
    uint32_t stride;           /* bytes per row of `data`: tight, (width * bpp + 7) / 8 */
    bool has_palette;          /* true exactly when qxl_bitmap_format_has_palette(format) */
    QxlPalette palette;
    uint8_t *data;             /* owned: stride * height bytes, top row first */
    size_t data_size;          /* stride * height */
} QxlImage;

/*
 * Parses a QXLImage at @addr. Pixel data comes from a flat pointer (QXL_BITMAP_DIRECT) or a
 * QXLDataChunk chain whose data total must equal guest stride * height exactly. Rejects: zero or
 * too large dimensions, bitmap.x/y differing from the descriptor's width/height, stride < row
 * bytes, palette format without palette. SURFACE images: surface id checked against
 * limits->n_surfaces. QUIC images -> QXL_STATUS_UNSUPPORTED.
 */
QxlStatus qxl_parse_image(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                          uint32_t cmd_flags, const QxlParseLimits *limits, QxlImage *out);
/* Frees the pixel buffer and zeroes the struct. Accepts NULL. */
void qxl_image_clear(QxlImage *image);

/* ---- drawables (QXL_CMD_DRAW) --------------------------------------------------------------- */

typedef struct QxlBrush {
    uint32_t type;             /* SPICE_BRUSH_TYPE_NONE, _SOLID or _PATTERN */
    uint32_t color;            /* SOLID: xRGB 8:8:8:8 as the guest sent it */
    QxlImage *pattern;         /* PATTERN: owned, never NULL after OK (a BITMAP or SURFACE image) */
    int32_t pattern_x;         /* PATTERN: the tile origin (QXLPattern.pos) */
    int32_t pattern_y;
} QxlBrush;

/* QXLQMask: a 1-bit image gating the draw (bit set = drawn, inverted by SPICE_MASK_FLAGS_INVERS). */
typedef struct QxlMask {
    uint8_t flags;             /* SPICE_MASK_FLAGS_* as sent */
    int32_t x;                 /* the mask pixel that lands on the bbox's top-left corner */
    int32_t y;
    QxlImage *bitmap;          /* owned; NULL = no mask. A 1BIT_LE/BE BITMAP or a SURFACE image */
} QxlMask;

typedef struct QxlClip {
    uint32_t type;             /* SPICE_CLIP_TYPE_NONE or SPICE_CLIP_TYPE_RECTS */
    uint32_t num_rects;        /* RECTS: <= limits->max_clip_rects (may be 0 = everything clipped) */
    QxlRect *rects;            /* owned, num_rects validated rects (NULL when num_rects == 0) */
} QxlClip;

typedef struct QxlFill {
    QxlBrush brush;
    uint16_t rop_descriptor;   /* SPICE_ROPD_* bits */
    QxlMask mask;
} QxlFill;

/* QXL_DRAW_COPY, QXL_DRAW_OPAQUE, QXL_DRAW_BLEND and QXL_DRAW_ROP3. */
typedef struct QxlCopy {
    QxlImage *src;             /* owned, never NULL after OK */
    QxlRect src_area;          /* validated inside src->width x src->height */
    uint16_t rop_descriptor;   /* SPICE_ROPD_* bits (0 for ROP3) */
    uint8_t rop3;              /* ROP3 only: the ternary raster operation (P, S, D) */
    uint8_t scale_mode;        /* SPICE_IMAGE_SCALE_MODE_* */
    QxlBrush brush;            /* OPAQUE and ROP3; type NONE for COPY and BLEND */
    QxlMask mask;
} QxlCopy;

/* BLACKNESS, WHITENESS, INVERS: only a mask. */
typedef struct QxlMaskOnly {
    QxlMask mask;
} QxlMaskOnly;

typedef struct QxlTransparent {
    QxlImage *src;             /* owned */
    QxlRect src_area;          /* inside src */
    uint32_t src_color;        /* the key in the source's own format (as sent) */
    uint32_t true_color;       /* the key as xRGB 8:8:8:8 */
} QxlTransparent;

typedef struct QxlAlphaBlend {
    uint16_t alpha_flags;      /* SPICE_ALPHA_FLAGS_* */
    uint8_t alpha;
    QxlImage *src;             /* owned */
    QxlRect src_area;          /* inside src */
} QxlAlphaBlend;

/* A path point in 28.4 fixed point. */
typedef struct QxlPointFix {
    int32_t x;
    int32_t y;
} QxlPointFix;

typedef struct QxlPathSegment {
    uint32_t flags;            /* SPICE_PATH_BEGIN / END / CLOSE / BEZIER */
    uint32_t first_point;      /* index into QxlPath.points */
    uint32_t count;            /* points of this segment; BEZIER: (count - BEGIN) % 3 == 0 */
} QxlPathSegment;

typedef struct QxlPath {
    uint32_t num_segments;
    QxlPathSegment *segments;  /* owned */
    uint32_t num_points;
    QxlPointFix *points;       /* owned */
} QxlPath;

typedef struct QxlStroke {
    QxlPath path;
    uint8_t attr_flags;        /* SPICE_LINE_FLAGS_STYLED / START_WITH_GAP */
    uint8_t style_nseg;        /* STYLED: >= 1 */
    int32_t *style;            /* owned, style_nseg 28.4 dash lengths (STYLED only) */
    QxlBrush brush;
    uint16_t fore_mode;        /* SPICE_ROPD_* */
    uint16_t back_mode;
} QxlStroke;

/* One raster glyph of a QXLString; its bits are in QxlText.glyph_data. */
typedef struct QxlGlyph {
    int32_t render_x;          /* glyph box top-left = render + origin */
    int32_t render_y;
    int32_t origin_x;
    int32_t origin_y;
    uint16_t width;
    uint16_t height;
    uint32_t stride;           /* bytes per row: (width * bpp + 7) / 8 */
    uint32_t data_offset;      /* into glyph_data; height * stride bytes are inside */
} QxlGlyph;

typedef struct QxlText {
    uint16_t string_flags;     /* SPICE_STRING_FLAGS_RASTER_A1 / A4 / A8 (exactly one), TOP_DOWN */
    uint32_t num_glyphs;
    QxlGlyph *glyphs;          /* owned */
    uint8_t *glyph_data;       /* owned: the string's whole data (headers and bits) */
    uint32_t glyph_data_size;
    QxlRect back_area;
    QxlBrush fore_brush;
    QxlBrush back_brush;
    uint16_t fore_mode;        /* SPICE_ROPD_* */
    uint16_t back_mode;
} QxlText;

typedef struct QxlComposite {
    uint32_t flags;            /* QXLComposite.flags: operator, filters, repeats, component alpha */
    QxlImage *src;             /* owned */
    bool has_src_transform;
    uint32_t src_transform[6]; /* QXLTransform t00 t01 t02 t10 t11 t12 (16.16 fixed) */
    QxlImage *mask;            /* owned; NULL = no mask */
    bool has_mask_transform;
    uint32_t mask_transform[6];
    int16_t src_x;
    int16_t src_y;
    int16_t mask_x;
    int16_t mask_y;
} QxlComposite;

typedef struct QxlCopyBits {
    int32_t src_x;             /* source top-left on the same surface; the worker checks bounds */
    int32_t src_y;
} QxlCopyBits;

typedef struct QxlDrawCommand {
    QXLReleaseInfo *release_info; /* guest memory, for release_resource; set whenever addr translated */
    uint32_t surface_id;       /* < limits->n_surfaces; the worker checks the surface exists and bbox fits */
    uint8_t effect;            /* QXL_EFFECT_*, <= QXL_EFFECT_OPAQUE_BRUSH */
    uint8_t type;              /* QXL_DRAW_* or QXL_COPY_BITS (never QXL_DRAW_NOP after OK) */
    uint8_t self_bitmap;       /* as sent; self_bitmap_area validated when non-zero */
    QxlRect self_bitmap_area;
    QxlRect bbox;              /* validated */
    QxlClip clip;
    uint32_t mm_time;
    int32_t surfaces_dest[3];  /* -1 = none, else < limits->n_surfaces */
    QxlRect surfaces_rects[3]; /* validated where surfaces_dest[i] != -1 */
    union {
        QxlFill fill;          /* QXL_DRAW_FILL */
        QxlCopy copy;          /* QXL_DRAW_COPY, _OPAQUE, _BLEND, _ROP3 */
        QxlCopyBits copy_bits; /* QXL_COPY_BITS */
        QxlMaskOnly mask_only; /* QXL_DRAW_BLACKNESS, _WHITENESS, _INVERS */
        QxlTransparent transparent;
        QxlAlphaBlend alpha_blend;
        QxlStroke stroke;
        QxlText text;
        QxlComposite composite;
    } u;
} QxlDrawCommand;

/*
 * Parses a QXLDrawable of any type. QXL_DRAW_NOP, A4/A8 glyph strings, QUIC images and the compat
 * layout return QXL_STATUS_UNSUPPORTED (out->type is still set, so the worker can log which).
 */
QxlStatus qxl_parse_draw(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                         uint32_t cmd_flags, const QxlParseLimits *limits, QxlDrawCommand *out);
/* Frees the clip rects and the source image; zeroes the struct. Accepts NULL. */
void qxl_draw_command_clear(QxlDrawCommand *cmd);

/* ---- surfaces (QXL_CMD_SURFACE and the primary surface) ------------------------------------- */

/* Guest memory holding a surface's pixels. NOT owned: valid while the guest keeps the slot. */
typedef struct QxlSurfaceMemory {
    uint32_t format;           /* SPICE_SURFACE_FMT_* with qxl_surface_format_bpp() != 0 */
    uint32_t width;            /* >= 1, <= limits->max_image_dim */
    uint32_t height;           /* >= 1, <= limits->max_image_dim */
    int32_t stride;            /* as the guest sent it: negative = bottom-up; |stride| % 4 == 0 */
    uint8_t *mem;              /* lowest address of the block (translated QXLPHYSICAL) */
    uint64_t mem_size;         /* height * |stride|, all inside one slot */
    uint8_t *line0;            /* the TOP row: mem, or mem + (height - 1) * |stride| if stride < 0 */
} QxlSurfaceMemory;

typedef struct QxlSurfaceCommand {
    QXLReleaseInfo *release_info; /* set whenever addr translated */
    uint32_t surface_id;       /* < limits->n_surfaces */
    uint8_t type;              /* QXL_SURFACE_CMD_CREATE or QXL_SURFACE_CMD_DESTROY */
    uint32_t flags;            /* QXL_SURF_FLAG_KEEP_DATA ... as sent */
    QxlSurfaceMemory create;   /* CREATE only */
} QxlSurfaceCommand;

QxlStatus qxl_parse_surface(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                            uint32_t cmd_flags, const QxlParseLimits *limits, QxlSurfaceCommand *out);
/* Nothing is owned today; zeroes the struct. Accepts NULL. */
void qxl_surface_command_clear(QxlSurfaceCommand *cmd);

/*
 * Validates the geometry of a primary surface (the fields of QXLDevSurfaceCreate) and translates
 * @mem in @group_id for height * |stride| bytes.
 */
QxlStatus qxl_parse_primary_surface(const QxlMemslots *m, uint32_t group_id, uint32_t format,
                                    uint32_t width, uint32_t height, int32_t stride,
                                    QXLPHYSICAL mem, const QxlParseLimits *limits,
                                    QxlSurfaceMemory *out);

/* ---- cursor (QXL_CMD_CURSOR) ----------------------------------------------------------------- */

typedef struct QxlCursorShape {
    uint64_t unique;           /* the guest's shape id (for caching) */
    uint16_t type;             /* SPICE_CURSOR_TYPE_* */
    uint16_t width;            /* <= limits->max_cursor_dim */
    uint16_t height;           /* <= limits->max_cursor_dim */
    uint16_t hot_spot_x;       /* as sent (not clamped) */
    uint16_t hot_spot_y;
    uint8_t *data;             /* owned; NULL when data_size == 0 */
    uint32_t data_size;        /* == the guest's data_size, >= qxl_cursor_data_size(type, w, h) */
} QxlCursorShape;

typedef struct QxlCursorCommand {
    QXLReleaseInfo *release_info; /* set whenever addr translated */
    uint8_t type;              /* QXL_CURSOR_SET, _MOVE, _HIDE or _TRAIL */
    int16_t x;                 /* SET and MOVE */
    int16_t y;
    bool visible;              /* SET */
    QxlCursorShape shape;      /* SET */
    uint16_t trail_length;     /* TRAIL */
    uint16_t trail_frequency;  /* TRAIL */
} QxlCursorCommand;

/*
 * Bytes a cursor shape of @type needs: ALPHA w*h*4; MONO 2*h*((w+7)/8) (AND then XOR mask);
 * COLOR4/8/16/24/32: colour pixels (rows padded to bytes) + 1-bit AND mask + palette (16 or 256
 * entries for COLOR4/COLOR8). 0 for unknown types.
 */
uint64_t qxl_cursor_data_size(uint16_t type, uint16_t width, uint16_t height);

QxlStatus qxl_parse_cursor(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                           uint32_t cmd_flags, const QxlParseLimits *limits, QxlCursorCommand *out);
/* Frees the shape data; zeroes the struct. Accepts NULL. */
void qxl_cursor_command_clear(QxlCursorCommand *cmd);

/* ---- anything else -------------------------------------------------------------------------- */

/*
 * For commands we only release (QXL_CMD_NOP, UPDATE, MESSAGE, unknown types): translates @addr
 * for sizeof(QXLReleaseInfo) and sets *release_info (NULL on failure).
 */
QxlStatus qxl_parse_release_info(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                 QXLReleaseInfo **release_info);

/* spice_qxl_monitors_config_async: QXLMonitorsConfig {count, max_allowed, heads[count]}. */
typedef struct QxlMonitorsConfig {
    uint16_t count;            /* <= limits->max_monitors */
    uint16_t max_allowed;
    QXLHead *heads;            /* owned copy, count entries (NULL when count == 0) */
} QxlMonitorsConfig;

QxlStatus qxl_parse_monitors_config(const QxlMemslots *m, uint32_t group_id, QXLPHYSICAL addr,
                                    const QxlParseLimits *limits, QxlMonitorsConfig *out);
/* Frees the heads; zeroes the struct. Accepts NULL. */
void qxl_monitors_config_clear(QxlMonitorsConfig *config);
