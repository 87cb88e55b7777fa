/* test-api-unimplemented: the exports a later issue completes fail cleanly and keep host contracts. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

/* The deprecated entry points are tested on purpose. */
#define SPICE_SERVER_INTERNAL
#include "spice.h"

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            g_printerr("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* ---- log capture: count warnings that name a function ---- */

static GString *captured_log;

static GLogWriterOutput capture_writer(GLogLevelFlags level, const GLogField *fields,
                                       gsize n_fields, gpointer user_data)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (strcmp(fields[i].key, "MESSAGE") == 0) {
            g_string_append(captured_log, (const char *)fields[i].value);
            g_string_append_c(captured_log, '\n');
        }
    }
    return G_LOG_WRITER_HANDLED;
}

static unsigned count_log_lines_naming(const char *function)
{
    unsigned count = 0;
    for (const char *p = captured_log->str; (p = strstr(p, function)) != NULL; p++) {
        /* whole name only: spice_server_add_client must not count add_client_xyz */
        char next = p[strlen(function)];
        if (next != '_' && !g_ascii_isalnum(next)) {
            count++;
        }
    }
    return count;
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* ---- a QXL device that records async completions ---- */

static unsigned completions;
static uint64_t last_cookie;
static QXLInstance *last_instance;

static void record_async_complete(QXLInstance *qin, uint64_t cookie)
{
    completions++;
    last_cookie = cookie;
    last_instance = qin;
}

/* Char devices work now (server/char-devices.c): tests/unit/test-char-device.c covers them. */

static void test_auth_and_transports(void)
{
    CHECK(spice_server_set_sasl(NULL, 0) == 0);
    CHECK(spice_server_set_sasl(NULL, 1) == -1);
    /* set_tls, add_client and add_ssl_client live in server/reds-clients.c now (test-reds-tls). */

    CHECK(spice_server_add_renderer(NULL, "sw") == 0);
    CHECK(spice_server_add_renderer(NULL, "oglpbuf") == -1);
    CHECK(spice_get_current_compat_version() == SPICE_COMPAT_VERSION_CURRENT);
}

static void test_migration_and_replay(void)
{
    CHECK(spice_server_migrate_connect(NULL, "127.0.0.1", 5900, -1, NULL) == -1);
    /* QEMU calls these even after migrate_connect failed. */
    CHECK(spice_server_migrate_start(NULL) == 0);
    CHECK(spice_server_migrate_end(NULL, 1) == 0);
    CHECK(spice_server_migrate_end(NULL, 0) == 0);
    CHECK(spice_server_migrate_info(NULL, "127.0.0.1", 5900, -1, NULL) == -1);
    CHECK(spice_server_migrate_switch(NULL) == -1);

    CHECK(spice_replay_new(stdin, 1024) == NULL);
    CHECK(spice_replay_next_cmd(NULL, NULL) == NULL);
    spice_replay_free_cmd(NULL, NULL);
    spice_replay_free(NULL);
}

static void test_gl(void)
{
    static const QXLInterface qxl_if = {
        .base.type = SPICE_INTERFACE_QXL,
        .base.major_version = SPICE_INTERFACE_QXL_MAJOR,
        .base.minor_version = SPICE_INTERFACE_QXL_MINOR,
        .async_complete = record_async_complete,
    };
    QXLInstance qxl = { .base.sif = &qxl_if.base, .id = 0 };

    int fds[2];
    CHECK(pipe(fds) == 0);
    spice_qxl_gl_scanout(&qxl, fds[0], 640, 480, 640 * 4, 0, 1);
    CHECK(!fd_is_open(fds[0])); /* the library took the fd and closed it */
    close(fds[1]);
    spice_qxl_gl_scanout(&qxl, -1, 0, 0, 0, 0, 0); /* "no scanout": nothing to close */

    spice_qxl_gl_draw_async(&qxl, 0, 0, 640, 480, 0xC00C1E0000000042ULL);
    CHECK(completions == 1);
    CHECK(last_cookie == 0xC00C1E0000000042ULL);
    CHECK(last_instance == &qxl);

    /* A device without async_complete, or no device: no call, no crash. */
    static const QXLInterface silent_if = { .base.type = SPICE_INTERFACE_QXL };
    QXLInstance silent = { .base.sif = &silent_if.base };
    spice_qxl_gl_draw_async(&silent, 0, 0, 1, 1, 7);
    spice_qxl_gl_draw_async(NULL, 0, 0, 1, 1, 7);
    CHECK(completions == 1);
}

static void test_logged_once(void)
{
    /* Every stub that logged named itself, once, however often it was called. */
    CHECK(count_log_lines_naming("spice_qxl_gl_draw_async") == 1);
    CHECK(count_log_lines_naming("spice_server_migrate_connect") == 1);
    CHECK(strstr(captured_log->str, "not implemented yet") != NULL);
    /* Disabling SASL is a success, not a missing feature. */
    CHECK(count_log_lines_naming("spice_server_set_sasl") == 1);
}

int main(void)
{
    captured_log = g_string_new(NULL);
    g_log_set_writer_func(capture_writer, NULL, NULL);

    test_auth_and_transports();
    test_migration_and_replay();
    test_gl();
    test_logged_once();

    g_string_free(captured_log, TRUE);
    if (failures) {
        g_printerr("test-api-unimplemented: %d checks failed\n", failures);
        return 1;
    }
    g_print("test-api-unimplemented: all checks passed\n");
    return 0;
}
