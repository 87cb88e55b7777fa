/* test-ack-window: server flow-control window and client ACK counter of protocol/ack-window.c. */
#include <glib.h>

#include "protocol/ack-window.h"

static void send_n(AckWindow *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        ack_window_on_message_sent(w);
    }
}

static void test_fills_after_twice_the_window(void)
{
    AckWindow w;
    ack_window_init(&w);
    send_n(&w, 1000);
    g_assert_false(ack_window_is_full(&w));   /* no window yet: never full */

    uint32_t gen = ack_window_restart(&w, ACK_WINDOW_DEFAULT);
    g_assert_cmpuint(gen, ==, 1);
    g_assert_cmpuint(w.unacked, ==, 0);
    send_n(&w, 40);
    g_assert_false(ack_window_is_full(&w));   /* upstream stalls only past 2 * window */
    send_n(&w, 1);
    g_assert_true(ack_window_is_full(&w));
}

static void test_acks_need_matching_sync(void)
{
    AckWindow w;
    ack_window_init(&w);
    uint32_t gen = ack_window_restart(&w, 20);
    send_n(&w, 41);
    g_assert_true(ack_window_is_full(&w));
    /* No ACK_SYNC yet: the ACK is ignored. */
    g_assert_false(ack_window_on_ack(&w));
    g_assert_true(ack_window_is_full(&w));
    /* ACK_SYNC for another generation: still ignored. */
    ack_window_on_ack_sync(&w, gen + 1);
    g_assert_false(ack_window_on_ack(&w));
    g_assert_cmpuint(w.unacked, ==, 41);
    ack_window_on_ack_sync(&w, gen);
    g_assert_true(ack_window_on_ack(&w));
    g_assert_cmpuint(w.unacked, ==, 21);
    g_assert_false(ack_window_is_full(&w));
    /* A flood of ACKs cannot push the count below zero. */
    for (int i = 0; i < 10; i++) {
        g_assert_true(ack_window_on_ack(&w));
    }
    g_assert_cmpuint(w.unacked, ==, 0);
    send_n(&w, 40);
    g_assert_false(ack_window_is_full(&w));
    send_n(&w, 1);
    g_assert_true(ack_window_is_full(&w));

    /* A restart (new SET_ACK) makes the old sync stale until the client syncs again. */
    uint32_t gen2 = ack_window_restart(&w, 10);
    g_assert_cmpuint(gen2, ==, gen + 1);
    send_n(&w, 21);
    g_assert_true(ack_window_is_full(&w));
    g_assert_false(ack_window_on_ack(&w));
    ack_window_on_ack_sync(&w, gen2);
    g_assert_true(ack_window_on_ack(&w));
    g_assert_cmpuint(w.unacked, ==, 11);
}

static void test_huge_window(void)
{
    AckWindow w;
    ack_window_init(&w);
    ack_window_restart(&w, UINT32_MAX);   /* 2 * window must not wrap to a tiny limit */
    send_n(&w, 10);
    g_assert_false(ack_window_is_full(&w));
    w.unacked = UINT32_MAX;
    ack_window_on_message_sent(&w);   /* saturates */
    g_assert_cmpuint(w.unacked, ==, UINT32_MAX);
}

static void test_client_counter(void)
{
    AckCounter c;
    ack_counter_init(&c);
    for (int i = 0; i < 100; i++) {
        g_assert_false(ack_counter_tick(&c));   /* no SET_ACK yet: no ACKs */
    }
    ack_counter_set(&c, 3);
    unsigned acks = 0;
    for (int i = 1; i <= 30; i++) {
        bool ack = ack_counter_tick(&c);
        g_assert_cmpint(ack, ==, i % 3 == 0);
        acks += ack;
    }
    g_assert_cmpuint(acks, ==, 10);
    ack_counter_set(&c, 0);
    g_assert_false(ack_counter_tick(&c));
    ack_counter_set(&c, 1);
    g_assert_true(ack_counter_tick(&c));
    g_assert_true(ack_counter_tick(&c));
}

/* Client and server together: a well-behaved client never lets the window fill. */
static void test_client_and_server_together(void)
{
    AckWindow server;
    AckCounter client;
    ack_window_init(&server);
    ack_counter_init(&client);
    uint32_t gen = ack_window_restart(&server, ACK_WINDOW_DEFAULT);
    ack_counter_tick(&client);                  /* the SET_ACK itself is a received message */
    ack_counter_set(&client, ACK_WINDOW_DEFAULT);
    ack_window_on_ack_sync(&server, gen);
    for (int i = 0; i < 10000; i++) {
        g_assert_false(ack_window_is_full(&server));
        ack_window_on_message_sent(&server);
        if (ack_counter_tick(&client)) {
            g_assert_true(ack_window_on_ack(&server));
        }
    }
    g_assert_cmpuint(server.unacked, <=, ACK_WINDOW_DEFAULT);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ack-window/fills-after-twice-the-window", test_fills_after_twice_the_window);
    g_test_add_func("/ack-window/acks-need-matching-sync", test_acks_need_matching_sync);
    g_test_add_func("/ack-window/huge-window", test_huge_window);
    g_test_add_func("/ack-window/client-counter", test_client_counter);
    g_test_add_func("/ack-window/client-and-server", test_client_and_server_together);
    return g_test_run();
}
