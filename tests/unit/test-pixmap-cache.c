/* test-pixmap-cache: the server's pixmap cache mirror (hits, eviction order, invalidation queues, limits, lossy copies), the per-session registry, the shared GLZ dictionary, and the cache's wire bytes. */
#include <glib.h>
#include <spice/enums.h>
#include <string.h>

#include "server/display-channel-messages.h"
#include "server/pixmap-cache.h"

#define CH0 0
#define CH1 1

static PixmapCacheDecision decide(PixmapCache *c, uint8_t ch, uint64_t id, uint32_t w, uint32_t h)
{
    return pixmap_cache_decide(c, ch, id, w, h, false, false);
}

static void test_hit(void)
{
    PixmapCache *c = pixmap_cache_new(1000, 0);
    PixmapCacheDecision first = decide(c, CH0, 0x1234500000000ull, 10, 10);
    g_assert_cmpuint(first.from_cache_type, ==, 0);
    g_assert_cmphex(first.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(first.wire_id, !=, 0);
    pixmap_cache_encoded(c, CH0, 0x1234500000000ull, SPICE_IMAGE_TYPE_LZ_RGB);
    g_assert_cmpuint(pixmap_cache_count(c), ==, 1);
    g_assert_cmpuint(pixmap_cache_pixels(c), ==, 100);

    PixmapCacheDecision again = decide(c, CH0, 0x1234500000000ull, 10, 10);
    g_assert_cmpuint(again.from_cache_type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    g_assert_cmpuint(again.descriptor_flags, ==, 0);
    g_assert_cmpuint(again.wire_id, ==, first.wire_id);
    /* When the client may hold lossy copies, a lossless one is named as such (upstream). */
    PixmapCacheDecision lossless = pixmap_cache_decide(c, CH0, 0x1234500000000ull, 10, 10, false, true);
    g_assert_cmpuint(lossless.from_cache_type, ==, SPICE_IMAGE_TYPE_FROM_CACHE_LOSSLESS);

    /* The same guest id on another channel (another QXL device) is another image. */
    PixmapCacheDecision other = decide(c, CH1, 0x1234500000000ull, 10, 10);
    g_assert_cmphex(other.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(other.wire_id, !=, first.wire_id);
    /* A reused guest id with another size is a new image; the stale copy is invalidated. */
    PixmapCacheDecision resized = decide(c, CH0, 0x1234500000000ull, 5, 10);
    g_assert_cmphex(resized.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    uint64_t ids[4];
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 4), ==, 1);
    g_assert_cmpuint(ids[0], ==, first.wire_id);
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 4), ==, 0);
    /* No cache: always encode plainly with the guest's id. */
    PixmapCacheDecision none = pixmap_cache_decide(NULL, CH0, 77, 10, 10, false, false);
    g_assert_cmpuint(none.from_cache_type, ==, 0);
    g_assert_cmpuint(none.descriptor_flags, ==, 0);
    g_assert_cmpuint(none.wire_id, ==, 77);
    pixmap_cache_unref(c);
}

static void test_eviction(void)
{
    PixmapCache *c = pixmap_cache_new(100, 0);
    uint64_t w1 = decide(c, CH0, 1, 8, 5).wire_id;   /* 40 px each */
    uint64_t w2 = decide(c, CH0, 2, 8, 5).wire_id;
    uint64_t ids[8];
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 8), ==, 0);
    /* Touch 1, so 2 is now the least recently used. */
    g_assert_cmpuint(decide(c, CH0, 1, 8, 5).from_cache_type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    PixmapCacheDecision third = decide(c, CH1, 3, 8, 5);
    g_assert_cmphex(third.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(pixmap_cache_pixels(c), ==, 80);
    g_assert_cmpuint(pixmap_cache_count(c), ==, 2);
    /* Entry 2 belonged to channel 0: its INVAL goes out there, not on the evicting channel. */
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH1, ids, 8), ==, 0);
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 8), ==, 1);
    g_assert_cmpuint(ids[0], ==, w2);
    /* 2 comes back as a new entry with a new wire id (ids are never reused). */
    PixmapCacheDecision back = decide(c, CH0, 2, 8, 5);
    g_assert_cmphex(back.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(back.wire_id, !=, w2);
    g_assert_cmpuint(back.wire_id, !=, w1);
    /* That evicted 1 (oldest now), again queued for channel 0. */
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 8), ==, 1);
    g_assert_cmpuint(ids[0], ==, w1);
    g_assert_cmpuint(pixmap_cache_pixels(c), <=, pixmap_cache_capacity(c));

    /* Many evictions: taken in slices of @max, in eviction order. */
    for (uint64_t i = 100; i < 110; i++) {
        decide(c, CH0, i, 10, 10);   /* 100 px: fills the cache alone */
    }
    size_t total = 0, n;
    uint64_t prev = 0;
    while ((n = pixmap_cache_take_invalidations(c, CH0, ids, 3)) > 0) {
        g_assert_cmpuint(n, <=, 3);
        for (size_t i = 0; i < n; i++) {
            g_assert_cmpuint(ids[i], >, prev);
            prev = ids[i];
        }
        total += n;
    }
    uint64_t ch1_ids[4];
    total += pixmap_cache_take_invalidations(c, CH1, ch1_ids, 4);
    /* 2 entries before (back + third) + 9 of the 10 new ones were evicted. */
    g_assert_cmpuint(total, ==, 11);
    g_assert_cmpuint(pixmap_cache_count(c), ==, 1);
    pixmap_cache_unref(c);
}

static void test_limits(void)
{
    PixmapCache *c = pixmap_cache_new(100, 0);
    decide(c, CH0, 1, 5, 5);
    /* Larger than the whole cache: sent plainly, nothing evicted. */
    PixmapCacheDecision big = decide(c, CH0, 2, 11, 10);
    g_assert_cmpuint(big.descriptor_flags, ==, 0);
    g_assert_cmpuint(big.from_cache_type, ==, 0);
    g_assert_cmpuint(big.wire_id, ==, 2);
    g_assert_cmpuint(pixmap_cache_count(c), ==, 1);
    uint64_t ids[2];
    g_assert_cmpuint(pixmap_cache_take_invalidations(c, CH0, ids, 2), ==, 0);
    /* Exactly the capacity fits (evicting the rest). */
    g_assert_cmphex(decide(c, CH0, 3, 10, 10).descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(pixmap_cache_pixels(c), ==, 100);
    pixmap_cache_unref(c);

    /* A zero-sized cache caches nothing. */
    c = pixmap_cache_new(0, 0);
    g_assert_cmpuint(decide(c, CH0, 1, 1, 1).descriptor_flags, ==, 0);
    g_assert_null(pixmap_cache_glz_begin(c));
    pixmap_cache_unref(c);

    /* A client asking for absurd sizes gets the clamps. */
    PixmapCacheInit init = {
        .pixmap_cache_id = 1, .pixmap_cache_size = INT64_MAX,
        .glz_dictionary_id = 1, .glz_window_size = INT32_MAX,
    };
    c = pixmap_cache_attach(NULL, 42, CH0, &init);
    g_assert_cmpuint(pixmap_cache_capacity(c), ==, PIXMAP_CACHE_MAX_PIXELS);
    GlzDictionary *glz = pixmap_cache_glz_begin(c);
    g_assert_nonnull(glz);
    pixmap_cache_glz_end(c, glz);
    pixmap_cache_detach(c, CH0);

    /* The entry count is bounded too, whatever the pixel size allows. */
    c = pixmap_cache_new(PIXMAP_CACHE_MAX_PIXELS, 0);
    for (uint64_t i = 0; i < PIXMAP_CACHE_MAX_ENTRIES + 10; i++) {
        decide(c, CH0, i, 1, 1);
    }
    g_assert_cmpuint(pixmap_cache_count(c), ==, PIXMAP_CACHE_MAX_ENTRIES);
    pixmap_cache_unref(c);
}

static void test_lossy(void)
{
    PixmapCache *c = pixmap_cache_new(1000, 0);
    PixmapCacheDecision first = pixmap_cache_decide(c, CH0, 9, 10, 10, false, true);
    g_assert_cmphex(first.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    pixmap_cache_encoded(c, CH0, 9, SPICE_IMAGE_TYPE_JPEG);
    /* A draw that may be lossy takes the lossy copy, named plain FROM_CACHE. */
    PixmapCacheDecision lossy_ok = pixmap_cache_decide(c, CH0, 9, 10, 10, false, true);
    g_assert_cmpuint(lossy_ok.from_cache_type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    /* A draw that must be lossless resends it to replace the lossy copy, same id. */
    PixmapCacheDecision replace = pixmap_cache_decide(c, CH0, 9, 10, 10, true, true);
    g_assert_cmpuint(replace.from_cache_type, ==, 0);
    g_assert_cmphex(replace.descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME);
    g_assert_cmpuint(replace.wire_id, ==, first.wire_id);
    pixmap_cache_encoded(c, CH0, 9, SPICE_IMAGE_TYPE_LZ_RGB);
    /* Now lossless: FROM_CACHE_LOSSLESS even for a lossless draw. */
    PixmapCacheDecision after = pixmap_cache_decide(c, CH0, 9, 10, 10, true, true);
    g_assert_cmpuint(after.from_cache_type, ==, SPICE_IMAGE_TYPE_FROM_CACHE_LOSSLESS);
    g_assert_cmpuint(after.wire_id, ==, first.wire_id);
    /* JPEG_ALPHA is lossy too. */
    pixmap_cache_decide(c, CH0, 10, 2, 2, false, true);
    pixmap_cache_encoded(c, CH0, 10, SPICE_IMAGE_TYPE_JPEG_ALPHA);
    g_assert_cmphex(pixmap_cache_decide(c, CH0, 10, 2, 2, true, true).descriptor_flags, ==,
                    SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME);
    pixmap_cache_unref(c);
}

static void test_registry_and_reset(void)
{
    PixmapCacheInit init = {
        .pixmap_cache_id = 1, .pixmap_cache_size = 1000,
        .glz_dictionary_id = 1, .glz_window_size = 1 << 20,
    };
    static int server_key;   /* only its address is used, as a server key */
    PixmapCache *a = pixmap_cache_attach(&server_key, 7, CH0, &init);
    PixmapCache *b = pixmap_cache_attach(&server_key, 7, CH1, &init);
    PixmapCache *dup = pixmap_cache_attach(&server_key, 7, CH0, &init);   /* channel 0 again */
    PixmapCache *other = pixmap_cache_attach(&server_key, 8, CH0, &init); /* another session */
    g_assert_true(a == b);
    g_assert_true(dup != a);
    g_assert_true(other != a);
    /* One dictionary for the session's channels. */
    GlzDictionary *ga = pixmap_cache_glz_begin(a);
    pixmap_cache_glz_end(a, ga);
    GlzDictionary *gb = pixmap_cache_glz_begin(b);
    pixmap_cache_glz_end(b, gb);
    g_assert_true(ga == gb && ga != NULL);

    uint64_t w0 = decide(a, CH0, 5, 10, 10).wire_id;
    uint64_t w1 = decide(b, CH1, 6, 10, 10).wire_id;
    /* The guest reset its ids: channel 0's entries go, to be invalidated on channel 0. */
    pixmap_cache_reset_channel(a, CH0);
    g_assert_cmpuint(pixmap_cache_count(a), ==, 1);
    uint64_t ids[4];
    g_assert_cmpuint(pixmap_cache_take_invalidations(a, CH0, ids, 4), ==, 1);
    g_assert_cmpuint(ids[0], ==, w0);
    g_assert_cmphex(decide(a, CH0, 5, 10, 10).descriptor_flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    /* Channel 1 leaves: its entries are orphans any channel sends. */
    pixmap_cache_detach(b, CH1);
    g_assert_cmpuint(pixmap_cache_take_invalidations(a, CH0, ids, 4), ==, 1);
    g_assert_cmpuint(ids[0], ==, w1);
    /* Channel 1 may link again and share the same cache. */
    PixmapCache *b2 = pixmap_cache_attach(&server_key, 7, CH1, &init);
    g_assert_true(b2 == a);
    pixmap_cache_detach(b2, CH1);
    pixmap_cache_detach(a, CH0);
    /* The session's cache is gone: a new attach starts empty. */
    PixmapCache *fresh = pixmap_cache_attach(&server_key, 7, CH0, &init);
    g_assert_cmpuint(pixmap_cache_count(fresh), ==, 0);
    pixmap_cache_detach(fresh, CH0);
    pixmap_cache_detach(dup, CH0);
    pixmap_cache_detach(other, CH0);
}

/* Two display channels (threads) encoding into the client's one dictionary. */
typedef struct GlzThread {
    PixmapCache *cache;
    uint64_t ids[50];
} GlzThread;

static gpointer glz_thread(gpointer data)
{
    GlzThread *t = data;
    uint32_t pixels[32 * 32];
    for (int n = 0; n < 50; n++) {
        for (int i = 0; i < 32 * 32; i++) {
            pixels[i] = (uint32_t)(i * 7 + n) & 0xff;
        }
        Pixbuf view;
        g_assert_cmpint(pixbuf_init_view(&view, PIXBUF_FORMAT_XRGB32, 32, 32, 32 * 4, pixels,
                                         sizeof(pixels)), ==, CODEC_OK);
        size_t cap = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, 32, 32);
        uint8_t *out = g_malloc(cap);
        size_t size = 0;
        GlzDictionary *glz = pixmap_cache_glz_begin(t->cache);
        g_assert_nonnull(glz);
        g_assert_cmpint(glz_encode(glz, &view, LZ_IMAGE_TYPE_RGB32, true, out, cap, &size,
                                   &t->ids[n]), ==, CODEC_OK);
        pixmap_cache_glz_end(t->cache, glz);
        g_free(out);
    }
    return NULL;
}

static void test_glz_shared_by_threads(void)
{
    PixmapCacheInit init = {
        .pixmap_cache_id = 1, .pixmap_cache_size = 1000,
        .glz_dictionary_id = 1, .glz_window_size = 1 << 16,
    };
    GlzThread t[2] = {
        { .cache = pixmap_cache_attach(NULL, 99, CH0, &init) },
        { .cache = pixmap_cache_attach(NULL, 99, CH1, &init) },
    };
    g_assert_true(t[0].cache == t[1].cache);
    GThread *th[2] = { g_thread_new("glz0", glz_thread, &t[0]), g_thread_new("glz1", glz_thread, &t[1]) };
    g_thread_join(th[0]);
    g_thread_join(th[1]);
    /* Every id 0..99 used exactly once, each thread's in increasing order. */
    gboolean seen[100] = { FALSE };
    for (int k = 0; k < 2; k++) {
        for (int n = 0; n < 50; n++) {
            g_assert_cmpuint(t[k].ids[n], <, 100);
            g_assert_false(seen[t[k].ids[n]]);
            seen[t[k].ids[n]] = TRUE;
            if (n > 0) {
                g_assert_cmpuint(t[k].ids[n], >, t[k].ids[n - 1]);
            }
        }
    }
    pixmap_cache_detach(t[0].cache, CH0);
    pixmap_cache_detach(t[1].cache, CH1);
}

/* The bytes: FROM_CACHE is a bare descriptor, CACHE_ME is patched into an encoded one, and
 * INVAL_LIST is count + (type, id) pairs. */
static void test_wire(void)
{
    uint32_t pixels[4 * 3];
    for (int i = 0; i < 12; i++) {
        pixels[i] = 0x00102030u * (uint32_t)i;
    }
    DisplayDrawBase base = { .surface_id = 0, .box = { 0, 0, 4, 3 } };
    pixman_box32_t area = { 0, 0, 4, 3 };
    uint8_t type = 0xff;
    DisplayBitmap bitmap = {
        .image_id = 0xabcdef, .format = SPICE_BITMAP_FMT_32BIT, .width = 4, .height = 3,
        .stride = 16, .pixels = (const uint8_t *)pixels,
        .compression = SPICE_IMAGE_COMPRESSION_OFF,
        .descriptor_flags = SPICE_IMAGE_FLAGS_CACHE_ME, .out_image_type = &type,
    };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_draw_copy(&w, &base, &bitmap, &area, SPICE_ROPD_OP_PUT, 0);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    r.offset = 21;   /* DisplayBase with clip NONE */
    uint32_t image_at = wire_read_u32(&r);
    r.offset = image_at;
    g_assert_cmphex(wire_read_u64(&r), ==, 0xabcdef);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_TYPE_BITMAP);
    g_assert_cmphex(wire_read_u8(&r), ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(wire_read_u32(&r), ==, 4);
    g_assert_cmpuint(wire_read_u32(&r), ==, 3);
    g_assert_cmpuint(type, ==, SPICE_IMAGE_TYPE_BITMAP);

    wire_writer_reset(&w);
    bitmap.from_cache_type = SPICE_IMAGE_TYPE_FROM_CACHE;
    bitmap.descriptor_flags = 0;
    display_msg_write_draw_copy(&w, &base, &bitmap, &area, SPICE_ROPD_OP_PUT, 0);
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    r.offset = 21;
    image_at = wire_read_u32(&r);
    r.offset = image_at;
    g_assert_cmphex(wire_read_u64(&r), ==, 0xabcdef);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 4);
    g_assert_cmpuint(wire_read_u32(&r), ==, 3);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);   /* no body */
    g_assert_cmpuint(type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);

    wire_writer_reset(&w);
    uint64_t ids[2] = { 5, 0x100000000ull };
    display_msg_write_inval_list(&w, ids, 2);
    static const uint8_t expected[] = {
        2, 0,
        SPICE_RES_TYPE_PIXMAP, 5, 0, 0, 0, 0, 0, 0, 0,
        SPICE_RES_TYPE_PIXMAP, 0, 0, 0, 0, 1, 0, 0, 0,
    };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    wire_writer_finish(&w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pixmap-cache/hit", test_hit);
    g_test_add_func("/pixmap-cache/eviction", test_eviction);
    g_test_add_func("/pixmap-cache/limits", test_limits);
    g_test_add_func("/pixmap-cache/lossy", test_lossy);
    g_test_add_func("/pixmap-cache/registry-and-reset", test_registry_and_reset);
    g_test_add_func("/pixmap-cache/glz-shared-by-threads", test_glz_shared_by_threads);
    g_test_add_func("/pixmap-cache/wire", test_wire);
    return g_test_run();
}
