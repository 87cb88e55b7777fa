/* fuzz-client-image: hostile SpiceImages through the client's image-decode (every type, pixmap and palette caches, the GLZ window shared across images). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <pixman.h>

#include "client/image-decode.h"

/*
 * Input: a sequence of records [length u16 LE][SpiceImage bytes], decoded in order with one
 * ImageCaches, so GLZ images reference earlier ones through the window (or point outside it),
 * FROM_CACHE hits what CACHE_ME stored and palettes come from the palette cache. Each image is
 * decoded as a message body of 4 zero bytes then the record (image offset 4), so a pointer in it
 * (a palette) may point anywhere in that body. SURFACE images name surface 0 (a 16x16 image) or
 * nothing. Seeds: tests/data/upstream-images recordings (LZ, GLZ chains, QUIC) and generated
 * bitmaps (tests/fuzz/fuzz-client-seeds.py).
 */
static pixman_image_t *surface0;

static pixman_image_t *lookup(uint32_t id, void *user)
{
    (void)user;
    return id == 0 ? surface0 : NULL;
}

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain; (void)level; (void)message; (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!surface0) {
        g_log_set_default_handler(quiet, NULL);
        surface0 = pixman_image_create_bits(PIXMAN_x8r8g8b8, 16, 16, NULL, 0);
    }
    ImageCaches *caches = image_caches_new();
    size_t at = 0;
    while (size - at >= 2) {
        size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
        at += 2;
        if (len > size - at) {
            len = size - at;
        }
        uint8_t *body = g_malloc0(len + 4);
        memcpy(body + 4, data + at, len);
        pixman_image_t *out = NULL;
        char *message = NULL;
        ImageStatus st = image_decode(body, len + 4, 4, caches, lookup, NULL, &out, &message);
        if (st == IMAGE_OK) {
            /* A decoded image is whole: its size is what was promised and every pixel reads. */
            int w = pixman_image_get_width(out), h = pixman_image_get_height(out);
            if (w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS) {
                abort();
            }
            const uint8_t *px = (const uint8_t *)pixman_image_get_data(out);
            volatile uint8_t sink = px[(size_t)(h - 1) * (size_t)pixman_image_get_stride(out)];
            (void)sink;
            pixman_image_unref(out);
        } else if (out != NULL || message == NULL) {
            abort();   /* errors are values with words */
        }
        g_free(message);
        g_free(body);
        at += len;
    }
    image_caches_free(caches);
    return 0;
}
