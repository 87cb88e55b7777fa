/* terminal: the desktop's terminal window body: commands typed one character at a time, output, scrolling by COPY_BITS. */
#pragma once

#include "screen.h"

/* Main thread only. Borrows @screen (must outlive it). */
typedef struct Terminal Terminal;

/* A terminal filling @body (already inside the screen) with the font at @scale. */
Terminal *terminal_new(Screen *screen, Box body, int scale);
void terminal_free(Terminal *term); /* accepts NULL */
/* Paints the empty terminal on the framebuffer only (part of the first full frame). */
void terminal_paint(Terminal *term);
/* One frame of typing (@tick counts frames at 25 per second). */
void terminal_tick(Terminal *term, unsigned tick);
