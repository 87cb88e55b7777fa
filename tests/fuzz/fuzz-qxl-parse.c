/* fuzz-qxl-parse: every QXL parser over fuzzer-made guest memory; checks the invariants of what they return. */
/*
 * Input: an 8-byte header, then the guest memory (registered as group 1, slot 1, generation 2):
 *   u8 command type (QXL_CMD_*), u8 QXLCommandExt.flags, u16 unused, u32 LE offset of the command.
 * The command is dispatched like the worker does (DRAW / SURFACE / CURSOR, else release only);
 * the image, monitors-config and primary-surface parsers also run on the same address, the
 * primary taking its {format, width, height, stride, mem} from the 24 bytes there.
 * Every draw that parses is also rendered by server/canvas-draw.c onto a 24x16 surface (bitmaps as
 * sources, patterns and masks; SURFACE images read the surface itself), as the worker would.
 * Seeds: corpus/qxl-parse/, written by fuzz-qxl-parse-seeds.py. With FUZZ_QXL_VERBOSE set in the
 * environment each run prints its parse results (to check that the seeds are valid commands).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qxl/qxl-parse.h"
#include "server/canvas-draw.h"
#include "server/qxl-worker-bitmap.h"

#define HEADER_SIZE 8
#define GROUP 1u
#define SLOT 1u
#define GENERATION 2u

static const uint8_t *guest_lo;
static const uint8_t *guest_hi;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz-qxl-parse: invariant broken: %s\n", what);
    abort();
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fail(what);
    }
}

static volatile uint8_t sink;

/* Reads every byte so ASan sees any buffer that is shorter than claimed. */
static void touch(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc ^= p[i];
    }
    sink = acc;
}

static void check_in_guest(const void *p, uint64_t n, const char *what)
{
    const uint8_t *b = p;
    check(b >= guest_lo && b <= guest_hi && n <= (uint64_t)(guest_hi - b), what);
}

static void report(const char *parser, QxlStatus st)
{
    static int verbose = -1;
    if (verbose < 0) {
        verbose = getenv("FUZZ_QXL_VERBOSE") != NULL;
    }
    if (verbose) {
        fprintf(stderr, "  %s: %s\n", parser, qxl_status_to_string(st));
    }
}

static void check_image(const QxlImage *img)
{
    if (img->type == SPICE_IMAGE_TYPE_SURFACE) {
        check(img->data == NULL && img->surface_id < 64, "surface image");
        return;
    }
    check(img->type == SPICE_IMAGE_TYPE_BITMAP, "image type");
    check(img->width > 0 && img->height > 0, "image size");
    uint32_t bpp = qxl_bitmap_format_bpp(img->format);
    check(bpp != 0, "image format");
    check(img->stride == ((uint64_t)img->width * bpp + 7) / 8, "image stride");
    check(img->data_size == (uint64_t)img->stride * img->height, "image data size");
    check(img->has_palette == qxl_bitmap_format_has_palette(img->format), "palette presence");
    check(img->palette.num_ents <= QXL_PALETTE_MAX_ENTRIES, "palette size");
    touch(img->data, img->data_size);
}

static void check_source(const QxlImage *src, const QxlRect *area)
{
    check(src != NULL, "draw source");
    check_image(src);
    check(qxl_rect_is_within(area, src->width, src->height), "src_area");
}

static void check_brush(const QxlBrush *brush)
{
    check(brush->type <= SPICE_BRUSH_TYPE_PATTERN, "brush type");
    check((brush->type == SPICE_BRUSH_TYPE_PATTERN) == (brush->pattern != NULL), "pattern");
    if (brush->pattern) {
        check_image(brush->pattern);
    }
}

static void check_mask(const QxlMask *mask)
{
    if (mask->bitmap) {
        check_image(mask->bitmap);
        check(mask->bitmap->type == SPICE_IMAGE_TYPE_SURFACE ||
              mask->bitmap->format == SPICE_BITMAP_FMT_1BIT_LE ||
              mask->bitmap->format == SPICE_BITMAP_FMT_1BIT_BE, "mask format");
    }
}

static void check_draw(const QxlDrawCommand *cmd, const QxlParseLimits *l)
{
    check(cmd->surface_id < l->n_surfaces, "draw surface id");
    check(qxl_rect_is_valid(&cmd->bbox), "bbox");
    check(cmd->clip.num_rects <= l->max_clip_rects, "clip count");
    for (uint32_t i = 0; i < cmd->clip.num_rects; i++) {
        check(qxl_rect_is_valid(&cmd->clip.rects[i]), "clip rect");
    }
    for (int i = 0; i < 3; i++) {
        check(cmd->surfaces_dest[i] == -1 ||
              (cmd->surfaces_dest[i] >= 0 && (uint32_t)cmd->surfaces_dest[i] < l->n_surfaces),
              "surfaces_dest");
    }
    switch (cmd->type) {
    case QXL_DRAW_FILL:
        check_brush(&cmd->u.fill.brush);
        check_mask(&cmd->u.fill.mask);
        break;
    case QXL_DRAW_COPY:
    case QXL_DRAW_OPAQUE:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_ROP3:
        check_source(cmd->u.copy.src, &cmd->u.copy.src_area);
        check_brush(&cmd->u.copy.brush);
        check_mask(&cmd->u.copy.mask);
        break;
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS:
        check_mask(&cmd->u.mask_only.mask);
        break;
    case QXL_DRAW_TRANSPARENT:
        check_source(cmd->u.transparent.src, &cmd->u.transparent.src_area);
        break;
    case QXL_DRAW_ALPHA_BLEND:
        check_source(cmd->u.alpha_blend.src, &cmd->u.alpha_blend.src_area);
        break;
    case QXL_DRAW_STROKE: {
        const QxlStroke *st = &cmd->u.stroke;
        check_brush(&st->brush);
        check((st->attr_flags & SPICE_LINE_FLAGS_STYLED) ? st->style_nseg > 0 : 1, "style");
        touch((const uint8_t *)st->style, (size_t)st->style_nseg * 4);
        for (uint32_t i = 0; i < st->path.num_segments; i++) {
            const QxlPathSegment *seg = &st->path.segments[i];
            check(seg->first_point <= st->path.num_points &&
                  seg->count <= st->path.num_points - seg->first_point, "path segment");
        }
        touch((const uint8_t *)st->path.points, (size_t)st->path.num_points * sizeof(QxlPointFix));
        break;
    }
    case QXL_DRAW_TEXT: {
        const QxlText *t = &cmd->u.text;
        check_brush(&t->fore_brush);
        check_brush(&t->back_brush);
        check(qxl_rect_is_valid(&t->back_area), "back area");
        for (uint32_t i = 0; i < t->num_glyphs; i++) {
            const QxlGlyph *g = &t->glyphs[i];
            uint64_t bytes = (uint64_t)g->stride * g->height;
            check(g->stride == (g->width + 7u) / 8 && g->data_offset <= t->glyph_data_size &&
                  bytes <= t->glyph_data_size - g->data_offset, "glyph bits");
            touch(t->glyph_data + g->data_offset, bytes);
        }
        break;
    }
    case QXL_DRAW_COMPOSITE:
        check(cmd->u.composite.src != NULL, "composite source");
        check_image(cmd->u.composite.src);
        if (cmd->u.composite.mask) {
            check_image(cmd->u.composite.mask);
        }
        break;
    default:
        break;
    }
}

static void check_surface_memory(const QxlSurfaceMemory *s)
{
    check(qxl_surface_format_bpp(s->format) != 0, "surface format");
    uint64_t abs_stride = s->stride < 0 ? (uint64_t)(-(int64_t)s->stride) : (uint64_t)s->stride;
    check(s->mem_size == abs_stride * s->height, "surface size");
    check_in_guest(s->mem, s->mem_size, "surface memory inside the slot");
    check_in_guest(s->line0, abs_stride, "surface line0 inside the slot");
}

static void check_cursor(const QxlCursorCommand *cmd)
{
    if (cmd->type != QXL_CURSOR_SET) {
        return;
    }
    const QxlCursorShape *s = &cmd->shape;
    check(s->data_size >= qxl_cursor_data_size(s->type, s->width, s->height), "cursor data size");
    touch(s->data, s->data_size);
}

/* ---- rendering what parsed ---- */

#define CANVAS_W 24
#define CANVAS_H 16

static pixman_image_t *fuzz_image(const QxlImage *image, Surface *self)
{
    if (!image) {
        return NULL;
    }
    if (image->type == SPICE_IMAGE_TYPE_SURFACE) {
        pixman_image_t *own = surface_get_image(self);
        return pixman_image_create_bits(PIXMAN_x8r8g8b8, CANVAS_W, CANVAS_H,
                                        pixman_image_get_data(own), pixman_image_get_stride(own));
    }
    uint8_t wire_format;
    return qxl_bitmap_to_pixman(image, &wire_format);
}

static CanvasBrush fuzz_brush(const QxlBrush *brush, Surface *self)
{
    CanvasBrush b = { .type = brush->type, .color = brush->color, .pattern_x = brush->pattern_x,
                      .pattern_y = brush->pattern_y };
    if (brush->type == SPICE_BRUSH_TYPE_PATTERN) {
        b.pattern = fuzz_image(brush->pattern, self);
        if (!b.pattern) {
            b.type = SPICE_BRUSH_TYPE_NONE;
        }
    }
    return b;
}

static void unref(pixman_image_t *image)
{
    if (image) {
        pixman_image_unref(image);
    }
}

static void render(const QxlDrawCommand *cmd)
{
    static uint32_t pixels[CANVAS_W * CANVAS_H];
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, CANVAS_W, CANVAS_H, CANVAS_W * 4,
                             (uint8_t *)pixels);
    if (!s) {
        fail("canvas");
    }
    pixman_box32_t bbox = { cmd->bbox.left, cmd->bbox.top, cmd->bbox.right, cmd->bbox.bottom };
    if (!surface_clip_box(s, &bbox)) {
        surface_destroy(s);
        return;
    }
    /* The worker refuses a bbox outside the surface; here it is clipped so more draws run. */
    pixman_box32_t full = { cmd->bbox.left, cmd->bbox.top, cmd->bbox.right, cmd->bbox.bottom };
    pixman_region32_t region;
    pixman_region32_init_rects(&region, &bbox, 1);
    const QxlMask *mask = NULL;
    switch (cmd->type) {
    case QXL_DRAW_FILL: mask = &cmd->u.fill.mask; break;
    case QXL_DRAW_COPY: case QXL_DRAW_OPAQUE: case QXL_DRAW_BLEND: case QXL_DRAW_ROP3:
        mask = &cmd->u.copy.mask; break;
    case QXL_DRAW_BLACKNESS: case QXL_DRAW_WHITENESS: case QXL_DRAW_INVERS:
        mask = &cmd->u.mask_only.mask; break;
    default: break;
    }
    if (mask && mask->bitmap && mask->bitmap->type == SPICE_IMAGE_TYPE_BITMAP) {
        canvas_region_apply_mask(&region, mask, full.x1, full.y1);
    }
    switch (cmd->type) {
    case QXL_DRAW_FILL: {
        CanvasBrush b = fuzz_brush(&cmd->u.fill.brush, s);
        canvas_draw_fill(s, &region, &b, cmd->u.fill.rop_descriptor);
        unref(b.pattern);
        break;
    }
    case QXL_DRAW_BLACKNESS:
    case QXL_DRAW_WHITENESS:
    case QXL_DRAW_INVERS: {
        CanvasBrush none = { .type = SPICE_BRUSH_TYPE_NONE };
        canvas_draw_fill(s, &region, &none, SPICE_ROPD_OP_INVERS);
        break;
    }
    case QXL_DRAW_COPY:
    case QXL_DRAW_OPAQUE:
    case QXL_DRAW_BLEND:
    case QXL_DRAW_ROP3: {
        const QxlCopy *c = &cmd->u.copy;
        CanvasSource src = { .image = fuzz_image(c->src, s),
                             .area = { c->src_area.left, c->src_area.top, c->src_area.right,
                                       c->src_area.bottom } };
        CanvasBrush b = fuzz_brush(&c->brush, s);
        if (src.image) {
            if (cmd->type == QXL_DRAW_ROP3) {
                canvas_draw_rop3(s, &region, &full, &src, &b, c->rop3);
            } else if (cmd->type == QXL_DRAW_OPAQUE) {
                canvas_draw_opaque(s, &region, &full, &src, &b, c->rop_descriptor);
            } else {
                canvas_draw_copy(s, &region, &full, &src, c->rop_descriptor);
            }
        }
        unref(src.image);
        unref(b.pattern);
        break;
    }
    case QXL_DRAW_TRANSPARENT:
    case QXL_DRAW_ALPHA_BLEND: {
        bool tr = cmd->type == QXL_DRAW_TRANSPARENT;
        const QxlImage *img = tr ? cmd->u.transparent.src : cmd->u.alpha_blend.src;
        const QxlRect *a = tr ? &cmd->u.transparent.src_area : &cmd->u.alpha_blend.src_area;
        CanvasSource src = { .image = fuzz_image(img, s),
                             .area = { a->left, a->top, a->right, a->bottom } };
        if (src.image) {
            if (tr) {
                canvas_draw_transparent(s, &region, &full, &src, cmd->u.transparent.true_color);
            } else {
                canvas_draw_alpha_blend(s, &region, &full, &src, cmd->u.alpha_blend.alpha);
            }
        }
        unref(src.image);
        break;
    }
    case QXL_DRAW_STROKE: {
        CanvasBrush b = fuzz_brush(&cmd->u.stroke.brush, s);
        canvas_draw_stroke(s, &region, &cmd->u.stroke, &b);
        unref(b.pattern);
        break;
    }
    case QXL_DRAW_TEXT: {
        CanvasBrush f = fuzz_brush(&cmd->u.text.fore_brush, s);
        CanvasBrush b = fuzz_brush(&cmd->u.text.back_brush, s);
        canvas_draw_text(s, &region, &cmd->u.text, &f, &b);
        unref(f.pattern);
        unref(b.pattern);
        break;
    }
    case QXL_DRAW_COMPOSITE: {
        pixman_image_t *src = fuzz_image(cmd->u.composite.src, s);
        pixman_image_t *m = fuzz_image(cmd->u.composite.mask, s);
        if (src && (m || !cmd->u.composite.mask)) {
            canvas_draw_composite(s, &region, &full, &cmd->u.composite, src, m);
        }
        unref(src);
        unref(m);
        break;
    }
    default:
        break;
    }
    pixman_region32_fini(&region);
    surface_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER_SIZE || size > (4u << 20)) {
        return 0;
    }
    uint8_t type = data[0];
    uint32_t flags = data[1];
    uint32_t offset = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
                      (uint32_t)data[7] << 24;
    size_t len = size - HEADER_SIZE;
    uint8_t *guest = malloc(len ? len : 1);
    if (!guest) {
        return 0;
    }
    memcpy(guest, data + HEADER_SIZE, len);
    guest_lo = guest;
    guest_hi = guest + len;

    QxlMemslots *m = qxl_memslots_new(2, 8, 8, 8);
    uint64_t start = (uint64_t)(uintptr_t)guest;
    if (!m || !qxl_memslots_add(m, GROUP, SLOT, GENERATION, start, start + len, start)) {
        fail("memslot setup");
    }
    QxlParseLimits limits;
    qxl_parse_limits_init(&limits, 64);
    limits.max_image_bytes = 16u << 20;   /* keep single runs fast */
    QXLPHYSICAL addr = ((uint64_t)SLOT << 56) | ((uint64_t)GENERATION << 48) | offset;

    QXLReleaseInfo *release_info = NULL;
    QxlStatus release_st = qxl_parse_release_info(m, GROUP, addr, &release_info);
    switch (type) {
    case QXL_CMD_DRAW: {
        QxlDrawCommand cmd;
        QxlStatus st = qxl_parse_draw(m, GROUP, addr, flags, &limits, &cmd);
        report("draw", st);
        check((cmd.release_info != NULL) == (release_st == QXL_STATUS_OK), "draw release_info");
        if (st == QXL_STATUS_OK) {
            check_draw(&cmd, &limits);
            render(&cmd);
        }
        qxl_draw_command_clear(&cmd);
        break;
    }
    case QXL_CMD_SURFACE: {
        QxlSurfaceCommand cmd;
        QxlStatus st = qxl_parse_surface(m, GROUP, addr, flags, &limits, &cmd);
        report("surface", st);
        check((cmd.release_info != NULL) == (release_st == QXL_STATUS_OK), "surface release_info");
        if (st == QXL_STATUS_OK && cmd.type == QXL_SURFACE_CMD_CREATE) {
            check_surface_memory(&cmd.create);
        }
        qxl_surface_command_clear(&cmd);
        break;
    }
    case QXL_CMD_CURSOR: {
        QxlCursorCommand cmd;
        QxlStatus st = qxl_parse_cursor(m, GROUP, addr, flags, &limits, &cmd);
        report("cursor", st);
        check((cmd.release_info != NULL) == (release_st == QXL_STATUS_OK), "cursor release_info");
        if (st == QXL_STATUS_OK) {
            check_cursor(&cmd);
        }
        qxl_cursor_command_clear(&cmd);
        break;
    }
    default:
        break;
    }

    QxlImage image;
    QxlStatus image_st = qxl_parse_image(m, GROUP, addr, flags, &limits, &image);
    report("image", image_st);
    if (image_st == QXL_STATUS_OK) {
        check_image(&image);
    }
    qxl_image_clear(&image);

    QxlMonitorsConfig monitors;
    QxlStatus monitors_st = qxl_parse_monitors_config(m, GROUP, addr, &limits, &monitors);
    report("monitors", monitors_st);
    if (monitors_st == QXL_STATUS_OK) {
        check(monitors.count <= limits.max_monitors, "monitor count");
        touch((const uint8_t *)monitors.heads, (size_t)monitors.count * sizeof(QXLHead));
    }
    qxl_monitors_config_clear(&monitors);

    struct {
        uint32_t format, width, height;
        int32_t stride;
        uint64_t mem;
    } primary;
    if (offset <= len && len - offset >= sizeof(primary)) {
        memcpy(&primary, guest + offset, sizeof(primary));
        QxlSurfaceMemory surface;
        QxlStatus primary_st = qxl_parse_primary_surface(m, GROUP, primary.format, primary.width,
                                                         primary.height, primary.stride,
                                                         primary.mem, &limits, &surface);
        report("primary", primary_st);
        if (primary_st == QXL_STATUS_OK) {
            check_surface_memory(&surface);
        }
    }

    qxl_memslots_free(m);
    free(guest);
    return 0;
}
