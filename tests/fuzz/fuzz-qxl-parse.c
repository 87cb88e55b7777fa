/* fuzz-qxl-parse: every QXL parser over fuzzer-made guest memory; checks the invariants of what they return. */
/*
 * Input: an 8-byte header, then the guest memory (registered as group 1, slot 1, generation 2):
 *   u8 command type (QXL_CMD_*), u8 QXLCommandExt.flags, u16 unused, u32 LE offset of the command.
 * The command is dispatched like the worker does (DRAW / SURFACE / CURSOR, else release only);
 * the image, monitors-config and primary-surface parsers also run on the same address, the
 * primary taking its {format, width, height, stride, mem} from the 24 bytes there.
 * Seeds: corpus/qxl-parse/, written by fuzz-qxl-parse-seeds.py. With FUZZ_QXL_VERBOSE set in the
 * environment each run prints its parse results (to check that the seeds are valid commands).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qxl/qxl-parse.h"

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
    check(img->width > 0 && img->height > 0, "image size");
    uint32_t bpp = qxl_bitmap_format_bpp(img->format);
    check(bpp != 0, "image format");
    check(img->stride == ((uint64_t)img->width * bpp + 7) / 8, "image stride");
    check(img->data_size == (uint64_t)img->stride * img->height, "image data size");
    check(img->has_palette == qxl_bitmap_format_has_palette(img->format), "palette presence");
    check(img->palette.num_ents <= QXL_PALETTE_MAX_ENTRIES, "palette size");
    touch(img->data, img->data_size);
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
    if (cmd->type == QXL_DRAW_COPY || cmd->type == QXL_DRAW_OPAQUE) {
        check(cmd->u.copy.src != NULL, "copy source");
        check_image(cmd->u.copy.src);
        check(qxl_rect_is_within(&cmd->u.copy.src_area, cmd->u.copy.src->width,
                                 cmd->u.copy.src->height), "src_area");
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
