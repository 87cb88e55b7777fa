/* display-lossy: where a display client shows an approximation of the primary, and what each forwarded draw does to that. */
#include "display-lossy.h"

#include <spice/enums.h>

/* An approximate region with more rects than this becomes its bounding box: bounded work, and
 * a larger approximate area only means a few more lossless resends. */
#define LOSSY_MAX_RECTS 32

static void bound_rects(pixman_region32_t *lossy)
{
    if (pixman_region32_n_rects(lossy) > LOSSY_MAX_RECTS) {
        pixman_box32_t extents = *pixman_region32_extents(lossy);
        pixman_region32_fini(lossy);
        pixman_region32_init_rects(lossy, &extents, 1);
    }
}

DisplayDrawUse display_draw_use_for_rop(uint16_t rop_descriptor)
{
    bool combines = rop_descriptor & (SPICE_ROPD_OP_OR | SPICE_ROPD_OP_AND | SPICE_ROPD_OP_XOR);
    return (DisplayDrawUse){ .dest = combines ? DISPLAY_DEST_NEEDS_EXACT :
                                                DISPLAY_DEST_OVERWRITTEN };
}

static bool overlaps(const pixman_region32_t *a, const pixman_region32_t *b)
{
    pixman_region32_t both;
    pixman_region32_init(&both);
    pixman_region32_intersect(&both, (pixman_region32_t *)a, (pixman_region32_t *)b);
    bool any = pixman_region32_not_empty(&both);
    pixman_region32_fini(&both);
    return any;
}

bool display_lossy_must_resend(const pixman_region32_t *lossy, const DisplayDrawUse *use,
                               const pixman_region32_t *changed)
{
    return use->dest == DISPLAY_DEST_NEEDS_EXACT && pixman_region32_not_empty(lossy) &&
           overlaps(lossy, changed);
}

void display_lossy_after_draw(pixman_region32_t *lossy, const DisplayDrawUse *use,
                              const pixman_region32_t *changed, bool sent_lossy)
{
    switch (use->dest) {
    case DISPLAY_DEST_OVERWRITTEN:
    case DISPLAY_DEST_NEEDS_EXACT:   /* sent as itself: its destination was exact */
        pixman_region32_subtract(lossy, lossy, (pixman_region32_t *)changed);
        break;
    case DISPLAY_DEST_KEPT:
        break;
    case DISPLAY_DEST_MOVED: {
        /* The source's approximate part, moved onto the destination, replaces what was there. */
        pixman_region32_t moved;
        pixman_region32_init(&moved);
        if (pixman_region32_not_empty(lossy)) {
            pixman_region32_copy(&moved, (pixman_region32_t *)changed);
            pixman_region32_translate(&moved, use->src_dx, use->src_dy);
            pixman_region32_intersect(&moved, &moved, lossy);
            pixman_region32_translate(&moved, -use->src_dx, -use->src_dy);
        }
        pixman_region32_subtract(lossy, lossy, (pixman_region32_t *)changed);
        pixman_region32_union(lossy, lossy, &moved);
        pixman_region32_fini(&moved);
        break;
    }
    }
    if (sent_lossy) {
        pixman_region32_union(lossy, lossy, (pixman_region32_t *)changed);
    }
    bound_rects(lossy);
}

void display_lossy_add(pixman_region32_t *lossy, const pixman_region32_t *area)
{
    pixman_region32_union(lossy, lossy, (pixman_region32_t *)area);
    bound_rects(lossy);
}

void display_lossy_sent_exact(pixman_region32_t *lossy, const pixman_box32_t *box)
{
    if (!pixman_region32_not_empty(lossy)) {
        return;
    }
    pixman_region32_t sent;
    pixman_region32_init_rects(&sent, box, 1);
    pixman_region32_subtract(lossy, lossy, &sent);
    pixman_region32_fini(&sent);
}
