/* pixmap-cache: the server's mirror of one client's image cache and its GLZ dictionary, shared by the client's display channels. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/glz.h"

/*
 * A SPICE client keeps one pixmap cache and one GLZ window per session, shared by all its
 * display channels (DISPLAY_INIT names them by pixmap_cache_id and glz_dictionary_id and gives
 * their sizes in pixels). The server mirrors what the client holds: which images, how many
 * pixels, whether each copy is lossy; the pixels themselves stay on the client. A PixmapCache is
 * that mirror plus the GLZ encoder dictionary the client's window follows.
 *
 * Keys and wire ids: an entry is keyed by (display channel id, guest image id), because each QXL
 * device numbers its images on its own, so the same guest id on two channels is two images. On
 * the wire every entry gets a fresh id from a counter (never reused), so an id the client drops
 * (INVAL_LIST) can never be confused with a later image, whatever order the channels' messages
 * reach the client in.
 *
 * Eviction and the client's order of processing: the cache holds at most the client's size in
 * pixels; adding an image evicts the least recently used entries. An evicted entry's wire id is
 * queued for the channel that added it (its "owner"), which sends it as INVAL_LIST before its
 * next message. Since an entry is only ever referenced by its owner channel, the client has
 * processed every message that referenced the id before it processes the INVAL_LIST: no
 * WAIT_FOR_CHANNELS is needed (upstream shares entries between channels and waits instead).
 * The display channel takes its queue after building a message and sends it BEFORE the message
 * (so the client frees the space before the new image takes it, as upstream), except the one
 * id the message itself names (an eviction by another channel racing with a hit), which goes
 * right after it. With one display channel the client never holds more than its size; with
 * several, an owner that has not sent its queue yet leaves up to that many evicted pixels on
 * the client (bounded by the size again).
 *
 * Threads: every function is safe from any thread (one mutex per cache; the registry has its
 * own). The GLZ dictionary is used between pixmap_cache_glz_begin and _end, which hold its lock.
 *
 * Ownership: pixmap_cache_attach and pixmap_cache_new return a reference the caller drops with
 * pixmap_cache_detach / pixmap_cache_unref.
 */
typedef struct PixmapCache PixmapCache;

/* Limits on what a client may ask for in DISPLAY_INIT (larger values are clamped). The mirror
 * keeps no pixels, only an entry per image, so the entry count is bounded separately. */
#define PIXMAP_CACHE_MAX_PIXELS (1ull << 32)
#define PIXMAP_CACHE_MAX_ENTRIES 65536u
#define PIXMAP_CACHE_GLZ_MAX_WINDOW (64u * 1024u * 1024u)
/* INVAL_LIST counts entries in a u16; larger queues go out in several messages. */
#define PIXMAP_CACHE_MAX_INVAL_LIST 4096u

/* What DISPLAY_INIT asked for. Sizes <= 0 mean no cache / no GLZ. */
typedef struct PixmapCacheInit {
    uint8_t pixmap_cache_id;
    int64_t pixmap_cache_size;        /* pixels */
    uint8_t glz_dictionary_id;
    int32_t glz_window_size;          /* pixels */
} PixmapCacheInit;

/*
 * The cache of the client @session_id of server @server (an opaque key, may be NULL) for
 * display channel @channel_id: the one its other display channels use when they sent the same
 * ids, else a new one (then sized by @init). A second attach of the same channel id (a second
 * connection to the same display channel in one session, a different client process) gets a
 * private cache of its own. Never NULL.
 */
PixmapCache *pixmap_cache_attach(const void *server, uint32_t session_id, uint8_t channel_id,
                                 const PixmapCacheInit *init);
/* Channel @channel_id is gone: its entries leave the mirror (their ids are queued for any
 * other channel to invalidate), and the reference is dropped. Accepts NULL. */
void pixmap_cache_detach(PixmapCache *cache, uint8_t channel_id);

/* A standalone cache (not in the registry) for @capacity pixels and a GLZ window of
 * @glz_window pixels (0: no GLZ); for tests and private caches. Never NULL. */
PixmapCache *pixmap_cache_new(uint64_t capacity, uint32_t glz_window);
void pixmap_cache_unref(PixmapCache *cache);

/* How an image goes out, decided by pixmap_cache_decide. */
typedef struct PixmapCacheDecision {
    /* 0: encode the image (with @descriptor_flags and @wire_id in its descriptor);
     * SPICE_IMAGE_TYPE_FROM_CACHE or _FROM_CACHE_LOSSLESS: send only the descriptor. */
    uint8_t from_cache_type;
    uint8_t descriptor_flags;         /* 0, SPICE_IMAGE_FLAGS_CACHE_ME or _CACHE_REPLACE_ME */
    uint64_t wire_id;                 /* the descriptor id to send */
} PixmapCacheDecision;

/*
 * The image @guest_id (@width x @height, the whole image the descriptor describes) of channel
 * @channel_id, which the guest marked cacheable (QXL_IMAGE_CACHE):
 *   - held, and lossless or @need_lossless false: FROM_CACHE (FROM_CACHE_LOSSLESS when the copy
 *     is lossless and @lossy_possible: the client may then keep the area lossless, as upstream);
 *   - held lossy but @need_lossless: encode again with CACHE_REPLACE_ME;
 *   - not held: added (evicting the oldest) and encoded with CACHE_ME, or encoded plainly
 *     (wire_id = @guest_id) when it cannot fit.
 * After encoding with CACHE_ME or CACHE_REPLACE_ME, report the type written
 * (pixmap_cache_encoded) so the entry knows whether the client's copy is lossy.
 * @cache NULL: always "encode plainly".
 */
PixmapCacheDecision pixmap_cache_decide(PixmapCache *cache, uint8_t channel_id, uint64_t guest_id,
                                        uint32_t width, uint32_t height, bool need_lossless,
                                        bool lossy_possible);
/* The image decided with CACHE_ME / CACHE_REPLACE_ME went out as @image_type (JPEG types are
 * lossy). Accepts NULL. */
void pixmap_cache_encoded(PixmapCache *cache, uint8_t channel_id, uint64_t guest_id,
                          uint8_t image_type);

/*
 * Takes up to @max wire ids (plus ids orphaned by detached channels) that channel @channel_id
 * must invalidate on the client before its next message, into @ids. Returns how many; call
 * again while it returns @max. Accepts NULL (returns 0).
 */
size_t pixmap_cache_take_invalidations(PixmapCache *cache, uint8_t channel_id, uint64_t *ids,
                                       size_t max);
/* The guest reset its image ids (spice_qxl_reset_image_cache): every entry of @channel_id
 * leaves the mirror and is queued for invalidation. Accepts NULL. */
void pixmap_cache_reset_channel(PixmapCache *cache, uint8_t channel_id);

/* Statistics for tests: entries held, pixels held, capacity. */
size_t pixmap_cache_count(PixmapCache *cache);
uint64_t pixmap_cache_pixels(PixmapCache *cache);
uint64_t pixmap_cache_capacity(PixmapCache *cache);

/*
 * The client's GLZ dictionary, locked for the caller until pixmap_cache_glz_end; NULL (nothing
 * locked) when the client has no GLZ window or @cache is NULL. Every image encoded into it must
 * reach this client (the client's window follows the dictionary's ids).
 */
GlzDictionary *pixmap_cache_glz_begin(PixmapCache *cache);
void pixmap_cache_glz_end(PixmapCache *cache, GlzDictionary *glz);
