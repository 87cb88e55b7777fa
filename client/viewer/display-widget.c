/* display-widget: a GtkDrawingArea showing one SPICE display, scaled or zoomed, and its mouse. */
#include "display-widget.h"

#include <math.h>

#include <spice/enums.h>

#define MIN_ZOOM 10
#define MAX_ZOOM 400

struct DisplayWidget {
    GtkWidget *area;              /* strong ref: we hold it until free */
    SpiceClientSession *session;  /* borrowed */
    cairo_surface_t *stale;       /* owned: the last picture of a lost session */
    int zoom_pct;                 /* 0: scale to widget */
    int guest_w, guest_h;         /* size last seen, 0 when none */

    /* The transform of the last draw: widget = offset + guest * scale. */
    double scale, off_x, off_y;

    uint32_t buttons;             /* SPICE_MOUSE_BUTTON_MASK_* held */
    bool inside;                  /* the pointer is over the widget */
    bool grabbed;                 /* keyboard grab (and pointer in server mode) */
    bool pointer_grabbed;
    bool warping;                 /* the next motion to the centre is our own warp */
    GdkCursor *guest_cursor;      /* owned: client mode's cursor shape */
    GdkCursor *blank_cursor;      /* owned */

    DisplayGrabChanged grab_cb;
    void *grab_user;
};

/* ---- the picture ---- */

/* The session's primary as a cairo surface sharing its pixels when the format allows, else a
 * converted copy. Caller unrefs. NULL when there is none. */
static cairo_surface_t *primary_surface(DisplayWidget *dw)
{
    if (dw->session == NULL) {
        return NULL;
    }
    pixman_image_t *img = spice_client_session_get_primary(dw->session, 0);
    if (img == NULL) {
        return NULL;
    }
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    int stride = pixman_image_get_stride(img);
    pixman_format_code_t fmt = pixman_image_get_format(img);
    /* A primary's alpha byte carries nothing meaningful, so 32-bit formats show as RGB24. */
    if ((fmt == PIXMAN_x8r8g8b8 || fmt == PIXMAN_a8r8g8b8) && w > 0 && h > 0
        && stride >= cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, w)) {
        return cairo_image_surface_create_for_data((unsigned char *)pixman_image_get_data(img),
                                                   CAIRO_FORMAT_RGB24, w, h, stride);
    }
    cairo_surface_t *copy = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(copy) != CAIRO_STATUS_SUCCESS) {
        return copy;
    }
    cairo_surface_flush(copy);
    pixman_image_t *dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h,
                                                   (uint32_t *)(void *)cairo_image_surface_get_data(copy),
                                                   cairo_image_surface_get_stride(copy));
    if (dst != NULL) {
        pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, dst, 0, 0, 0, 0, 0, 0, w, h);
        pixman_image_unref(dst);
    }
    cairo_surface_mark_dirty(copy);
    return copy;
}

/* What to draw now: the live picture, else the stale one (ref'd). */
static cairo_surface_t *current_surface(DisplayWidget *dw, bool *stale)
{
    cairo_surface_t *s = primary_surface(dw);
    *stale = false;
    if (s == NULL && dw->stale != NULL) {
        *stale = true;
        s = cairo_surface_reference(dw->stale);
    }
    return s;
}

cairo_surface_t *display_widget_snapshot(DisplayWidget *dw)
{
    bool stale;
    cairo_surface_t *s = current_surface(dw, &stale);
    if (s == NULL) {
        return NULL;
    }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    cairo_surface_t *copy = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(copy);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_paint(cr);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return copy;
}

bool display_widget_guest_size(DisplayWidget *dw, int *width, int *height)
{
    *width = dw->guest_w;
    *height = dw->guest_h;
    return dw->guest_w > 0 && dw->guest_h > 0;
}

static void compute_transform(DisplayWidget *dw, int widget_w, int widget_h, int w, int h)
{
    double s;
    if (dw->zoom_pct > 0) {
        s = dw->zoom_pct / 100.0;
    } else {
        s = fmin((double)widget_w / w, (double)widget_h / h);
        if (!(s > 0)) {
            s = 1;
        }
    }
    dw->scale = s;
    /* Whole-pixel offsets, so 100% is an exact copy of the guest's pixels. */
    dw->off_x = floor((widget_w - w * s) / 2);
    dw->off_y = floor((widget_h - h * s) / 2);
}

static void draw_server_cursor(DisplayWidget *dw, cairo_t *cr)
{
    SpiceClientCursor cur;
    if (dw->session == NULL || spice_client_session_get_mouse_mode(dw->session) != SPICE_CLIENT_MOUSE_MODE_SERVER
        || !spice_client_session_get_cursor(dw->session, &cur) || !cur.visible || cur.shape == NULL
        || pixman_image_get_format(cur.shape) != PIXMAN_a8r8g8b8) {
        return;
    }
    cairo_surface_t *shape = cairo_image_surface_create_for_data(
        (unsigned char *)pixman_image_get_data(cur.shape), CAIRO_FORMAT_ARGB32,
        pixman_image_get_width(cur.shape), pixman_image_get_height(cur.shape),
        pixman_image_get_stride(cur.shape));
    cairo_save(cr);
    cairo_set_source_surface(cr, shape, cur.x - cur.hot_x, cur.y - cur.hot_y);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(shape);
}

static gboolean on_draw(GtkWidget *widget, cairo_t *cr, gpointer user)
{
    DisplayWidget *dw = user;
    int ww = gtk_widget_get_allocated_width(widget), wh = gtk_widget_get_allocated_height(widget);
    bool stale;
    cairo_surface_t *s = current_surface(dw, &stale);
    if (s == NULL || cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
        cairo_paint(cr);
        if (s != NULL) {
            cairo_surface_destroy(s);
        }
        return TRUE;
    }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    compute_transform(dw, ww, wh, w, h);
    /* Letterbox bars only where the picture is not. */
    cairo_save(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_rectangle(cr, 0, 0, ww, wh);
    cairo_rectangle(cr, dw->off_x, dw->off_y, w * dw->scale, h * dw->scale);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_fill(cr);
    cairo_restore(cr);

    cairo_save(cr);
    cairo_translate(cr, dw->off_x, dw->off_y);
    cairo_scale(cr, dw->scale, dw->scale);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_clip(cr);
    cairo_set_source_surface(cr, s, 0, 0);
    /* Whole-number factors stay sharp (nearest); anything else is filtered. */
    double integral = dw->scale >= 1 && fabs(dw->scale - round(dw->scale)) < 1e-9;
    cairo_pattern_set_filter(cairo_get_source(cr), integral ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_paint(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_OVER);
    if (!stale) {
        draw_server_cursor(dw, cr);
    } else {
        cairo_set_source_rgba(cr, 0, 0, 0, 0.5);
        cairo_paint(cr);
    }
    cairo_restore(cr);
    cairo_surface_destroy(s);
    return TRUE;
}

static void update_size_request(DisplayWidget *dw)
{
    if (dw->zoom_pct > 0 && dw->guest_w > 0) {
        gtk_widget_set_size_request(dw->area, (int)lround(dw->guest_w * dw->zoom_pct / 100.0),
                                    (int)lround(dw->guest_h * dw->zoom_pct / 100.0));
    } else {
        gtk_widget_set_size_request(dw->area, 64, 48);
    }
}

void display_widget_display_changed(DisplayWidget *dw)
{
    pixman_image_t *img = dw->session ? spice_client_session_get_primary(dw->session, 0) : NULL;
    int w = img ? pixman_image_get_width(img) : 0, h = img ? pixman_image_get_height(img) : 0;
    if (img != NULL && (w != dw->guest_w || h != dw->guest_h)) {
        dw->guest_w = w;
        dw->guest_h = h;
        update_size_request(dw);
    }
    /* The library reports no damage rectangles, so the whole area is invalidated; GTK merges
     * every invalidation of a frame into one draw. */
    gtk_widget_queue_draw(dw->area);
}

void display_widget_set_zoom(DisplayWidget *dw, int zoom_pct)
{
    if (zoom_pct != 0) {
        zoom_pct = CLAMP(zoom_pct, MIN_ZOOM, MAX_ZOOM);
    }
    dw->zoom_pct = zoom_pct;
    update_size_request(dw);
    gtk_widget_queue_draw(dw->area);
}

int display_widget_get_zoom(const DisplayWidget *dw)
{
    return dw->zoom_pct;
}

void display_widget_set_session(DisplayWidget *dw, SpiceClientSession *session)
{
    if (dw->session == session) {
        return;
    }
    if (dw->session != NULL) {
        /* The live surface's pixels go away with the session: keep a copy to show greyed. */
        cairo_surface_t *copy = display_widget_snapshot(dw);
        if (copy != NULL) {
            if (dw->stale != NULL) {
                cairo_surface_destroy(dw->stale);
            }
            dw->stale = copy;
        }
    }
    dw->session = session;
    dw->buttons = 0;
    if (session == NULL) {
        display_widget_ungrab(dw);
    }
    display_widget_cursor_changed(dw);
    gtk_widget_queue_draw(dw->area);
}

/* ---- grab ---- */

static void notify_grab(DisplayWidget *dw)
{
    if (dw->grab_cb) {
        dw->grab_cb(dw, dw->grabbed, dw->grab_user);
    }
}

static bool server_mode(const DisplayWidget *dw)
{
    return dw->session != NULL
        && spice_client_session_get_mouse_mode(dw->session) == SPICE_CLIENT_MOUSE_MODE_SERVER;
}

static GdkCursor *local_cursor(DisplayWidget *dw)
{
    if (dw->pointer_grabbed) {
        return dw->blank_cursor;
    }
    return server_mode(dw) ? NULL : dw->guest_cursor;
}

void display_widget_grab(DisplayWidget *dw, bool pointer)
{
    GdkWindow *win = gtk_widget_get_window(dw->area);
    if (win == NULL || g_getenv("SPICE_NOGRAB") != NULL) {
        return;
    }
    pointer = pointer && server_mode(dw);
    if (dw->grabbed && dw->pointer_grabbed == pointer) {
        return;
    }
    GdkSeat *seat = gdk_display_get_default_seat(gtk_widget_get_display(dw->area));
    if (dw->grabbed) {
        gdk_seat_ungrab(seat);
    }
    if (dw->blank_cursor == NULL) {
        dw->blank_cursor = gdk_cursor_new_for_display(gtk_widget_get_display(dw->area), GDK_BLANK_CURSOR);
    }
    GdkSeatCapabilities caps = pointer ? GDK_SEAT_CAPABILITY_ALL : GDK_SEAT_CAPABILITY_KEYBOARD;
    GdkGrabStatus st = gdk_seat_grab(seat, win, caps, TRUE, pointer ? dw->blank_cursor : NULL,
                                     NULL, NULL, NULL);
    if (st != GDK_GRAB_SUCCESS) {
        g_debug("grab failed (%d); keys still reach the guest while the window has focus", st);
        dw->grabbed = false;
        dw->pointer_grabbed = false;
        notify_grab(dw);
        return;
    }
    dw->grabbed = true;
    dw->pointer_grabbed = pointer;
    gdk_window_set_cursor(win, local_cursor(dw));
    notify_grab(dw);
}

void display_widget_ungrab(DisplayWidget *dw)
{
    if (!dw->grabbed) {
        return;
    }
    gdk_seat_ungrab(gdk_display_get_default_seat(gtk_widget_get_display(dw->area)));
    dw->grabbed = false;
    dw->pointer_grabbed = false;
    GdkWindow *win = gtk_widget_get_window(dw->area);
    if (win != NULL) {
        gdk_window_set_cursor(win, local_cursor(dw));
    }
    notify_grab(dw);
}

bool display_widget_grabbed(const DisplayWidget *dw)
{
    return dw->grabbed;
}

bool display_widget_pointer_inside(const DisplayWidget *dw)
{
    return dw->inside;
}

/* ---- cursor ---- */

/* GdkPixbuf wants straight RGBA; the cursor shape is premultiplied ARGB. */
static GdkPixbuf *pixbuf_from_argb(pixman_image_t *img)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    int stride = pixman_image_get_stride(img);
    if (w <= 0 || h <= 0 || w > 512 || h > 512) {
        return NULL;
    }
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, TRUE, 8, w, h);
    if (pb == NULL) {
        return NULL;
    }
    uint8_t *dst = gdk_pixbuf_get_pixels(pb);
    int dst_stride = gdk_pixbuf_get_rowstride(pb);
    const uint8_t *src = (const uint8_t *)pixman_image_get_data(img);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(const void *)(src + (size_t)y * (size_t)stride);
        uint8_t *d = dst + (size_t)y * (size_t)dst_stride;
        for (int x = 0; x < w; x++) {
            uint32_t p = row[x];
            unsigned a = p >> 24;
            unsigned r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
            if (a != 0 && a != 255) {
                r = MIN(255u, r * 255 / a);
                g = MIN(255u, g * 255 / a);
                b = MIN(255u, b * 255 / a);
            }
            d[x * 4] = (uint8_t)r;
            d[x * 4 + 1] = (uint8_t)g;
            d[x * 4 + 2] = (uint8_t)b;
            d[x * 4 + 3] = (uint8_t)a;
        }
    }
    return pb;
}

void display_widget_cursor_changed(DisplayWidget *dw)
{
    g_clear_object(&dw->guest_cursor);
    SpiceClientCursor cur;
    if (dw->session != NULL && spice_client_session_get_cursor(dw->session, &cur)) {
        GdkDisplay *display = gtk_widget_get_display(dw->area);
        if (!cur.visible) {
            dw->guest_cursor = gdk_cursor_new_for_display(display, GDK_BLANK_CURSOR);
        } else if (cur.shape != NULL && pixman_image_get_format(cur.shape) == PIXMAN_a8r8g8b8) {
            GdkPixbuf *pb = pixbuf_from_argb(cur.shape);
            if (pb != NULL) {
                int hx = CLAMP(cur.hot_x, 0, gdk_pixbuf_get_width(pb) - 1);
                int hy = CLAMP(cur.hot_y, 0, gdk_pixbuf_get_height(pb) - 1);
                dw->guest_cursor = gdk_cursor_new_from_pixbuf(display, pb, hx, hy);
                g_object_unref(pb);
            }
        }
    }
    if (dw->grabbed && !server_mode(dw) && dw->pointer_grabbed) {
        /* Client mode needs no pointer grab: keep only the keyboard. */
        display_widget_grab(dw, false);
    }
    GdkWindow *win = gtk_widget_get_window(dw->area);
    if (win != NULL) {
        gdk_window_set_cursor(win, local_cursor(dw));
    }
    if (server_mode(dw)) {
        gtk_widget_queue_draw(dw->area);   /* the cursor is drawn into the picture */
    }
}

/* ---- mouse ---- */

static bool to_guest(const DisplayWidget *dw, double x, double y, int *gx, int *gy)
{
    if (dw->guest_w <= 0 || !(dw->scale > 0)) {
        return false;
    }
    double fx = (x - dw->off_x) / dw->scale, fy = (y - dw->off_y) / dw->scale;
    *gx = CLAMP((int)floor(fx), 0, dw->guest_w - 1);
    *gy = CLAMP((int)floor(fy), 0, dw->guest_h - 1);
    return fx >= 0 && fy >= 0 && fx < dw->guest_w && fy < dw->guest_h;
}

static uint32_t button_mask(int spice_button)
{
    switch (spice_button) {
    case SPICE_MOUSE_BUTTON_LEFT: return SPICE_MOUSE_BUTTON_MASK_LEFT;
    case SPICE_MOUSE_BUTTON_MIDDLE: return SPICE_MOUSE_BUTTON_MASK_MIDDLE;
    case SPICE_MOUSE_BUTTON_RIGHT: return SPICE_MOUSE_BUTTON_MASK_RIGHT;
    case SPICE_MOUSE_BUTTON_SIDE: return SPICE_MOUSE_BUTTON_MASK_SIDE;
    case SPICE_MOUSE_BUTTON_EXTRA: return SPICE_MOUSE_BUTTON_MASK_EXTRA;
    default: return 0;
    }
}

static int spice_button_of(guint gdk_button)
{
    switch (gdk_button) {
    case 1: return SPICE_MOUSE_BUTTON_LEFT;
    case 2: return SPICE_MOUSE_BUTTON_MIDDLE;
    case 3: return SPICE_MOUSE_BUTTON_RIGHT;
    case 8: return SPICE_MOUSE_BUTTON_SIDE;
    case 9: return SPICE_MOUSE_BUTTON_EXTRA;
    default: return SPICE_MOUSE_BUTTON_INVALID;
    }
}

static void warp_to_centre(DisplayWidget *dw, GdkDevice *pointer)
{
    GdkWindow *win = gtk_widget_get_window(dw->area);
    if (win == NULL || pointer == NULL) {
        return;
    }
    int cx = gtk_widget_get_allocated_width(dw->area) / 2, cy = gtk_widget_get_allocated_height(dw->area) / 2;
    int rx, ry;
    gdk_window_get_root_coords(win, cx, cy, &rx, &ry);
    dw->warping = true;
    gdk_device_warp(pointer, gtk_widget_get_screen(dw->area), rx, ry);
}

static gboolean on_motion(GtkWidget *widget, GdkEventMotion *ev, gpointer user)
{
    DisplayWidget *dw = user;
    if (dw->session == NULL) {
        return FALSE;
    }
    if (server_mode(dw)) {
        if (!dw->pointer_grabbed) {
            return FALSE;
        }
        int cx = gtk_widget_get_allocated_width(widget) / 2, cy = gtk_widget_get_allocated_height(widget) / 2;
        int dx = (int)lround(ev->x) - cx, dy = (int)lround(ev->y) - cy;
        if (dw->warping && dx == 0 && dy == 0) {
            dw->warping = false;
            return TRUE;
        }
        if (dx != 0 || dy != 0) {
            spice_client_session_mouse_motion(dw->session, dx, dy, dw->buttons);
            warp_to_centre(dw, ev->device);
        }
        return TRUE;
    }
    int gx, gy;
    if (to_guest(dw, ev->x, ev->y, &gx, &gy) || dw->buttons != 0) {
        spice_client_session_mouse_position(dw->session, 0, gx, gy, dw->buttons);
    }
    return TRUE;
}

static gboolean on_button(GtkWidget *widget, GdkEventButton *ev, gpointer user)
{
    DisplayWidget *dw = user;
    if (ev->type != GDK_BUTTON_PRESS && ev->type != GDK_BUTTON_RELEASE) {
        return TRUE;   /* double/triple clicks arrive as their single presses too */
    }
    gtk_widget_grab_focus(widget);
    if (dw->session == NULL) {
        return FALSE;
    }
    bool pressed = ev->type == GDK_BUTTON_PRESS;
    if (server_mode(dw) && !dw->pointer_grabbed) {
        if (pressed) {
            /* The first click only captures the pointer, as every SPICE client does. */
            display_widget_grab(dw, true);
            warp_to_centre(dw, ev->device);
        }
        return TRUE;
    }
    if (!dw->grabbed && pressed) {
        display_widget_grab(dw, false);
    }
    int button = spice_button_of(ev->button);
    if (button == SPICE_MOUSE_BUTTON_INVALID) {
        return TRUE;
    }
    if (pressed) {
        dw->buttons |= button_mask(button);
    } else {
        dw->buttons &= ~button_mask(button);
    }
    if (!server_mode(dw)) {
        int gx, gy;
        to_guest(dw, ev->x, ev->y, &gx, &gy);
        spice_client_session_mouse_position(dw->session, 0, gx, gy, dw->buttons);
    }
    spice_client_session_mouse_button(dw->session, button, pressed, dw->buttons);
    return TRUE;
}

static gboolean on_scroll(GtkWidget *widget, GdkEventScroll *ev, gpointer user)
{
    DisplayWidget *dw = user;
    if (dw->session == NULL || (server_mode(dw) && !dw->pointer_grabbed)) {
        return FALSE;
    }
    int button;
    if (ev->direction == GDK_SCROLL_UP) {
        button = SPICE_MOUSE_BUTTON_UP;
    } else if (ev->direction == GDK_SCROLL_DOWN) {
        button = SPICE_MOUSE_BUTTON_DOWN;
    } else if (ev->direction == GDK_SCROLL_SMOOTH && ev->delta_y != 0) {
        button = ev->delta_y < 0 ? SPICE_MOUSE_BUTTON_UP : SPICE_MOUSE_BUTTON_DOWN;
    } else {
        return TRUE;
    }
    uint32_t mask = button == SPICE_MOUSE_BUTTON_UP ? SPICE_MOUSE_BUTTON_MASK_UP : SPICE_MOUSE_BUTTON_MASK_DOWN;
    /* A wheel notch is a press and a release of button 4 or 5. */
    spice_client_session_mouse_button(dw->session, button, true, dw->buttons | mask);
    spice_client_session_mouse_button(dw->session, button, false, dw->buttons);
    return TRUE;
}

static gboolean on_crossing(GtkWidget *widget, GdkEventCrossing *ev, gpointer user)
{
    DisplayWidget *dw = user;
    if (ev->detail == GDK_NOTIFY_INFERIOR) {
        return FALSE;
    }
    dw->inside = ev->type == GDK_ENTER_NOTIFY;
    GtkWidget *top = gtk_widget_get_toplevel(widget);
    bool focused = GTK_IS_WINDOW(top) && gtk_window_has_toplevel_focus(GTK_WINDOW(top));
    if (dw->inside && focused && dw->session != NULL) {
        display_widget_grab(dw, false);
    } else if (!dw->inside && !dw->pointer_grabbed) {
        display_widget_ungrab(dw);
    }
    return FALSE;
}

/* ---- life ---- */

DisplayWidget *display_widget_new(void)
{
    DisplayWidget *dw = g_new0(DisplayWidget, 1);
    dw->area = g_object_ref_sink(gtk_drawing_area_new());
    dw->scale = 1;
    gtk_widget_set_can_focus(dw->area, TRUE);
    gtk_widget_add_events(dw->area, GDK_POINTER_MOTION_MASK | GDK_BUTTON_PRESS_MASK
                          | GDK_BUTTON_RELEASE_MASK | GDK_SCROLL_MASK | GDK_SMOOTH_SCROLL_MASK
                          | GDK_ENTER_NOTIFY_MASK | GDK_LEAVE_NOTIFY_MASK
                          | GDK_KEY_PRESS_MASK | GDK_KEY_RELEASE_MASK);
    g_signal_connect(dw->area, "draw", G_CALLBACK(on_draw), dw);
    g_signal_connect(dw->area, "motion-notify-event", G_CALLBACK(on_motion), dw);
    g_signal_connect(dw->area, "button-press-event", G_CALLBACK(on_button), dw);
    g_signal_connect(dw->area, "button-release-event", G_CALLBACK(on_button), dw);
    g_signal_connect(dw->area, "scroll-event", G_CALLBACK(on_scroll), dw);
    g_signal_connect(dw->area, "enter-notify-event", G_CALLBACK(on_crossing), dw);
    g_signal_connect(dw->area, "leave-notify-event", G_CALLBACK(on_crossing), dw);
    update_size_request(dw);
    return dw;
}

void display_widget_free(DisplayWidget *dw)
{
    if (dw == NULL) {
        return;
    }
    g_signal_handlers_disconnect_by_data(dw->area, dw);
    g_object_unref(dw->area);
    if (dw->stale != NULL) {
        cairo_surface_destroy(dw->stale);
    }
    g_clear_object(&dw->guest_cursor);
    g_clear_object(&dw->blank_cursor);
    g_free(dw);
}

GtkWidget *display_widget_get_widget(DisplayWidget *dw)
{
    return dw->area;
}

void display_widget_set_grab_callback(DisplayWidget *dw, DisplayGrabChanged cb, void *user)
{
    dw->grab_cb = cb;
    dw->grab_user = user;
}
