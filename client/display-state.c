/* display-state: per-surface pixman canvases; applies surface, draw, cache and mark messages. */
#include "client/display-state.h"

#include <string.h>
#include <sys/mman.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-draw.h"
#include "client/display-parse.h"

struct DisplayState {
    unsigned channel_id;
    ImageCaches *caches;        /* borrowed */
    GHashTable *surfaces;       /* uint32 id -> pixman_image_t* (one reference) */
    bool has_primary;
    uint32_t primary_id;
    bool marked;
    char *problem;              /* the first problem, g_malloc'd */
    GHashTable *logged;         /* "kinds" already logged once (strings) */
};

static void unref_image(gpointer p)
{
    pixman_image_unref(p);
}

DisplayState *display_state_new(unsigned channel_id, ImageCaches *caches)
{
    DisplayState *ds = g_new0(DisplayState, 1);
    ds->channel_id = channel_id;
    ds->caches = caches;
    ds->surfaces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, unref_image);
    ds->logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return ds;
}

void display_state_free(DisplayState *ds)
{
    if (ds == NULL) {
        return;
    }
    g_hash_table_destroy(ds->surfaces);
    g_hash_table_destroy(ds->logged);
    g_free(ds->problem);
    g_free(ds);
}

/* Logs @message once per @kind and keeps the first problem of all. */
static void problem(DisplayState *ds, const char *kind, const char *message)
{
    if (ds->problem == NULL) {
        ds->problem = g_strdup(message);
    }
    if (!g_hash_table_contains(ds->logged, kind)) {
        g_hash_table_add(ds->logged, g_strdup(kind));
        g_warning("display %u: %s (logged once per kind)", ds->channel_id, message);
    }
}

static void malformed(DisplayState *ds, const char *what, size_t size)
{
    char *msg = g_strdup_printf("dropped a malformed %s message of %zu bytes", what, size);
    /* Malformed messages are logged every time, but kept as a problem only once. */
    g_warning("display %u: %s", ds->channel_id, msg);
    if (ds->problem == NULL) {
        ds->problem = msg;
    } else {
        g_free(msg);
    }
}

pixman_image_t *display_state_surface(DisplayState *ds, uint32_t id)
{
    return g_hash_table_lookup(ds->surfaces, GUINT_TO_POINTER(id));
}

pixman_image_t *display_state_primary(DisplayState *ds)
{
    return ds->has_primary ? display_state_surface(ds, ds->primary_id) : NULL;
}

bool display_state_marked(const DisplayState *ds)
{
    return ds->marked;
}

const char *display_state_problem(const DisplayState *ds)
{
    return ds->problem;
}

static pixman_format_code_t surface_format(uint32_t fmt)
{
    switch (fmt) {
    case SPICE_SURFACE_FMT_32_xRGB: return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_32_ARGB: return PIXMAN_a8r8g8b8;
    case SPICE_SURFACE_FMT_16_555: return PIXMAN_x1r5g5b5;
    case SPICE_SURFACE_FMT_16_565: return PIXMAN_r5g6b5;
    case SPICE_SURFACE_FMT_8_A: return PIXMAN_a8;
    case SPICE_SURFACE_FMT_1_A: return PIXMAN_a1;
    default: return 0;
    }
}

#define HUGE_PAGE (2u * 1024u * 1024u)

typedef struct SurfaceMapping {
    void *base;
    size_t size;
} SurfaceMapping;

static void unmap_surface(pixman_image_t *img, void *data)
{
    (void)img;
    SurfaceMapping *m = data;
    munmap(m->base, m->size);
    g_free(m);
}

/*
 * A cleared surface. One of 2 MB or more gets a mapping of its own, 2 MB aligned and advised
 * for huge pages: a 1920x1080 surface is then 4 TLB entries instead of 2025, which every
 * decode and blit into it walks (in a VM each miss walks two page tables), and it faults in
 * 2 MB at a time. The pixels end less than 64 bytes before the mapping does (rows start
 * 64-byte aligned), so writing past the last row faults at once, as an ASan redzone would
 * report it.
 */
static pixman_image_t *surface_image_new(pixman_format_code_t fmt, uint32_t width, uint32_t height)
{
    size_t stride = ((size_t)width * PIXMAN_FORMAT_BPP(fmt) + 31) / 32 * 4;
    size_t bytes = stride * height;
    if (bytes >= HUGE_PAGE && stride <= INT32_MAX) {
        size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        uint8_t *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw != MAP_FAILED) {
            uint8_t *base = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
            if (base > raw) {
                munmap(raw, (size_t)(base - raw));
            }
            munmap(base + size, (size_t)(raw + HUGE_PAGE - base));   /* never empty */
            madvise(base, size, MADV_HUGEPAGE);
            uint8_t *pixels = base + ((size - bytes) & ~(size_t)63);
            pixman_image_t *img = pixman_image_create_bits(fmt, (int)width, (int)height,
                                                           (uint32_t *)(void *)pixels, (int)stride);
            if (img != NULL) {
                SurfaceMapping *m = g_new(SurfaceMapping, 1);
                *m = (SurfaceMapping) { base, size };
                pixman_image_set_destroy_function(img, unmap_surface, m);
                return img;
            }
            munmap(base, size);
        }
    }
    return pixman_image_create_bits(fmt, (int)width, (int)height, NULL, 0);
}

static DisplayResult surface_create(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplaySurfaceCreate sc;
    if (!display_parse_surface_create(body, size, &sc)) {
        malformed(ds, "SURFACE_CREATE", size);
        return DISPLAY_RESULT_DROPPED;
    }
    pixman_format_code_t fmt = surface_format(sc.format);
    if (fmt == 0 || sc.surface_id >= DISPLAY_MAX_SURFACES || sc.width == 0 || sc.height == 0
        || (uint64_t)sc.width * sc.height > IMAGE_MAX_PIXELS) {
        char *msg = g_strdup_printf("refused SURFACE_CREATE %u: %ux%u format %u (ids < %u, known "
                                    "formats, at most %u pixels)", sc.surface_id, sc.width,
                                    sc.height, sc.format, DISPLAY_MAX_SURFACES, IMAGE_MAX_PIXELS);
        problem(ds, "surface-create", msg);
        g_free(msg);
        return DISPLAY_RESULT_DROPPED;
    }
    pixman_image_t *img = surface_image_new(fmt, sc.width, sc.height);
    if (img == NULL) {
        problem(ds, "surface-oom", "out of memory for a surface");
        return DISPLAY_RESULT_DROPPED;
    }
    g_hash_table_replace(ds->surfaces, GUINT_TO_POINTER(sc.surface_id), img);
    if (sc.flags & SPICE_SURFACE_FLAGS_PRIMARY) {
        ds->has_primary = true;
        ds->primary_id = sc.surface_id;
    }
    return DISPLAY_RESULT_SURFACE;
}

static DisplayResult surface_destroy(DisplayState *ds, const uint8_t *body, size_t size)
{
    uint32_t id;
    if (!display_parse_surface_destroy(body, size, &id)) {
        malformed(ds, "SURFACE_DESTROY", size);
        return DISPLAY_RESULT_DROPPED;
    }
    g_hash_table_remove(ds->surfaces, GUINT_TO_POINTER(id));
    if (ds->has_primary && ds->primary_id == id) {
        ds->has_primary = false;
        ds->marked = false;
    }
    return DISPLAY_RESULT_SURFACE;
}

/* Sets the destination clip of @dst to box ∩ clip rects; false if the surface is missing. */
static pixman_image_t *target(DisplayState *ds, const DisplayBase *base, pixman_region32_t *region)
{
    pixman_image_t *dst = display_state_surface(ds, base->surface_id);
    if (dst == NULL) {
        char *msg = g_strdup_printf("a draw names surface %u, which does not exist", base->surface_id);
        problem(ds, "missing-surface", msg);
        g_free(msg);
        return NULL;
    }
    const DisplayRect *b = &base->box;
    pixman_region32_init_rect(region, b->left, b->top, (unsigned)((int64_t)b->right - b->left),
                              (unsigned)((int64_t)b->bottom - b->top));
    if (base->clip.type == SPICE_CLIP_TYPE_RECTS) {
        pixman_region32_t clip;
        pixman_region32_init(&clip);
        for (uint32_t i = 0; i < base->clip.num_rects; i++) {
            const DisplayRect *r = &base->clip.rects[i];
            pixman_region32_union_rect(&clip, &clip, r->left, r->top,
                                       (unsigned)((int64_t)r->right - r->left),
                                       (unsigned)((int64_t)r->bottom - r->top));
        }
        pixman_region32_intersect(region, region, &clip);
        pixman_region32_fini(&clip);
    }
    pixman_image_set_clip_region32(dst, region);
    return dst;
}

static void untarget(pixman_image_t *dst, pixman_region32_t *region)
{
    pixman_image_set_clip_region32(dst, NULL);
    pixman_region32_fini(region);
}

/* ---- what display-draw.c needs from us ---- */

static pixman_image_t *env_surface(uint32_t id, void *user)
{
    return display_state_surface(user, id);
}

static void env_problem(const char *kind, const char *message, void *user)
{
    problem(user, kind, message);
}

static void env_malformed(const char *what, size_t size, void *user)
{
    malformed(user, what, size);
}

static DisplayResult copy_bits(DisplayState *ds, const uint8_t *body, size_t size)
{
    DisplayCopyBits cb;
    if (!display_parse_copy_bits(body, size, &cb)) {
        display_clip_clear(&cb.base.clip);
        malformed(ds, "COPY_BITS", size);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayResult result = DISPLAY_RESULT_DROPPED;
    pixman_image_t *surf = display_state_surface(ds, cb.base.surface_id);
    int64_t bw = (int64_t)cb.base.box.right - cb.base.box.left;
    int64_t bh = (int64_t)cb.base.box.bottom - cb.base.box.top;
    if (surf != NULL && bw > 0 && bh > 0 && (uint64_t)bw * (uint64_t)bh <= IMAGE_MAX_PIXELS) {
        /* Source and destination may overlap: copy the source out first. */
        pixman_image_t *tmp = pixman_image_create_bits(pixman_image_get_format(surf), (int)bw,
                                                       (int)bh, NULL, 0);
        if (tmp != NULL) {
            pixman_image_composite32(PIXMAN_OP_SRC, surf, NULL, tmp, cb.src_x, cb.src_y, 0, 0, 0, 0,
                                     (int32_t)bw, (int32_t)bh);
            pixman_region32_t region;
            pixman_image_t *dst = target(ds, &cb.base, &region);
            if (dst != NULL) {
                pixman_image_composite32(PIXMAN_OP_SRC, tmp, NULL, dst, 0, 0, 0, 0,
                                         cb.base.box.left, cb.base.box.top, (int32_t)bw, (int32_t)bh);
                untarget(dst, &region);
                result = DISPLAY_RESULT_DRAW;
            }
            pixman_image_unref(tmp);
        }
    } else if (surf == NULL) {
        problem(ds, "missing-surface", "COPY_BITS names a surface that does not exist");
    }
    display_clip_clear(&cb.base.clip);
    return result;
}

static void inval_one(uint8_t type, uint64_t id, void *user)
{
    image_caches_remove_pixmap(user, id);
}

static const char *draw_name(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_STREAM_CREATE: return "STREAM_CREATE (video streams)";
    case SPICE_MSG_DISPLAY_STREAM_DATA: return "STREAM_DATA";
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED: return "STREAM_DATA_SIZED";
    default: return NULL;
    }
}

DisplayResult display_state_handle(DisplayState *ds, uint16_t type, const uint8_t *body, size_t size)
{
    uint64_t id;
    DisplayMonitors mon;
    if (display_draw_handles(type)) {
        /* Every draw type, through the canvas shared with the server (display-draw.c). */
        DisplayDrawEnv env = { .caches = ds->caches, .surface = env_surface,
                               .problem = env_problem, .malformed = env_malformed, .user = ds };
        return display_draw(&env, type, body, size);
    }
    switch (type) {
    case SPICE_MSG_DISPLAY_SURFACE_CREATE:
        return surface_create(ds, body, size);
    case SPICE_MSG_DISPLAY_SURFACE_DESTROY:
        return surface_destroy(ds, body, size);
    case SPICE_MSG_DISPLAY_COPY_BITS:
        return copy_bits(ds, body, size);
    case SPICE_MSG_DISPLAY_MARK:
        ds->marked = true;
        return DISPLAY_RESULT_MARK;
    case SPICE_MSG_DISPLAY_RESET:
        g_hash_table_remove_all(ds->surfaces);
        ds->has_primary = false;
        ds->marked = false;
        return DISPLAY_RESULT_SURFACE;
    case SPICE_MSG_DISPLAY_INVAL_LIST:
        if (!display_parse_inval_list(body, size, inval_one, ds->caches)) {
            malformed(ds, "INVAL_LIST", size);
            return DISPLAY_RESULT_DROPPED;
        }
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS:
        image_caches_clear_pixmaps(ds->caches);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_PALETTE:
        if (!display_parse_inval_palette(body, size, &id)) {
            malformed(ds, "INVAL_PALETTE", size);
            return DISPLAY_RESULT_DROPPED;
        }
        image_caches_remove_palette(ds->caches, id);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES:
        image_caches_clear_palettes(ds->caches);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_MONITORS_CONFIG:
        if (!display_parse_monitors_config(body, size, &mon)) {
            malformed(ds, "MONITORS_CONFIG", size);
            return DISPLAY_RESULT_DROPPED;
        }
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_STREAM_CLIP:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        return DISPLAY_RESULT_NONE;
    default: {
        const char *name = draw_name(type);
        char *msg = name ? g_strdup_printf("%s is not rendered yet (skipped)", name)
                         : g_strdup_printf("display message type %u is not handled (skipped)", type);
        problem(ds, msg, msg);
        g_free(msg);
        return DISPLAY_RESULT_DROPPED;
    }
    }
}
