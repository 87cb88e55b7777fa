/* test-client-uri: spice://, spice+tls:// and spice+unix:// URI parsing of spice-viewer (client/viewer/uri.c). */
#include <string.h>

#include <glib.h>

#include "uri.h"

static void test_valid(void)
{
    struct { const char *text, *host, *password; uint16_t port, tls_port; } cases[] = {
        { "spice://localhost:5900", "localhost", NULL, 5900, 0 },
        { "spice://127.0.0.1?port=6000&password=a%20b", "127.0.0.1", "a b", 6000, 0 },
        { "spice://user@host:1/", "host", NULL, 1, 0 },
        { "spice://[::1]:5901?password=x;port=5902", "::1", "x", 5902, 0 },
        { "SPICE://h?port=65535", "h", NULL, 65535, 0 },
        /* remote-viewer's TLS forms */
        { "spice://h?port=5900&tls-port=5901", "h", NULL, 5900, 5901 },
        { "spice://h:5900?tls-port=5901", "h", NULL, 5900, 5901 },
        { "spice://h?tls-port=5901", "h", NULL, 0, 5901 },
        { "spice+tls://h:5901", "h", NULL, 0, 5901 },
        { "Spice+TLS://[::1]:5901?port=5900&password=pw", "::1", "pw", 5900, 5901 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        SpiceUri u;
        char *err = NULL;
        g_assert_true(spice_uri_parse(cases[i].text, &u, &err));
        g_assert_null(err);
        g_assert_cmpstr(u.host, ==, cases[i].host);
        g_assert_cmpstr(u.password, ==, cases[i].password);
        g_assert_cmpuint(u.port, ==, cases[i].port);
        g_assert_cmpuint(u.tls_port, ==, cases[i].tls_port);
        g_assert_null(u.unix_path);
        spice_uri_clear(&u);
    }
}

static void test_unix(void)
{
    struct { const char *text, *path, *password; } cases[] = {
        { "spice+unix:///run/qemu/spice.sock", "/run/qemu/spice.sock", NULL },
        { "spice+unix:///tmp/a%20b.sock?password=x%26y", "/tmp/a b.sock", "x&y" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        SpiceUri u;
        char *err = NULL;
        g_assert_true(spice_uri_parse(cases[i].text, &u, &err));
        g_assert_null(err);
        g_assert_null(u.host);
        g_assert_cmpstr(u.unix_path, ==, cases[i].path);
        g_assert_cmpstr(u.password, ==, cases[i].password);
        g_assert_cmpuint(u.port, ==, 0);
        spice_uri_clear(&u);
    }
}

static void test_invalid(void)
{
    struct { const char *text, *why; } cases[] = {
        { "vnc://h:1", "not a spice://" },
        { "spice://h", "no port" },
        { "spice://h:0", "bad port" },
        { "spice://h:65536", "bad port" },
        { "spice://h:12a", "bad port" },
        { "spice://h?port=1&tls-port=0", "bad tls-port" },
        { "spice://h?port=1&tls-port=99999", "bad tls-port" },
        { "spice+tls://h", "no port" },
        { "spice+tls://h:70000", "bad port" },
        { "spice+unix://relative/sock", "absolute" },
        { "spice+unix://", "absolute" },
        { "spice+unix:///s?port=5900", "only ?password" },
        { "spice+unix:///s?password=%zz", "only ?password" },
        { "spice://h?port=1&color=red", "unknown query key" },
        { "spice://[::1:5900", "unterminated" },
        { "spice://:5900", "no host" },
        { "spice://h?port=1&password=%zz", "percent" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        SpiceUri u;
        char *err = NULL;
        g_assert_false(spice_uri_parse(cases[i].text, &u, &err));
        g_assert_nonnull(err);
        if (strstr(err, cases[i].why) == NULL) {
            g_error("%s: message %s lacks %s", cases[i].text, err, cases[i].why);
        }
        g_assert_null(u.host);
        g_assert_null(u.unix_path);
        g_free(err);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-uri/valid", test_valid);
    g_test_add_func("/client-uri/unix", test_unix);
    g_test_add_func("/client-uri/invalid", test_invalid);
    return g_test_run();
}
