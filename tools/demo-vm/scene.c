/* scene: what the demo guest shows: an animated desktop, or one still image pixel for pixel. */
#include "scene.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "font.h"
#include "input-log.h"
#include "screen.h"
#include "terminal.h"

#define FRAME_MS 40
#define TASKBAR_HEIGHT 30
#define TITLE_HEIGHT 24
/* After the client moves the pointer (tablet or mouse), the cursor follows it this long before wandering again. */
#define FOLLOW_FRAMES 75
#define GRAPH_STEP 2

#define WALLPAPER_TOP 0x1d3b6eu
#define WALLPAPER_BOTTOM 0x2a8c8cu
#define TASKBAR_TOP 0x3a3f47u
#define TASKBAR_BOTTOM 0x23262bu
#define TITLE_LEFT 0x2f6fc0u
#define WINDOW_FACE 0xe8e8e8u
#define WINDOW_BORDER 0x1a1a1au
#define SHADOW_COLOR 0x10203au
#define GRAPH_BACKGROUND 0x0b1d0bu
#define GRAPH_GRID 0x1f3f1fu
#define GRAPH_FILL 0x2f8f3fu
#define GRAPH_LINE 0x8fff8fu

/* The pointer: 'X' outline, 'o' fill, '.' transparent. Hot spot at the tip (0, 0). */
static const char *const arrow_art[] = {
    "X...........", "XX..........", "XoX.........", "XooX........", "XoooX.......", "XooooX......",
    "XoooooX.....", "XooooooX....", "XoooooooX...", "XooooooooX..", "XoooooooooX.", "XooooooXXXXX",
    "XoooXooX....", "XooXXooX....", "XoX..XooX...", "XX...XooX...", "X.....XooX..", "......XooX..",
    ".......XX...",
};
#define ARROW_WIDTH 12
#define ARROW_HEIGHT ((int)G_N_ELEMENTS(arrow_art))

struct Scene {
    QxlDevice *dev;
    Screen *screen;
    Framebuffer *fb;
    int width, height;
    bool desktop;
    bool frozen;
    char *caption;
    guint timer;
    unsigned tick;

    Terminal *terminal;
    Box clock;
    char clock_text[16];
    Box graph;
    Box graph_label;
    Box taskbar;

    bool cursor_shown;
    int cursor_x, cursor_y;
    uint64_t input_serial;
    unsigned input_tick;
};

/* ---- painting on the framebuffer (no commands) ---- */

static void paint_wallpaper(Scene *scene)
{
    Framebuffer *fb = scene->fb;
    int h = scene->height - TASKBAR_HEIGHT;
    for (int y = 0; y < h; y++) {
        uint32_t *row = fb->pixels + (size_t)y * fb->width;
        for (int x = 0; x < scene->width; x++) {
            /* Diagonal gradient with soft rings, so it is not a flat colour. */
            int t = (x * 256 / scene->width + y * 256 / MAX(h, 1)) / 2;
            double dx = x - scene->width * 0.8, dy = y - h * 0.85;
            double ring = 0.5 + 0.5 * sin(sqrt(dx * dx + dy * dy) / 18.0);
            uint32_t base = color_mix(WALLPAPER_TOP, WALLPAPER_BOTTOM, t);
            row[x] = color_mix(base, 0x3aa6b0u, (int)(ring * 40));
        }
    }
    /* Bottom left, where no window covers it (on tall enough screens: the icons are above). */
    const char *logo = "SPICE";
    int scale = MAX(scene->width / 110, 2);
    if (h < 560) {
        return;
    }
    fb_text(fb, scene->width * 4 / 100, h - FONT_GLYPH_HEIGHT * scale - 16, logo, 0x4a7ab0u, scale);
}

/* A window frame with a shadow, a title bar and its three buttons; returns the client area. */
static Box paint_window(Scene *scene, Box win, const char *title)
{
    Framebuffer *fb = scene->fb;
    fb_fill(fb, (Box){ win.x + 6, win.y + 6, win.w, win.h }, SHADOW_COLOR);
    fb_fill(fb, win, WINDOW_FACE);
    fb_frame(fb, win, WINDOW_BORDER);
    Box bar = { win.x + 1, win.y + 1, win.w - 2, TITLE_HEIGHT };
    for (int x = 0; x < bar.w; x++) {
        fb_gradient(fb, (Box){ bar.x + x, bar.y, 1, bar.h }, color_mix(TITLE_LEFT, 0x6fa8e8u, x * 256 / bar.w),
                    color_mix(TITLE_LEFT, 0x1f4f90u, x * 256 / bar.w));
    }
    fb_text(fb, bar.x + 8, bar.y + 4, title, 0xffffffu, 2);
    static const uint32_t button_colors[] = { 0xe0c040u, 0x50c050u, 0xe05050u };
    for (int i = 0; i < 3; i++) {
        Box button = { bar.x + bar.w - (3 - i) * 20, bar.y + 5, 14, 14 };
        fb_fill(fb, button, button_colors[i]);
        fb_frame(fb, button, 0x303030u);
    }
    return (Box){ win.x + 4, win.y + TITLE_HEIGHT + 4, win.w - 8, win.h - TITLE_HEIGHT - 8 };
}

static void paint_taskbar(Scene *scene)
{
    Framebuffer *fb = scene->fb;
    Box bar = scene->taskbar;
    fb_gradient(fb, bar, TASKBAR_TOP, TASKBAR_BOTTOM);
    fb_fill(fb, (Box){ bar.x, bar.y, bar.w, 1 }, 0x6a707au);
    Box start = { bar.x + 4, bar.y + 4, 76, bar.h - 8 };
    fb_gradient(fb, start, 0x4caf50u, 0x2e7d32u);
    fb_frame(fb, start, 0x1b4d1eu);
    fb_text(fb, start.x + 8, start.y + 4, "Start", 0xffffffu, 2);
    static const char *const tasks[] = { "Terminal", "Monitor", "About" };
    int x = start.x + start.w + 8;
    for (size_t i = 0; i < G_N_ELEMENTS(tasks); i++) {
        int w = fb_text_width(tasks[i], 2) + 16;
        if (x + w > scene->clock.x - 8) {
            break;
        }
        Box button = { x, bar.y + 4, w, bar.h - 8 };
        fb_fill(fb, button, i == 0 ? 0x555d69u : 0x454b55u);
        fb_frame(fb, button, 0x2a2e34u);
        fb_text(fb, button.x + 8, button.y + 4, tasks[i], 0xf0f0f0u, 2);
        x += w + 4;
    }
}

static void paint_clock(Scene *scene)
{
    Framebuffer *fb = scene->fb;
    Box box = scene->clock;
    fb_gradient(fb, (Box){ box.x, scene->taskbar.y, box.w, scene->taskbar.h }, TASKBAR_TOP, TASKBAR_BOTTOM);
    fb_fill(fb, (Box){ box.x, scene->taskbar.y, box.w, 1 }, 0x6a707au);
    fb_text(fb, box.x + 4, box.y + 3, scene->clock_text, 0xffffffu, 2);
}

static void paint_about(Scene *scene, Box body)
{
    Framebuffer *fb = scene->fb;
    char *display = g_strdup_printf("Display %dx%d", scene->width, scene->height);
    const char *lines[] = {
        "SPICE demo VM", "", display, scene->caption, "", "Keys, mouse and", "tablet events go", "to stdout.",
    };
    int widest = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
        widest = MAX(widest, fb_text_width(lines[i], 1));
    }
    int scale = widest * 2 + 16 <= body.w ? 2 : 1;
    int y = body.y + 6;
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
        if (y + FONT_CELL_HEIGHT * scale > body.y + body.h - 24) {
            break;
        }
        fb_text(fb, body.x + 8, y, lines[i], i == 0 ? 0x1f4f90u : 0x202020u, scale);
        y += FONT_CELL_HEIGHT * scale;
    }
    g_free(display);
    /* Colour swatches: the primaries and greys make colour mistakes obvious. */
    static const uint32_t swatches[] = { 0xff0000u, 0x00ff00u, 0x0000ffu, 0xffff00u, 0x00ffffu, 0xff00ffu,
                                         0xffffffu, 0x808080u, 0x000000u };
    int n = (int)G_N_ELEMENTS(swatches);
    int w = (body.w - 16) / n;
    for (int i = 0; i < n; i++) {
        fb_fill(fb, (Box){ body.x + 8 + i * w, body.y + body.h - 22, w - 2, 16 }, swatches[i]);
    }
}

static void paint_icons(Scene *scene, Box area)
{
    static const char *const names[] = { "Home", "Trash", "Photos" };
    static const uint32_t colors[] = { 0xe8b84au, 0x9aa3adu, 0xd0704au };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        int x = area.x + (int)i * 96;
        if (x + 64 > area.x + area.w || area.h < 70) {
            break;
        }
        Box icon = { x + 12, area.y, 40, 36 };
        fb_fill(scene->fb, icon, colors[i]);
        fb_frame(scene->fb, icon, 0x202020u);
        fb_fill(scene->fb, (Box){ icon.x + 4, icon.y + 4, 14, 6 }, color_mix(colors[i], 0xffffffu, 120));
        int tw = fb_text_width(names[i], 2);
        fb_text(scene->fb, x + 32 - tw / 2, icon.y + icon.h + 6, names[i], 0xffffffu, 2);
    }
}

static void update_clock_text(Scene *scene)
{
    GDateTime *now = g_date_time_new_now_local();
    char *text = g_date_time_format(now, "%H:%M:%S");
    g_strlcpy(scene->clock_text, text, sizeof(scene->clock_text));
    g_free(text);
    g_date_time_unref(now);
}

static void layout_and_paint(Scene *scene)
{
    const int w = scene->width, h = scene->height;
    scene->taskbar = (Box){ 0, h - TASKBAR_HEIGHT, w, TASKBAR_HEIGHT };
    int clock_w = fb_text_width("00:00:00", 2) + 8;
    scene->clock = (Box){ w - clock_w - 8, h - TASKBAR_HEIGHT + 4, clock_w, TASKBAR_HEIGHT - 6 };
    update_clock_text(scene);

    paint_wallpaper(scene);
    paint_taskbar(scene);
    paint_clock(scene);

    const int desk_h = h - TASKBAR_HEIGHT;
    Box term_win = { w * 4 / 100, desk_h * 6 / 100, w * 56 / 100, desk_h * 60 / 100 };
    Box term_body = paint_window(scene, term_win, "Terminal");
    int term_scale = term_body.w >= 40 * FONT_CELL_WIDTH * 2 ? 2 : 1;
    scene->terminal = terminal_new(scene->screen, term_body, term_scale);
    terminal_paint(scene->terminal);

    Box mon_win = { w * 63 / 100, desk_h * 6 / 100, w * 33 / 100, desk_h * 36 / 100 };
    Box mon_body = paint_window(scene, mon_win, "Monitor");
    fb_fill(scene->fb, mon_body, WINDOW_FACE);
    scene->graph_label = (Box){ mon_body.x + 6, mon_body.y + 4, mon_body.w - 12, FONT_CELL_HEIGHT * 2 };
    fb_text(scene->fb, scene->graph_label.x, scene->graph_label.y, "CPU", 0x202020u, 2);
    scene->graph = (Box){ mon_body.x + 6, mon_body.y + 8 + FONT_CELL_HEIGHT * 2, mon_body.w - 12,
                          mon_body.h - 14 - FONT_CELL_HEIGHT * 2 };
    scene->graph.w -= scene->graph.w % GRAPH_STEP;
    fb_fill(scene->fb, scene->graph, GRAPH_BACKGROUND);

    Box about_win = { w * 63 / 100, desk_h * 48 / 100, w * 33 / 100, desk_h * 42 / 100 };
    paint_about(scene, paint_window(scene, about_win, "About"));

    paint_icons(scene, (Box){ term_win.x, term_win.y + term_win.h + 24, term_win.w,
                              desk_h - (term_win.y + term_win.h + 24) });
}

/* ---- animation: each step draws and sends only what changed ---- */

static double cpu_load(unsigned tick)
{
    double t = tick;
    double v = 0.45 + 0.25 * sin(t / 23.0) + 0.12 * sin(t / 5.1) + 0.06 * sin(t * 1.7);
    return CLAMP(v, 0.02, 0.98);
}

static void graph_step(Scene *scene)
{
    Box g = scene->graph;
    if (g.w <= GRAPH_STEP * 2 || g.h < 8) {
        return;
    }
    screen_scroll(scene->screen, (Box){ g.x, g.y, g.w - GRAPH_STEP, g.h }, g.x + GRAPH_STEP, g.y);
    Box column = { g.x + g.w - GRAPH_STEP, g.y, GRAPH_STEP, g.h };
    bool vertical_grid = (scene->tick * GRAPH_STEP) % 40 < GRAPH_STEP;
    fb_fill(scene->fb, column, vertical_grid ? GRAPH_GRID : GRAPH_BACKGROUND);
    for (int y = g.y + g.h - 1; y >= g.y; y -= 20) {
        fb_fill(scene->fb, (Box){ column.x, y, GRAPH_STEP, 1 }, GRAPH_GRID);
    }
    int level = (int)(cpu_load(scene->tick) * g.h);
    fb_fill(scene->fb, (Box){ column.x, g.y + g.h - level, GRAPH_STEP, level }, GRAPH_FILL);
    fb_fill(scene->fb, (Box){ column.x, g.y + g.h - level, GRAPH_STEP, 2 }, GRAPH_LINE);
    screen_update(scene->screen, column);

    if (scene->tick % 10 == 0) {
        Box label = scene->graph_label;
        char text[32];
        g_snprintf(text, sizeof(text), "CPU %3d%%", (int)(cpu_load(scene->tick) * 100));
        fb_fill(scene->fb, label, WINDOW_FACE);
        fb_text(scene->fb, label.x, label.y, text, 0x202020u, 2);
        screen_update(scene->screen, (Box){ label.x, label.y, MIN(label.w, fb_text_width(text, 2)), label.h });
    }
}

static void clock_step(Scene *scene)
{
    char before[sizeof(scene->clock_text)];
    g_strlcpy(before, scene->clock_text, sizeof(before));
    update_clock_text(scene);
    if (strcmp(before, scene->clock_text) != 0) {
        paint_clock(scene);
        screen_update(scene->screen, (Box){ scene->clock.x, scene->taskbar.y, scene->clock.w, scene->taskbar.h });
    }
}

static void cursor_shape(uint32_t argb[ARROW_WIDTH * ARROW_HEIGHT])
{
    for (int y = 0; y < ARROW_HEIGHT; y++) {
        for (int x = 0; x < ARROW_WIDTH; x++) {
            char c = arrow_art[y][x];
            argb[y * ARROW_WIDTH + x] = c == 'X' ? 0xff000000u : c == 'o' ? 0xffffffffu : 0;
        }
    }
}

static void cursor_step(Scene *scene)
{
    int x, y;
    uint64_t serial = input_log_pointer_position(&x, &y);
    if (serial != scene->input_serial) {
        scene->input_serial = serial;
        scene->input_tick = scene->tick;
    }
    bool following = scene->input_serial != 0 && scene->tick - scene->input_tick < FOLLOW_FRAMES;
    if (!following && !scene->desktop) {
        /* A still image: the arrow stays where it is. */
        x = scene->cursor_x;
        y = scene->cursor_y;
    } else if (!following) {
        double t = scene->tick;
        int desk_h = scene->height - TASKBAR_HEIGHT;
        x = (int)(scene->width / 2 + scene->width * 0.35 * sin(t * 0.013));
        y = (int)(desk_h / 2 + desk_h * 0.35 * sin(t * 0.021 + 0.5));
    }
    x = CLAMP(x, 0, scene->width - 1);
    y = CLAMP(y, 0, scene->height - 1);
    if (!following) {
        input_log_set_pointer_position(x, y);
    }
    if (!scene->cursor_shown) {
        uint32_t argb[ARROW_WIDTH * ARROW_HEIGHT];
        cursor_shape(argb);
        scene->cursor_shown = qxl_device_cursor_set(scene->dev, (int16_t)x, (int16_t)y, ARROW_WIDTH,
                                                    ARROW_HEIGHT, 0, 0, argb);
        if (scene->cursor_shown) {
            scene->cursor_x = x;
            scene->cursor_y = y;
        }
        return;
    }
    if (x != scene->cursor_x || y != scene->cursor_y) {
        /* A full cursor ring just drops this position; the next frame sends a newer one. */
        if (qxl_device_cursor_move(scene->dev, (int16_t)x, (int16_t)y)) {
            scene->cursor_x = x;
            scene->cursor_y = y;
        }
    }
}

static gboolean frame(gpointer data)
{
    Scene *scene = data;
    if (scene->frozen) {
        screen_flush(scene->screen);
        return G_SOURCE_CONTINUE;
    }
    scene->tick++;
    if (scene->desktop) {
        terminal_tick(scene->terminal, scene->tick);
        graph_step(scene);
        clock_step(scene);
    }
    cursor_step(scene);
    screen_flush(scene->screen);
    return G_SOURCE_CONTINUE;
}

/* ---- lifecycle ---- */

static Scene *scene_new(QxlDevice *dev, int width, int height)
{
    Scene *scene = g_new0(Scene, 1);
    scene->dev = dev;
    scene->width = width;
    scene->height = height;
    scene->screen = screen_new(dev, width, height);
    scene->fb = screen_framebuffer(scene->screen);
    return scene;
}

Scene *scene_new_desktop(QxlDevice *dev, int width, int height, const char *caption)
{
    Scene *scene = scene_new(dev, width, height);
    scene->desktop = true;
    scene->caption = g_strdup(caption);
    layout_and_paint(scene);
    return scene;
}

Scene *scene_new_image(QxlDevice *dev, const uint32_t *pixels, int width, int height)
{
    Scene *scene = scene_new(dev, width, height);
    memcpy(scene->fb->pixels, pixels, (size_t)width * height * 4);
    return scene;
}

void scene_start(Scene *scene)
{
    screen_update(scene->screen, (Box){ 0, 0, scene->width, scene->height });
    scene->cursor_x = scene->width / 2;
    scene->cursor_y = scene->height / 2;
    cursor_step(scene);
    screen_flush(scene->screen);
    scene->timer = g_timeout_add(FRAME_MS, frame, scene);
}

void scene_redraw(Scene *scene)
{
    screen_update(scene->screen, (Box){ 0, 0, scene->width, scene->height });
    screen_flush(scene->screen);
}

void scene_show_image(Scene *scene, const uint32_t *pixels)
{
    memcpy(scene->fb->pixels, pixels, (size_t)scene->width * scene->height * 4);
    scene_redraw(scene);
}

void scene_xor(Scene *scene, int x, int y, int w, int h, uint32_t color)
{
    screen_xor(scene->screen, (Box){ x, y, w, h }, color);
    screen_flush(scene->screen);
}

void scene_scroll_up(Scene *scene, int rows)
{
    if (rows <= 0 || rows >= scene->height) {
        return;
    }
    screen_scroll(scene->screen, (Box){ 0, 0, scene->width, scene->height - rows }, 0, rows);
    screen_fill(scene->screen, (Box){ 0, scene->height - rows, scene->width, rows }, 0);
    screen_flush(scene->screen);
}

void scene_freeze(Scene *scene)
{
    scene->frozen = true;
}

bool scene_write_ppm(Scene *scene, const char *path)
{
    GString *data = g_string_sized_new((gsize)scene->width * scene->height * 3 + 32);
    g_string_append_printf(data, "P6\n%d %d\n255\n", scene->width, scene->height);
    const uint32_t *pixels = scene->fb->pixels;
    for (size_t i = 0; i < (size_t)scene->width * scene->height; i++) {
        char rgb[3] = { (char)(pixels[i] >> 16), (char)(pixels[i] >> 8), (char)pixels[i] };
        g_string_append_len(data, rgb, 3);
    }
    GError *error = NULL;
    bool ok = g_file_set_contents(path, data->str, (gssize)data->len, &error);
    if (!ok) {
        fprintf(stderr, "spice-demo-vm: cannot write the frame to %s: %s (check the directory)\n", path, error->message);
        g_error_free(error);
    }
    g_string_free(data, TRUE);
    return ok;
}

void scene_stop(Scene *scene)
{
    if (scene->timer != 0) {
        g_source_remove(scene->timer);
        scene->timer = 0;
    }
}

void scene_free(Scene *scene)
{
    if (scene == NULL) {
        return;
    }
    scene_stop(scene);
    terminal_free(scene->terminal);
    screen_free(scene->screen);
    g_free(scene->caption);
    g_free(scene);
}
