/* test-event-loop: watches and timers on both backends (the host's core interface and a GMainContext). */
#include <unistd.h>
#include <glib.h>

#include "server/event-loop.h"
#include "test-core-glib.h"

typedef struct Counter {
    int fired;
    int last_events;
    EventLoopWatch *watch;      /* removed from inside the callback when remove_self */
    EventLoopTimer *timer;
    bool remove_self;
    int fd;
} Counter;

static bool reached_one(void *data)
{
    return ((Counter *)data)->fired >= 1;
}

static bool reached_two(void *data)
{
    return ((Counter *)data)->fired >= 2;
}

/* Runs @context (NULL: the default one, as the core backend) until @done or @ms. */
static bool run(GMainContext *context, bool (*done)(void *), void *data, unsigned ms)
{
    if (!context) {
        return test_core_run_until(done, data, ms);
    }
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    while (!done(data) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(context, FALSE);
        g_usleep(200);
    }
    return done(data);
}

static void on_watch(int fd, int events, void *opaque)
{
    Counter *c = opaque;
    c->fired++;
    c->last_events = events;
    if (events & EVENT_LOOP_READ) {
        char buf[16];
        ssize_t n = read(fd, buf, sizeof(buf));
        (void)n;
    }
    if (c->remove_self) {
        event_loop_watch_remove(c->watch);
        c->watch = NULL;
    }
}

static void on_timer(void *opaque)
{
    Counter *c = opaque;
    c->fired++;
    if (c->remove_self) {
        event_loop_timer_remove(c->timer);
        c->timer = NULL;
    }
}

static void check_loop(EventLoop *loop, GMainContext *context)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);

    /* A read watch fires when data arrives, not before. */
    Counter rc = { 0 };
    rc.watch = event_loop_watch_add(loop, fds[0], EVENT_LOOP_READ, on_watch, &rc);
    g_assert_nonnull(rc.watch);
    g_assert_false(run(context, reached_one, &rc, 50));
    g_assert_cmpint(write(fds[1], "x", 1), ==, 1);
    g_assert_true(run(context, reached_one, &rc, 2000));
    g_assert_cmpint(rc.last_events & EVENT_LOOP_READ, !=, 0);

    /* Masking to 0 silences it; a write watch on the write end fires at once. */
    event_loop_watch_update_mask(rc.watch, 0);
    g_assert_cmpint(write(fds[1], "y", 1), ==, 1);
    int before = rc.fired;
    g_assert_false(run(context, reached_two, &rc, 50));
    g_assert_cmpint(rc.fired, ==, before);
    event_loop_watch_update_mask(rc.watch, EVENT_LOOP_READ);
    g_assert_true(run(context, reached_two, &rc, 2000));
    event_loop_watch_remove(rc.watch);

    Counter wc = { .remove_self = true };
    wc.watch = event_loop_watch_add(loop, fds[1], EVENT_LOOP_WRITE, on_watch, &wc);
    g_assert_true(run(context, reached_one, &wc, 2000));
    g_assert_cmpint(wc.last_events & EVENT_LOOP_WRITE, !=, 0);
    /* It removed itself inside its callback: it never fires again. */
    g_assert_null(wc.watch);
    g_assert_false(run(context, reached_two, &wc, 50));
    g_assert_cmpint(wc.fired, ==, 1);

    /* A timer fires once, can be re-armed, and cancelled. */
    Counter tc = { 0 };
    tc.timer = event_loop_timer_add(loop, on_timer, &tc);
    g_assert_false(run(context, reached_one, &tc, 30));   /* created stopped */
    event_loop_timer_start(tc.timer, 10);
    g_assert_true(run(context, reached_one, &tc, 2000));
    g_assert_false(run(context, reached_two, &tc, 60));   /* one-shot */
    event_loop_timer_start(tc.timer, 500);
    event_loop_timer_cancel(tc.timer);
    g_assert_false(run(context, reached_two, &tc, 600));
    event_loop_timer_remove(tc.timer);

    Counter sc = { .remove_self = true };
    sc.timer = event_loop_timer_add(loop, on_timer, &sc);
    event_loop_timer_start(sc.timer, 1);
    g_assert_true(run(context, reached_one, &sc, 2000));
    g_assert_null(sc.timer);

    /* Removing NULL is fine. */
    event_loop_watch_remove(NULL);
    event_loop_timer_remove(NULL);

    close(fds[0]);
    close(fds[1]);
}

static void test_core_backend(void)
{
    test_core_reset();
    EventLoop *loop = event_loop_new_from_core(test_core_get());
    g_assert_nonnull(loop);
    check_loop(loop, NULL);
    /* Everything the loop made on the host's side is gone. */
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
    event_loop_destroy(loop);
}

static void test_glib_backend(void)
{
    GMainContext *context = g_main_context_new();
    EventLoop *loop = event_loop_new_glib(context);
    check_loop(loop, context);
    event_loop_destroy(loop);
    g_main_context_unref(context);
}

static void test_core_missing_callbacks(void)
{
    SpiceCoreInterface broken = *test_core_get();
    broken.watch_add = NULL;
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*lacks watch or timer callbacks*");
    g_assert_null(event_loop_new_from_core(&broken));
    g_test_assert_expected_messages();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/event-loop/core", test_core_backend);
    g_test_add_func("/event-loop/glib", test_glib_backend);
    g_test_add_func("/event-loop/core-missing-callbacks", test_core_missing_callbacks);
    return g_test_run();
}
