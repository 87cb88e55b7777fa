/* pixmap-cache: LRU mirror of a client's pixmap cache, per-channel invalidation queues, the shared GLZ dictionary, and the per-session registry. */
#include "pixmap-cache.h"

#include <glib.h>
#include <spice/enums.h>

#define NUM_CHANNEL_IDS 256

typedef struct Entry {
    uint64_t guest_id;
    uint8_t channel_id;
    bool lossy;
    uint64_t wire_id;
    uint64_t pixels;
    struct Entry *newer;        /* LRU list: oldest at cache->oldest */
    struct Entry *older;
} Entry;

typedef struct RegistryKey {
    const void *server;
    uint32_t session_id;
    uint8_t pixmap_cache_id;
    uint8_t glz_dictionary_id;
} RegistryKey;

struct PixmapCache {
    GMutex lock;                /* everything below but the GLZ part */
    int refs;                   /* under registry_lock when registered */
    bool registered;
    RegistryKey key;
    uint64_t capacity;
    uint64_t used;
    GHashTable *entries;        /* (channel, guest id) key -> Entry*, owns the entries */
    Entry *oldest;
    Entry *newest;
    GArray *pending[NUM_CHANNEL_IDS];   /* of uint64_t wire ids, per owner channel; NULL = none */
    GArray *orphans;            /* ids of detached channels' entries: any channel sends them */
    uint8_t attached[NUM_CHANNEL_IDS / 8];   /* under registry_lock */
    GMutex glz_lock;
    GlzDictionary *glz;         /* owned; NULL = the client has no GLZ window */
};

/* ---- entries ---- */

/* An entry is its own hash key: (channel, guest id). */
static guint entry_hash(gconstpointer p)
{
    const Entry *e = p;
    uint64_t h = e->guest_id * 0x9e3779b97f4a7c15ull ^ ((uint64_t)e->channel_id << 56);
    return (guint)(h ^ (h >> 32));
}

static gboolean entry_equal(gconstpointer a, gconstpointer b)
{
    const Entry *x = a, *y = b;
    return x->guest_id == y->guest_id && x->channel_id == y->channel_id;
}

static void lru_unlink(PixmapCache *cache, Entry *e)
{
    if (e->older) {
        e->older->newer = e->newer;
    } else {
        cache->oldest = e->newer;
    }
    if (e->newer) {
        e->newer->older = e->older;
    } else {
        cache->newest = e->older;
    }
    e->newer = e->older = NULL;
}

static void lru_push_newest(PixmapCache *cache, Entry *e)
{
    e->older = cache->newest;
    e->newer = NULL;
    if (cache->newest) {
        cache->newest->newer = e;
    } else {
        cache->oldest = e;
    }
    cache->newest = e;
}

static void queue_id(GArray **queue, uint64_t wire_id)
{
    if (!*queue) {
        *queue = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    }
    g_array_append_val(*queue, wire_id);
}

/* Removes @e from the mirror and queues its id on @queue (its owner's, or the orphans). */
static void remove_entry(PixmapCache *cache, Entry *e, GArray **queue)
{
    queue_id(queue, e->wire_id);
    lru_unlink(cache, e);
    cache->used -= e->pixels;
    g_hash_table_remove(cache->entries, e);   /* frees e */
}

static Entry *find_entry(PixmapCache *cache, uint8_t channel_id, uint64_t guest_id)
{
    Entry probe = { .guest_id = guest_id, .channel_id = channel_id };
    return g_hash_table_lookup(cache->entries, &probe);
}

/*
 * Wire ids come from one counter for the whole process, not per cache: a display channel that
 * links again in the same session may meet a client that still holds ids from a cache we
 * already freed, and those must never be named again.
 */
static uint64_t next_wire_id = 1;

static uint64_t new_wire_id(void)
{
    return __atomic_fetch_add(&next_wire_id, 1, __ATOMIC_RELAXED);
}

/* ---- life ---- */

PixmapCache *pixmap_cache_new(uint64_t capacity, uint32_t glz_window)
{
    PixmapCache *cache = g_new0(PixmapCache, 1);
    g_mutex_init(&cache->lock);
    g_mutex_init(&cache->glz_lock);
    cache->refs = 1;
    cache->capacity = MIN(capacity, PIXMAP_CACHE_MAX_PIXELS);
    cache->entries = g_hash_table_new_full(entry_hash, entry_equal, g_free, NULL);
    if (glz_window > 0) {
        uint32_t pixels = MIN(glz_window, PIXMAP_CACHE_GLZ_MAX_WINDOW);
        cache->glz = glz_dictionary_new(pixels);
        if (!cache->glz) {
            g_message("display channel: no memory for a GLZ dictionary of %u pixels; this client "
                      "gets LZ instead of GLZ", pixels);
        }
    }
    return cache;
}

static void cache_free(PixmapCache *cache)
{
    g_hash_table_destroy(cache->entries);
    for (unsigned i = 0; i < NUM_CHANNEL_IDS; i++) {
        if (cache->pending[i]) {
            g_array_free(cache->pending[i], TRUE);
        }
    }
    if (cache->orphans) {
        g_array_free(cache->orphans, TRUE);
    }
    glz_dictionary_free(cache->glz);
    g_mutex_clear(&cache->lock);
    g_mutex_clear(&cache->glz_lock);
    g_free(cache);
}

/* ---- registry: one cache per (server, session, cache id, dictionary id) ---- */

static GMutex registry_lock;
static GHashTable *registry;    /* RegistryKey* (the cache's own key) -> PixmapCache* */

static guint registry_hash(gconstpointer p)
{
    const RegistryKey *k = p;
    return g_direct_hash(k->server) ^ (k->session_id * 2654435761u) ^
           ((guint)k->pixmap_cache_id << 8) ^ k->glz_dictionary_id;
}

static gboolean registry_equal(gconstpointer a, gconstpointer b)
{
    const RegistryKey *x = a, *y = b;
    return x->server == y->server && x->session_id == y->session_id &&
           x->pixmap_cache_id == y->pixmap_cache_id && x->glz_dictionary_id == y->glz_dictionary_id;
}

static bool is_attached(const PixmapCache *cache, uint8_t channel_id)
{
    return cache->attached[channel_id / 8] & (1u << (channel_id % 8));
}

static void set_attached(PixmapCache *cache, uint8_t channel_id, bool on)
{
    if (on) {
        cache->attached[channel_id / 8] |= (uint8_t)(1u << (channel_id % 8));
    } else {
        cache->attached[channel_id / 8] &= (uint8_t)~(1u << (channel_id % 8));
    }
}

PixmapCache *pixmap_cache_attach(const void *server, uint32_t session_id, uint8_t channel_id,
                                 const PixmapCacheInit *init)
{
    RegistryKey key = {
        .server = server,
        .session_id = session_id,
        .pixmap_cache_id = init->pixmap_cache_id,
        .glz_dictionary_id = init->glz_dictionary_id,
    };
    uint64_t capacity = init->pixmap_cache_size > 0 ? (uint64_t)init->pixmap_cache_size : 0;
    uint32_t window = init->glz_window_size > 0 ? (uint32_t)init->glz_window_size : 0;

    g_mutex_lock(&registry_lock);
    if (!registry) {
        registry = g_hash_table_new(registry_hash, registry_equal);
    }
    PixmapCache *cache = g_hash_table_lookup(registry, &key);
    if (cache && !is_attached(cache, channel_id)) {
        cache->refs++;
    } else {
        /* New session, or the same display channel linked twice: a cache of its own (only the
         * first is findable by the session's other channels). */
        cache = pixmap_cache_new(capacity, window);
        cache->key = key;
        if (!g_hash_table_contains(registry, &key)) {
            cache->registered = true;
            g_hash_table_insert(registry, &cache->key, cache);
        }
    }
    set_attached(cache, channel_id, true);
    g_mutex_unlock(&registry_lock);
    return cache;
}

/* Drops a reference, clearing @channel_id's attachment first when @detach_channel. */
static void unref_detaching(PixmapCache *cache, bool detach_channel, uint8_t channel_id)
{
    g_mutex_lock(&registry_lock);
    if (detach_channel) {
        set_attached(cache, channel_id, false);
    }
    bool last = --cache->refs == 0;
    if (last && cache->registered) {
        g_hash_table_remove(registry, &cache->key);
    }
    g_mutex_unlock(&registry_lock);
    if (last) {
        cache_free(cache);
    }
}

void pixmap_cache_unref(PixmapCache *cache)
{
    if (cache) {
        unref_detaching(cache, false, 0);
    }
}

/* Every entry of @channel_id leaves the mirror; ids go to @queue_owner's queue or, when
 * @orphan, to the orphans. Called with the lock held. */
static void drop_channel_entries(PixmapCache *cache, uint8_t channel_id, bool orphan)
{
    Entry *e = cache->oldest;
    while (e) {
        Entry *next = e->newer;
        if (e->channel_id == channel_id) {
            remove_entry(cache, e, orphan ? &cache->orphans : &cache->pending[channel_id]);
        }
        e = next;
    }
}

void pixmap_cache_detach(PixmapCache *cache, uint8_t channel_id)
{
    if (!cache) {
        return;
    }
    g_mutex_lock(&cache->lock);
    drop_channel_entries(cache, channel_id, true);
    if (cache->pending[channel_id]) {
        /* Ids evicted by others that this channel never sent: any channel may send them. */
        for (guint i = 0; i < cache->pending[channel_id]->len; i++) {
            queue_id(&cache->orphans, g_array_index(cache->pending[channel_id], uint64_t, i));
        }
        g_array_free(cache->pending[channel_id], TRUE);
        cache->pending[channel_id] = NULL;
    }
    g_mutex_unlock(&cache->lock);
    unref_detaching(cache, true, channel_id);
}

/* ---- decisions ---- */

/* Makes room for @pixels (evicting the oldest entries); false when it cannot fit at all. */
static bool make_room(PixmapCache *cache, uint64_t pixels)
{
    if (pixels == 0 || pixels > cache->capacity) {
        return false;
    }
    while (cache->oldest &&
           (cache->capacity - cache->used < pixels ||
            g_hash_table_size(cache->entries) >= PIXMAP_CACHE_MAX_ENTRIES)) {
        Entry *victim = cache->oldest;
        remove_entry(cache, victim, &cache->pending[victim->channel_id]);
    }
    return cache->capacity - cache->used >= pixels;
}

PixmapCacheDecision pixmap_cache_decide(PixmapCache *cache, uint8_t channel_id, uint64_t guest_id,
                                        uint32_t width, uint32_t height, bool need_lossless,
                                        bool lossy_possible)
{
    PixmapCacheDecision d = { .from_cache_type = 0, .descriptor_flags = 0, .wire_id = guest_id };
    if (!cache) {
        return d;
    }
    uint64_t pixels = (uint64_t)width * height;
    g_mutex_lock(&cache->lock);
    Entry *e = find_entry(cache, channel_id, guest_id);
    if (e && e->pixels != pixels) {
        /* The guest reused an id for an image of another size: the old copy is stale. */
        remove_entry(cache, e, &cache->pending[channel_id]);
        e = NULL;
    }
    if (e) {
        lru_unlink(cache, e);
        lru_push_newest(cache, e);
        d.wire_id = e->wire_id;
        if (!e->lossy || !need_lossless) {
            d.from_cache_type = !e->lossy && lossy_possible ? SPICE_IMAGE_TYPE_FROM_CACHE_LOSSLESS :
                                                              SPICE_IMAGE_TYPE_FROM_CACHE;
        } else {
            d.descriptor_flags = SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME;
        }
    } else if (make_room(cache, pixels)) {
        e = g_new0(Entry, 1);
        e->guest_id = guest_id;
        e->channel_id = channel_id;
        e->pixels = pixels;
        e->wire_id = new_wire_id();
        cache->used += pixels;
        g_hash_table_add(cache->entries, e);
        lru_push_newest(cache, e);
        d.wire_id = e->wire_id;
        d.descriptor_flags = SPICE_IMAGE_FLAGS_CACHE_ME;
    }
    g_mutex_unlock(&cache->lock);
    return d;
}

void pixmap_cache_encoded(PixmapCache *cache, uint8_t channel_id, uint64_t guest_id,
                          uint8_t image_type)
{
    if (!cache) {
        return;
    }
    g_mutex_lock(&cache->lock);
    Entry *e = find_entry(cache, channel_id, guest_id);
    if (e) {
        e->lossy = image_type == SPICE_IMAGE_TYPE_JPEG || image_type == SPICE_IMAGE_TYPE_JPEG_ALPHA;
    }
    g_mutex_unlock(&cache->lock);
}

/* Moves up to @max ids from the front of *@queue into @ids; frees an emptied queue. */
static size_t take_from(GArray **queue, uint64_t *ids, size_t max)
{
    if (!*queue || max == 0) {
        return 0;
    }
    size_t n = MIN((size_t)(*queue)->len, max);
    for (size_t i = 0; i < n; i++) {
        ids[i] = g_array_index(*queue, uint64_t, i);
    }
    g_array_remove_range(*queue, 0, (guint)n);
    if ((*queue)->len == 0) {
        g_array_free(*queue, TRUE);
        *queue = NULL;
    }
    return n;
}

size_t pixmap_cache_take_invalidations(PixmapCache *cache, uint8_t channel_id, uint64_t *ids,
                                       size_t max)
{
    if (!cache) {
        return 0;
    }
    g_mutex_lock(&cache->lock);
    size_t n = take_from(&cache->pending[channel_id], ids, max);
    n += take_from(&cache->orphans, ids + n, max - n);
    g_mutex_unlock(&cache->lock);
    return n;
}

void pixmap_cache_reset_channel(PixmapCache *cache, uint8_t channel_id)
{
    if (!cache) {
        return;
    }
    g_mutex_lock(&cache->lock);
    drop_channel_entries(cache, channel_id, false);
    g_mutex_unlock(&cache->lock);
}

size_t pixmap_cache_count(PixmapCache *cache)
{
    g_mutex_lock(&cache->lock);
    size_t n = g_hash_table_size(cache->entries);
    g_mutex_unlock(&cache->lock);
    return n;
}

uint64_t pixmap_cache_pixels(PixmapCache *cache)
{
    g_mutex_lock(&cache->lock);
    uint64_t n = cache->used;
    g_mutex_unlock(&cache->lock);
    return n;
}

uint64_t pixmap_cache_capacity(PixmapCache *cache)
{
    return cache->capacity;   /* fixed at creation */
}

/* ---- GLZ ---- */

GlzDictionary *pixmap_cache_glz_begin(PixmapCache *cache)
{
    if (!cache || !cache->glz) {
        return NULL;
    }
    g_mutex_lock(&cache->glz_lock);
    return cache->glz;
}

void pixmap_cache_glz_end(PixmapCache *cache, GlzDictionary *glz)
{
    if (cache && glz) {
        g_mutex_unlock(&cache->glz_lock);
    }
}
