/* image-load: reads a PNG or JPEG file into xRGB pixels for the primary surface (gdk-pixbuf). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Largest image the demo shows: the primary surface lives in (host) memory of this size. */
#define IMAGE_LOAD_MAX_SIDE 8192u

/*
 * Loads @path. On success stores a new buffer of @width * @height pixels (0x00RRGGBB, rows
 * top-down, no padding) in @pixels, owned by the caller (g_free), and returns true. Alpha is
 * dropped, not blended, so the screen shows the file's colour values exactly. On failure prints
 * one line naming the file, the cause and the fix, and returns false.
 */
bool image_load(const char *path, uint32_t **pixels, uint32_t *width, uint32_t *height);
