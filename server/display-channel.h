/* display-channel: the display channel of one QXL worker: its clients, their start-up, the draws, and catch-up from the canvas. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>

#include "display-channel-messages.h"
#include "event-loop.h"
#include "linked-peer.h"
#include "reds.h"
#include "surface.h"

/*
 * Threads: a DisplayChannel and its clients live in the QXL worker thread (its EventLoop); every
 * function is called from there.
 *
 * A client is started when its DISPLAY_INIT arrives: INVAL_ALL_PALETTES, then, if a primary
 * exists, SURFACE_CREATE, the whole surface as one DRAW_COPY read from the canvas (bands only
 * beyond DISPLAY_CHANNEL_MAX_START_MESSAGE),
 * MONITORS_CONFIG and MARK. Later draws (already rendered into the canvas by the worker) are
 * forwarded as draw messages. A client that cannot take more (ack window full or a large send
 * queue) is never sent draws: the changed area is added to its dirty region instead, and when it
 * drains, the dirty area goes out as DRAW_COPY bands from the canvas. So a client that stops
 * reading costs a bounded region, never an unbounded queue, and never stalls the guest.
 *
 * Only surface 0 (the primary) is sent to clients. Off-screen surfaces live in the worker's
 * canvases only: what a draw reads from them reaches the primary's canvas and goes out from
 * there. Draws without a native message here (patterns, masks, ROP3, strokes, text, alpha,
 * composite...) reach clients as canvas content (display_channel_invalidate).
 */
typedef struct DisplayChannel DisplayChannel;

/* @loop is the worker's (borrowed, must outlive the channel). */
DisplayChannel *display_channel_new(EventLoop *loop, uint8_t channel_id);
/* Closes every client and frees the channel. Accepts NULL. */
void display_channel_destroy(DisplayChannel *display);
/* The server whose image compression policy (read at every image) applies; borrowed, must
 * outlive the channel. Without one (NULL, the default) images go out uncompressed. */
void display_channel_set_server(DisplayChannel *display, SpiceServer *reds);

/* Called (in the worker thread) after a client joined or left, e.g. to tell the device. */
typedef void (*DisplayClientsChangedFunc)(DisplayChannel *display, void *opaque);
void display_channel_set_clients_changed(DisplayChannel *display, DisplayClientsChangedFunc func,
                                         void *opaque);
/* True when at least one client is linked and every linked client has display cap @cap. */
bool display_channel_clients_have_cap(const DisplayChannel *display, uint32_t cap);

/* A client linked to this channel (takes ownership of @peer). */
void display_channel_add_client(DisplayChannel *display, LinkedPeer *peer);
unsigned display_channel_num_clients(const DisplayChannel *display);

/*
 * The primary surface appeared (@primary borrowed until the next call) or went away (NULL):
 * started clients get SURFACE_DESTROY for the old one, and SURFACE_CREATE + content +
 * MONITORS_CONFIG + MARK for the new one.
 */
void display_channel_set_primary(DisplayChannel *display, Surface *primary);

/*
 * The guest's monitor layout (spice_qxl_monitors_config_async); @heads copied. count 0 returns to
 * the default: one head covering the primary surface.
 */
void display_channel_set_monitors_config(DisplayChannel *display, const DisplayHead *heads,
                                         uint16_t count, uint16_t max_allowed);

/*
 * Draws the worker has rendered into the primary. @changed is the area the draw changed (bbox
 * and clip, inside the surface): what a client that is behind must get from the canvas.
 */
void display_channel_draw_fill(DisplayChannel *display, const DisplayDrawBase *base,
                               uint32_t color, uint16_t rop_descriptor,
                               const pixman_region32_t *changed);
void display_channel_draw_copy(DisplayChannel *display, const DisplayDrawBase *base,
                               const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                               uint16_t rop_descriptor, uint8_t scale_mode,
                               const pixman_region32_t *changed);
/* DRAW_BLEND: a DRAW_COPY body under the BLEND message type. */
void display_channel_draw_blend(DisplayChannel *display, const DisplayDrawBase *base,
                                const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                                uint16_t rop_descriptor, uint8_t scale_mode,
                                const pixman_region32_t *changed);
/* OPAQUE, ROP3, TRANSPARENT, ALPHA_BLEND of an inline bitmap (see DisplayImageDraw). */
void display_channel_draw_image(DisplayChannel *display, const DisplayDrawBase *base,
                                const DisplayImageDraw *draw, const DisplayBitmap *bitmap,
                                const pixman_region32_t *changed);
/* DRAW_BLACKNESS / DRAW_WHITENESS / DRAW_INVERS (@msg_type), without a mask. */
void display_channel_draw_mask_only(DisplayChannel *display, uint16_t msg_type,
                                    const DisplayDrawBase *base, const pixman_region32_t *changed);
void display_channel_copy_bits(DisplayChannel *display, const DisplayDrawBase *base,
                               int32_t src_x, int32_t src_y, const pixman_region32_t *changed);
/* An area changed with no draw message to describe it: clients get it from the canvas. */
void display_channel_invalidate(DisplayChannel *display, const pixman_region32_t *changed);

/* The guest's image ids start over (spice_qxl_reset_image_cache): cached copies of this
 * channel's images are forgotten (and invalidated on the clients before their next message). */
void display_channel_reset_image_cache(DisplayChannel *display);

/* Sends clients that fell behind what they miss, as far as their windows allow. */
void display_channel_flush(DisplayChannel *display);

/* Largest body of one message that carries pixels (bands are cut to stay under it). */
#define DISPLAY_CHANNEL_MAX_PIXEL_MESSAGE (1024u * 1024u)
/*
 * The start-up picture may be larger: tools such as spicy-screenshot take the picture at the
 * first update, so a surface up to 2560x1600 goes out whole, as upstream sends it; only larger
 * ones are cut into bands.
 */
#define DISPLAY_CHANNEL_MAX_START_MESSAGE (16u * 1024u * 1024u)

/* The client's session ended (replaced by a new client, or its main channel closed): close them all. */
void display_channel_disconnect_all(DisplayChannel *display);
