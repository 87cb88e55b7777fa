/* display-lossy: where a display client shows an approximation of the primary (JPEG images, video frames), and what each forwarded draw does to that. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>

/*
 * A client that got a JPEG image or an MJPEG stream frame shows an approximation there. Most
 * draws over such an area are still fine to send as themselves (the result is as approximate
 * as what was under it), but a draw that combines its pixels with the destination by OR, AND
 * or XOR turns small errors into wrong colours. Those go to the client from the server's canvas
 * instead, losslessly. The rules follow upstream's display channel (dcc-send.cpp's lossy
 * marshallers) draw type by draw type:
 *
 *   FILL (PUT or a rop without OR/AND/XOR), COPY, OPAQUE, BLACKNESS, WHITENESS:
 *       the area becomes exact, or approximate if the image itself went as JPEG;
 *   FILL with OR/AND/XOR, BLEND, ROP3:
 *       needs an exact destination: sent from the canvas when it overlaps an approximate area;
 *   INVERS, TRANSPARENT, ALPHA_BLEND:
 *       leave the area as approximate or exact as it was;
 *   COPY_BITS:
 *       the destination is approximate exactly where its source was;
 *   anything sent from the canvas (dirty catch-up, start-up): exact.
 *
 * The region lives in the caller's per-client state (pixman_region32_t, caller-owned, primary
 * coordinates); these functions only update it. No locking: the display channel's thread.
 */

typedef enum DisplayDestUse {
    DISPLAY_DEST_OVERWRITTEN,    /* the draw's result does not depend on the destination */
    DISPLAY_DEST_NEEDS_EXACT,    /* OR/AND/XOR with the destination: never over approximations */
    DISPLAY_DEST_KEPT,           /* blends with the destination: keeps its approximation */
    DISPLAY_DEST_MOVED,          /* COPY_BITS: the destination shows a moved source area */
} DisplayDestUse;

typedef struct DisplayDrawUse {
    DisplayDestUse dest;
    /* DISPLAY_DEST_MOVED: the source of changed pixel (x, y) is (x + src_dx, y + src_dy). */
    int32_t src_dx;
    int32_t src_dy;
} DisplayDrawUse;

/* How a draw with rop descriptor @rop_descriptor (SPICE_ROPD_*) uses its destination. */
DisplayDrawUse display_draw_use_for_rop(uint16_t rop_descriptor);

/*
 * True when the draw (@use, changing @changed) must not be sent as itself to a client whose
 * approximate area is @lossy: the caller sends @changed from the canvas instead (and then
 * display_lossy_sent_exact).
 */
bool display_lossy_must_resend(const pixman_region32_t *lossy, const DisplayDrawUse *use,
                               const pixman_region32_t *changed);

/* After the draw went to the client as itself; @sent_lossy: its image went as JPEG. */
void display_lossy_after_draw(pixman_region32_t *lossy, const DisplayDrawUse *use,
                              const pixman_region32_t *changed, bool sent_lossy);

/* @area was sent as an approximation by other means (a video stream frame). */
void display_lossy_add(pixman_region32_t *lossy, const pixman_region32_t *area);

/* @box was sent exactly (from the canvas, losslessly). */
void display_lossy_sent_exact(pixman_region32_t *lossy, const pixman_box32_t *box);
