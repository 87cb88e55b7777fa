/* ack-window: SPICE message flow control (SET_ACK / ACK_SYNC / ACK), server and client sides. */
#include "protocol/ack-window.h"

void ack_window_init(AckWindow *w)
{
    w->generation = 0;
    w->client_generation = 0;
    w->client_synced = false;
    w->window = 0;
    w->unacked = 0;
}

uint32_t ack_window_restart(AckWindow *w, uint32_t window)
{
    w->generation++;   /* wraps after 2^32 restarts; only equality matters */
    w->window = window;
    w->unacked = 0;
    return w->generation;
}

void ack_window_on_message_sent(AckWindow *w)
{
    if (w->unacked < UINT32_MAX) {
        w->unacked++;
    }
}

void ack_window_on_ack_sync(AckWindow *w, uint32_t generation)
{
    w->client_generation = generation;
    w->client_synced = true;
}

bool ack_window_on_ack(AckWindow *w)
{
    if (!w->client_synced || w->client_generation != w->generation) {
        return false;
    }
    /* One ACK stands for @window received messages; a client that acks early cannot drive the
     * count below zero (that would let it open the window beyond 2 * window). */
    w->unacked = w->unacked > w->window ? w->unacked - w->window : 0;
    return true;
}

bool ack_window_is_full(const AckWindow *w)
{
    if (w->window == 0) {
        return false;
    }
    uint64_t limit = 2 * (uint64_t)w->window;
    return w->unacked > limit;
}

void ack_counter_init(AckCounter *c)
{
    c->window = 0;
    c->countdown = 0;
}

void ack_counter_set(AckCounter *c, uint32_t window)
{
    c->window = window;
    c->countdown = window;
}

bool ack_counter_tick(AckCounter *c)
{
    if (c->window == 0) {
        return false;
    }
    if (--c->countdown > 0) {
        return false;
    }
    c->countdown = c->window;
    return true;
}
