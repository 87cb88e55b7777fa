/* fbdraw: the guest's /bin/fbdraw, fills a rectangle of /dev/fb0 with a known colour pattern.
 *
 *     fbdraw [X Y W H [FRAMES]]      (defaults 640 256 256 128 1)
 *
 * Built statically at guest build time (tests/interop/guest/build-guest.py) and run inside the
 * test guest, where the QXL DRM driver turns the writes into QXL draw commands. The test computes
 * the same pattern (fbdraw_rgb in test-guest.py) and requires it pixel for pixel in the spice-gtk
 * picture. The pattern of frame f (0 .. FRAMES-1), in rectangle coordinates (i, j):
 *     red = (i + f) & 0xff,  green = (2 * j) & 0xff,  blue = 0xe0 on a 16x16 checker cell, else 0x20.
 * Frames are 40 ms apart (25 fps, the rate that makes a server consider a video stream); the
 * last one stays on screen.
 * It writes with pwrite(), not mmap: the DRM fbdev emulation reports write() damage at once,
 * mmap damage only after its deferred-io delay. When done it prints "FBDRAW-DONE X Y W H FRAMES"
 * on stdout and on /dev/ttyS0 (the serial log the test reads).
 */
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int parse_dim(const char *text, long max, long *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Places an 8-bit channel value into a bitfield of the pixel format the driver reports. */
static uint32_t channel(uint32_t value8, const struct fb_bitfield *field)
{
    if (field->length == 0 || field->length > 16 || field->offset > 31)
        return 0;
    if (field->length >= 8)
        return (value8 << (field->length - 8)) << field->offset;
    return (value8 >> (8 - field->length)) << field->offset;
}

static uint32_t pattern_pixel(const struct fb_var_screeninfo *var, long frame, long i, long j)
{
    uint32_t r = (uint32_t)(i + frame) & 0xff;
    uint32_t g = (uint32_t)(2 * j) & 0xff;
    uint32_t b = (((i / 16) + (j / 16)) & 1) ? 0xe0 : 0x20;
    return channel(r, &var->red) | channel(g, &var->green) | channel(b, &var->blue);
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

int main(int argc, char **argv)
{
    long x = 640, y = 256, w = 256, h = 128, frames = 1;
    if (argc == 5 || argc == 6) {
        if (parse_dim(argv[1], 8192, &x) || parse_dim(argv[2], 8192, &y) ||
            parse_dim(argv[3], 8192, &w) || parse_dim(argv[4], 8192, &h) ||
            (argc == 6 && parse_dim(argv[5], 100000, &frames)) || frames < 1) {
            fprintf(stderr, "fbdraw: X Y W H must be integers in 0..8192, FRAMES in 1..100000\n");
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: fbdraw [X Y W H [FRAMES]]\n");
        return 2;
    }

    int fd = open("/dev/fb0", O_RDWR);
    if (fd < 0) {
        perror("fbdraw: /dev/fb0");
        return 1;
    }
    struct fb_var_screeninfo var;
    struct fb_fix_screeninfo fix;
    if (ioctl(fd, FBIOGET_VSCREENINFO, &var) < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0) {
        perror("fbdraw: FBIOGET_*SCREENINFO");
        return 1;
    }
    if (var.bits_per_pixel != 32) {
        fprintf(stderr, "fbdraw: %u bits per pixel, only 32 is supported\n", var.bits_per_pixel);
        return 1;
    }
    if (x + w > (long)var.xres || y + h > (long)var.yres) {
        fprintf(stderr, "fbdraw: %ldx%ld at %ld,%ld does not fit %ux%u\n", w, h, x, y,
                var.xres, var.yres);
        return 1;
    }

    uint32_t *row = calloc((size_t)w ? (size_t)w : 1, sizeof(*row));
    if (row == NULL) {
        fprintf(stderr, "fbdraw: out of memory\n");
        return 1;
    }
    for (long f = 0; f < frames; f++) {
        if (f > 0)
            usleep(40 * 1000);
        for (long j = 0; j < h; j++) {
            for (long i = 0; i < w; i++)
                row[i] = pattern_pixel(&var, f, i, j);
            /* The visible screen starts at the pan offset (0,0 under fbcon, but be exact). */
            off_t at = (off_t)(var.yoffset + y + j) * fix.line_length +
                       (off_t)(var.xoffset + x) * 4;
            size_t len = (size_t)w * sizeof(*row);
            if (pwrite(fd, row, len, at) != (ssize_t)len) {
                perror("fbdraw: pwrite /dev/fb0");
                return 1;
            }
        }
    }
    free(row);
    close(fd);

    char line[96];
    snprintf(line, sizeof(line), "FBDRAW-DONE %ld %ld %ld %ld %ld\n", x, y, w, h, frames);
    announce(line);
    return 0;
}
