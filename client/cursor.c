/* cursor: parses cursor channel messages, converts every shape type to a8r8g8b8, keeps the cache. */
#include "client/cursor.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/wire.h"

/* A hostile server must not make us allocate without bound: MONO data expands 16x into pixels.
 * Real cursors are at most 256x256. */
#define CURSOR_MAX_SIDE 1024u
/* The server manages the cache (256 entries upstream); we refuse to grow past this. */
#define CURSOR_CACHE_MAX 1024u
/* Pixels under an "invert the screen" mask bit cannot be drawn as ARGB; like spice-gtk we draw
 * them as a visible grey checker. */
#define INVERT_DARK 0xc0303030u
#define INVERT_LIGHT 0x30505050u

struct CursorState {
    bool init_done;
    bool visible;
    int x, y;
    int hot_x, hot_y;
    pixman_image_t *shape;     /* owned reference; NULL = default cursor */
    GHashTable *cache;         /* unique (uint64_t *) -> CachedShape * */
    char *problem;
};

typedef struct CachedShape {
    pixman_image_t *image;     /* owned reference, NULL = a type we cannot draw */
    int hot_x, hot_y;
} CachedShape;

static void cached_free(gpointer p)
{
    CachedShape *c = p;
    if (c->image) {
        pixman_image_unref(c->image);
    }
    g_free(c);
}

CursorState *cursor_state_new(void)
{
    CursorState *cs = g_new0(CursorState, 1);
    cs->cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, cached_free);
    return cs;
}

static void set_shape(CursorState *cs, pixman_image_t *image, int hot_x, int hot_y)
{
    if (image) {
        pixman_image_ref(image);
    }
    if (cs->shape) {
        pixman_image_unref(cs->shape);
    }
    cs->shape = image;
    cs->hot_x = hot_x;
    cs->hot_y = hot_y;
}

void cursor_state_free(CursorState *cs)
{
    if (cs == NULL) {
        return;
    }
    set_shape(cs, NULL, 0, 0);
    g_hash_table_unref(cs->cache);
    g_free(cs->problem);
    g_free(cs);
}

static CursorResult problem(CursorState *cs, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static CursorResult problem(CursorState *cs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_free(cs->problem);
    cs->problem = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_warning("cursor channel: %s (message dropped)", cs->problem);
    return CURSOR_RESULT_ERROR;
}

static bool mask_bit(const uint8_t *mask, size_t stride, unsigned x, unsigned y)
{
    return (mask[(size_t)y * stride + x / 8] & (0x80u >> (x % 8))) != 0;
}

static uint32_t invert_pixel(unsigned x, unsigned y)
{
    return ((x ^ y) & 1) ? INVERT_DARK : INVERT_LIGHT;
}

/* The bytes a shape of @type and size needs, or 0 for a type we do not draw. */
static size_t shape_bytes(uint8_t type, size_t w, size_t h)
{
    size_t mask = (w + 7) / 8 * h;
    switch (type) {
    case SPICE_CURSOR_TYPE_ALPHA: return w * h * 4;
    case SPICE_CURSOR_TYPE_MONO: return 2 * mask;
    case SPICE_CURSOR_TYPE_COLOR4: return (w + 1) / 2 * h + 16 * 4 + mask;
    case SPICE_CURSOR_TYPE_COLOR16: return w * h * 2 + mask;
    case SPICE_CURSOR_TYPE_COLOR32: return w * h * 4 + mask;
    default: return 0;
    }
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Converts checked shape bytes into a new a8r8g8b8 image (pixman's ARGB32 as SPICE's). */
static pixman_image_t *convert_shape(uint8_t type, unsigned w, unsigned h, const uint8_t *data)
{
    pixman_image_t *img = pixman_image_create_bits(PIXMAN_a8r8g8b8, (int)w, (int)h, NULL, 0);
    if (img == NULL) {
        return NULL;
    }
    uint32_t *px = pixman_image_get_data(img);
    size_t stride = (size_t)pixman_image_get_stride(img) / 4;
    size_t mstride = (w + 7) / 8;
    const uint8_t *mask;
    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            uint32_t out = 0;
            size_t i = (size_t)y * w + x;
            switch (type) {
            case SPICE_CURSOR_TYPE_ALPHA:
                out = rd32(data + i * 4);
                break;
            case SPICE_CURSOR_TYPE_MONO: {
                /* AND 1 XOR 0: transparent; AND 0: black or white; AND 1 XOR 1: invert. */
                bool a = mask_bit(data, mstride, x, y);
                bool xo = mask_bit(data + mstride * h, mstride, x, y);
                out = a ? (xo ? invert_pixel(x, y) : 0) : (xo ? 0xffffffffu : 0xff000000u);
                break;
            }
            case SPICE_CURSOR_TYPE_COLOR4: {
                size_t pix_bytes = (size_t)(w + 1) / 2 * h;
                uint8_t b = data[(size_t)y * ((w + 1) / 2) + x / 2];
                unsigned idx = (x & 1) ? (b & 0x0f) : (b >> 4);
                uint32_t rgb = rd32(data + pix_bytes + idx * 4) & 0xffffffu;
                mask = data + pix_bytes + 64;
                bool m = mask_bit(mask, mstride, x, y);
                out = m ? (rgb == 0xffffffu ? invert_pixel(x, y) : 0) : (0xff000000u | rgb);
                break;
            }
            case SPICE_CURSOR_TYPE_COLOR16: {
                uint16_t p = (uint16_t)(data[i * 2] | data[i * 2 + 1] << 8);
                mask = data + (size_t)w * h * 2;
                bool m = mask_bit(mask, mstride, x, y);
                uint32_t rgb = ((uint32_t)(p >> 10) & 0x1f) << 19 | ((uint32_t)(p >> 5) & 0x1f) << 11
                               | ((uint32_t)p & 0x1f) << 3;
                out = m ? ((p & 0x7fff) == 0x7fff ? invert_pixel(x, y) : 0) : (0xff000000u | rgb);
                break;
            }
            case SPICE_CURSOR_TYPE_COLOR32: {
                uint32_t rgb = rd32(data + i * 4) & 0xffffffu;
                mask = data + (size_t)w * h * 4;
                bool m = mask_bit(mask, mstride, x, y);
                out = m ? (rgb == 0xffffffu ? invert_pixel(x, y) : 0) : (0xff000000u | rgb);
                break;
            }
            default:
                break;
            }
            px[(size_t)y * stride + x] = out;
        }
    }
    return img;
}

/*
 * Reads a SpiceCursor (flags, header unless NONE, data to the end) and applies it: sets the
 * shape (NULL for NONE or an undrawable type), caches it when CACHE_ME. @what names the message.
 */
static CursorResult read_cursor(CursorState *cs, WireReader *r, const char *what)
{
    uint16_t flags = wire_read_u16(r);
    if (!wire_reader_ok(r)) {
        return problem(cs, "%s: truncated before the cursor flags", what);
    }
    if (flags & SPICE_CURSOR_FLAGS_NONE) {
        set_shape(cs, NULL, 0, 0);
        return CURSOR_RESULT_CHANGED;
    }
    uint64_t unique = wire_read_u64(r);
    uint8_t type = wire_read_u8(r);
    uint16_t w = wire_read_u16(r);
    uint16_t h = wire_read_u16(r);
    uint16_t hot_x = wire_read_u16(r);
    uint16_t hot_y = wire_read_u16(r);
    if (!wire_reader_ok(r)) {
        return problem(cs, "%s: truncated cursor header", what);
    }
    if (flags & SPICE_CURSOR_FLAGS_FROM_CACHE) {
        CachedShape *c = g_hash_table_lookup(cs->cache, &unique);
        if (c == NULL) {
            return problem(cs, "%s: shape %" G_GUINT64_FORMAT " is not in the cursor cache", what, unique);
        }
        set_shape(cs, c->image, c->hot_x, c->hot_y);
        return CURSOR_RESULT_CHANGED;
    }
    if (w == 0 || h == 0 || w > CURSOR_MAX_SIDE || h > CURSOR_MAX_SIDE) {
        return problem(cs, "%s: cursor of %ux%u (each side must be 1..%u)", what, w, h, CURSOR_MAX_SIDE);
    }
    /* Hot spots past the shape are clamped, as spice-gtk does. */
    int hx = hot_x > w ? w : hot_x, hy = hot_y > h ? h : hot_y;
    pixman_image_t *img = NULL;
    size_t need = shape_bytes(type, w, h);
    if (need == 0) {
        g_message("cursor channel: shape type %u is not drawn; the default cursor is shown", type);
    } else {
        size_t have = wire_reader_remaining(r);
        if (have < need) {
            return problem(cs, "%s: cursor type %u of %ux%u needs %zu bytes, got %zu", what, type, w,
                           h, need, have);
        }
        img = convert_shape(type, w, h, wire_read_span(r, need));
        if (img == NULL) {
            return problem(cs, "%s: out of memory for a %ux%u cursor", what, w, h);
        }
    }
    set_shape(cs, img, hx, hy);
    if (flags & SPICE_CURSOR_FLAGS_CACHE_ME) {
        if (g_hash_table_size(cs->cache) >= CURSOR_CACHE_MAX
            && !g_hash_table_contains(cs->cache, &unique)) {
            g_warning("cursor channel: the server caches more than %u shapes; %" G_GUINT64_FORMAT
                      " is not kept", CURSOR_CACHE_MAX, unique);
        } else {
            CachedShape *c = g_new0(CachedShape, 1);
            c->image = img ? pixman_image_ref(img) : NULL;
            c->hot_x = hx;
            c->hot_y = hy;
            g_hash_table_replace(cs->cache, g_memdup2(&unique, sizeof(unique)), c);
        }
    }
    if (img) {
        pixman_image_unref(img);   /* set_shape and the cache hold their own references */
    }
    return CURSOR_RESULT_CHANGED;
}

static void read_position(WireReader *r, int *x, int *y)
{
    *x = wire_read_i16(r);
    *y = wire_read_i16(r);
}

CursorResult cursor_state_handle(CursorState *cs, uint16_t type, const uint8_t *body, size_t size)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    int x, y;
    switch (type) {
    case SPICE_MSG_CURSOR_INIT: {
        read_position(&r, &x, &y);
        wire_read_u16(&r);   /* trail length and frequency: trails are not drawn */
        wire_read_u16(&r);
        uint8_t visible = wire_read_u8(&r);
        if (!wire_reader_ok(&r)) {
            return problem(cs, "INIT of %zu bytes is truncated", size);
        }
        g_hash_table_remove_all(cs->cache);
        CursorResult res = read_cursor(cs, &r, "INIT");
        if (res == CURSOR_RESULT_ERROR) {
            set_shape(cs, NULL, 0, 0);
        }
        cs->x = x;
        cs->y = y;
        cs->visible = visible != 0;
        cs->init_done = true;
        return CURSOR_RESULT_CHANGED;
    }
    case SPICE_MSG_CURSOR_RESET:
        g_hash_table_remove_all(cs->cache);
        set_shape(cs, NULL, 0, 0);
        cs->init_done = false;
        cs->visible = false;
        return CURSOR_RESULT_CHANGED;
    case SPICE_MSG_CURSOR_SET: {
        read_position(&r, &x, &y);
        uint8_t visible = wire_read_u8(&r);
        if (!wire_reader_ok(&r)) {
            return problem(cs, "SET of %zu bytes is truncated", size);
        }
        CursorResult res = read_cursor(cs, &r, "SET");
        if (res == CURSOR_RESULT_ERROR) {
            return res;
        }
        cs->x = x;
        cs->y = y;
        cs->visible = visible != 0;
        return CURSOR_RESULT_CHANGED;
    }
    case SPICE_MSG_CURSOR_MOVE:
        read_position(&r, &x, &y);
        if (!wire_reader_ok(&r)) {
            return problem(cs, "MOVE of %zu bytes is truncated", size);
        }
        if (cs->x == x && cs->y == y && cs->visible) {
            return CURSOR_RESULT_NONE;
        }
        cs->x = x;
        cs->y = y;
        cs->visible = true;   /* upstream's cursor channel shows the cursor on every QXL MOVE */
        return CURSOR_RESULT_CHANGED;
    case SPICE_MSG_CURSOR_HIDE:
        if (!cs->visible) {
            return CURSOR_RESULT_NONE;
        }
        cs->visible = false;
        return CURSOR_RESULT_CHANGED;
    case SPICE_MSG_CURSOR_TRAIL:
        wire_read_u16(&r);
        wire_read_u16(&r);
        if (!wire_reader_ok(&r)) {
            return problem(cs, "TRAIL of %zu bytes is truncated", size);
        }
        return CURSOR_RESULT_NONE;   /* trails are a Windows XP nicety: ignored, like spice-gtk */
    case SPICE_MSG_CURSOR_INVAL_ONE: {
        uint64_t id = wire_read_u64(&r);
        if (!wire_reader_ok(&r)) {
            return problem(cs, "INVAL_ONE of %zu bytes is truncated", size);
        }
        g_hash_table_remove(cs->cache, &id);
        return CURSOR_RESULT_NONE;
    }
    case SPICE_MSG_CURSOR_INVAL_ALL:
        g_hash_table_remove_all(cs->cache);
        return CURSOR_RESULT_NONE;
    default:
        return CURSOR_RESULT_NONE;
    }
}

bool cursor_state_get(const CursorState *cs, SpiceClientCursor *out)
{
    memset(out, 0, sizeof(*out));
    if (!cs->init_done) {
        return false;
    }
    out->visible = cs->visible;
    out->x = cs->x;
    out->y = cs->y;
    out->hot_x = cs->hot_x;
    out->hot_y = cs->hot_y;
    out->shape = cs->shape;
    return true;
}

const char *cursor_state_problem(const CursorState *cs)
{
    return cs->problem;
}

unsigned cursor_state_cache_size(const CursorState *cs)
{
    return g_hash_table_size(cs->cache);
}
