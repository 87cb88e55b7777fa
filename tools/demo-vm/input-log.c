/* input-log: keyboard, mouse and tablet instances that print every input event as one stdout line. */
#include "input-log.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>

static GMutex input_lock;
/* Guarded by input_lock. */
static uint8_t key_prefix;     /* 0xe0 / 0xe1 while a multi-byte code is being assembled */
static uint8_t key_bytes[2];   /* bytes after the prefix so far */
static unsigned key_count;
static int tablet_width, tablet_height;
static int pointer_x, pointer_y;
static uint64_t pointer_serial;

static void G_GNUC_PRINTF(1, 2) print_line(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    flockfile(stdout);
    vfprintf(stdout, format, args);
    fputc('\n', stdout);
    fflush(stdout);
    funlockfile(stdout);
    va_end(args);
}

/* ---- keyboard: the library pushes set-1 scan codes one byte at a time ---- */

static void kbd_push_scan(SpiceKbdInstance *sin, uint8_t scancode)
{
    g_mutex_lock(&input_lock);
    if (key_prefix == 0 && (scancode == 0xe0 || scancode == 0xe1)) {
        key_prefix = scancode;
        key_count = 0;
        g_mutex_unlock(&input_lock);
        return;
    }
    unsigned needed = key_prefix == 0xe1 ? 2 : 1;
    key_bytes[key_count++] = scancode;
    if (key_count < needed) {
        g_mutex_unlock(&input_lock);
        return;
    }
    /* A release has bit 7 set (for Pause, on both bytes); the line names the make code. */
    bool release = (key_bytes[key_count - 1] & 0x80) != 0;
    unsigned code = 0;
    if (key_prefix != 0) {
        code = key_prefix;
    }
    for (unsigned i = 0; i < key_count; i++) {
        code = (code << 8) | (key_bytes[i] & 0x7f);
    }
    int digits = key_prefix == 0 ? 2 : key_prefix == 0xe0 ? 4 : 6;
    key_prefix = 0;
    key_count = 0;
    print_line("input %s 0x%0*x", release ? "key-up" : "key-down", digits, code);
    g_mutex_unlock(&input_lock);
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin)
{
    return 0;
}

static const SpiceKbdInterface kbd_interface = {
    .base = {
        .type = SPICE_INTERFACE_KEYBOARD,
        .description = "spice-demo-vm keyboard",
        .major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
        .minor_version = SPICE_INTERFACE_KEYBOARD_MINOR,
    },
    .push_scan_freg = kbd_push_scan,
    .get_leds = kbd_get_leds,
};

/* ---- relative mouse (server mouse mode) ---- */

static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons_state)
{
    g_mutex_lock(&input_lock);
    if (dx != 0 || dy != 0) {
        /* 64-bit sums: a client may send any 32-bit delta. */
        pointer_x = (int)CLAMP((int64_t)pointer_x + dx, 0, tablet_width > 0 ? tablet_width - 1 : G_MAXINT / 2);
        pointer_y = (int)CLAMP((int64_t)pointer_y + dy, 0, tablet_height > 0 ? tablet_height - 1 : G_MAXINT / 2);
        pointer_serial++;
    }
    if (dx != 0 || dy != 0 || dz == 0) {
        print_line("input mouse-motion %d %d %u", dx, dy, buttons_state);
    }
    if (dz != 0) {
        print_line("input mouse-wheel %d %u", dz, buttons_state);
    }
    g_mutex_unlock(&input_lock);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons_state)
{
    g_mutex_lock(&input_lock);
    print_line("input mouse-buttons %u", buttons_state);
    g_mutex_unlock(&input_lock);
}

static const SpiceMouseInterface mouse_interface = {
    .base = {
        .type = SPICE_INTERFACE_MOUSE,
        .description = "spice-demo-vm mouse",
        .major_version = SPICE_INTERFACE_MOUSE_MAJOR,
        .minor_version = SPICE_INTERFACE_MOUSE_MINOR,
    },
    .motion = mouse_motion,
    .buttons = mouse_buttons,
};

/* ---- tablet (client mouse mode) ---- */

static void tablet_set_logical_size(SpiceTabletInstance *sin, int width, int height)
{
    g_mutex_lock(&input_lock);
    tablet_width = width;
    tablet_height = height;
    g_mutex_unlock(&input_lock);
    g_debug("tablet logical size %dx%d", width, height);
}

static void tablet_position(SpiceTabletInstance *sin, int x, int y, uint32_t buttons_state)
{
    g_mutex_lock(&input_lock);
    pointer_x = x;
    pointer_y = y;
    pointer_serial++;
    print_line("input tablet-position %d %d %u", x, y, buttons_state);
    g_mutex_unlock(&input_lock);
}

static void tablet_wheel(SpiceTabletInstance *sin, int wheel_motion, uint32_t buttons_state)
{
    g_mutex_lock(&input_lock);
    pointer_serial++;
    print_line("input tablet-wheel %d %u", wheel_motion, buttons_state);
    g_mutex_unlock(&input_lock);
}

static void tablet_buttons(SpiceTabletInstance *sin, uint32_t buttons_state)
{
    g_mutex_lock(&input_lock);
    pointer_serial++;
    print_line("input tablet-buttons %u", buttons_state);
    g_mutex_unlock(&input_lock);
}

static const SpiceTabletInterface tablet_interface = {
    .base = {
        .type = SPICE_INTERFACE_TABLET,
        .description = "spice-demo-vm tablet",
        .major_version = SPICE_INTERFACE_TABLET_MAJOR,
        .minor_version = SPICE_INTERFACE_TABLET_MINOR,
    },
    .set_logical_size = tablet_set_logical_size,
    .position = tablet_position,
    .wheel = tablet_wheel,
    .buttons = tablet_buttons,
};

static SpiceKbdInstance keyboard_instance = { .base = { .sif = &kbd_interface.base } };
static SpiceMouseInstance mouse_instance = { .base = { .sif = &mouse_interface.base } };
static SpiceTabletInstance tablet_instance = { .base = { .sif = &tablet_interface.base } };

SpiceKbdInstance *input_log_keyboard(void)
{
    return &keyboard_instance;
}

SpiceMouseInstance *input_log_mouse(void)
{
    return &mouse_instance;
}

SpiceTabletInstance *input_log_tablet(void)
{
    return &tablet_instance;
}

uint64_t input_log_pointer_position(int *x, int *y)
{
    g_mutex_lock(&input_lock);
    *x = pointer_x;
    *y = pointer_y;
    uint64_t serial = pointer_serial;
    g_mutex_unlock(&input_lock);
    return serial;
}

void input_log_set_pointer_position(int x, int y)
{
    g_mutex_lock(&input_lock);
    pointer_x = x;
    pointer_y = y;
    g_mutex_unlock(&input_lock);
}
