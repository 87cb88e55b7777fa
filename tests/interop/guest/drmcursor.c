/* drmcursor: the guest's /bin/drmcursor, shows a known 64x64 cursor through the DRM cursor plane.
 *
 *     drmcursor X Y &
 *
 * Built statically at guest build time (build-guest.py) and run inside the test guest, where the
 * QXL DRM driver turns the cursor plane into QXL cursor commands (SET with an ALPHA shape, then
 * MOVE) that the library hands to spice-gtk's cursor channel. The shape, in cursor coordinates
 * (i, j), as 32-bit ARGB: alpha 0xff, red = 4 * i, green = 4 * j, blue = 0x80; hot spot (3, 5).
 * The test computes the same (cursor_argb in test-guest.py).
 * It prints "DRMCURSOR-DONE X Y" on stdout and /dev/ttyS0, then sleeps with /dev/dri/card0 open:
 * it is DRM master, and closing the device would give the screen back to fbcon without a cursor.
 */
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CURSOR_SIZE 64
#define HOT_X 3
#define HOT_Y 5

static int parse_coord(const char *text, long *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || v > 8192)
        return -1;
    *out = v;
    return 0;
}

static void announce(const char *line)
{
    fputs(line, stdout);
    fflush(stdout);
    int serial = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (serial >= 0) {
        ssize_t n = write(serial, line, strlen(line));
        (void)n;
        close(serial);
    }
}

/* The first CRTC of the card (the QXL driver's first head). */
static int first_crtc(int fd, uint32_t *crtc)
{
    struct drm_mode_card_res res;
    memset(&res, 0, sizeof(res));
    if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) < 0 || res.count_crtcs == 0)
        return -1;
    uint32_t *crtcs = calloc(res.count_crtcs, sizeof(*crtcs));
    if (crtcs == NULL)
        return -1;
    /* Ask again for the CRTC ids only: the other arrays stay NULL with count 0. */
    uint32_t count = res.count_crtcs;
    memset(&res, 0, sizeof(res));
    res.count_crtcs = count;
    res.crtc_id_ptr = (uint64_t)(uintptr_t)crtcs;
    int ok = ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res) == 0 && res.count_crtcs >= 1;
    if (ok)
        *crtc = crtcs[0];
    free(crtcs);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    long x, y;
    if (argc != 3 || parse_coord(argv[1], &x) || parse_coord(argv[2], &y)) {
        fprintf(stderr, "usage: drmcursor X Y   (0..8192)\n");
        return 2;
    }
    int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("drmcursor: /dev/dri/card0");
        return 1;
    }
    uint32_t crtc = 0;
    if (first_crtc(fd, &crtc) < 0) {
        perror("drmcursor: DRM_IOCTL_MODE_GETRESOURCES");
        return 1;
    }

    struct drm_mode_create_dumb dumb;
    memset(&dumb, 0, sizeof(dumb));
    dumb.width = CURSOR_SIZE;
    dumb.height = CURSOR_SIZE;
    dumb.bpp = 32;
    if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb) < 0) {
        perror("drmcursor: DRM_IOCTL_MODE_CREATE_DUMB");
        return 1;
    }
    struct drm_mode_map_dumb map;
    memset(&map, 0, sizeof(map));
    map.handle = dumb.handle;
    if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
        perror("drmcursor: DRM_IOCTL_MODE_MAP_DUMB");
        return 1;
    }
    uint8_t *pixels = mmap(NULL, dumb.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
    if (pixels == MAP_FAILED) {
        perror("drmcursor: mmap");
        return 1;
    }
    for (uint32_t j = 0; j < CURSOR_SIZE; j++) {
        uint32_t *row = (uint32_t *)(void *)(pixels + (size_t)j * dumb.pitch);
        for (uint32_t i = 0; i < CURSOR_SIZE; i++)
            row[i] = 0xff000000u | ((4 * i) & 0xff) << 16 | ((4 * j) & 0xff) << 8 | 0x80;
    }
    munmap(pixels, dumb.size);

    struct drm_mode_cursor2 cursor;
    memset(&cursor, 0, sizeof(cursor));
    cursor.flags = DRM_MODE_CURSOR_BO;
    cursor.crtc_id = crtc;
    cursor.width = CURSOR_SIZE;
    cursor.height = CURSOR_SIZE;
    cursor.handle = dumb.handle;
    cursor.hot_x = HOT_X;
    cursor.hot_y = HOT_Y;
    if (ioctl(fd, DRM_IOCTL_MODE_CURSOR2, &cursor) < 0) {
        perror("drmcursor: DRM_IOCTL_MODE_CURSOR2 (set)");
        return 1;
    }
    memset(&cursor, 0, sizeof(cursor));
    cursor.flags = DRM_MODE_CURSOR_MOVE;
    cursor.crtc_id = crtc;
    cursor.x = (int32_t)x;
    cursor.y = (int32_t)y;
    if (ioctl(fd, DRM_IOCTL_MODE_CURSOR2, &cursor) < 0) {
        perror("drmcursor: DRM_IOCTL_MODE_CURSOR2 (move)");
        return 1;
    }

    char line[64];
    snprintf(line, sizeof(line), "DRMCURSOR-DONE %ld %ld\n", x, y);
    announce(line);
    for (;;)
        pause();
}
