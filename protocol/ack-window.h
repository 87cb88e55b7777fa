/* ack-window: SPICE message flow control (SET_ACK / ACK_SYNC / ACK), server and client sides. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * Server side (display and cursor channels). On connect the server restarts the window and sends
 * SET_ACK(generation, window); the client answers ACK_SYNC(generation) and then one ACK every
 * @window messages it receives. The server counts what it sent and stops producing while more
 * than 2 * window messages are unacknowledged. An ACK only counts when the client's last
 * ACK_SYNC named the current generation (older ACKs belong to an earlier window).
 *
 * Plain value type, no allocation; not thread-safe (owned by one connection's thread).
 */
#define ACK_WINDOW_DEFAULT 20u   /* CLIENT_ACK_WINDOW upstream */

typedef struct AckWindow {
    uint32_t generation;          /* the last generation sent in SET_ACK */
    uint32_t client_generation;   /* the last ACK_SYNC's generation */
    bool client_synced;           /* an ACK_SYNC has been received since init */
    uint32_t window;
    uint32_t unacked;             /* messages sent and not yet acknowledged */
} AckWindow;

/* Zero generation, no window: never full until restarted. */
void ack_window_init(AckWindow *w);
/* Starts a new generation with @window and clears the count; returns the generation to send in
 * SET_ACK. */
uint32_t ack_window_restart(AckWindow *w, uint32_t window);
void ack_window_on_message_sent(AckWindow *w);
void ack_window_on_ack_sync(AckWindow *w, uint32_t generation);
/* Returns true when the ACK counted (the window moved), false when it was ignored. */
bool ack_window_on_ack(AckWindow *w);
/* True while unacked > 2 * window (and a window is set): stop sending. */
bool ack_window_is_full(const AckWindow *w);

/*
 * Client side: after SET_ACK(generation, window) send ACK_SYNC(generation) and call
 * ack_counter_set(window); then call ack_counter_tick for every message received (any type); when
 * it returns true send one ACK. A window of 0 disables ACKs.
 */
typedef struct AckCounter {
    uint32_t window;
    uint32_t countdown;
} AckCounter;

void ack_counter_init(AckCounter *c);
void ack_counter_set(AckCounter *c, uint32_t window);
bool ack_counter_tick(AckCounter *c);
