/* image-load: reads a PNG or JPEG file into xRGB pixels for the primary surface (gdk-pixbuf). */
#include "image-load.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>

bool image_load(const char *path, uint32_t **pixels, uint32_t *width, uint32_t *height)
{
    GError *error = NULL;
    GdkPixbuf *pixbuf = gdk_pixbuf_new_from_file(path, &error);
    if (pixbuf == NULL) {
        fprintf(stderr, "spice-demo-vm: cannot load image %s: %s (give a readable PNG or JPEG file)\n",
                path, error->message);
        g_error_free(error);
        return false;
    }
    const int w = gdk_pixbuf_get_width(pixbuf);
    const int h = gdk_pixbuf_get_height(pixbuf);
    const int channels = gdk_pixbuf_get_n_channels(pixbuf);
    const int rowstride = gdk_pixbuf_get_rowstride(pixbuf);
    if (w <= 0 || h <= 0 || (unsigned)w > IMAGE_LOAD_MAX_SIDE || (unsigned)h > IMAGE_LOAD_MAX_SIDE) {
        fprintf(stderr, "spice-demo-vm: image %s is %dx%d; the demo shows 1x1 up to %ux%u (scale it down)\n",
                path, w, h, IMAGE_LOAD_MAX_SIDE, IMAGE_LOAD_MAX_SIDE);
        g_object_unref(pixbuf);
        return false;
    }
    if (gdk_pixbuf_get_colorspace(pixbuf) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pixbuf) != 8 || (channels != 3 && channels != 4)) {
        fprintf(stderr, "spice-demo-vm: image %s is not 8-bit RGB or RGBA (convert it to an ordinary PNG)\n", path);
        g_object_unref(pixbuf);
        return false;
    }
    const guint8 *src = gdk_pixbuf_read_pixels(pixbuf);
    uint32_t *out = g_new(uint32_t, (size_t)w * h);
    for (int y = 0; y < h; y++) {
        const guint8 *row = src + (size_t)y * rowstride;
        for (int x = 0; x < w; x++) {
            const guint8 *p = row + (size_t)x * channels;
            out[(size_t)y * w + x] = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
        }
    }
    g_object_unref(pixbuf);
    *pixels = out;
    *width = (uint32_t)w;
    *height = (uint32_t)h;
    return true;
}
