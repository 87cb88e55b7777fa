/* display-widget: a GtkDrawingArea showing one SPICE display, scaled or zoomed, and its mouse. */
#pragma once

#include <stdbool.h>

#include <gtk/gtk.h>

#include "client/spice-client.h"

/*
 * The widget draws the primary surface of display 0 of the session it is given (borrowed; the
 * caller keeps it alive while set) and maps pointer events through the same transform to guest
 * coordinates: absolute positions in client mouse mode, relative motion with a pointer grab and
 * warp in server mode. Keys are the window's business (viewer-keyboard.c); this widget only
 * owns the grab, because keyboard and pointer grabs are one X grab.
 */
typedef struct DisplayWidget DisplayWidget;

/* Called when the grab starts or ends, so the window can show the release hint. */
typedef void (*DisplayGrabChanged)(DisplayWidget *dw, bool grabbed, void *user);

DisplayWidget *display_widget_new(void);
/* Destroys the GtkWidget too unless it was already destroyed with its window; accepts NULL. */
void display_widget_free(DisplayWidget *dw);
/* The GtkDrawingArea (owned by the DisplayWidget until packed into a container). */
GtkWidget *display_widget_get_widget(DisplayWidget *dw);
void display_widget_set_grab_callback(DisplayWidget *dw, DisplayGrabChanged cb, void *user);

/*
 * Shows @session's display 0 (NULL: none). Setting NULL or another session keeps the last picture
 * of the previous one, greyed, so a reconnect does not blank the window.
 */
void display_widget_set_session(DisplayWidget *dw, SpiceClientSession *session);
/* The session drew something or changed its surface: redraw (and resize in zoom mode). */
void display_widget_display_changed(DisplayWidget *dw);
/* The session's cursor or mouse mode changed. */
void display_widget_cursor_changed(DisplayWidget *dw);

/* The guest picture's size, false while there is none. */
bool display_widget_guest_size(DisplayWidget *dw, int *width, int *height);
/* 0: scale to the widget, keeping the aspect (default); 10-400: fixed zoom in percent, the
 * widget then asks for exactly the zoomed size. */
void display_widget_set_zoom(DisplayWidget *dw, int zoom_pct);
int display_widget_get_zoom(const DisplayWidget *dw);

/* Keyboard grab (and pointer grab in server mouse mode when @pointer). */
void display_widget_grab(DisplayWidget *dw, bool pointer);
void display_widget_ungrab(DisplayWidget *dw);
bool display_widget_grabbed(const DisplayWidget *dw);
bool display_widget_pointer_inside(const DisplayWidget *dw);

/* A copy of the current picture as an RGB24 cairo surface (caller unrefs), NULL when none. */
cairo_surface_t *display_widget_snapshot(DisplayWidget *dw);
