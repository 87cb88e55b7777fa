/* test-client-vv: remote-viewer's .vv files (client/vv-file.c), real ones and hostile ones. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <spice/enums.h>

#include "client/vv-file.h"

static bool parse(const char *text, VvFile *vv, char **error)
{
    return vv_file_parse(text, strlen(text), vv, error);
}

static void test_full(void)
{
    /* What oVirt / Proxmox write: an inline CA with \n escapes, channels, flags. */
    const char *text =
        "[virt-viewer]\n"
        "type=spice\n"
        "host=192.0.2.10\n"
        "port=-1\n"
        "tls-port=5901\n"
        "password=s3cret\n"
        "ca=-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n\n"
        "host-subject=C=IL, O=Red Hat, CN=node1\n"
        "title=vm1 - Press SHIFT+F12 to Release Cursor\n"
        "fullscreen=1\n"
        "delete-this-file=1\n"
        "secure-channels=main;inputs;cursor;playback;record;display;usbredir;smartcard\n"
        "toggle-fullscreen=shift+f11\n"
        "release-cursor=shift+f12\n"
        "enable-usbredir=1\n"
        "\n[ovirt]\nhost=engine.example\n";
    /* port=-1 is how oVirt says "no plain port". */
    VvFile vv;
    char *error = NULL;
    g_assert_true(parse(text, &vv, &error));
    g_assert_null(error);
    g_assert_cmpstr(vv.host, ==, "192.0.2.10");
    g_assert_cmpuint(vv.port, ==, 0);
    g_assert_cmpuint(vv.tls_port, ==, 5901);
    g_assert_cmpstr(vv.password, ==, "s3cret");
    g_assert_cmpstr(vv.ca, ==, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    g_assert_cmpstr(vv.host_subject, ==, "C=IL, O=Red Hat, CN=node1");
    g_assert_cmpstr(vv.title, ==, "vm1 - Press SHIFT+F12 to Release Cursor");
    g_assert_true(vv.fullscreen);
    g_assert_true(vv.delete_this_file);
    g_assert_true(vv.secure_channels & (1u << SPICE_CHANNEL_MAIN));
    g_assert_true(vv.secure_channels & (1u << SPICE_CHANNEL_SMARTCARD));
    g_assert_false(vv.secure_channels & (1u << SPICE_CHANNEL_PORT));
    vv_file_clear(&vv);
    g_assert_null(vv.host);
}

static void test_minimal(void)
{
    VvFile vv;
    char *error = NULL;
    g_assert_true(parse("[virt-viewer]\ntype=spice\nhost=h\nport=5900\nfullscreen=false\n", &vv, &error));
    g_assert_cmpstr(vv.host, ==, "h");
    g_assert_cmpuint(vv.port, ==, 5900);
    g_assert_cmpuint(vv.tls_port, ==, 0);
    g_assert_null(vv.password);
    g_assert_null(vv.ca);
    g_assert_false(vv.fullscreen);
    g_assert_cmpuint(vv.secure_channels, ==, 0);
    vv_file_clear(&vv);
    g_assert_true(parse("[virt-viewer]\ntype=spice\nhost=h\ntls-port=5901\nsecure-channels=all\n", &vv, &error));
    g_assert_cmpuint(vv.secure_channels & (1u << SPICE_CHANNEL_DISPLAY), !=, 0);
    vv_file_clear(&vv);
}

static void test_hostile(void)
{
    char *huge_title = g_strnfill(5000, 'x');
    char *huge_title_file = g_strdup_printf("[virt-viewer]\ntype=spice\nhost=h\nport=1\ntitle=%s\n", huge_title);
    char *long_host = g_strnfill(300, 'h');
    char *long_host_file = g_strdup_printf("[virt-viewer]\ntype=spice\nhost=%s\nport=1\n", long_host);
    struct { const char *text; const char *word; } cases[] = {
        { "", "empty" },
        { "type=spice\n", "not a key file" },
        { "[other]\ntype=spice\n", "no [virt-viewer]" },
        { "[virt-viewer]\nhost=h\nport=1\n", "type=(missing)" },
        { "[virt-viewer]\ntype=vnc\nhost=h\nport=1\n", "type=vnc" },
        { "[virt-viewer]\ntype=spice\nport=1\n", "no host=" },
        { "[virt-viewer]\ntype=spice\nhost=\nport=1\n", "no host=" },
        { "[virt-viewer]\ntype=spice\nhost=h\n", "neither port= nor tls-port=" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=65536\n", "port=65536" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=99999999999999999999999\n", "is not a number" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=12ab\n", "port=12ab" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=0x10\n", "port=0x10" },
        { "[virt-viewer]\ntype=spice\nhost=h\ntls-port=-5\n", "tls-port=-5" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\nfullscreen=yes please\n", "fullscreen=" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\nsecure-channels=main;warp\n", "unknown channel 'warp'" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\nsecure-channels=main\n", "needs tls-port" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\nproxy=http://p:3128\n", "proxy" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\ntitle=\xff\xfe\n", "title=" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\ntitle=a\\qb\\\n", "bad backslash escape" },
        { "[virt-viewer]\ntype=spice\nhost=h\nport=1\npassword=x\\\n", "password= has a bad backslash" },
        { huge_title_file, "over our limit" },
        { long_host_file, "host= is 300 bytes" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        VvFile vv;
        char *error = NULL;
        g_assert_false(parse(cases[i].text, &vv, &error));
        g_assert_nonnull(error);
        if (strstr(error, cases[i].word) == NULL) {
            g_error("case %zu: message '%s' lacks '%s'", i, error, cases[i].word);
        }
        g_assert_null(vv.host);
        g_assert_null(vv.password);
        g_free(error);
    }
    /* A NUL byte inside, and a file over the size limit. */
    VvFile vv;
    char *error = NULL;
    static const char with_nul[] = "[virt-viewer]\ntype=spice\0\nhost=h\nport=1\n";
    g_assert_false(vv_file_parse(with_nul, sizeof(with_nul) - 1, &vv, &error));
    g_assert_nonnull(strstr(error, "NUL"));
    g_free(error);
    size_t big = VV_FILE_MAX_BYTES + 1;
    char *huge = g_malloc(big);
    memset(huge, '#', big);
    g_assert_false(vv_file_parse(huge, big, &vv, &error));
    g_assert_nonnull(strstr(error, "over our limit"));
    g_free(error);
    g_free(huge);
    g_free(huge_title);
    g_free(huge_title_file);
    g_free(long_host);
    g_free(long_host_file);
}

static void test_load(void)
{
    char *dir = g_dir_make_tmp("test-client-vv-XXXXXX", NULL);
    char *path = g_build_filename(dir, "c.vv", NULL);
    g_assert_true(g_file_set_contents(path, "[virt-viewer]\ntype=spice\nhost=h\nport=7\n", -1, NULL));
    VvFile vv;
    char *error = NULL;
    g_assert_true(vv_file_load(path, &vv, &error));
    g_assert_cmpuint(vv.port, ==, 7);
    vv_file_clear(&vv);
    g_unlink(path);
    g_assert_false(vv_file_load(path, &vv, &error));
    g_assert_nonnull(strstr(error, "cannot read"));
    g_free(error);
    g_assert_true(g_file_set_contents(path, "", 0, NULL));
    g_assert_false(vv_file_load(path, &vv, &error));
    g_assert_nonnull(strstr(error, "empty"));
    g_free(error);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-vv/full", test_full);
    g_test_add_func("/client-vv/minimal", test_minimal);
    g_test_add_func("/client-vv/hostile", test_hostile);
    g_test_add_func("/client-vv/load", test_load);
    return g_test_run();
}
